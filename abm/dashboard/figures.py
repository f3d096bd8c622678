"""What the dashboard shows, as plain functions of models: the series (:func:`run_series`,
:func:`sector_value_added`, :func:`programme_spending`, :func:`firm_table`) and the matplotlib
figures drawn from them (:data:`FIGURES`). Nothing here knows about the browser, so the
figures are tested without one.

The series are read from what the model records: its ``mesa.DataCollector`` (the aggregate
reporters of :mod:`abm.collect`) and, for what the collector does not carry (vacancies, the
labour force, value added by sector, spending by programme), the quarter's record
(``model.records``), in the units of :data:`abm.recording.VARIABLES`. Firms are read from the
firm population arrays of the current quarter, as the collector's firm reporters are. The target
lines come from the outcome registry (:data:`abm.analysis.outcomes.TARGETS`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from abm.analysis.outcomes import TARGETS
from abm.collect import FIRM_REPORTERS
from abm.sectors import SECTORS

#: ``(label, model)`` pairs: the main run and, when the second pane runs, its twin.
Runs = Sequence[tuple[str, Any]]

#: Colours of the sectors (the same in every figure).
SECTOR_COLOURS: dict[str, str] = dict(
    zip(
        SECTORS,
        ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#7f7f7f", "#bcbd22"],
        strict=True,
    )
)
#: Line styles of the runs: the main run solid, the second pane's dashed.
RUN_STYLES = ("-", "--")

#: The columns of :func:`run_series`.
SERIES_COLUMNS: tuple[str, ...] = (
    "gdp_real",
    "gdp_growth",
    "industry_share",
    "rd_intensity",
    "unemployment_rate",
    "vacancy_rate",
    "talent_immigration",
    "talent_emigration",
    "high_skill_immigration",
    "high_skill_emigration",
    "capital_outflow",
    "programme_spending",
)


def _years(model: Any) -> np.ndarray:
    """The recorded quarters as decimal years (2026.0, 2026.25, ...)."""
    return np.array([r.date.year + (r.date.month - 1) / 12 for r in model.records], dtype=float)


def run_series(model: Any) -> pd.DataFrame:
    """The aggregate series of a model so far: one row per recorded quarter.

    Parameters
    ----------
    model : EconomyModel
        A model (stepped any number of recorded quarters, none included).

    Returns
    -------
    pandas.DataFrame
        Indexed by the quarter as a decimal year (``year``), with :data:`SERIES_COLUMNS`:
        real GDP (2025 euros per quarter) and its quarter-on-quarter growth at an annual rate
        (NaN in the first quarter), industry share and R&D intensity (shares of GDP), the
        unemployment rate and vacancies over the labour force, talent arrivals and departures
        (persons per quarter, all and high-skill), capital outflow and programme spending
        (euros per quarter).
    """
    index = pd.Index(_years(model), name="year")
    if not model.records:
        return pd.DataFrame(columns=list(SERIES_COLUMNS), index=index, dtype=float)
    dc = model.datacollector.get_model_vars_dataframe()
    out = pd.DataFrame(index=index)
    for col in SERIES_COLUMNS:
        if col in dc.columns:
            out[col] = dc[col].to_numpy(dtype=float)
    real = out["gdp_real"].to_numpy()
    growth = np.full(len(real), np.nan)
    growth[1:] = (real[1:] / real[:-1]) ** 4 - 1.0
    out["gdp_growth"] = growth
    vac = np.array([r.vacancies for r in model.records], dtype=float)
    lf = np.array([r.labour_force for r in model.records], dtype=float)
    out["vacancy_rate"] = np.divide(vac, lf, out=np.zeros_like(vac), where=lf > 0)
    return out[list(SERIES_COLUMNS)]


def sector_value_added(model: Any) -> pd.DataFrame:
    """Value added by sector (nominal euros per quarter): one row per recorded quarter, a
    column per sector (:data:`abm.sectors.SECTORS`)."""
    rows = [np.asarray(r.value_added, dtype=float) for r in model.records]
    data = np.vstack(rows) if rows else np.zeros((0, len(SECTORS)))
    return pd.DataFrame(data, index=pd.Index(_years(model), name="year"), columns=list(SECTORS))


def programme_spending(model: Any) -> pd.DataFrame:
    """Spending by programme (euros per quarter): one row per recorded quarter, a column per
    programme of the model's scenario."""
    names = list(model.programme_names)
    rows = [np.asarray(r.programme_spending, dtype=float)[: len(names)] for r in model.records]
    data = np.vstack(rows) if rows else np.zeros((0, len(names)))
    return pd.DataFrame(data, index=pd.Index(_years(model), name="year"), columns=names)


def firm_table(model: Any) -> pd.DataFrame:
    """The firm agents now: ``sector``, ``productivity``, ``employees``, ``weight`` (the
    collector's firm reporters, one row per firm agent)."""
    cols = ("sector", "productivity", "employees", "weight")
    return pd.DataFrame({c: FIRM_REPORTERS[c](model) for c in cols})


# ------------------------------------------------------------------------------- figures


def _figure(
    cols: int = 1, width: float = 6.4, height: float = 3.3, sharey: bool = False
) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height), dpi=80)
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.13, top=0.9, wspace=0.28)
    axes = fig.subplots(1, cols, squeeze=False, sharey=sharey)[0]
    return fig, list(axes)


def _horizon(ax: Any, model: Any) -> None:
    start = model.start_year
    ax.set_xlim(start, start + model.quarters / 4)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.grid(alpha=0.3)


def _empty(ax: Any) -> None:
    ax.text(0.5, 0.5, "press Step or \u25b6", ha="center", va="center", transform=ax.transAxes)


def _lines(
    runs: Runs, series: Callable[[Any], dict[str, tuple[np.ndarray, str]]], ax: Any, unit: str
) -> None:
    """Each run's lines on ``ax``: ``series(model)`` -> label -> (values, colour)."""
    for i, (label, model) in enumerate(runs):
        s = run_series(model)
        for name, (values, colour) in series(s).items():
            ax.plot(
                s.index, values, RUN_STYLES[i % 2], color=colour, lw=1.6,
                label=f"{name} ({label})" if len(runs) > 1 else name,
            )  # fmt: skip
    _horizon(ax, runs[0][1])
    ax.set_ylabel(unit)
    if not runs[0][1].records:
        _empty(ax)
    elif ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="best")


def figure_gdp(runs: Runs) -> Figure:
    """Real GDP (EUR bn per quarter, 2025 prices) and its growth (% a year)."""
    fig, (ax, gx) = _figure(2, height=3.0)
    _lines(runs, lambda s: {"real GDP": (s["gdp_real"] / 1e9, "C0")}, ax, "EUR bn / quarter")
    _lines(runs, lambda s: {"growth": (s["gdp_growth"] * 100, "C2")}, gx, "% a year (q/q)")
    ax.set_title("Real GDP (2025 prices)", fontsize=10)
    gx.set_title("Real GDP growth", fontsize=10)
    return fig


def _target_line(ax: Any, outcome: str) -> None:
    t = next(t for t in TARGETS if t.outcome == outcome)
    ax.axhline(t.threshold * 100, color="k", lw=1, ls=":")
    ax.axvline(t.year, color="k", lw=0.8, ls=":", alpha=0.5)
    ax.annotate(
        f"{t.year} target {t.percent}", (t.year, t.threshold * 100), fontsize=7,
        xytext=(3, 3), textcoords="offset points",
    )  # fmt: skip


def figure_targets(runs: Runs) -> Figure:
    """Industry share and R&D intensity (% of GDP) with their 2030 target lines."""
    fig, (ax, rx) = _figure(2, height=3.0)
    _lines(runs, lambda s: {"industry": (s["industry_share"] * 100, "C1")}, ax, "% of GDP")
    _lines(runs, lambda s: {"R&D": (s["rd_intensity"] * 100, "C4")}, rx, "% of GDP")
    _target_line(ax, "industry_share")
    _target_line(rx, "rd_intensity")
    ax.set_title("Industry share of GDP", fontsize=10)
    rx.set_title("R&D intensity", fontsize=10)
    return fig


def figure_labour(runs: Runs) -> Figure:
    """Unemployment and vacancies (% of the labour force)."""
    fig, (ax,) = _figure()
    _lines(
        runs,
        lambda s: {
            "unemployment": (s["unemployment_rate"] * 100, "C3"),
            "vacancies": (s["vacancy_rate"] * 100, "C0"),
        },
        ax,
        "% of the labour force",
    )
    ax.set_title("Unemployment and vacancies", fontsize=10)
    return fig


def figure_talent(runs: Runs) -> Figure:
    """Talent arriving and leaving (thousand persons per quarter; all and high-skill)."""
    fig, (ax,) = _figure()
    _lines(
        runs,
        lambda s: {
            "in": (s["talent_immigration"] / 1e3, "C2"),
            "out": (s["talent_emigration"] / 1e3, "C3"),
            "high-skill in": (s["high_skill_immigration"] / 1e3, "#98df8a"),
            "high-skill out": (s["high_skill_emigration"] / 1e3, "#ff9896"),
        },
        ax,
        "thousand persons / quarter",
    )
    ax.set_title("Talent flows in and out", fontsize=10)
    return fig


def figure_capital(runs: Runs) -> Figure:
    """Capital outflow (EUR bn per quarter)."""
    fig, (ax,) = _figure()
    _lines(runs, lambda s: {"capital outflow": (s["capital_outflow"] / 1e9, "C5")}, ax, "EUR bn")
    ax.set_title("Capital outflow (per quarter)", fontsize=10)
    return fig


def _panes(runs: Runs, height: float = 3.3) -> tuple[Figure, list]:
    """One panel per run, side by side (the second pane's run on the right)."""
    return _figure(len(runs), width=6.4, height=height, sharey=True)


def figure_value_added(runs: Runs) -> Figure:
    """Nominal value added by sector as an index (the first recorded quarter = 100): which
    sectors grow; one panel per run (services, 80% of value added, would
    hide the rest in a stacked plot)."""
    fig, axes = _panes(runs)
    for ax, (label, model) in zip(axes, runs, strict=True):
        va = sector_value_added(model)
        if len(va):
            index = va / va.iloc[0].where(va.iloc[0] > 0) * 100
            for sector in va.columns:
                ax.plot(index.index, index[sector], lw=1.4, color=SECTOR_COLOURS[sector],
                        label=sector)  # fmt: skip
        else:
            _empty(ax)
        _horizon(ax, model)
        ax.set_title(f"Value added by sector: {label}", fontsize=10)
    axes[0].set_ylabel("index, first quarter = 100")
    if len(runs[0][1].records):
        axes[-1].legend(fontsize=6, loc="upper left", ncol=2)
    return fig


def figure_programmes(runs: Runs) -> Figure:
    """Spending by programme (EUR m per quarter); one panel per run."""
    fig, axes = _panes(runs)
    for ax, (label, model) in zip(axes, runs, strict=True):
        ps = programme_spending(model) / 1e6
        for name in ps.columns:
            ax.plot(ps.index, ps[name], lw=1.4, label=name)
        if not len(ps):
            _empty(ax)
        elif len(ps.columns):
            ax.legend(fontsize=6, loc="upper left", ncol=2)
        _horizon(ax, model)
        ax.set_title(f"Programme spending: {label}", fontsize=10)
    axes[0].set_ylabel("EUR m / quarter")
    return fig


def figure_firms(runs: Runs) -> Figure:
    """Firms now: productivity against size (persons employed), coloured by sector; one
    panel per run."""
    fig, axes = _panes(runs)
    for ax, (label, model) in zip(axes, runs, strict=True):
        ft = firm_table(model)
        ft = ft[(ft["employees"] > 0) & (ft["productivity"] > 0)]
        for sector, group in ft.groupby("sector", sort=False):
            ax.scatter(
                group["employees"], group["productivity"], s=6, alpha=0.6, linewidths=0,
                color=SECTOR_COLOURS[str(sector)], label=str(sector),
            )  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.minorticks_off()  # log-axis minor ticks cost more than the points
        ax.grid(alpha=0.3)
        when = model.records[-1].date if model.records else "start"
        ax.set_title(f"Firms ({label}, {when})", fontsize=10)
        ax.set_xlabel("persons employed")
    axes[0].set_ylabel("productivity")
    axes[-1].legend(fontsize=6, loc="lower right", ncol=2, markerscale=2)
    return fig


#: The figures in the order shown: name -> function of the runs.
FIGURES: dict[str, Callable[[Runs], Figure]] = {
    "gdp": figure_gdp,
    "targets": figure_targets,
    "labour": figure_labour,
    "talent": figure_talent,
    "capital": figure_capital,
    "value_added": figure_value_added,
    "programmes": figure_programmes,
    "firms": figure_firms,
}


__all__ = [
    "FIGURES",
    "SERIES_COLUMNS",
    "firm_table",
    "programme_spending",
    "run_series",
    "sector_value_added",
]
