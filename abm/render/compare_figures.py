"""Figures of a scenario comparison (issue #5): PNG files drawn with matplotlib's Agg canvas.

:func:`make_figures` draws, from an ensemble and its :class:`abm.analysis.results.CompareResult`:

- ``fan_gdp_real``, ``fan_industry_share``, ``fan_rd_intensity``, ``fan_talent_high``: fan
  charts, per scenario the median over members and the 50% and 90% bands, quarter by quarter
  (the 2030 targets drawn as dashed lines);
- ``paired_differences``: one panel per key outcome (and year), per scenario the mean paired
  difference against the reference with its bootstrap 90% interval, next to the wider interval
  the difference would have without pairing;
- ``value_added_by_sector``: mean value added by sector per scenario at 2030 and the end year,
  and its paired difference against the reference.

Colours follow the order of the scenarios (the reference first) in every figure.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from abm.analysis.outcomes import KEY_OUTCOMES, TARGET_YEAR, TARGETS
from abm.analysis.results import CompareResult
from abm.analysis.series import member_ok
from abm.render.figures import colour, new_figure, save_png

#: Names of the figures :func:`make_figures` returns, in order.
FIGURE_NAMES = (
    "fan_gdp_real",
    "fan_industry_share",
    "fan_rd_intensity",
    "fan_talent_high",
    "paired_differences",
    "value_added_by_sector",
)


def _decimal_years(ds: xr.Dataset) -> np.ndarray:
    t = ds["time"]
    return t.dt.year.values + (t.dt.month.values - 1) / 12.0


def fan_chart(
    ds: xr.Dataset,
    series: Callable[[xr.Dataset], xr.DataArray],
    scenarios: list[str],
    ok: np.ndarray,
    path: str | os.PathLike[str],
    *,
    title: str,
    ylabel: str,
    target: tuple[float, str] | None = None,
    target_year: int = 2030,
) -> Path:
    """Fan chart: per scenario the median over members and the 50% and 90% bands over time.

    Parameters
    ----------
    ds : xarray.Dataset
        The ensemble.
    series : callable
        ``ds -> DataArray (scenario, realization, time)`` in display units.
    scenarios : list of str
        Scenario names in ``ds`` order (legend labels).
    ok : numpy.ndarray of bool
        (scenario, realization): members to use.
    path : path
        PNG file to write.
    title, ylabel : str
        Title and y-axis label (with units).
    target : (value, label), optional
        A horizontal target line (display units), marked with the year ``target_year``.

    Returns
    -------
    pathlib.Path
    """
    x = np.asarray(series(ds).transpose("scenario", "realization", "time").values, dtype=float)
    t = _decimal_years(ds)
    fig = new_figure(9.0, 5.2)
    ax = fig.add_subplot()
    handles = []
    n_min = int(ok.sum(axis=1).min()) if ok.size else 0
    for i, s in enumerate(scenarios):
        v = x[i][ok[i]]
        v = v[np.isfinite(v).all(axis=1)]
        if v.shape[0] == 0:
            continue
        q05, q25, q50, q75, q95 = np.quantile(v, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        c = colour(i)
        ax.fill_between(t, q05, q95, color=c, alpha=0.12, linewidth=0)
        ax.fill_between(t, q25, q75, color=c, alpha=0.28, linewidth=0)
        (line,) = ax.plot(t, q50, color=c, linewidth=2.0, label=f"{s} (median)")
        handles.append(line)
    if target is not None:
        value, label = target
        handles.append(
            ax.axvspan(
                target_year,
                target_year + 1,
                color="0.85",
                alpha=0.5,
                linewidth=0,
                zorder=0,
                label=f"{target_year} (year of the target)",
            )
        )
        handles.append(ax.axhline(value, color="black", linestyle="--", linewidth=1.2, label=label))
    handles += [
        Patch(color="0.55", alpha=0.45, label="50% of members"),
        Patch(color="0.55", alpha=0.2, label="90% of members"),
    ]
    ax.legend(handles=handles, loc="best", fontsize=9, framealpha=0.9)
    ax.set_title(f"{title}\nmedian and 50%/90% bands over {n_min} members per scenario")
    ax.set_xlabel("year (quarters)")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.set_xlim(t[0], t[-1] + 0.25)
    return save_png(fig, path)


def paired_differences_figure(result: CompareResult, path: str | os.PathLike[str]) -> Path:
    """One panel per key outcome and year: paired difference vs the reference with 90% CI.

    Each scenario other than the reference gets a dot (mean paired difference), a coloured bar
    (its bootstrap 90% confidence interval, members resampled in pairs) and behind it a wide
    grey bar (the unpaired interval: what the same ensemble would tell without common random
    numbers); the text on the right is the share of members where the scenario does better.

    Parameters
    ----------
    result : CompareResult
        The comparison (its ``table``).
    path : path
        PNG file to write.

    Returns
    -------
    pathlib.Path
    """
    ref = result.scenarios[0]
    others = result.scenarios[1:]
    tab = result.table
    keys = list(dict.fromkeys(zip(tab["outcome"], tab["year"], strict=True)))
    base = result.provenance.get("years", {}).get("base", 2026)
    ncols = min(3, len(keys))
    nrows = -(-len(keys) // ncols)
    height = nrows * (0.95 + 0.32 * len(others)) + 1.0
    fig = new_figure(4.3 * ncols + 0.6, height)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for k, (name, year) in enumerate(keys):
        ax = axes[k // ncols][k % ncols]
        o = KEY_OUTCOMES[name]
        rows = tab[(tab["outcome"] == name) & (tab["year"] == year)].set_index("scenario")
        when = str(year) if o.per_year else f"{base}-{year}"
        ax.set_title(textwrap.fill(f"{o.label}, {when}", 40), fontsize=9)
        ax.set_xlabel(f"difference, {o.diff_units}", fontsize=8)
        ypos = np.arange(len(others))[::-1].astype(float)
        ax.set_yticks(ypos, others, fontsize=8)
        ax.set_ylim(-0.6, len(others) - 0.4)
        ax.tick_params(axis="x", labelsize=8)
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.grid(True, axis="x", alpha=0.3)
        drawn = False
        for j, s in enumerate(others):
            r = rows.loc[s]
            m, lo, hi = (
                r["diff_mean"] * o.scale,
                r["diff_low"] * o.scale,
                r["diff_high"] * o.scale,
            )
            ulo, uhi = r["unpaired_low"] * o.scale, r["unpaired_high"] * o.scale
            if not np.isfinite(m):
                ax.text(
                    0.5,
                    ypos[j],
                    "not defined",
                    transform=ax.get_yaxis_transform(),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="0.4",
                )
                continue
            drawn = True
            if np.isfinite(ulo) and np.isfinite(uhi):
                ax.plot(
                    [ulo, uhi],
                    [ypos[j], ypos[j]],
                    color="0.78",
                    linewidth=9,
                    solid_capstyle="butt",
                    zorder=1,
                )
            ax.errorbar(
                m,
                ypos[j],
                xerr=[[m - lo], [hi - m]],
                fmt="o",
                color=colour(j + 1),
                markersize=5,
                capsize=4,
                elinewidth=2,
                zorder=3,
            )
            ax.text(
                1.0,
                ypos[j],
                f" P={r['prob_better']:.2f}",
                transform=ax.get_yaxis_transform(),
                ha="left",
                va="center",
                fontsize=7.5,
                clip_on=False,
            )
        if not drawn:
            ax.set_xticks([])
    for k in range(len(keys), nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    n = sorted(set(result.provenance.get("members_used", {}).values()))
    members = f"{n[0]} members" if len(n) == 1 else f"{n[0]} to {n[-1]} members"
    fig.suptitle(
        f"Difference from {ref} (scenario minus {ref}, member by member), {members} per scenario",
        fontsize=11,
    )
    fig.legend(
        handles=[
            Line2D(
                [],
                [],
                marker="o",
                color="0.2",
                linewidth=2,
                label="mean paired difference, bootstrap 90% CI (common random numbers)",
            ),
            Patch(color="0.78", label="unpaired 90% CI (same members, pairing ignored)"),
            Line2D([], [], linestyle="none", label=f"P = share of members beating {ref}"),
        ],
        loc="outside lower center",
        ncols=3,
        fontsize=8,
        frameon=False,
    )
    return save_png(fig, path)


def value_added_figure(
    sector: pd.DataFrame, scenarios: list[str], path: str | os.PathLike[str]
) -> Path:
    """Value added by sector: mean level per scenario (top) and paired difference (bottom).

    Parameters
    ----------
    sector : pandas.DataFrame
        ``value_added_by_sector.csv`` rows: ``sector``, ``year``, ``scenario``, ``mean``,
        ``diff_mean``, ``diff_low``, ``diff_high`` (EUR per year).
    scenarios : list of str
        Scenario names, the reference first.
    path : path
        PNG file to write.

    Returns
    -------
    pathlib.Path
    """
    years = sorted(int(y) for y in sector["year"].unique())
    sectors = list(dict.fromkeys(sector["sector"]))
    fig = new_figure(5.6 * len(years) + 0.6, 9.0)
    axes = fig.subplots(2, len(years), squeeze=False)
    ypos = np.arange(len(sectors))[::-1].astype(float)
    ref = scenarios[0]
    for c, y in enumerate(years):
        d = sector[sector["year"] == y]
        top, bottom = axes[0][c], axes[1][c]
        h = 0.8 / len(scenarios)
        for i, s in enumerate(scenarios):
            m = d[d["scenario"] == s].set_index("sector").reindex(sectors)
            top.barh(
                ypos + 0.4 - h * (i + 0.5),
                m["mean"].to_numpy() / 1e9,
                height=h,
                color=colour(i),
                label=s,
            )
        top.set_xscale("log")
        top.set_title(f"value added by sector, {y} (mean over members)", fontsize=10)
        top.set_xlabel("EUR bn per year (log scale)")
        top.set_yticks(ypos, sectors, fontsize=9)
        top.grid(True, axis="x", which="both", alpha=0.25)
        h2 = 0.8 / max(1, len(scenarios) - 1)
        for j, s in enumerate(scenarios[1:]):
            m = d[d["scenario"] == s].set_index("sector").reindex(sectors)
            mean = m["diff_mean"].to_numpy() / 1e9
            err = np.vstack(
                [mean - m["diff_low"].to_numpy() / 1e9, m["diff_high"].to_numpy() / 1e9 - mean]
            )
            bottom.barh(
                ypos + 0.4 - h2 * (j + 0.5),
                mean,
                height=h2,
                xerr=err,
                color=colour(j + 1),
                capsize=2,
                error_kw={"elinewidth": 1},
                label=s,
            )
        bottom.axvline(0.0, color="black", linewidth=0.8)
        bottom.set_title(f"difference from {ref}, {y} (paired mean, 90% CI)", fontsize=10)
        bottom.set_xlabel("EUR bn per year")
        bottom.set_yticks(ypos, sectors, fontsize=9)
        bottom.grid(True, axis="x", alpha=0.3)
    fig.legend(
        handles=[Patch(color=colour(i), label=s) for i, s in enumerate(scenarios)],
        loc="outside lower center",
        ncols=min(len(scenarios), 5),
        fontsize=9,
        frameon=False,
    )
    fig.suptitle("Value added by sector (gross, current prices, annual)", fontsize=11)
    return save_png(fig, path)


def make_figures(
    ds: xr.Dataset,
    result: CompareResult,
    sector: pd.DataFrame,
    *,
    ok: np.ndarray | None = None,
    outdir: str | os.PathLike[str] | None = None,
) -> dict[str, Path]:
    """Draw every figure of a comparison into ``outdir`` (default ``result.outdir``).

    Parameters
    ----------
    ds : xarray.Dataset
        The ensemble compared.
    result : CompareResult
        Its comparison (scenarios, table, provenance).
    sector : pandas.DataFrame
        The value-added-by-sector table (see :func:`value_added_figure`).
    ok : numpy.ndarray of bool, optional
        (scenario, realization) members to use (default: ``member_ok == 1``).
    outdir : path, optional
        Folder for the PNG files.

    Returns
    -------
    dict of str to pathlib.Path
        By name, in the order of :data:`FIGURE_NAMES`.
    """
    out = Path(outdir if outdir is not None else (result.outdir or "."))
    ok = member_ok(ds) if ok is None else ok
    names = result.scenarios
    figs: dict[str, Path] = {}
    target = {
        t.outcome: (round(100 * t.threshold, 9), f"target: {t.percent} of GDP in {t.year}")
        for t in TARGETS
    }
    fans = (
        (
            "fan_gdp_real",
            lambda d: 4.0 * d["gdp_real"] / 1e9,
            "Real GDP (2025 prices)",
            "EUR bn per year (quarterly value at annual rate)",
            None,
        ),
        (
            "fan_industry_share",
            lambda d: 100.0 * d["industry_share"],
            "Industry share of GDP",
            "% of GDP",
            target["industry_share"],
        ),
        (
            "fan_rd_intensity",
            lambda d: 100.0 * d["rd_intensity"],
            "R&D intensity (business + public R&D)",
            "% of GDP",
            target["rd_intensity"],
        ),
        (
            "fan_talent_high",
            lambda d: d["talent_stock"].sel(skill="high") / 1e3,
            "High-skill talent stock (resident labour force)",
            "thousand persons",
            None,
        ),
    )
    for key, fn, title, ylabel, line in fans:
        figs[key] = fan_chart(
            ds,
            fn,
            names,
            ok,
            out / f"{key}.png",
            title=title,
            ylabel=ylabel,
            target=line,
            target_year=TARGET_YEAR,
        )
    if not result.table.empty:
        figs["paired_differences"] = paired_differences_figure(
            result, out / "paired_differences.png"
        )
    if not sector.empty:
        figs["value_added_by_sector"] = value_added_figure(
            sector, names, out / "value_added_by_sector.png"
        )
    return figs
