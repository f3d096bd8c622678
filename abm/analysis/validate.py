"""Validation (DESIGN §7): calibration targets and the stylized facts of macro ABMs.

:func:`validate` runs a scenario over a long horizon (default 200 recorded quarters after the
burn-in) for several seeds and returns a table with one row per check:

- **calibration**: the first recorded quarter (2026Q1) against FACTS.md figures, each with its
  tolerance (the issue's "done when" bands);
- **accounting**: every quarter of every run passed the stock-flow checks;
- **stylized facts** of the Keynes+Schumpeter family of models, on Baxter-King band-pass
  filtered series (6-32 quarters, K = 12): investment more volatile than GDP and consumption
  less; pro-cyclical employment and investment, counter-cyclical unemployment; self-sustained
  growth with fluctuations; right-skewed firm sizes; fat-tailed firm growth rates; persistent
  productivity dispersion; lumpy investment.

Statistics are averaged over runs; a fact holds when the average statistic passes its threshold.
Skewness and kurtosis are :func:`scipy.stats.skew` and :func:`scipy.stats.kurtosis`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from abm.accounts import AccountingError
from abm.analysis.stats import excess_kurtosis, skewness
from abm.model import EconomyModel
from abm.scenario import Scenario, load_scenario
from abm.sectors import N_SECTORS

#: FACTS.md figures for 2026Q1 (see docs/model.md, "Validation").
GDP_2026 = 1.185e12 * 1.035  # calibrated 2025 GDP grown by ~1.5% real and 2% inflation
EMPLOYMENT_2026 = 9.782e6 + 1.5 * 112e3  # Q3 2024 employed plus ~112k a year (DNB)


@dataclass
class Check:
    """One row of the validation table."""

    kind: str  # "calibration", "accounting" or "stylized fact"
    name: str
    statistic: float
    target: str
    holds: bool
    detail: str = ""


@dataclass
class ValidationReport:
    """The validation table and what it was computed from."""

    scenario: str
    runs: int
    seed: int
    quarters: int
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every calibration target and accounting check holds."""
        return all(c.holds for c in self.checks if c.kind in ("calibration", "accounting"))

    def to_frame(self) -> pd.DataFrame:
        """The table as a pandas DataFrame."""
        return pd.DataFrame([c.__dict__ for c in self.checks])

    def to_text(self) -> str:
        """The table as aligned text, as ``abm validate`` prints it."""
        lines = [
            f"validation of '{self.scenario}': {self.runs} run(s), root seed {self.seed}, "
            f"{self.quarters} recorded quarters each",
            f"{'kind':14s} {'check':44s} {'statistic':>12s}  {'target':24s} holds",
        ]
        for c in self.checks:
            lines.append(
                f"{c.kind:14s} {c.name:44s} {c.statistic:12.4g}  {c.target:24s} "
                f"{'yes' if c.holds else 'NO'}"
            )
        failed = [c.name for c in self.checks if not c.holds]
        lines.append(
            "all checks hold" if not failed else f"{len(failed)} check(s) fail: {', '.join(failed)}"
        )
        return "\n".join(lines)


def baxter_king(x: np.ndarray, low: float = 6, high: float = 32, k: int = 12) -> np.ndarray:
    """Baxter-King band-pass filter keeping cycles of ``low``-``high`` periods; drops ``k``
    observations at each end (Baxter & King 1999, REStat 81(4))."""
    x = np.asarray(x, dtype=float)
    if x.size <= 2 * k:
        raise ValueError(f"series of {x.size} quarters is too short for K = {k}")
    w1, w2 = 2 * np.pi / high, 2 * np.pi / low
    j = np.arange(1, k + 1)
    b = np.concatenate([[(w2 - w1) / np.pi], (np.sin(w2 * j) - np.sin(w1 * j)) / (np.pi * j)])
    weights = np.concatenate([b[:0:-1], b])
    weights -= weights.mean()  # sum to zero: removes trends
    return np.convolve(x, weights, mode="valid")


def _run_one(
    scenario: Scenario, seed: np.random.SeedSequence, quarters: int, scale: float | None
) -> dict[str, Any]:
    """Run one member and collect the series and firm panels the checks need."""
    model = EconomyModel(scenario, seed, scale=scale, quarters=quarters)
    panel: list[pd.DataFrame] = []
    invest: list[np.ndarray] = []  # (orders, capital) of the firms with capital, each quarter
    while model.quarter < model.quarters:
        model.step()
        q = model.quarter - 1
        if q >= 0 and q % 4 == 3:  # end of each year: a firm panel
            fp = model.firm_pop
            panel.append(
                pd.DataFrame(
                    {
                        "year": q // 4,
                        "key": fp.key.copy(),
                        "sector": fp.sector.copy(),
                        "sales": fp.sales / fp.weight,
                        "employment": model.firm_employment().sum(axis=1) / fp.weight,
                        "productivity": fp.productivity.copy(),
                    }
                )
            )
        if q >= 0:
            fp = model.firm_pop
            has_k = fp.capital > 0  # entrants without capital yet are left out
            invest.append(np.stack([fp.order[has_k], fp.capital[has_k]]))
    ds = model.to_dataset()
    return {
        "ds": ds,
        "panel": pd.concat(panel, ignore_index=True),
        "invest": invest,
    }


def _calibration_checks(first: list[dict[str, float]]) -> list[Check]:
    m = {k: float(np.mean([f[k] for f in first])) for k in first[0]}
    rows = [
        ("GDP 2026Q1, annualised (EUR)", m["gdp"], GDP_2026, 0.05, "rel"),
        ("industry share of GDP", m["industry_share"], 0.125, 0.02, "abs"),
        ("R&D intensity, total", m["rd_intensity"], None, (0.021, 0.025), "range"),
        ("R&D intensity, business", m["rd_intensity_business"], 0.016, 0.003, "abs"),
        ("R&D intensity, public", m["rd_intensity_public"], 0.007, 0.0015, "abs"),
        ("employment (persons)", m["employment"], EMPLOYMENT_2026, 0.05, "rel"),
        ("unemployment rate", m["unemployment_rate"], None, (0.03, 0.05), "range"),
        ("government debt, share of GDP", m["debt_ratio"], 0.437, 0.05, "abs"),
    ]
    out = []
    for name, value, target, tol, mode in rows:
        if mode == "rel":
            holds = abs(value / target - 1) <= tol
            text = f"{target:.4g} +-{tol:.0%}"
        elif mode == "abs":
            holds = abs(value - target) <= tol
            text = f"{target:.4g} +-{tol:.4g}"
        else:
            holds = tol[0] <= value <= tol[1]
            text = f"[{tol[0]:.4g}, {tol[1]:.4g}]"
        out.append(Check("calibration", name, value, text, bool(holds)))
    return out


def _facts(results: list[dict[str, Any]]) -> list[Check]:
    stats: dict[str, list[float]] = {}

    def add(k: str, v: float) -> None:
        stats.setdefault(k, []).append(float(v))

    for r in results:
        ds = r["ds"]
        # the published real series (2025 prices)
        y = np.log(ds["gdp_real"].values)
        c = np.log(ds["consumption_real"].values)
        inv = np.log(np.maximum(ds["investment_real"].values, 1.0))
        emp = np.log(ds["employment"].values)
        u = ds["unemployment_rate"].values
        fy, fc, fi, fe, fu = (baxter_king(s) for s in (y, c, inv, emp, u))
        add("sd_i_over_sd_y", fi.std() / fy.std())
        add("sd_c_over_sd_y", fc.std() / fy.std())
        add("corr_emp_y", np.corrcoef(fe, fy)[0, 1])
        add("corr_inv_y", np.corrcoef(fi, fy)[0, 1])
        add("corr_u_y", np.corrcoef(fu, fy)[0, 1])
        add("growth", (y[-4:].mean() - y[:4].mean()) / ((len(y) - 4) / 4))
        add("sd_y_cycle", fy.std())
        panel = r["panel"]
        last = panel[panel["year"] == panel["year"].max()]
        add("size_skew", skewness(np.log(np.maximum(last["employment"].values, 1e-9))) + 0.0)
        add("size_skew_levels", skewness(last["employment"].values))
        p = panel.pivot_table(index="key", columns="year", values="sales")
        g = np.log(p.where(p > 0)).diff(axis=1).values.ravel()
        add("growth_kurtosis", excess_kurtosis(g[np.isfinite(g)]))
        disp = []
        for yr in (panel["year"].min(), panel["year"].max()):
            d = panel[panel["year"] == yr]
            cv = [
                d.loc[d["sector"] == s, "productivity"].std()
                / d.loc[d["sector"] == s, "productivity"].mean()
                for s in range(N_SECTORS)
                if (d["sector"] == s).sum() > 2
            ]
            disp.append(float(np.mean(cv)))
        add("dispersion_first", disp[0])
        add("dispersion_last", disp[1])
        inv_k = np.concatenate(r["invest"], axis=1)
        ratios = inv_k[0] / inv_k[1]
        add("zero_investment_share", float(np.mean(ratios <= 1e-12)))
        # spikes: the firm-quarters in the top 20% of investment rates (I/K) carry what share
        # of all investment (smooth investment would give about 20%)
        cut = np.quantile(ratios, 0.8)
        add(
            "investment_top20_share",
            float(inv_k[0][ratios >= cut].sum() / max(inv_k[0].sum(), 1e-300)),
        )

    m = {k: float(np.mean(v)) for k, v in stats.items()}
    F = "stylized fact"
    return [
        Check(
            F, "self-sustained growth (log real GDP a year)", m["growth"], "> 0", m["growth"] > 0
        ),
        Check(
            F,
            "fluctuations: sd of filtered log GDP",
            m["sd_y_cycle"],
            "> 0.002",
            m["sd_y_cycle"] > 0.002,
        ),
        Check(
            F,
            "investment more volatile: sd(I)/sd(Y)",
            m["sd_i_over_sd_y"],
            "> 1",
            m["sd_i_over_sd_y"] > 1,
        ),
        Check(
            F,
            "consumption less volatile: sd(C)/sd(Y)",
            m["sd_c_over_sd_y"],
            "< 1",
            m["sd_c_over_sd_y"] < 1,
        ),
        Check(
            F, "pro-cyclical employment: corr(E, Y)", m["corr_emp_y"], "> 0", m["corr_emp_y"] > 0
        ),
        Check(
            F, "pro-cyclical investment: corr(I, Y)", m["corr_inv_y"], "> 0", m["corr_inv_y"] > 0
        ),
        Check(
            F, "counter-cyclical unemployment: corr(u, Y)", m["corr_u_y"], "< 0", m["corr_u_y"] < 0
        ),
        Check(
            F,
            "right-skewed firm size (skewness)",
            m["size_skew_levels"],
            "> 1",
            m["size_skew_levels"] > 1,
        ),
        Check(
            F,
            "fat-tailed firm growth (excess kurtosis)",
            m["growth_kurtosis"],
            "> 0",
            m["growth_kurtosis"] > 0,
        ),
        Check(
            F,
            "persistent productivity dispersion (CV, end)",
            m["dispersion_last"],
            "> 0.05",
            m["dispersion_last"] > 0.05 and m["dispersion_first"] > 0.05,
        ),
        Check(
            F,
            "lumpy investment: firm-quarters with none",
            m["zero_investment_share"],
            "> 0.2",
            m["zero_investment_share"] > 0.2,
        ),
        Check(
            F,
            "lumpy investment: top 20% spikes' share",
            m["investment_top20_share"],
            "> 0.4",
            m["investment_top20_share"] > 0.4,
        ),
    ]


def validate(
    scenario: Scenario | str = "diffuse",
    runs: int = 10,
    seed: int = 1,
    quarters: int = 200,
    scale: float | None = None,
    progress: Any = None,
) -> ValidationReport:
    """Run ``runs`` members of ``scenario`` for ``quarters`` recorded quarters and check the
    calibration targets, the accounting identities and the stylized facts.

    Parameters
    ----------
    scenario : Scenario or str
        Scenario or its name / TOML path.
    runs : int
        Members (seeds ``SeedSequence(seed).spawn(runs)``).
    seed : int
        Root seed.
    quarters : int
        Recorded quarters per run (at least 40 for the band-pass filter).
    scale : float, optional
        Persons per talent agent (default: the scenario's).
    progress : callable, optional
        Called with 1 after each run.
    """
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    if quarters < 40:
        raise ValueError(f"quarters must be at least 40 for the band-pass filter, got {quarters}")
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    report = ValidationReport(sc.name, runs, seed, quarters)
    results, first = [], []
    failures: list[str] = []
    for child in np.random.SeedSequence(seed).spawn(runs):
        try:
            r = _run_one(sc, child, quarters, scale)
        except AccountingError as e:
            failures.append(str(e))
            if progress:
                progress(1)
            continue
        ds = r["ds"].isel(time=0)
        first.append(
            {
                "gdp": float(ds["gdp"]) * 4,
                "industry_share": float(ds["industry_share"]),
                "rd_intensity": float(ds["rd_intensity"]),
                "rd_intensity_business": float(ds["rd_intensity_business"]),
                "rd_intensity_public": float(ds["rd_intensity_public"]),
                "employment": float(ds["employment"]),
                "unemployment_rate": float(ds["unemployment_rate"]),
                "debt_ratio": float(ds["government_debt"]) / (4 * float(ds["gdp"])),
            }
        )
        results.append(r)
        if progress:
            progress(1)
    report.checks.append(
        Check(
            "accounting",
            "stock-flow identities, every quarter",
            float(runs - len(failures)),
            f"{runs} of {runs} runs",
            not failures,
            "; ".join(failures),
        )
    )
    if results:
        report.checks.extend(_calibration_checks(first))
        report.checks.extend(_facts(results))
    return report
