"""The report's comparison sections: "at a glance", the comparison table (with value added by
sector), and the targets table, as data for the templates."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.analysis.outcomes import KEY_OUTCOMES, TARGET_YEAR, TARGETS, label
from abm.analysis.results import CompareResult
from abm.render.format import NA, Scale, finite, pct, scale_for, year_text
from abm.render.html import Cell, Table, num_cell, table


def get(row: Mapping[str, Any], key: str) -> Any:
    """A row's value, NaN when absent or None."""
    v = row.get(key, float("nan"))
    return float("nan") if v is None else v


def outcome_scales(table_: pd.DataFrame) -> dict[str, Scale]:
    """How each outcome of a comparison table is shown."""
    scales = {}
    for outcome, g in table_.groupby("outcome", sort=False):
        units = g["units"].iloc[0] if "units" in g else ""
        values = np.concatenate(
            [
                pd.to_numeric(g[c], errors="coerce").to_numpy()
                for c in ("mean", "p05", "p95")
                if c in g
            ]
        )
        scales[str(outcome)] = scale_for(units, values, str(outcome))
    return scales


def period(outcome: str, year: Any, provenance: Mapping[str, Any]) -> str:
    """The year of a row, or ``base-year`` for outcomes cumulated over the whole run."""
    spec = KEY_OUTCOMES.get(outcome)
    years = provenance.get("years")
    base = (years or {}).get("base") if isinstance(years, Mapping) else None
    if spec is not None and not spec.per_year and base is not None and finite(year):
        return f"{base}\u2013{year_text(year)}"
    return year_text(year)


def _direction(outcome: str) -> bool | None:
    """True when higher is better, False when lower is, None when not known."""
    spec = KEY_OUTCOMES.get(outcome)
    return None if spec is None else bool(spec.higher_is_better)


def met(v: Any) -> bool | None:
    """A ``met`` cell as True/False, or None when it was not evaluated (NaN, None)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return bool(v)


@dataclass
class Comparison:
    """The comparison section: the reference, the outcomes where lower is better, the notes,
    the table and the (folded) value added by sector."""

    reference: str
    lower_better: list[str]
    notes: list[str]
    table: Table
    sectors: Table | None


def _verdict(higher: bool | None, lo: Any, hi: Any) -> str:
    if higher is None or not (finite(lo) and finite(hi)):
        return ""
    above, below = float(lo) > 0, float(hi) < 0
    if not (above or below):
        return ""
    return "better" if above == higher else "worse"


def _comparison_row(
    r: Mapping[str, Any], sc: Scale, ref: str, higher: bool | None, when: str
) -> tuple[str, list[Any]]:
    is_ref = str(r.get("scenario")) == ref
    lo, hi = get(r, "diff_low"), get(r, "diff_high")
    verdict = _verdict(higher, lo, hi)
    unpaired = sc.interval(get(r, "unpaired_low"), get(r, "unpaired_high"), signed=True)
    return (
        "ref" if is_ref else "",
        [
            when,
            r.get("scenario", ""),
            num_cell(sc.value(get(r, "mean"))),
            num_cell(sc.interval(get(r, "p05"), get(r, "p95"))),
            Cell(
                "reference" if is_ref else sc.diff(get(r, "diff_mean")),
                f"num {verdict}".strip(),
                title=f"interval on the {verdict} side of zero" if verdict else "",
            ),
            num_cell("" if is_ref else sc.interval(lo, hi, signed=True)),
            num_cell("" if is_ref else unpaired),
            num_cell("" if is_ref else pct(get(r, "prob_better"))),
        ],
    )


def comparison(cr: CompareResult, scales: dict[str, Scale]) -> Comparison:
    """The comparison table, grouped by outcome."""
    prov = cr.provenance or {}
    ref = cr.scenarios[0] if cr.scenarios else ""
    header = ["year", "scenario"] + [
        num_cell(h)
        for h in (
            "mean",
            "90% range across members",
            f"paired difference against {ref}",
            "90% interval (paired)",
            "90% interval (unpaired)",
            f"P(beats {ref})",
        )
    ]
    rows: list[Any] = []
    lower_better = []
    for outcome, g in cr.table.groupby("outcome", sort=False):
        outcome = str(outcome)
        sc = scales[outcome]
        higher = _direction(outcome)
        if higher is False:
            lower_better.append(label(outcome))
        unit = f" ({sc.unit})" if sc.unit else ""
        diff_unit = f"; differences in {sc.diff_unit}" if sc.diff_unit else ""
        if higher is False:
            diff_unit += "; lower is better"
        rows.append(("group", [Cell(f"{label(outcome)}{unit}{diff_unit}", header=True, colspan=8)]))
        for r in g.to_dict("records"):
            rows.append(_comparison_row(r, sc, ref, higher, period(outcome, r.get("year"), prov)))
    notes = prov.get("notes") or []
    return Comparison(
        ref,
        lower_better,
        [notes] if isinstance(notes, str) else list(notes),
        table(header, rows, table_id="comparison-table"),
        _sector_table(cr),
    )


def _sectors_of(cr: CompareResult) -> pd.DataFrame | None:
    """The value-added table of the result, or its folder's ``value_added_by_sector.csv``."""
    if cr.sectors is not None:
        return cr.sectors
    if cr.outdir is None:
        return None
    try:
        return pd.read_csv(Path(cr.outdir) / "value_added_by_sector.csv")
    except (OSError, ValueError):
        return None


def _sector_table(cr: CompareResult) -> Table | None:
    df = _sectors_of(cr)
    if df is None or df.empty or not {"sector", "scenario", "mean"} <= set(df.columns):
        return None
    sc = scale_for("EUR/year", pd.to_numeric(df["mean"], errors="coerce"))
    ref = cr.scenarios[0] if cr.scenarios else ""
    rows = []
    for r in df.to_dict("records"):
        is_ref = str(r.get("scenario")) == ref
        diff = sc.interval(get(r, "diff_low"), get(r, "diff_high"), signed=True)
        rows.append(
            (
                "ref" if is_ref else "",
                [
                    r.get("sector", ""),
                    year_text(r.get("year")),
                    r.get("scenario", ""),
                    num_cell(sc.value(get(r, "mean"))),
                    num_cell("reference" if is_ref else sc.diff(get(r, "diff_mean"))),
                    num_cell("" if is_ref else diff),
                ],
            )
        )
    header = [
        "sector",
        "year",
        "scenario",
        num_cell(f"value added ({sc.unit})"),
        num_cell(f"paired difference against {ref}"),
        num_cell("90% interval (paired)"),
    ]
    return table(header, rows, table_id="sector-table")


def targets(cr: CompareResult) -> Table | None:
    """The targets table (None when no target was evaluated)."""
    t = cr.targets
    if t is None or len(t) == 0:
        return None
    rows = []
    for r in t.to_dict("records"):
        thr = get(r, "threshold")
        sc = scale_for("1", [thr, get(r, "mean")])
        met_ok = met(r.get("met"))
        unit = "%" if sc.unit == "%" else ""
        verdict = "" if met_ok is None else "yes" if met_ok else "no"
        rows.append(
            [
                r.get("scenario", ""),
                r.get("target", ""),
                num_cell(sc.value(thr) + unit),
                num_cell(sc.value(get(r, "mean")) + unit),
                num_cell(pct(get(r, "share_meeting"))),
                Cell(verdict or NA, verdict),
            ]
        )
    header = [
        "scenario",
        "target",
        num_cell("threshold"),
        num_cell("ensemble mean"),
        num_cell("share of members meeting it"),
        "met by the mean",
    ]
    return table(header, rows, table_id="targets-table")


def _headline_row(g: pd.DataFrame, outcome: str) -> Mapping[str, Any] | None:
    """The row of a scenario's outcome in the target year for the target outcomes, else the
    last year."""
    if g.empty:
        return None
    years = pd.to_numeric(g["year"], errors="coerce") if "year" in g else pd.Series(dtype=float)
    if outcome in {t.outcome for t in TARGETS} and (years == TARGET_YEAR).any():
        return g[years.to_numpy() == TARGET_YEAR].iloc[0].to_dict()
    if years.notna().any():
        return g.loc[years.idxmax()].to_dict()
    return g.iloc[-1].to_dict()


def _headline(cr: CompareResult, s: str, o: str, sc: Scale) -> str | None:
    ref = cr.scenarios[0]
    t = cr.table
    r = _headline_row(t[(t["outcome"] == o) & (t["scenario"] == s)], o)
    if r is None or not finite(get(r, "diff_mean")):
        return None
    lo, hi = get(r, "diff_low"), get(r, "diff_high")
    where = ""
    if finite(lo) and finite(hi):
        side = "above zero" if float(lo) > 0 else "below zero" if float(hi) < 0 else "includes zero"
        where = f" (90% interval {sc.interval(lo, hi, signed=True)}, {side})"
    diff = sc.diff(r["diff_mean"])
    if not sc.diff_unit and sc.unit:
        diff += f" {sc.unit}"
    prob = get(r, "prob_better")
    beats = f"; {s} beats {ref} in {pct(prob)} of paired members" if finite(prob) else ""
    name = label(o)
    when = period(o, r.get("year"), cr.provenance or {})
    return f"{name[:1].upper()}{name[1:]}, {when}: {s} \u2212 {ref} = {diff}{where}{beats}."


def _target_line(target: str, g: pd.DataFrame) -> str:
    groups: dict[bool | None, list[str]] = {True: [], False: [], None: []}
    for r in g.to_dict("records"):
        mean = get(r, "mean")
        sc = scale_for("1", [mean, get(r, "threshold")])
        detail = []
        if finite(mean):
            detail.append(sc.value(mean) + ("%" if sc.unit == "%" else ""))
        if finite(get(r, "share_meeting")):
            detail.append(f"{pct(r['share_meeting'])} of members")
        text = str(r.get("scenario", ""))
        groups[met(r.get("met"))].append(text + (f" ({', '.join(detail)})" if detail else ""))
    parts = []
    if groups[True]:
        parts.append("met on the ensemble mean by " + "; ".join(groups[True]))
    if groups[False]:
        parts.append("not met by " + "; ".join(groups[False]))
    if groups[None]:
        parts.append("not evaluated for " + "; ".join(groups[None]))
    return f"Target \u201c{target}\u201d: " + "; ".join(parts) + "."


def glance(cr: CompareResult, scales: dict[str, Scale]) -> list[str] | None:
    """The "at a glance" lines: headline differences and the targets (None without
    scenarios; empty when there is nothing to summarise)."""
    if not cr.scenarios:
        return None
    outcomes = [str(o) for o in cr.table["outcome"].drop_duplicates()]
    headline = [o for o in ("gdp_real", "industry_share", "rd_intensity") if o in outcomes]
    items = [
        line
        for s in cr.scenarios[1:]
        for o in (headline or outcomes[:3])
        if (line := _headline(cr, s, o, scales[o])) is not None
    ]
    t = cr.targets
    if t is not None and len(t) and {"target", "scenario", "met"} <= set(t.columns):
        items += [_target_line(str(target), g) for target, g in t.groupby("target", sort=False)]
    return items
