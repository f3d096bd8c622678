"""The comparison of scenarios in an ensemble: member values of the key outcomes, their bands,
paired differences against the first scenario with bootstrap intervals, the targets, and value
added by sector. It reads a dataset and returns tables; it writes and draws nothing.

Conventions (see docs/compare.md):

- *Annual values* are means over the four quarters of a calendar year; flows (GDP, migration,
  capital outflow) are annual totals (4 x the quarterly mean). The *end year* is the last
  calendar year with all four quarters recorded.
- *Better* means higher, except for ``capital_outflow`` and ``innovation_money`` (cost), where
  lower is better. A tie counts as half a win.
- Members with ``member_ok == 0`` (failed after their retries) are skipped and counted; paired
  statistics use the members present in both scenarios, and so does the unpaired interval (so
  the two intervals differ only by the pairing).
- The bootstrap is percentile-based with ``n_boot`` resamples; each cell of the table has its
  own generator seeded from ``(boot_seed, outcome, year, scenario)``, so results are
  deterministic and do not depend on which outcomes are selected.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from abm.analysis.errors import CompareError
from abm.analysis.outcome_values import available, check_outcomes, key_years, outcome_values
from abm.analysis.outcomes import (
    COUNTERFACTUAL,
    KEY_OUTCOMES,
    TARGET_YEAR,
    TARGETS,
    KeyOutcome,
)
from abm.analysis.results import CompareResult
from abm.analysis.series import (
    annual_mean,
    by_member,
    member_ok,
)
from abm.analysis.stats import (
    LEVEL,
    band,
    cell_rng,
    mean_or_nan,
    paired_interval,
    prob_better,
    unpaired_interval,
)
from abm.io.provenance import now_iso

#: Columns of :attr:`CompareResult.table` (in this order).
TABLE_COLUMNS = (
    "outcome",
    "year",
    "scenario",
    "units",
    "mean",
    "p05",
    "p95",
    "diff_mean",
    "diff_low",
    "diff_high",
    "unpaired_low",
    "unpaired_high",
    "prob_better",
)
#: Columns of :attr:`CompareResult.targets`.
TARGET_COLUMNS = ("scenario", "target", "threshold", "mean", "share_meeting", "met")
#: Columns of ``value_added_by_sector.csv``.
SECTOR_COLUMNS = ("sector", "year", "scenario", "mean", "diff_mean", "diff_low", "diff_high")
#: Variables a comparison reads from an ensemble.
NEEDED = (
    "gdp_real",
    "industry_share",
    "rd_intensity",
    "employment",
    "talent_stock",
    "high_skill_immigration",
    "high_skill_emigration",
    "capital_outflow",
    "programme_spending",
    "value_added",
)
#: Variables a comparison reads when an ensemble has them (files of older versions may not).
OPTIONAL = ("gdp_real_per_capita", "gdp_real_per_worker", "government_balance")
_DIFF_COLUMNS = ("diff_mean", "diff_low", "diff_high", "unpaired_low", "unpaired_high")


def check_n_boot(n_boot: int) -> None:
    """At least 100 bootstrap resamples."""
    if int(n_boot) < 100:
        raise CompareError(f"option '--n-boot': must be at least 100 (got {n_boot})")


def _check_dataset(ds: xr.Dataset) -> list[str]:
    for d in ("scenario", "realization", "time"):
        if d not in ds.dims:
            raise CompareError(
                f"not an ensemble dataset: no '{d}' dimension (make one with `abm ensemble`)"
            )
    missing = [v for v in NEEDED if v not in ds]
    if missing:
        raise CompareError(f"the ensemble lacks the variable(s) {', '.join(missing)}")
    names = [str(s) for s in ds["scenario"].values]
    if len(names) < 2:
        raise CompareError(
            f"only one scenario ({names[0] if names else 'none'}); a comparison needs at least two"
        )
    if len(set(names)) != len(names):
        dup = sorted(n for n, c in Counter(names).items() if c > 1)
        raise CompareError(f"scenario(s) {', '.join(dup)} given more than once")
    return names


def _notes(
    ds: xr.Dataset, names: list[str], ok: np.ndarray, years: dict[str, Any], selected: list[str]
) -> tuple[list[str], dict[str, int]]:
    """What was skipped or is undefined, and the failed members by scenario."""
    notes = []
    skipped = {n: int((~ok[i]).sum()) for i, n in enumerate(names)}
    if any(skipped.values()):
        notes.append(
            "skipped failed members (member_ok == 0): "
            + ", ".join(f"{n} {k}" for n, k in skipped.items() if k)
        )
    for i, n in enumerate(names):
        if not ok[i].any():
            notes.append(f"{n}: no member was written; its statistics are NaN")
    base, end = years["base"], years["end"]
    if TARGET_YEAR not in years["key"]:
        notes.append(
            f"{TARGET_YEAR} is not a complete year of the data ({base}-{end}): its rows and "
            "the targets are left out"
        )
    if "scale" in ds and len(set(np.round(np.asarray(ds["scale"].values, float), 9))) > 1:
        notes.append(
            "the scenarios were run at different scales: "
            + ", ".join(f"{n} {float(s):g}" for n, s in zip(names, ds["scale"].values, strict=True))
        )
    if "gdp_per_euro" in selected:
        if COUNTERFACTUAL not in names:
            notes.append(
                f"gdp_per_euro needs the scenario '{COUNTERFACTUAL}' among those compared; "
                "it is NaN"
            )
        else:
            notes.append(
                f"gdp_per_euro is undefined (NaN) for {COUNTERFACTUAL} itself and for any "
                "scenario without innovation money"
            )
            if names[0] == COUNTERFACTUAL:
                notes.append(
                    f"gdp_per_euro has no paired difference: the reference is {COUNTERFACTUAL}"
                )
    if "gdp_growth" in selected and end == base:
        notes.append(f"gdp_growth needs two complete years; the data has only {base}")
    return notes, skipped


def analyse(
    ds: xr.Dataset,
    *,
    outcomes: Sequence[str] | None = None,
    n_boot: int = 2000,
    boot_seed: int | None = None,
    ensemble: str | Path | None = None,
    notes: Sequence[str] = (),
) -> CompareResult:
    """Compare the scenarios of an ensemble dataset (dims ``scenario``, ``realization``, ...).

    Parameters
    ----------
    ds : xarray.Dataset
        An ensemble as written by :func:`abm.ensemble.run_ensemble` (or merged by
        :func:`abm.analysis.inputs.open_ensembles`), with at least two scenarios; the first is
        the reference.
    outcomes : sequence of str, optional
        Restrict the table to these key outcomes (:data:`KEY_OUTCOMES`); default all.
    n_boot : int
        Bootstrap resamples (>= 100).
    boot_seed : int, optional
        Seed of the bootstrap (default: the ensemble's root seed).
    ensemble : path, optional
        The file ``ds`` came from (recorded in the result).
    notes : sequence of str
        Notes to carry into the result (e.g. from merging files).

    Returns
    -------
    CompareResult
        Table, targets, value added by sector (``sectors``) and provenance; no ``outdir`` and
        no figures yet.
    """
    selected, lacking = available(ds, check_outcomes(outcomes))
    check_n_boot(n_boot)
    names = _check_dataset(ds)
    root = ds.attrs.get("root_seed")
    if boot_seed is None:
        boot_seed = int(root) if root is not None and int(root) >= 0 else 0
    ok = member_ok(ds)
    years = key_years(ds)
    found, skipped = _notes(ds, names, ok, years, selected)
    if lacking:
        found.append(
            "left out (the ensemble has no such variable; written by an older version?): "
            + ", ".join(lacking)
        )
    rows = []
    for (name, year), x in outcome_values(ds, selected, ok=ok).items():
        rows.extend(_summarise(KEY_OUTCOMES[name], year, x, names, n_boot, boot_seed))
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    table["year"] = table["year"].astype(int)
    raw = ds.attrs.get("runs")
    provenance: dict[str, Any] = {
        "model_version": str(ds.attrs.get("model_version", "")),
        "root_seed": None if root is None else int(root),
        "runs": None if raw is None else int(raw),
        "realizations": int(ds.sizes["realization"]),
        "scenarios": names,
        "reference": names[0],
        "ensemble_id": ds.attrs.get("ensemble_id", ""),
        "years": {"base": years["base"], "end": years["end"], "key": years["key"]},
        "members_used": {n: int(ok[i].sum()) for i, n in enumerate(names)},
        "members_skipped": skipped,
        "n_boot": int(n_boot),
        "boot_seed": int(boot_seed),
        "level": LEVEL,
        "outcomes": list(selected),
        "notes": [*notes, *found],
        "created": now_iso(),
    }
    return CompareResult(
        scenarios=names,
        table=table,
        targets=_targets(ds, names, ok, years["key"]),
        ensemble=None if ensemble is None else Path(ensemble),
        provenance=provenance,
        sectors=_sector_table(ds, names, ok, years["key"], n_boot, boot_seed),
    )


def _paired(x: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The members present in both, and their differences."""
    both = np.isfinite(x) & np.isfinite(ref)
    return x[both], ref[both], x[both] - ref[both]


def _summarise(
    o: KeyOutcome, year: int, x: np.ndarray, names: list[str], n_boot: int, boot_seed: int
) -> list[dict[str, Any]]:
    rows = []
    for i, s in enumerate(names):
        mean, p05, p95 = band(x[i][np.isfinite(x[i])])
        row: dict[str, Any] = {
            "outcome": o.name,
            "year": year,
            "scenario": s,
            "units": o.units,
            "mean": mean,
            "p05": p05,
            "p95": p95,
        }
        if i == 0:
            row.update(dict.fromkeys(_DIFF_COLUMNS, math.nan), prob_better=math.nan)
        else:
            xi, ref, d = _paired(x[i], x[0])
            rng = cell_rng(boot_seed, o.name, year, s)
            lo, hi = paired_interval(d, n_boot, rng)
            ulo, uhi = unpaired_interval(xi, ref, n_boot, rng)
            row.update(
                diff_mean=mean_or_nan(d),
                diff_low=lo,
                diff_high=hi,
                unpaired_low=ulo,
                unpaired_high=uhi,
                prob_better=prob_better(d, o.higher_is_better),
            )
        rows.append(row)
    return rows


def _targets(ds: xr.Dataset, names: list[str], ok: np.ndarray, key: list[int]) -> pd.DataFrame:
    rows = []
    if TARGET_YEAR in key:
        values = []
        for t in TARGETS:
            x = by_member(annual_mean(ds[t.outcome], t.year))
            x[~ok] = np.nan
            values.append((x, t))
        for i, s in enumerate(names):
            for x, t in values:
                v = x[i][np.isfinite(x[i])]
                mean = mean_or_nan(v)
                rows.append(
                    {
                        "scenario": s,
                        "target": t.text,
                        "threshold": t.threshold,
                        "mean": mean,
                        "share_meeting": float((v >= t.threshold).mean()) if v.size else math.nan,
                        "met": bool(mean >= t.threshold),
                    }
                )
    df = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    df["met"] = df["met"].astype(bool)
    return df


def _sector_table(
    ds: xr.Dataset,
    names: list[str],
    ok: np.ndarray,
    key: list[int],
    n_boot: int,
    boot_seed: int,
) -> pd.DataFrame:
    """Value added by sector (EUR per year): mean and paired difference vs the reference."""
    rows = []
    for y in key:
        va = 4.0 * np.asarray(
            annual_mean(ds["value_added"], y).transpose("scenario", "realization", "sector"),
            dtype=float,
        )
        va[~ok] = np.nan
        for j, sec in enumerate(str(s) for s in ds["sector"].values):
            x = va[:, :, j]
            for i, s in enumerate(names):
                row = {
                    "sector": sec,
                    "year": y,
                    "scenario": s,
                    "mean": mean_or_nan(x[i][np.isfinite(x[i])]),
                    "diff_mean": math.nan,
                    "diff_low": math.nan,
                    "diff_high": math.nan,
                }
                if i > 0:
                    _, _, d = _paired(x[i], x[0])
                    lo, hi = paired_interval(d, n_boot, cell_rng(boot_seed, "va_" + sec, y, s))
                    row.update(diff_mean=mean_or_nan(d), diff_low=lo, diff_high=hi)
                rows.append(row)
    return pd.DataFrame(rows, columns=list(SECTOR_COLUMNS))
