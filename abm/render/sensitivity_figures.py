"""Figures of a sensitivity analysis: the indices of each outcome difference, and "when does the
answer flip" (the difference against the most influential parameters)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from abm.analysis.flip import Ranged
from abm.analysis.outcome_names import Outcome
from abm.render.figures import DPI, new_figure, save_plain_png


def sensitivity_figures(
    indices: pd.DataFrame,
    flip: pd.DataFrame,
    samples: pd.DataFrame,
    outcomes: Sequence[Outcome],
    params: Sequence[Ranged],
    method: str,
    names: tuple[str, str],
    outdir: Path,
) -> dict[str, Path]:
    """Draw ``indices.png`` (the indices of every outcome) and, when there is a flip table,
    ``flip.png`` (each outcome difference against its most influential parameters, with the
    fitted line and the flip point) into ``outdir``; returns them by name."""
    figs: dict[str, Path] = {}
    n = len(outcomes)
    fig = new_figure(5.2 * n, 0.45 * len(params) + 1.8, dpi=None, layout=None)
    axes = fig.subplots(1, n, squeeze=False)
    for ax, oc in zip(axes[0], outcomes, strict=True):
        sub = indices[indices["outcome"] == oc.name].sort_values("rank", ascending=False)
        y = np.arange(len(sub))
        if method == "morris":
            top_value = float(np.nanmax(np.abs(sub["mu_star"]))) if len(sub) else 0.0
            e = int(np.floor(np.log10(top_value))) if top_value > 0 else 0
            f = 10.0**-e
            ax.barh(y, sub["mu_star"] * f, xerr=sub["mu_star_conf"] * f, capsize=2)
            unit = " ".join(x for x in (f"x 1e{e}" if e else "", oc.units) if x and x != "1")
            label = f"mu* of {names[0]} - {names[1]}" + (f" ({unit})" if unit else "")
            ax.set_xlabel(label, fontsize=9)
        else:
            h = 0.38
            ax.barh(y + h / 2, sub["ST"], h, xerr=sub["ST_conf"], label="ST", color="tab:orange")
            ax.barh(y - h / 2, sub["S1"], h, xerr=sub["S1_conf"], label="S1", color="tab:blue")
            ax.set_xlabel("Sobol index of the difference")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_yticks(y, sub["parameter"], fontsize=8)
        ax.set_title(oc.name, fontsize=10)
    fig.suptitle(f"{'Morris' if method == 'morris' else 'Sobol'}: {names[0]} - {names[1]}")
    fig.tight_layout()
    figs["indices"] = save_plain_png(fig, outdir / "indices.png", DPI)

    if len(flip):
        by_key = {p.key: p for p in params}
        cols = int(flip.groupby("outcome").size().max())
        fig = new_figure(4.2 * cols, 3.3 * n, dpi=None, layout=None)
        axes = fig.subplots(n, cols, squeeze=False)
        for i, oc in enumerate(outcomes):
            sub = flip[flip["outcome"] == oc.name].reset_index(drop=True)
            for j in range(cols):
                ax = axes[i][j]
                if j >= len(sub):
                    ax.axis("off")
                    continue
                r = sub.iloc[j]
                p = by_key[r["parameter"]]
                ax.scatter(samples[p.key], samples[oc.name], s=10, alpha=0.6)
                ax.plot([p.low, p.high], [r["diff_at_low"], r["diff_at_high"]], color="k", lw=1)
                ax.axhline(0.0, color="grey", lw=0.8, ls="--")
                if np.isfinite(r["flip_value"]):
                    ax.axvline(r["flip_value"], color="tab:red", lw=1)
                    if np.isfinite(r["flip_low"]):
                        ax.axvspan(r["flip_low"], r["flip_high"], color="tab:red", alpha=0.15)
                ax.set_xlabel(p.key, fontsize=8)
                ax.set_ylabel(f"{oc.name} diff", fontsize=8)
                ax.tick_params(labelsize=7)
        fig.suptitle(f"When does the answer flip: {names[0]} - {names[1]}")
        fig.tight_layout()
        figs["flip"] = save_plain_png(fig, outdir / "flip.png", DPI)
    return figs
