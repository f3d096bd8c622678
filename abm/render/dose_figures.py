"""The dose-response figure: each outcome's paired difference from the reference against the
dose of focus, with its 90% interval (issue #12)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from abm.analysis.outcomes import KEY_OUTCOMES
from abm.render.figures import colour, new_figure, save_png

#: Panels of the figure: (outcome, which year: "target" = 2030, "end" = the last row).
PANELS: tuple[tuple[str, str], ...] = (
    ("gdp_real_cumulative", "end"),
    ("gdp_real_per_capita", "end"),
    ("industry_share", "target"),
    ("rd_intensity", "target"),
    ("talent_high", "end"),
    ("gdp_per_euro_discounted", "end"),
)


def dose_figure(table: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Draw the dose-response of ``table`` (:func:`abm.analysis.dose.dose_response`) as a PNG."""
    panels = [(o, w) for o, w in PANELS if (table.outcome == o).any()]
    cols = 3
    rows = max(1, -(-len(panels) // cols))
    fig = new_figure(4.2 * cols, 3.2 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    param = str(table.parameter.iloc[0]) if len(table) else "dose"
    for ax, (name, which) in zip(axes, panels, strict=False):
        o = KEY_OUTCOMES[name]
        sub = table[table.outcome == name]
        year = 2030 if which == "target" and (sub.year == 2030).any() else int(sub.year.max())
        sub = sub[sub.year == year]
        for i, (scen, g) in enumerate(sub.groupby("scenario", sort=False), start=1):
            g = g.sort_values("value")
            y = g.diff_mean.to_numpy() * o.scale
            lo = (g.diff_mean - g.diff_low).to_numpy() * o.scale
            hi = (g.diff_high - g.diff_mean).to_numpy() * o.scale
            ax.errorbar(
                g.value,
                y,
                yerr=np.vstack([lo, hi]),
                marker="o",
                capsize=3,
                color=colour(i),
                label=f"{scen} - {g.reference.iloc[0]}",
            )
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_title(f"{o.label}, {year}", fontsize=9)
        ax.set_xlabel(param)
        ax.set_ylabel(o.diff_units, fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    if panels:
        axes[0].legend(fontsize=7, loc="best")
    fig.suptitle("dose-response: paired difference from the reference, 90% intervals", fontsize=10)
    return save_png(fig, path)


def dose_markdown(table: pd.DataFrame) -> str:
    """The dose-response as a Markdown table: difference [90% interval] by value."""
    if table.empty:
        return "# Dose-response\n\n(no rows)\n"
    param, ref = str(table.parameter.iloc[0]), str(table.reference.iloc[0])
    lines = [
        f"# Dose-response over {param}",
        "",
        f"Paired difference from `{ref}` (mean [90% interval]; P = share of members doing "
        "better), in display units.",
        "",
        "| outcome | year | scenario | "
        + " | ".join(f"{param} = {v:g}" for v in sorted(table.value.unique()))
        + " |",
        "|---|---|---|" + "---|" * table.value.nunique(),
    ]
    for (name, year, scen), g in table.groupby(["outcome", "year", "scenario"], sort=False):
        o = KEY_OUTCOMES[name]
        cells = []
        for _, r in g.sort_values("value").iterrows():
            f = f"{{:.{o.diff_decimals}f}}"
            cells.append(
                f"{f.format(r.diff_mean * o.scale)} [{f.format(r.diff_low * o.scale)}, "
                f"{f.format(r.diff_high * o.scale)}] P={r.prob_better:.2f}"
            )
        lines.append(
            f"| {o.label} ({o.diff_units}) | {year} | {scen} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"
