"""Trends: GDP by production, real GDP by double deflation, and the slow averages behaviour uses.

Real GDP in 2025 prices by double deflation with fixed input coefficients: real value added =
real gross output x value added per unit of output at 2025 prices (those of the last burn-in
quarter). Smoothed sector demand growth g_s <- 0.9 g_s + 0.1 clip(growth of value added, +-10%)
feeds expectations and capacity plans; trend labour-productivity growth (to which wages are
indexed) is the average quarterly log growth of real GDP per worker over the last four years,
clipped to -1%..+2% a quarter; trend GDP is the mean of the last four quarters' GDP.
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
    tp = eco.talent_pop
    gdp = float(f.va_firm.sum())
    f.gdp = gdp
    tr.gdp_hist.append(gdp)
    tr.gdp_hist = tr.gdp_hist[-8:]
    va_s = f.va_sector
    g_now = np.divide(va_s, tr.sector_va_prev, out=np.ones(S), where=tr.sector_va_prev > 0) - 1
    tr.demand_growth = 0.9 * tr.demand_growth + 0.1 * np.clip(g_now, -0.1, 0.1)
    tr.sector_va_prev = va_s
    home = tp.abroad == 0
    emp_persons = float((home & (tp.employer >= 0)).sum()) * eco.scale
    out_s = f.real_output_sector
    if eco.quarter <= -1 or tr.va_per_output is None:
        tr.va_per_output = np.divide(va_s, out_s, out=np.zeros(S), where=out_s > 0)
    gdp_real = float((out_s * tr.va_per_output).sum())
    f.gdp_real = gdp_real
    if emp_persons > 0 and gdp_real > 0:
        tr.lp_hist.append(np.log(gdp_real / emp_persons))
        tr.lp_hist = tr.lp_hist[-(WINDOW + 1) :]
        if len(tr.lp_hist) == WINDOW + 1:
            g = (tr.lp_hist[-1] - tr.lp_hist[0]) / WINDOW
            tr.prod_growth = float(np.clip(np.expm1(g), -0.01, 0.02))
