"""Markdown and plain-text tables: ``comparison.md`` and what ``abm compare`` and ``abm
sensitivity`` print."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from abm.analysis.outcomes import KEY_OUTCOMES, TARGET_YEAR
from abm.analysis.results import CompareResult


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
        o = KEY_OUTCOMES[r.outcome]
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


def compare_summary(result: CompareResult) -> str:
    """What ``abm compare`` prints: the key outcomes, the targets and the notes."""
    p = result.provenance
    lines = [
        f"## Key outcomes (reference: {result.scenarios[0]})\n",
        table_markdown(result),
        f"\n## Targets in {TARGET_YEAR}\n",
        targets_markdown(result),
    ]
    if p.get("notes"):
        lines.append("")
        lines.extend(f"note: {n}" for n in p["notes"])
    return "\n".join(lines)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if v != v else f"{v:.4g}"
    return str(v)


def format_table(df: pd.DataFrame, columns: list[str]) -> str:
    """A plain-text table of ``columns`` (numbers to 4 significant digits)."""
    cols = [c for c in columns if c in df.columns]
    if df.empty:
        return "(empty)"
    return df[cols].to_string(index=False, formatters={c: _fmt for c in cols})
