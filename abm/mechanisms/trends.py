"""Trends: GDP by production, real GDP by double deflation, and the slow averages behaviour uses.

Real GDP in 2025 prices by double deflation with fixed input coefficients: real value added =
real gross output x value added per unit of output at 2025 prices (the 2025 average of the
burn-in); the GDP deflator is nominal over real GDP (2025 = 1). Smoothed sector demand growth
g_s <- 0.9 g_s + 0.1 clip(growth of real output, +-10%) feeds expectations and capacity plans
(real, like the demand it projects). Trend labour-productivity growth (to which wages are
indexed) is the average quarterly log growth of real GDP per worker over the last four years,
measured at the prices of the first quarter so the burn-in's price changes never count as
productivity, clipped to -1%..+2% a quarter; trend GDP is the mean of the last four quarters'
GDP.
"""

from __future__ import annotations

import numpy as np

from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS

S = N_SECTORS
WINDOW = 16  # quarters of labour-productivity history behind the trend


def update(eco: EconomyState, f: QuarterFlows) -> None:
    """GDP, real GDP and the trends (module docstring)."""
    tr = eco.trends
    gdp = float(f.va_firm.sum())
    f.gdp = gdp
    tr.gdp_hist.append(gdp)
    tr.gdp_hist = tr.gdp_hist[-8:]
    va_s = f.va_sector
    out_s = f.real_output_sector
    g_now = np.divide(out_s, tr.sector_out_prev, out=np.ones(S), where=tr.sector_out_prev > 0) - 1
    tr.demand_growth = 0.9 * tr.demand_growth + 0.1 * np.clip(g_now, -0.1, 0.1)
    tr.sector_out_prev = out_s
    if tr.va_per_output_build is None:
        tr.va_per_output_build = _ratio(va_s, out_s)
    real_build = float((out_s * tr.va_per_output_build).sum())
    home_k, employed_k = eco.talent_census()
    emp_persons = float(employed_k.sum()) * eco.scale
    if eco.quarter < 0 or tr.labour_force_2025 <= 0:
        tr.labour_force_2025 = float(home_k.sum()) * eco.scale
    if emp_persons > 0 and real_build > 0:
        tr.lp_hist.append(np.log(real_build / emp_persons))
        tr.lp_hist = tr.lp_hist[-(WINDOW + 1) :]
        if len(tr.lp_hist) == WINDOW + 1:
            g = (tr.lp_hist[-1] - tr.lp_hist[0]) / WINDOW
            tr.prod_growth = float(np.clip(np.expm1(g), -0.01, 0.02))
    _real_values(eco, f, va_s, out_s, gdp)


def _ratio(va_s: np.ndarray, out_s: np.ndarray) -> np.ndarray:
    return np.divide(va_s, out_s, out=np.zeros(S), where=out_s > 0)


def _real_values(
    eco: EconomyState, f: QuarterFlows, va_s: np.ndarray, out_s: np.ndarray, gdp: float
) -> None:
    """Real GDP in 2025 prices, the GDP deflator (2025 = 1) and its annualised change.

    The 2025 base sums value added, real output and sector prices over the burn-in quarters of
    2025 (the last four); it is fixed at the first recorded quarter.
    """
    tr = eco.trends
    price = eco.sectors.price_index
    if eco.quarter < 0 and eco.quarter >= -4:
        add = np.concatenate([va_s, out_s, price, [1.0]])
        tr.base_sums = add if tr.base_sums is None else tr.base_sums + add
    if tr.va_per_output is None and eco.quarter >= -1:
        sums = (
            tr.base_sums
            if tr.base_sums is not None
            else np.concatenate([va_s, out_s, price, [1.0]])
        )
        tr.va_per_output = _ratio(sums[:S], sums[S : 2 * S])
        tr.price_2025 = sums[2 * S : 3 * S] / sums[-1]
    if tr.va_per_output is None:  # before 2025Q4 of the burn-in
        f.gdp_real = float((out_s * tr.va_per_output_build).sum())
        return
    f.gdp_real = float((out_s * tr.va_per_output).sum())
    deflator = gdp / f.gdp_real if f.gdp_real > 0 else tr.deflator_prev
    f.gdp_deflator = deflator
    f.inflation = (deflator / tr.deflator_prev) ** 4 - 1 if tr.deflator_prev > 0 else 0.0
    tr.deflator_prev = deflator
