"""The unchanged-policy path against its anchors (issue #10): ``abm validate --baseline``.

Members of ``laissez_faire`` and ``diffuse`` (common seeds) run 2026-2040; yearly rates are
taken on calendar-year averages (flows summed, rates and shares averaged), and each anchor is
checked on the mean over members (and, where the anchor says "no member", on every member):

- GDP-deflator inflation 1.5-2.5% a year over 2027-2040, no member-year above 4.5% (ECB anchor);
- real GDP growth 1.0-2.0% a year over 2027-2030 and 0.8-2.0% over 2027-2040 (CPB);
- labour-force growth 0.1-0.8% and real GDP per worker 0.5-1.5% a year over 2027-2040 (DNB, CPB);
- unemployment 3.5-4.5% over 2026-2030, no member-year below 2.5% or above 8% (CPB: 3.8-4.0%);
- industry share 11.5-13.5% in 2026 (CBS: 12.5%), changing by at most 1.5 pp to 2040 without
  policy;
- R&D 2.1-2.5% of GDP in 2026 (business 1.4-1.8%, public 0.6-0.8%; CBS), and in ``diffuse`` the
  2040 value between 0.2 pp below and 0.4 pp above 2026;
- the deficit 1.5-3.5% of GDP over 2026-2030 and debt 43-55% of GDP in 2030 (CPB);
- exports over GDP changing by at most 5 pp from 2026 to 2040 without policy.

The change of business R&D intensity is split into composition (sectors' shares of value added
moving, at their 2026 R&D intensities) and within-sector change, and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from abm.model import EconomyModel
from abm.scenario import Scenario, load_scenario

BASELINES: tuple[str, ...] = ("laissez_faire", "diffuse")


@dataclass
class Anchor:
    """One row of the baseline table."""

    scenario: str
    check: str
    statistic: float
    low: float | None
    high: float | None
    source: str

    @property
    def holds(self) -> bool:
        """Whether the statistic lies in [low, high] (a missing bound is open)."""
        lo = -np.inf if self.low is None else self.low
        hi = np.inf if self.high is None else self.high
        return bool(lo <= self.statistic <= hi)


@dataclass
class BaselineReport:
    """The anchors of every baseline scenario, and the R&D composition split."""

    anchors: list[Anchor]
    composition: pd.DataFrame
    runs: int
    seed: int

    @property
    def ok(self) -> bool:
        """Whether every anchor holds."""
        return all(a.holds for a in self.anchors)

    def to_frame(self) -> pd.DataFrame:
        """The table: scenario, check, statistic, low, high, holds, source."""
        return pd.DataFrame(
            [
                {
                    "scenario": a.scenario,
                    "check": a.check,
                    "statistic": a.statistic,
                    "low": a.low,
                    "high": a.high,
                    "holds": a.holds,
                    "source": a.source,
                }
                for a in self.anchors
            ]
        )

    def to_text(self) -> str:
        """The table as aligned text (percent where the check says so)."""
        lines = [
            f"baseline path against its anchors: {self.runs} member(s) per scenario, "
            f"root seed {self.seed}",
            f"{'scenario':<14} {'check':<52} {'value':>8}  {'band':<16} holds",
        ]
        for a in self.anchors:
            lo = "" if a.low is None else f"{a.low:g}"
            hi = "" if a.high is None else f"{a.high:g}"
            lines.append(
                f"{a.scenario:<14} {a.check:<52} {a.statistic:>8.2f}  [{lo}, {hi}]".ljust(96)
                + (" yes" if a.holds else " NO")
            )
        lines.append("")
        lines.append("business R&D intensity 2026 -> 2040 (pp): composition and within-sector")
        for _, r in self.composition.iterrows():
            lines.append(
                f"  {r['scenario']:<14} change {r['change_pp']:+.2f} = composition "
                f"{r['composition_pp']:+.2f} + within {r['within_pp']:+.2f}"
            )
        bad = [a for a in self.anchors if not a.holds]
        lines.append(
            "all anchors hold"
            if not bad
            else f"{len(bad)} anchor(s) fail: " + "; ".join(f"{a.scenario} {a.check}" for a in bad)
        )
        return "\n".join(lines)


def annual(ds: xr.Dataset) -> pd.DataFrame:
    """Calendar-year values of one run: flows summed, rates and shares averaged, stocks at
    year end (percent for rates and shares)."""
    year = ds["time"].dt.year.values
    years = np.unique(year)

    def by_year(values: np.ndarray, how: str) -> np.ndarray:
        out = []
        for y in years:
            v = values[year == y]
            out.append(v.sum() if how == "sum" else v[-1] if how == "last" else v.mean())
        return np.asarray(out)

    gdp = by_year(ds["gdp"].values, "sum")
    real = by_year(ds["gdp_real"].values, "sum")
    emp = by_year(ds["employment"].values, "mean")
    lf = by_year(ds["labour_force"].values, "mean")
    frame = pd.DataFrame(
        {
            "year": years,
            "gdp": gdp,
            "gdp_real": real,
            "deflator": gdp / real,
            "employment": emp,
            "labour_force": lf,
            "unemployment": 100 * by_year(ds["unemployment_rate"].values, "mean"),
            "industry_share": 100 * by_year(ds["industry_share"].values, "mean"),
            "rd": 100 * by_year(ds["rd_intensity"].values, "mean"),
            "rd_business": 100 * by_year(ds["rd_intensity_business"].values, "mean"),
            "rd_public": 100 * by_year(ds["rd_intensity_public"].values, "mean"),
            "deficit": -100 * by_year(ds["government_balance"].values, "sum") / gdp,
            "debt": 100 * by_year(ds["government_debt"].values, "last") / gdp,
            "exports": 100 * by_year(ds["exports"].sum("sector").values, "sum") / gdp,
        }
    )
    for col, level in (
        ("inflation", "deflator"),
        ("growth", "gdp_real"),
        ("lf_growth", "labour_force"),
    ):
        frame[col] = 100 * (frame[level] / frame[level].shift(1) - 1)
    per_worker = frame["gdp_real"] / frame["employment"]
    frame["productivity_growth"] = 100 * (per_worker / per_worker.shift(1) - 1)
    return frame.set_index("year")


def rd_composition(ds: xr.Dataset, first: int = 2026, last: int = 2040) -> dict[str, float]:
    """Business R&D intensity change first -> last (pp of GDP), split into composition (value
    added shares moving at the first year's sector intensities) and within-sector change."""
    year = ds["time"].dt.year.values
    va = ds["value_added"].values
    rd = ds["business_rd_by_sector"].values

    def shares(y: int) -> tuple[np.ndarray, np.ndarray]:
        m = year == y
        v, r = va[m].sum(axis=0), rd[m].sum(axis=0)
        return v / v.sum(), np.divide(r, v, out=np.zeros_like(r), where=v > 0)

    w0, i0 = shares(first)
    w1, i1 = shares(last)
    return {
        "change_pp": 100 * float((w1 * i1).sum() - (w0 * i0).sum()),
        "composition_pp": 100 * float(((w1 - w0) * i0).sum()),
        "within_pp": 100 * float((w1 * (i1 - i0)).sum()),
    }


def _mean(frames: list[pd.DataFrame], col: str, first: int, last: int) -> np.ndarray:
    return np.array([f.loc[first:last, col].mean() for f in frames])


def _anchors(name: str, frames: list[pd.DataFrame]) -> list[Anchor]:
    def row(check, stat, low, high, source):
        return Anchor(name, check, float(stat), low, high, source)

    m = lambda col, a, b: float(_mean(frames, col, a, b).mean())  # noqa: E731
    infl_max = max(float(f.loc[2027:2040, "inflation"].max()) for f in frames)
    u_min = min(float(f.loc[2026:2040, "unemployment"].min()) for f in frames)
    u_max = max(float(f.loc[2026:2040, "unemployment"].max()) for f in frames)
    change = lambda col: float(  # noqa: E731
        np.mean([f.loc[2040, col] - f.loc[2026, col] for f in frames])
    )
    rows = [
        row(
            "GDP-deflator inflation 2027-2040 (% a year)",
            m("inflation", 2027, 2040),
            1.5,
            2.5,
            "ECB 2% medium-term target",
        ),
        row("highest member-year of inflation (%)", infl_max, None, 4.5, "ECB anchor"),
        row(
            "real GDP growth 2027-2030 (% a year)",
            m("growth", 2027, 2030),
            1.0,
            2.0,
            "CPB CEP 2025, medium-term outlooks",
        ),
        row(
            "real GDP growth 2027-2040 (% a year)",
            m("growth", 2027, 2040),
            0.8,
            2.0,
            "CPB medium-term outlooks",
        ),
        row(
            "labour-force growth 2027-2040 (% a year)",
            m("lf_growth", 2027, 2040),
            0.1,
            0.8,
            "DNB labour-supply outlook",
        ),
        row(
            "real GDP per worker 2027-2040 (% a year)",
            m("productivity_growth", 2027, 2040),
            0.5,
            1.5,
            "CPB medium-term outlooks",
        ),
        row(
            "unemployment 2026-2030 (%)",
            m("unemployment", 2026, 2030),
            3.5,
            4.5,
            "CPB CEP 2025: 3.8-4.0%",
        ),
        row("lowest member-year of unemployment (%)", u_min, 2.5, None, "CPB"),
        row("highest member-year of unemployment (%)", u_max, None, 8.0, "CPB"),
        row(
            "industry share 2026 (%)",
            m("industry_share", 2026, 2026),
            11.5,
            13.5,
            "CBS 84419ENG: manufacturing 12.5%",
        ),
        row("R&D intensity 2026 (%)", m("rd", 2026, 2026), 2.1, 2.5, "CBS 84644ENG: 2.30%"),
        row(
            "business R&D intensity 2026 (%)",
            m("rd_business", 2026, 2026),
            1.4,
            1.8,
            "CBS 84644ENG: 1.59%",
        ),
        row(
            "public R&D intensity 2026 (%)",
            m("rd_public", 2026, 2026),
            0.6,
            0.8,
            "CBS 84644ENG: 0.71%",
        ),
        row(
            "deficit 2026-2030 (% of GDP)",
            m("deficit", 2026, 2030),
            1.5,
            3.5,
            "CPB CEP 2025: 2.4% (2026) to 2.9% (2033)",
        ),
        row("debt 2030 (% of GDP)", m("debt", 2030, 2030), 43.0, 55.0, "CPB"),
    ]
    if name == "laissez_faire":
        rows += [
            row(
                "industry share change 2026-2040 (pp)",
                abs(change("industry_share")),
                None,
                1.5,
                "no policy, no built-in drift",
            ),
            row(
                "exports over GDP change 2026-2040 (pp)",
                abs(change("exports")),
                None,
                5.0,
                "no built-in drift",
            ),
        ]
    if name == "diffuse":
        rows.append(
            row(
                "R&D intensity change 2026-2040 (pp)",
                change("rd"),
                -0.2,
                0.4,
                "unchanged policy keeps its weight",
            )
        )
    return rows


def baseline_report(
    runs: int = 8,
    seed: int = 1,
    scale: float | None = None,
    scenarios: tuple[str | Scenario, ...] = BASELINES,
    progress: Callable[[int], None] | None = None,
) -> BaselineReport:
    """Run ``runs`` members of each baseline scenario (common member seeds spawned from
    ``seed``) over 2026-2040 and check the anchors (module docstring)."""
    seeds = np.random.SeedSequence(seed).spawn(runs)
    anchors: list[Anchor] = []
    comp = []
    for item in scenarios:
        sc = load_scenario(item) if isinstance(item, str) else item
        frames, splits = [], []
        for ss in seeds:
            ds = EconomyModel(sc, ss, scale=scale, quarters=60).run().to_dataset()
            frames.append(annual(ds))
            splits.append(rd_composition(ds))
            if progress is not None:
                progress(1)
        anchors += _anchors(sc.name, frames)
        comp.append(
            {"scenario": sc.name, **{k: float(np.mean([s[k] for s in splits])) for k in splits[0]}}
        )
    return BaselineReport(anchors, pd.DataFrame(comp), runs, seed)
