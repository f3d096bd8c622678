"""The report's sensitivity and validation sections, as data for the templates: the index tables
of each outcome difference, "when does the answer flip", the sampled ranges and outcome
differences, the validation table and the literature table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from abm.analysis.literature import LiteratureReport
from abm.analysis.outcomes import label
from abm.analysis.results import SensitivityResult
from abm.analysis.validate import ValidationReport
from abm.render.format import NA, Scale, difference_scale, finite, num, pct, sensitivity_outcome
from abm.render.html import Cell, Table, num_cell, table
from abm.render.report_comparison import get

_INDEX_ORDER = ("ST", "ST_conf", "S1", "S1_conf", "mu_star", "mu_star_conf", "mu", "sigma")
#: Morris statistics in the outcome's units (Sobol indices are shares of variance).
_EFFECT_COLUMNS = ("mu_star", "mu_star_conf", "mu", "sigma")


def sensitivity_label(name: str) -> str:
    """A sensitivity outcome's description (``real GDP (2025 prices), in 2040``)."""
    oc = sensitivity_outcome(name)
    return str(oc.description) if oc is not None else label(name)


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else v


@dataclass
class Sensitivity:
    """The sensitivity section."""

    a: str
    b: str
    method: str
    points: int
    indices: list[Table] = field(default_factory=list)
    flip: Table | None = None
    ranges: Table | None = None
    outcomes: Table | None = None


def _scale_of(sr: SensitivityResult, outcome: str) -> Scale:
    samples, idx = sr.samples, sr.indices
    if samples is not None and outcome in samples.columns:
        values = pd.to_numeric(samples[outcome], errors="coerce")
    elif idx is not None and "outcome" in idx.columns:
        sub = idx[idx["outcome"] == outcome]
        values = pd.concat(
            [pd.to_numeric(sub[c], errors="coerce") for c in _EFFECT_COLUMNS if c in sub]
            or [pd.Series(dtype=float)]
        )
    else:
        values = pd.Series(dtype=float)
    return difference_scale(outcome, values.to_numpy())


def _index_tables(sr: SensitivityResult) -> list[Table]:
    idx = sr.indices
    cols = [c for c in _INDEX_ORDER if c in idx.columns]
    cols += [
        c
        for c in idx.columns
        if c not in cols
        and c not in ("outcome", "parameter", "rank")
        and pd.api.types.is_numeric_dtype(idx[c])
    ]
    key = next((c for c in ("ST", "mu_star", "S1") if c in idx.columns), None)
    out = []
    for outcome, g in idx.groupby("outcome", sort=False):
        if key is not None:
            g = g.sort_values(key, ascending=False, key=lambda s: s.abs())
        sc = _scale_of(sr, str(outcome))
        effect = [c for c in cols if c in _EFFECT_COLUMNS]
        unit = f" ({', '.join(effect)} in {sc.unit})" if sc.unit and effect else ""
        rows = [
            [r["parameter"]]
            + [num_cell(num(get(r, c) * sc.factor if c in effect else get(r, c), 3)) for c in cols]
            for r in g.to_dict("records")
        ]
        out.append(
            table(
                ["parameter"] + [num_cell(c) for c in cols],
                rows,
                caption=f"Sensitivity indices: {sensitivity_label(str(outcome))}{unit}",
                table_id=f"indices-{outcome}",
            )
        )
    return out


def _flip_table(sr: SensitivityResult) -> Table:
    flip = sr.flip
    has_default, has_wins = "default" in flip.columns, "a_wins" in flip.columns
    rows = []
    for r in flip.to_dict("records"):
        fv, lo, hi = get(r, "flip_value"), get(r, "flip_low"), get(r, "flip_high")
        wins = _text(r.get("a_wins")) if has_wins else None
        rows.append(
            [sensitivity_label(str(r.get("outcome", ""))), r.get("parameter", "")]
            + ([num_cell(num(get(r, "default"), 3))] if has_default else [])
            + [
                num_cell(num(fv, 3) if finite(fv) else "no flip within the range"),
                num_cell(f"{num(lo, 3)} to {num(hi, 3)}" if finite(lo) and finite(hi) else NA),
            ]
            + ([f"{sr.a} wins {wins}" if wins else ""] if has_wins else [])
            + [_text(r.get("note"))]
        )
    header = (
        ["outcome", "parameter"]
        + ([num_cell("default")] if has_default else [])
        + [num_cell("flip value"), num_cell("90% interval")]
        + (["where"] if has_wins else [])
        + ["note"]
    )
    return table(header, rows, table_id="flip-table")


def _ranges_table(sr: SensitivityResult, outcome_cols: list[str]) -> Table | None:
    samples = sr.samples
    params = (
        [str(p) for p in sr.indices["parameter"].drop_duplicates()]
        if sr.indices is not None and "parameter" in sr.indices
        else []
    )
    param_cols = [c for c in samples.columns if c in params] or [
        c
        for c in samples.columns
        if c not in outcome_cols and pd.api.types.is_numeric_dtype(samples[c])
    ]
    varied = (sr.provenance or {}).get("parameters")
    if (
        isinstance(varied, Mapping)
        and varied
        and all(isinstance(v, Mapping) for v in varied.values())
    ):
        rows = [
            [
                k,
                num_cell(num(get(v, "low"), 3)),
                num_cell(num(get(v, "high"), 3)),
                num_cell(num(get(v, "default"), 3)),
                num_cell(
                    f"{num(samples[k].min(), 3)} to {num(samples[k].max(), 3)}"
                    if k in samples.columns
                    else NA
                ),
                v.get("range_source", ""),
            ]
            for k, v in varied.items()
        ]
        header = [
            "parameter",
            num_cell("low"),
            num_cell("high"),
            num_cell("default"),
            num_cell("sampled"),
            "range from",
        ]
        return table(header, rows, caption="Parameters varied", table_id="sampled-ranges")
    if not param_cols:
        return None
    rows = [
        [c, num_cell(num(samples[c].min(), 4)), num_cell(num(samples[c].max(), 4))]
        for c in param_cols
    ]
    return table(
        ["parameter", num_cell("lowest sampled"), num_cell("highest sampled")],
        rows,
        caption="Sampled parameter ranges",
        table_id="sampled-ranges",
    )


def _outcomes_table(sr: SensitivityResult, outcome_cols: list[str]) -> Table:
    rows = []
    for c in outcome_cols:
        v = pd.to_numeric(sr.samples[c], errors="coerce").dropna()
        sc = _scale_of(sr, c)
        cells = (
            (sc.diff(v.mean()), sc.diff(v.min()), sc.diff(v.max()), pct((v > 0).mean()))
            if len(v)
            else (NA,) * 4
        )
        name = sensitivity_label(c) + (f" ({sc.unit})" if sc.unit else "")
        rows.append([name, *(num_cell(t) for t in cells)])
    header = [
        f"outcome ({sr.a} \u2212 {sr.b})",
        num_cell("mean"),
        num_cell("lowest"),
        num_cell("highest"),
        num_cell("share of points > 0"),
    ]
    return table(
        header,
        rows,
        caption="Outcome differences over the sampled points",
        table_id="sampled-outcomes",
    )


def sensitivity(sr: SensitivityResult) -> Sensitivity:
    """The sensitivity section of a result."""
    out = Sensitivity(sr.a, sr.b, sr.method, len(sr.samples))
    if sr.indices is not None and len(sr.indices):
        out.indices = _index_tables(sr)
    if sr.flip is not None and len(sr.flip):
        out.flip = _flip_table(sr)
    if sr.samples is not None and len(sr.samples):
        outcome_cols = [c for c in sr.samples.columns if c in set(map(str, sr.outcomes))]
        out.ranges = _ranges_table(sr, outcome_cols)
        if outcome_cols:
            out.outcomes = _outcomes_table(sr, outcome_cols)
    return out


@dataclass
class Validation:
    """The validation section: what was validated (None for a bare table) and the table."""

    report: ValidationReport | None
    table: Table


def validation(v: ValidationReport | pd.DataFrame) -> Validation:
    """The validation section of a report (or of its ``to_frame()``)."""
    frame, meta = (v, None) if isinstance(v, pd.DataFrame) else (v.to_frame(), v)
    rows = []
    for r in frame.to_dict("records"):
        holds = bool(r.get("holds"))
        rows.append(
            [
                r.get("kind", ""),
                r.get("name", ""),
                num_cell(num(r.get("statistic"), 4)),
                r.get("target", ""),
                Cell("yes" if holds else "no", "yes" if holds else "no"),
                r.get("detail", "") or "",
            ]
        )
    header = ["kind", "check", num_cell("statistic"), "target", "holds", "detail"]
    return Validation(meta, table(header, rows, table_id="validation-table"))


@dataclass
class Literature:
    """The literature section: the report (how many members, whether banded rows pass) and
    the table."""

    report: LiteratureReport
    table: Table


def literature_section(lr: LiteratureReport) -> Literature:
    """Each policy channel against its published figure (``abm validate --literature``)."""
    rows = []
    for r in lr.rows:
        band = "" if r.band is None else f"{_edge(r.band[0])} to {_edge(r.band[1])}"
        holds = r.holds
        rows.append(
            [
                r.finding,
                r.source,
                r.published,
                num_cell(num(r.value, 3)),
                num_cell(f"{num(r.low, 3)} to {num(r.high, 3)}"),
                band or "reported",
                Cell("", "")
                if holds is None
                else Cell("yes" if holds else "no", "yes" if holds else "no"),
            ]
        )
    header = [
        "finding",
        "source",
        "published",
        num_cell("model"),
        num_cell("90% interval"),
        "band",
        "holds",
    ]
    return Literature(lr, table(header, rows, table_id="literature-table"))


def _edge(v: float | None) -> str:
    return "" if v is None else f"{v:g}"
