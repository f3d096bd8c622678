"""Compare scenarios with confidence intervals (issue #5): ``abm compare A B [C ...]``.

:func:`compare` runs one ensemble of all the scenarios (so they share member seeds: common
random numbers, DESIGN §5-§6), or reads ensemble NetCDF files, and computes for each key
outcome at 2030 and at the end year:

- the mean and the 90% interval across members of every scenario;
- the paired difference against the **first** scenario (member by member, same member seed),
  its mean with a bootstrap 90% confidence interval (members resampled), the unpaired interval
  for comparison (each scenario's members resampled independently), and the probability that
  the scenario beats the first one (the share of members where it does);
- whether each scenario meets the 2030 targets (industry >= 15% of GDP, R&D >= 3% of GDP) on
  average and in what share of members.

It writes ``comparison.md``, ``comparison.csv``, ``targets.csv``, ``value_added_by_sector.csv``
and the figures (:mod:`abm.figures`) to ``outdir`` and returns a
:class:`abm.results.CompareResult`::

    from abm.compare import compare
    res = compare(["diffuse", "focused", "laissez_faire"], runs=40, root_seed=1)
    res.table.query("outcome == 'gdp_real' and year == 2030")
    res.targets
    res.figures["paired_differences"]

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

import datetime as _dt
import logging
import math
import os
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abm.results import CompareResult

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger("abm.compare")

#: The counterfactual scenario that ``gdp_per_euro`` is measured against.
COUNTERFACTUAL = "laissez_faire"
#: The year of the policy targets.
TARGET_YEAR = 2030
#: Confidence / coverage level of every interval.
LEVEL = 0.90
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
SECTOR_COLUMNS = (
    "sector",
    "year",
    "scenario",
    "mean",
    "diff_mean",
    "diff_low",
    "diff_high",
)
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


class CompareError(ValueError):
    """Bad input to a comparison (scenario, option, ensemble file); the message is one line."""


@dataclass(frozen=True)
class Outcome:
    """A key outcome of the comparison.

    Attributes
    ----------
    name : str
        Name used in the table and by ``--outcome``.
    label : str
        Human-readable name.
    units : str
        Units of the values in the table (SI-like, money in euros).
    higher_is_better : bool
        Direction of "beats" for ``prob_better``.
    per_year : bool
        True: one row at 2030 and one at the end year; False: one row for 2026-end (its
        ``year`` is the end year).
    scale, display_units, decimals, diff_units, diff_decimals
        How ``comparison.md`` and the figures display it: value x ``scale`` in
        ``display_units``.
    """

    name: str
    label: str
    units: str
    higher_is_better: bool
    per_year: bool
    scale: float
    display_units: str
    decimals: int
    diff_units: str
    diff_decimals: int


#: The key outcomes, in table order.
OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome(
            "gdp_real",
            "real GDP",
            "EUR/year (2025 prices)",
            True,
            True,
            1e-9,
            "EUR bn/yr",
            1,
            "EUR bn/yr",
            2,
        ),
        Outcome(
            "gdp_growth",
            "real GDP growth, average annual since 2026",
            "1/year",
            True,
            True,
            100.0,
            "%/yr",
            2,
            "pp",
            3,
        ),
        Outcome(
            "industry_share",
            "industry share of GDP",
            "1",
            True,
            True,
            100.0,
            "% of GDP",
            2,
            "pp",
            3,
        ),
        Outcome("rd_intensity", "R&D intensity", "1", True, True, 100.0, "% of GDP", 2, "pp", 3),
        Outcome(
            "employment",
            "employment",
            "persons",
            True,
            True,
            1e-3,
            "thousand",
            0,
            "thousand",
            1,
        ),
        Outcome(
            "talent_high",
            "high-skill talent stock",
            "persons",
            True,
            True,
            1e-3,
            "thousand",
            1,
            "thousand",
            2,
        ),
        Outcome(
            "net_migration_high",
            "net migration of high-skill talent",
            "persons/year",
            True,
            True,
            1e-3,
            "thousand/yr",
            2,
            "thousand/yr",
            3,
        ),
        Outcome(
            "capital_outflow",
            "capital outflow",
            "EUR/year",
            False,
            True,
            1e-9,
            "EUR bn/yr",
            3,
            "EUR bn/yr",
            3,
        ),
        Outcome(
            "innovation_money",
            "public innovation money, cumulative",
            "EUR",
            False,
            False,
            1e-9,
            "EUR bn",
            2,
            "EUR bn",
            3,
        ),
        Outcome(
            "gdp_per_euro",
            f"extra real GDP per euro of innovation money, cumulative, vs {COUNTERFACTUAL}",
            "EUR/EUR",
            True,
            False,
            1.0,
            "EUR per EUR",
            2,
            "EUR per EUR",
            2,
        ),
    )
}
#: The 2030 targets: (outcome, threshold, description).
TARGETS: tuple[tuple[str, float, str], ...] = (
    ("industry_share", 0.15, f"industry >= 15% of GDP in {TARGET_YEAR}"),
    ("rd_intensity", 0.03, f"R&D >= 3% of GDP in {TARGET_YEAR}"),
)


# ----------------------------------------------------------------------------- entry points
def compare(
    inputs: Sequence[str | os.PathLike[str]],
    runs: int = 40,
    root_seed: int = 1,
    outdir: str | os.PathLike[str] = "outputs/compare",
    quarters: int | None = None,
    scale: float | None = None,
    workers: int | None = None,
    outcomes: Sequence[str] | None = None,
    n_boot: int = 2000,
    progress: bool = True,
    *,
    boot_seed: int | None = None,
    resume: bool = False,
    figures: bool = True,
    log: Callable[[str], None] | None = None,
) -> CompareResult:
    """Compare scenarios (run as one ensemble) or ensemble files, with confidence intervals.

    Parameters
    ----------
    inputs : sequence of str or path
        Either scenario names / TOML paths (at least two; they are run as one ensemble with
        :func:`abm.ensemble.run_ensemble`, sharing member seeds, written to
        ``outdir/ensemble.nc``) or ensemble NetCDF files (``.nc``/``.nc4``; several are merged
        along ``scenario`` and must come from one model version, root seed and set of member
        seeds). The first scenario is the reference of the paired differences.
    runs : int
        Members per scenario (>= 1); ignored for files.
    root_seed : int
        Member k runs with ``SeedSequence(root_seed).spawn(runs)[k]``; ignored for files.
    outdir : path
        Folder for the ensemble, the tables and the figures (created).
    quarters, scale, workers : optional
        Recorded quarters (>= 4), persons per talent agent and local dask workers for the
        ensemble (defaults: the scenarios' and one worker per core); ignored for files.
    outcomes : sequence of str, optional
        Restrict the table to these outcomes (names of :data:`OUTCOMES`); default all.
    n_boot : int
        Bootstrap resamples (>= 100).
    progress : bool
        Show the ensemble's progress bar (stderr).
    boot_seed : int, optional
        Seed of the bootstrap (default: the ensemble's root seed).
    resume : bool
        Continue an interrupted ensemble in ``outdir/ensemble.nc.parts`` (see
        :func:`abm.ensemble.run_ensemble`).
    figures : bool
        Draw the figures (:func:`abm.figures.make_figures`).
    log : callable, optional
        Receives one-line notes (default: the ``abm.compare`` logger).

    Returns
    -------
    CompareResult
        Tables, figure paths, the ensemble file and provenance (``provenance["notes"]``: what
        was skipped or left undefined; ``provenance["members_skipped"]`` by scenario).

    Raises
    ------
    CompareError
        Bad input (unknown scenario, ``runs < 1``, incompatible files, unknown outcome), before
        any member runs.
    abm.ensemble.EnsembleInputError, abm.ensemble.EnsembleError
        From the ensemble (e.g. bad ``workers``; scheduler lost).
    """
    t0 = time.perf_counter()
    note = log or logger.info
    inputs = [str(x) for x in inputs]
    outdir = Path(outdir)
    selected = _check_outcomes(outcomes)
    _check_n_boot(n_boot)
    if boot_seed is not None and boot_seed < 0:
        raise CompareError(f"option '--boot-seed': must be >= 0 (got {boot_seed})")
    if not inputs:
        raise CompareError("no scenario given; name at least two scenarios or ensemble files")
    is_file = [_is_file(x) for x in inputs]
    if any(is_file) and not all(is_file):
        files = ", ".join(x for x, f in zip(inputs, is_file, strict=True) if f)
        raise CompareError(
            f"cannot mix ensemble files ({files}) with scenario names; give only scenarios "
            "(run together) or only ensemble files"
        )
    notes: list[str] = []
    if all(is_file):
        ds = open_ensembles([Path(x) for x in inputs])
        ensemble_path: Path | None = Path(inputs[0]) if len(inputs) == 1 else None
        if len(inputs) > 1:
            outdir.mkdir(parents=True, exist_ok=True)
            ensemble_path = outdir / "ensemble.nc"
            _write_merged(ds, ensemble_path)
            notes.append(
                f"merged {len(inputs)} ensemble files into {ensemble_path}: " + ", ".join(inputs)
            )
        source = "ensemble file(s): " + ", ".join(inputs)
    else:
        ds, ensemble_path = _run(
            inputs, runs, root_seed, outdir, quarters, scale, workers, progress, resume, note
        )
        source = "ensemble run by abm compare"
    try:
        res = compare_dataset(
            ds,
            outdir,
            outcomes=selected,
            n_boot=n_boot,
            boot_seed=boot_seed,
            figures=figures,
            ensemble=ensemble_path,
            notes=notes,
        )
    finally:
        ds.close()
    res.provenance["source"] = source
    res.provenance["inputs"] = inputs
    res.provenance["ensemble_written"] = not (all(is_file) and len(inputs) == 1)
    res.provenance["seconds"] = round(time.perf_counter() - t0, 2)
    _write_text(outdir / "comparison.md", to_markdown(res))
    return res


def compare_dataset(
    ds: xr.Dataset,
    outdir: str | os.PathLike[str] = "outputs/compare",
    *,
    outcomes: Sequence[str] | None = None,
    n_boot: int = 2000,
    boot_seed: int | None = None,
    figures: bool = True,
    ensemble: str | os.PathLike[str] | None = None,
    notes: Sequence[str] = (),
) -> CompareResult:
    """Compare the scenarios of an ensemble dataset (dims ``scenario``, ``realization``, ...).

    Parameters
    ----------
    ds : xarray.Dataset
        An ensemble as written by :func:`abm.ensemble.run_ensemble` (or merged by
        :func:`open_ensembles`), with at least two scenarios; the first is the reference.
    outdir : path
        Folder for ``comparison.md``, ``comparison.csv``, ``targets.csv``,
        ``value_added_by_sector.csv`` and the figures (created).
    outcomes, n_boot, boot_seed, figures
        As in :func:`compare`.
    ensemble : path, optional
        The file ``ds`` came from (recorded in the result).
    notes : sequence of str
        Notes to carry into the result (e.g. from merging files).

    Returns
    -------
    CompareResult
    """
    selected = _check_outcomes(outcomes)
    _check_n_boot(n_boot)
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
    notes = list(notes)
    root = ds.attrs.get("root_seed")
    if boot_seed is None:
        boot_seed = int(root) if root is not None and int(root) >= 0 else 0

    ok = _member_ok(ds)
    skipped = {n: int((~ok[i]).sum()) for i, n in enumerate(names)}
    if any(skipped.values()):
        notes.append(
            "skipped failed members (member_ok == 0): "
            + ", ".join(f"{n} {k}" for n, k in skipped.items() if k)
        )
    for i, n in enumerate(names):
        if not ok[i].any():
            notes.append(f"{n}: no member was written; its statistics are NaN")
    years = _years(ds)
    base, end = years["base"], years["end"]
    key_years = years["key"]
    if TARGET_YEAR not in key_years:
        notes.append(
            f"{TARGET_YEAR} is not a complete year of the data ({base}-{end}): its rows and "
            "the targets are left out"
        )
    if "scale" in ds and len(set(np.round(np.asarray(ds["scale"].values, float), 9))) > 1:
        notes.append(
            "the scenarios were run at different scales: "
            + ", ".join(f"{n} {float(s):g}" for n, s in zip(names, ds["scale"].values, strict=True))
        )

    values = outcome_values(ds, selected, ok=ok)
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

    rows = []
    for (name, year), x in values.items():
        o = OUTCOMES[name]
        rows.extend(_summarise(name, year, o, x, names, n_boot, boot_seed))
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    table["year"] = table["year"].astype(int)

    targets = _targets(ds, names, ok, key_years)
    sector = _sector_table(ds, names, ok, key_years, n_boot, boot_seed)
    n_used = {n: int(ok[i].sum()) for i, n in enumerate(names)}
    provenance: dict[str, Any] = {
        "model_version": str(ds.attrs.get("model_version", "")),
        "root_seed": None if root is None else int(root),
        "runs": _attr_int(ds, "runs"),
        "realizations": int(ds.sizes["realization"]),
        "scenarios": names,
        "reference": names[0],
        "ensemble_id": ds.attrs.get("ensemble_id", ""),
        "years": {"base": base, "end": end, "key": key_years},
        "members_used": n_used,
        "members_skipped": skipped,
        "n_boot": int(n_boot),
        "boot_seed": int(boot_seed),
        "level": LEVEL,
        "outcomes": list(selected),
        "notes": notes,
        "created": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
    }
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    res = CompareResult(
        scenarios=names,
        table=table,
        targets=targets,
        outdir=outdir,
        ensemble=None if ensemble is None else Path(ensemble),
        provenance=provenance,
    )
    _write_csv(outdir / "comparison.csv", table)
    _write_csv(outdir / "targets.csv", targets)
    _write_csv(outdir / "value_added_by_sector.csv", sector)
    if figures:
        from abm.figures import make_figures

        res.figures = make_figures(ds, res, sector, ok=ok, outdir=outdir)
    _write_text(outdir / "comparison.md", to_markdown(res))
    return res


# ----------------------------------------------------------------------------- inputs
def _is_file(x: str) -> bool:
    return Path(x).suffix.lower() in (".nc", ".nc4")


def _check_outcomes(outcomes: Sequence[str] | None) -> list[str]:
    if outcomes is None or len(outcomes) == 0:
        return list(OUTCOMES)
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    bad = [o for o in outcomes if o not in OUTCOMES]
    if bad:
        raise CompareError(
            f"option '--outcome': unknown {', '.join(repr(b) for b in bad)}; allowed: "
            + ", ".join(OUTCOMES)
        )
    return [o for o in OUTCOMES if o in set(outcomes)]


def _check_n_boot(n_boot: int) -> None:
    if int(n_boot) < 100:
        raise CompareError(f"option '--n-boot': must be at least 100 (got {n_boot})")


def _attr_int(ds: xr.Dataset, key: str) -> int | None:
    v = ds.attrs.get(key)
    return None if v is None else int(v)


def _run(
    inputs: list[str],
    runs: int,
    root_seed: int,
    outdir: Path,
    quarters: int | None,
    scale: float | None,
    workers: int | None,
    progress: bool,
    resume: bool,
    note: Callable[[str], None],
) -> tuple[xr.Dataset, Path]:
    """Check the scenarios and options, run one ensemble of them, open it."""
    import xarray as xr

    from abm.ensemble import run_ensemble
    from abm.scenario import ScenarioError, load_scenario

    if runs < 1:
        raise CompareError(f"option '--runs': must be at least 1 (got {runs})")
    if root_seed < 0:
        raise CompareError(f"option '--seed': must be a non-negative integer (got {root_seed})")
    if quarters is not None and quarters < 4:
        raise CompareError(
            f"option '--quarters': must be at least 4 (one complete year; got {quarters})"
        )
    if scale is not None and scale < 1:
        raise CompareError(f"option '--scale': must be at least 1 person per agent (got {scale})")
    if workers is not None and workers < 1:
        raise CompareError(f"option '--workers': must be at least 1 (got {workers})")
    if len(inputs) < 2:
        raise CompareError(
            f"only one scenario ({inputs[0]}); a comparison needs at least two scenarios"
        )
    scenarios = []
    for x in inputs:
        try:
            scenarios.append(load_scenario(x))
        except ScenarioError as e:
            raise CompareError(" ".join(str(e).split())) from None
    names = [s.name for s in scenarios]
    dup = sorted(n for n, c in Counter(names).items() if c > 1)
    if dup:
        raise CompareError(f"scenario(s) {', '.join(dup)} given more than once")
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "ensemble.nc"
    res = run_ensemble(
        scenarios,
        runs,
        root_seed=root_seed,
        output=path,
        quarters=quarters,
        scale=scale,
        workers=workers,
        resume=resume,
        progress=progress,
        log=note,
    )
    for f in res.failures:
        note(f"member failed and is skipped: {f.describe()}")
    note(
        f"ensemble: {res.members} members in {res.seconds:.1f} s "
        f"({res.members_per_minute:.1f} members/min on {res.workers} worker(s)); wrote {path}"
    )
    return xr.open_dataset(path), path


def open_ensembles(paths: Sequence[str | os.PathLike[str]]) -> xr.Dataset:
    """Open one ensemble file, or merge several along ``scenario``.

    Parameters
    ----------
    paths : sequence of path
        Ensemble NetCDF files written by :func:`abm.ensemble.run_ensemble`.

    Returns
    -------
    xarray.Dataset
        The ensemble (one file: opened as is; several: the variables a comparison needs,
        merged along ``scenario`` in the order given, ``programme`` the union of the files').

    Raises
    ------
    CompareError
        A file is missing or not an ensemble; the files come from different model versions,
        root seeds, member seeds, parameter points or time axes; a scenario is in two files.
    """
    import xarray as xr

    paths = [Path(p) for p in paths]
    dss: list[xr.Dataset] = []
    try:
        for p in paths:
            if not p.is_file():
                raise CompareError(f"{p}: no such ensemble file")
            try:
                d = xr.open_dataset(p)
            except Exception as e:  # noqa: BLE001 - any reader failure is bad input
                raise CompareError(
                    f"{p}: cannot be read as NetCDF ({' '.join(str(e).split())[:200]})"
                ) from None
            dss.append(d)
            if "scenario" not in d.dims or "realization" not in d.dims:
                raise CompareError(
                    f"{p}: not an ensemble file (no 'scenario' and 'realization' dimensions); "
                    "make one with `abm ensemble`, or give scenario names"
                )
        if len(dss) == 1:
            return dss[0]
        _check_compatible(paths, dss)
        merged = _merge(dss)
    except BaseException:
        for d in dss:
            d.close()
        raise
    for d in dss:
        d.close()
    merged.attrs["source_files"] = ", ".join(str(p) for p in paths)
    return merged


def _check_compatible(paths: list[Path], dss: list[xr.Dataset]) -> None:
    p0, d0 = paths[0], dss[0]
    seen = {str(s): p0 for s in d0["scenario"].values}
    for p, d in zip(paths[1:], dss[1:], strict=True):
        a, b = d0.attrs.get("model_version"), d.attrs.get("model_version")
        if a is None or b is None or str(a) != str(b):
            raise CompareError(
                f"{p} comes from model version {b} but {p0} from {a}; compare ensembles of one "
                "model version (rerun them)"
            )
        a, b = d0.attrs.get("root_seed"), d.attrs.get("root_seed")
        if a is None or b is None or int(a) != int(b):
            raise CompareError(
                f"{p} has root seed {b} but {p0} has {a}: the members are not paired; run the "
                "ensembles with the same --seed"
            )
        ma = d0["member"].values if "member" in d0.coords else None
        mb = d["member"].values if "member" in d.coords else None
        if ma is None or mb is None or ma.shape != mb.shape or not np.array_equal(ma, mb):
            raise CompareError(
                f"{p} has member seeds {_describe_members(mb)} but {p0} has "
                f"{_describe_members(ma)}: the members are not paired; run the ensembles "
                "with the same --runs and --seed"
            )
        pa = [c for c in d0.coords if c == "point" or str(c).startswith("param_")]
        pb = [c for c in d.coords if c == "point" or str(c).startswith("param_")]
        if sorted(pa) != sorted(pb) or any(
            not np.array_equal(d0[c].values, d[c].values) for c in pa
        ):
            raise CompareError(
                f"{p} and {p0} have different parameter points (sweep or sample); the members "
                "are not paired"
            )
        if d0.sizes["time"] != d.sizes["time"] or not np.array_equal(
            d0["time"].values, d["time"].values
        ):
            raise CompareError(
                f"{p} has {d.sizes['time']} quarters from {_first(d)} but {p0} has "
                f"{d0.sizes['time']} from {_first(d0)}; run the ensembles with the same --quarters"
            )
        for s in d["scenario"].values:
            if str(s) in seen:
                raise CompareError(f"scenario '{s}' is in both {seen[str(s)]} and {p}")
            seen[str(s)] = p


def _describe_members(m: np.ndarray | None) -> str:
    if m is None:
        return "(none)"
    if m.size and np.array_equal(m, np.arange(m.size)):
        return f"0..{m.size - 1}"
    return "[" + ", ".join(str(int(v)) for v in m[:8]) + (", ...]" if m.size > 8 else "]")


def _first(d: xr.Dataset) -> str:
    return str(d["time"].values[0])[:10] if d.sizes["time"] else "-"


def _merge(dss: list[xr.Dataset]) -> xr.Dataset:
    import xarray as xr

    progs: list[str] = []
    instruments: dict[str, str] = {}
    for d in dss:
        for p, ins in zip(d["programme"].values, d["programme_instrument"].values, strict=True):
            if str(p) not in instruments:
                progs.append(str(p))
            instruments.setdefault(str(p), str(ins))
    keep = [*NEEDED, "member_ok", "scale"]
    parts = []
    for d in dss:
        sub = d[[v for v in keep if v in d]].load()
        sub = sub.assign_coords(programme=[str(p) for p in sub["programme"].values])
        sub["programme_spending"] = sub["programme_spending"].reindex(
            programme=progs, fill_value=0.0
        )
        parts.append(sub.reindex(programme=progs))
    merged = xr.concat(parts, dim="scenario", coords="minimal", compat="override", join="outer")
    merged["programme_instrument"] = (
        "programme",
        np.array([instruments[p] for p in progs], dtype=object),
        {"long_name": "instrument type of the programme"},
    )
    merged.attrs = dict(dss[0].attrs)
    merged.attrs["scenarios"] = ", ".join(str(s) for s in merged["scenario"].values)
    merged.attrs.pop("ensemble_id", None)
    return merged


def _write_merged(ds: xr.Dataset, path: Path) -> None:
    from abm.output import encoding_for

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        enc = {k: v for k, v in encoding_for(ds).items() if k in ds.variables}
        ds.to_netcdf(tmp, format="NETCDF4", engine="netcdf4", encoding=enc)
        _publish(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------- outcomes
def _member_ok(ds: xr.Dataset) -> np.ndarray:
    """Boolean (scenario, realization): the members to use."""
    shape = (ds.sizes["scenario"], ds.sizes["realization"])
    if "member_ok" not in ds:
        return np.ones(shape, dtype=bool)
    return np.asarray(ds["member_ok"].transpose("scenario", "realization").values) == 1


def _years(ds: xr.Dataset) -> dict[str, Any]:
    """Complete years of the data: base (first), end (last) and the key years of the table."""
    counts = Counter(int(y) for y in ds["time"].dt.year.values)
    complete = sorted(y for y, c in counts.items() if c == 4)
    if not complete:
        raise CompareError(
            "the ensemble has no complete calendar year (4 recorded quarters); run at least "
            "--quarters 4"
        )
    base, end = complete[0], complete[-1]
    key = sorted({end} | ({TARGET_YEAR} if TARGET_YEAR in complete else set()))
    return {"base": base, "end": end, "key": key}


def _sre(da: xr.DataArray) -> np.ndarray:
    return np.asarray(da.transpose("scenario", "realization").values, dtype=float)


def outcome_values(
    ds: xr.Dataset, outcomes: Sequence[str] | None = None, ok: np.ndarray | None = None
) -> dict[tuple[str, int], np.ndarray]:
    """Member values of the key outcomes.

    Parameters
    ----------
    ds : xarray.Dataset
        An ensemble (dims ``scenario``, ``realization``, ``time``, ...).
    outcomes : sequence of str, optional
        Names of :data:`OUTCOMES` (default all).
    ok : numpy.ndarray of bool, optional
        (scenario, realization) members to keep (default: ``member_ok == 1``); the others are
        NaN.

    Returns
    -------
    dict
        ``(outcome, year) -> array (scenario, realization)``, in table order. Per-year
        outcomes at 2030 (if complete) and the end year; cumulative ones (``innovation_money``,
        ``gdp_per_euro``) over the first to the end year, keyed by the end year.
    """
    from abm.analysis import annual_mean, innovation_budget

    selected = _check_outcomes(outcomes)
    ok = _member_ok(ds) if ok is None else ok
    yrs = _years(ds)
    base, end, key = yrs["base"], yrs["end"], yrs["key"]
    names = [str(s) for s in ds["scenario"].values]
    cache: dict[tuple[str, int], np.ndarray] = {}

    def annual(var: str, year: int) -> np.ndarray:
        if (var, year) not in cache:
            da = ds[var]
            if var == "talent_stock":
                da = da.sel(skill="high")
            cache[(var, year)] = _sre(annual_mean(da, year))
        return cache[(var, year)]

    out: dict[tuple[str, int], np.ndarray] = {}
    for name in selected:
        if OUTCOMES[name].per_year:
            for y in key:
                if name == "gdp_real":
                    x = 4.0 * annual("gdp_real", y)
                elif name == "gdp_growth":
                    if y == base:
                        continue
                    with np.errstate(divide="ignore", invalid="ignore"):
                        ratio = annual("gdp_real", y) / annual("gdp_real", base)
                        x = np.power(ratio, 1.0 / (y - base)) - 1.0
                elif name == "talent_high":
                    x = annual("talent_stock", y)
                elif name == "net_migration_high":
                    x = 4.0 * (
                        annual("high_skill_immigration", y) - annual("high_skill_emigration", y)
                    )
                elif name == "capital_outflow":
                    x = 4.0 * annual("capital_outflow", y)
                else:
                    x = annual(name, y)
                out[(name, y)] = x
        elif name == "innovation_money":
            out[(name, end)] = _sre(innovation_budget(ds, base, end))
        elif name == "gdp_per_euro":
            x = np.full((len(names), ds.sizes["realization"]), np.nan)
            if COUNTERFACTUAL in names:
                yr = ds["time"].dt.year
                window = (yr >= base) & (yr <= end)
                cum = _sre(ds["gdp_real"].where(window, 0.0).sum("time"))
                money = _sre(innovation_budget(ds, base, end))
                extra = cum - cum[names.index(COUNTERFACTUAL)][None, :]
                with np.errstate(divide="ignore", invalid="ignore"):
                    x = np.where(money > 0, extra / np.where(money > 0, money, 1.0), np.nan)
                x[names.index(COUNTERFACTUAL)] = np.nan
            out[(name, end)] = x
    for k, x in out.items():
        x = np.array(x, dtype=float)
        x[~ok] = np.nan
        out[k] = x
    return out


# ----------------------------------------------------------------------------- statistics
def _rng(boot_seed: int, *keys: str | int) -> np.random.Generator:
    """A generator for one cell: independent of the other cells and of the selection."""
    words = [int(boot_seed)] + [
        zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in keys
    ]
    return np.random.default_rng(np.random.SeedSequence(words))


def paired_interval(
    d: np.ndarray, n_boot: int, rng: np.random.Generator, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of paired differences (members resampled).

    Parameters
    ----------
    d : numpy.ndarray
        Paired differences, one per member (finite).
    n_boot : int
        Resamples.
    rng : numpy.random.Generator
        Source of the resampling indices.
    level : float
        Coverage (0.9: the 5th and 95th percentiles).

    Returns
    -------
    (low, high) : tuple of float
        NaN when ``d`` is empty.
    """
    d = np.asarray(d, dtype=float)
    if d.size == 0:
        return math.nan, math.nan
    idx = rng.integers(0, d.size, size=(n_boot, d.size))
    means = d[idx].mean(axis=1)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(means, [a, 1.0 - a])
    return float(lo), float(hi)


def unpaired_interval(
    x: np.ndarray, ref: np.ndarray, n_boot: int, rng: np.random.Generator, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``mean(x) - mean(ref)`` resampling each independently.

    This is the interval the difference would have if the scenarios had been run with
    independent seeds (no common random numbers).

    Returns
    -------
    (low, high) : tuple of float
        NaN when either sample is empty.
    """
    x, ref = np.asarray(x, dtype=float), np.asarray(ref, dtype=float)
    if x.size == 0 or ref.size == 0:
        return math.nan, math.nan
    ix = rng.integers(0, x.size, size=(n_boot, x.size))
    ir = rng.integers(0, ref.size, size=(n_boot, ref.size))
    diffs = x[ix].mean(axis=1) - ref[ir].mean(axis=1)
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(diffs, [a, 1.0 - a])
    return float(lo), float(hi)


def _prob_better(d: np.ndarray, higher_is_better: bool) -> float:
    if d.size == 0:
        return math.nan
    wins = (d > 0) if higher_is_better else (d < 0)
    return float((wins.sum() + 0.5 * (d == 0).sum()) / d.size)


def _summarise(
    name: str,
    year: int,
    o: Outcome,
    x: np.ndarray,
    names: list[str],
    n_boot: int,
    boot_seed: int,
) -> list[dict[str, Any]]:
    rows = []
    ref = x[0]
    a = (1.0 - LEVEL) / 2.0
    for i, s in enumerate(names):
        xi = x[i]
        v = xi[np.isfinite(xi)]
        row: dict[str, Any] = {
            "outcome": name,
            "year": year,
            "scenario": s,
            "units": o.units,
            "mean": float(v.mean()) if v.size else math.nan,
            "p05": float(np.quantile(v, a)) if v.size else math.nan,
            "p95": float(np.quantile(v, 1.0 - a)) if v.size else math.nan,
        }
        nan_cols = ("diff_mean", "diff_low", "diff_high", "unpaired_low", "unpaired_high")
        if i == 0:
            row.update(dict.fromkeys(nan_cols, math.nan), prob_better=math.nan)
        else:
            both = np.isfinite(xi) & np.isfinite(ref)
            d = xi[both] - ref[both]
            rng = _rng(boot_seed, name, year, s)
            lo, hi = paired_interval(d, n_boot, rng)
            ulo, uhi = unpaired_interval(xi[both], ref[both], n_boot, rng)
            row.update(
                diff_mean=float(d.mean()) if d.size else math.nan,
                diff_low=lo,
                diff_high=hi,
                unpaired_low=ulo,
                unpaired_high=uhi,
                prob_better=_prob_better(d, o.higher_is_better),
            )
        rows.append(row)
    return rows


def _targets(
    ds: xr.Dataset, names: list[str], ok: np.ndarray, key_years: list[int]
) -> pd.DataFrame:
    rows = []
    if TARGET_YEAR in key_years:
        from abm.analysis import annual_mean

        values = []
        for var, threshold, text in TARGETS:
            x = _sre(annual_mean(ds[var], TARGET_YEAR))
            x[~ok] = np.nan
            values.append((x, threshold, text))
        for i, s in enumerate(names):
            for x, threshold, text in values:
                v = x[i][np.isfinite(x[i])]
                mean = float(v.mean()) if v.size else math.nan
                rows.append(
                    {
                        "scenario": s,
                        "target": text,
                        "threshold": threshold,
                        "mean": mean,
                        "share_meeting": float((v >= threshold).mean()) if v.size else math.nan,
                        "met": bool(mean >= threshold),
                    }
                )
    df = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    df["met"] = df["met"].astype(bool)
    return df


def _sector_table(
    ds: xr.Dataset,
    names: list[str],
    ok: np.ndarray,
    key_years: list[int],
    n_boot: int,
    boot_seed: int,
) -> pd.DataFrame:
    """Value added by sector (EUR per year): mean and paired difference vs the reference."""
    from abm.analysis import annual_mean

    rows = []
    for y in key_years:
        va = 4.0 * np.asarray(
            annual_mean(ds["value_added"], y).transpose("scenario", "realization", "sector"),
            dtype=float,
        )
        va[~ok] = np.nan
        for j, sec in enumerate(str(s) for s in ds["sector"].values):
            x = va[:, :, j]
            for i, s in enumerate(names):
                v = x[i][np.isfinite(x[i])]
                row = {
                    "sector": sec,
                    "year": y,
                    "scenario": s,
                    "mean": float(v.mean()) if v.size else math.nan,
                    "diff_mean": math.nan,
                    "diff_low": math.nan,
                    "diff_high": math.nan,
                }
                if i > 0:
                    both = np.isfinite(x[i]) & np.isfinite(x[0])
                    d = x[i][both] - x[0][both]
                    lo, hi = paired_interval(d, n_boot, _rng(boot_seed, "va_" + sec, y, s))
                    row.update(
                        diff_mean=float(d.mean()) if d.size else math.nan,
                        diff_low=lo,
                        diff_high=hi,
                    )
                rows.append(row)
    return pd.DataFrame(rows, columns=list(SECTOR_COLUMNS))


# ----------------------------------------------------------------------------- text output
def _num(x: float, decimals: int, sign: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    s = f"{x:+,.{decimals}f}" if sign else f"{x:,.{decimals}f}"
    if float(s.replace(",", "")) == 0:  # no "-0.00"
        s = s.replace("-", "+" if sign else "")
    return s


def table_markdown(result: CompareResult) -> str:
    """The key-outcome table as Markdown, in display units (EUR bn, %, thousands)."""
    ref = result.scenarios[0]
    base = result.provenance.get("years", {}).get("base", 2026)
    lines = [
        f"| outcome | year | scenario | mean | 90% of members | difference vs {ref}: paired "
        f"mean [90% CI] | unpaired 90% CI | P(beats {ref}) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    prev = None
    for r in result.table.itertuples(index=False):
        o = OUTCOMES[r.outcome]
        key = (r.outcome, r.year)
        label = f"{o.label} ({o.display_units})" if key != prev else ""
        year = (str(r.year) if o.per_year else f"{base}-{r.year}") if key != prev else ""
        prev = key
        k, dd = o.scale, o.diff_decimals
        mean = _num(r.mean * k, o.decimals)
        rng = f"{_num(r.p05 * k, o.decimals)} to {_num(r.p95 * k, o.decimals)}"
        if not np.isfinite(r.mean):
            rng = "n/a"
        if r.scenario == ref:
            diff = unp = prob = ""
        elif not np.isfinite(r.diff_mean):
            diff = unp = prob = "n/a"
        else:
            diff = (
                f"{_num(r.diff_mean * k, dd, True)} {o.diff_units} "
                f"[{_num(r.diff_low * k, dd, True)}, {_num(r.diff_high * k, dd, True)}]"
            )
            unp = f"[{_num(r.unpaired_low * k, dd, True)}, {_num(r.unpaired_high * k, dd, True)}]"
            prob = _num(r.prob_better, 2)
        lines.append(
            f"| {label} | {year} | {r.scenario} | {mean} | {rng} | {diff} | {unp} | {prob} |"
        )
    return "\n".join(lines)


def targets_markdown(result: CompareResult) -> str:
    """The 2030 targets as Markdown."""
    if result.targets.empty:
        return f"(no targets: {TARGET_YEAR} is not in the data)"
    lines = [
        "| scenario | target | mean | share of members meeting it | met (mean) |",
        "|---|---|---:|---:|---|",
    ]
    for r in result.targets.itertuples(index=False):
        lines.append(
            f"| {r.scenario} | {r.target} | {_num(100 * r.mean, 2)}% | "
            f"{_num(100 * r.share_meeting, 0)}% | {'yes' if r.met else 'no'} |"
        )
    return "\n".join(lines)


def to_markdown(result: CompareResult) -> str:
    """The whole report of ``comparison.md``: provenance, key outcomes, targets, notes, figures."""
    p = result.provenance
    ref = result.scenarios[0]
    used = p.get("members_used", {})
    skipped = p.get("members_skipped", {})
    members = ", ".join(
        f"{s} {used.get(s, '?')}" + (f" ({skipped[s]} failed, skipped)" if skipped.get(s) else "")
        for s in result.scenarios
    )
    lines = [
        f"# Comparison: {', '.join(result.scenarios)}",
        "",
        f"Reference: **{ref}** (differences are scenario minus {ref}, member by member, with the "
        "same member seed). Intervals are 90%: across members for the level, percentile "
        f"bootstrap ({p.get('n_boot')} resamples, seed {p.get('boot_seed')}) for the mean "
        "difference. P(beats) is the share of members where the scenario does better (lower "
        "is better for capital outflow and innovation money).",
        "",
        f"Model version {p.get('model_version')}; root seed {p.get('root_seed')}; members used: "
        f"{members}; ensemble: {result.ensemble or '-'}; {p.get('source', '')}.",
        "",
        "## Key outcomes",
        "",
        table_markdown(result),
        "",
        f"## Targets in {TARGET_YEAR}",
        "",
        targets_markdown(result),
    ]
    if p.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {n}" for n in p["notes"]]
    if result.figures:
        lines += ["", "## Figures", ""]
        lines += [f"![{k}]({v.name})" for k, v in result.figures.items()]
    return "\n".join(lines) + "\n"


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        _publish(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _publish(tmp: Path, path: Path) -> None:
    """Give a temporary file the usual permissions (0666 minus the umask) and rename it."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    _write_text(path, df.to_csv(index=False))


def written_files(result: CompareResult) -> list[Path]:
    """The files a comparison wrote, in a stable order (ensemble, tables, figures)."""
    out = []
    if result.ensemble is not None and result.provenance.get("ensemble_written", False):
        out.append(result.ensemble)
    if result.outdir is not None:
        for name in ("comparison.md", "comparison.csv", "targets.csv", "value_added_by_sector.csv"):
            out.append(result.outdir / name)
    out.extend(result.figures.values())
    return out
