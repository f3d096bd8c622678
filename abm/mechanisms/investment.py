"""Investment demand: capacity for trend demand, lumpy orders, grid congestion.

Desired capital K* = T_i (1 + g_s) / (kappa_s u*) for next quarter (when an order made now is
delivered), with T_i the firm's trend demand (a slow average of expected demand, weight
``firms.trend_weight``), g_s the sector's real demand growth and
u* the calibrated utilisation (FACTS: capital-output ratio, depreciation). A firm orders the
whole gap K* - (1 - delta) K once it exceeds a threshold drawn each quarter uniformly on
[0, 2 ``firms.investment_threshold``] times its capital (lumpy investment). Co-investment crowds
in targeted sectors (``abm.policy.coinvestment``: desired capital x (1 + crowd x intensity));
defence_tech firms build
for announced orders (``abm.policy.defence``); energy-intensive sectors may add at most
``grid.congestion_cap`` of their capital a quarter plus what public grid capacity connects
(``abm.policy.grid_capacity``). Orders beyond cash become funding requests: what cash cannot
cover (with ``firms.wage_cash_need`` of the wage bill kept), and at least
``finance.external_finance_share`` of the order (leverage as in practice).
"""

from __future__ import annotations

import numpy as np

from abm.policy import coinvestment, defence
from abm.state.economy import EconomyState, Shock
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS, SECTOR_INDEX

S = N_SECTORS


def sector_capital_value(eco: EconomyState, p_inv: float) -> np.ndarray:
    """Capital by sector at the price of investment goods (euros)."""
    fp = eco.firm_pop
    return np.bincount(fp.sector, weights=fp.capital, minlength=S) * p_inv


def plan(eco: EconomyState, f: QuarterFlows) -> None:
    """Investment orders wanted and funding requests of every firm (module docstring)."""
    fp = eco.firm_pop
    c = eco.c
    st = eco.structure
    p_inv = eco.investment_price()
    util = c("macro.capacity_utilisation")
    g = eco.trends.demand_growth[fp.sector]
    # capacity is planned on trend demand (a slow average), not on this quarter's mood
    fp.sales_trend = fp.sales_trend + c("firms.trend_weight") * (fp.expected - fp.sales_trend)
    kstar = fp.sales_trend * (1 + g) / (st.kappa[fp.sector] * util)
    # co-invested sectors: cheaper, less risky expansion capital raises the capital firms want
    coinvestment.offer(eco, f)
    factor = coinvestment.crowding_in(eco, f, sector_capital_value(eco, p_inv))
    kstar = kstar * factor[fp.sector]
    if eco.scenario.defence.announced:
        # a stable, early-announced order stream: defence_tech firms build capacity for the
        # orders announced for next year (their share of the sector's sales grows with it)
        dt = fp.sector == SECTOR_INDEX["defence_tech"]
        kstar = np.where(dt, kstar * defence.capacity_growth(eco), kstar)
    gap = kstar - fp.capital * (1 - st.delta_q)  # capital next quarter without an order
    # lumpy investment: a firm orders its whole capital gap once the gap exceeds its own
    # threshold, so firms do not invest in lockstep
    thr = c("firms.investment_threshold") * 2.0 * eco.shocks(fp.key, Shock.INVEST)[:, 0]
    want = np.where(gap > thr * fp.capital, gap, 0.0)
    want = _grid_congestion(eco, f, want)
    order = want * p_inv
    need = order + c("firms.wage_cash_need") * f.wage_bill - fp.cash
    f.funding_request = np.maximum(
        np.maximum(need, 0.0), c("finance.external_finance_share") * order
    )
    f.investment_order = order


def _grid_congestion(eco: EconomyState, f: QuarterFlows, want: np.ndarray) -> np.ndarray:
    """Cap the net expansion of energy-intensive firms by the congestion allowance plus the
    capacity public grid programmes have connected, which the expansion beyond the allowance
    then uses up."""
    fp = eco.firm_pop
    c = eco.c
    energy_s = c("sectors.energy_intensive")
    energy = energy_s[fp.sector] > 0
    sec_k = np.bincount(fp.sector, weights=fp.capital, minlength=S)
    allowance = c("grid.congestion_cap") * sec_k + eco.policy.grid_connected
    replacement = eco.structure.delta_q * fp.capital
    net = np.maximum(want - replacement, 0.0) * energy
    growth = np.bincount(fp.sector, weights=net, minlength=S)
    scale_e = np.minimum(1.0, np.divide(allowance, growth, out=np.ones(S), where=growth > 0))
    want = np.where(energy, np.minimum(want, replacement) + net * scale_e[fp.sector], want)
    used = np.bincount(fp.sector, weights=net * scale_e[fp.sector], minlength=S)
    f.grid_use = float(used.sum())
    beyond = np.maximum(used - c("grid.congestion_cap") * sec_k, 0.0)
    eco.policy.grid_connected = np.maximum(eco.policy.grid_connected - beyond, 0.0)
    f.grid_allowance = float(np.sum(allowance * energy_s))
    return want
