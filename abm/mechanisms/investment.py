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
from kernels.investment import investment_orders, investment_wanted
from kernels.sectors import sector_sums

S = N_SECTORS


def sector_capital_value(eco: EconomyState, p_inv: float) -> np.ndarray:
    """Capital by sector at the price of investment goods (euros)."""
    fp = eco.firm_pop
    return sector_sums(fp.sector, fp.capital, S) * p_inv


def plan(eco: EconomyState, f: QuarterFlows) -> None:
    """Investment orders wanted and funding requests of every firm (module docstring), in two
    compiled passes (``kernels.investment``) around the grid's sector sums."""
    fp = eco.firm_pop
    c = eco.c
    st = eco.structure
    p_inv = eco.investment_price()
    sec_k = sector_sums(fp.sector, fp.capital, S)
    # co-invested sectors: cheaper, less risky expansion capital raises the capital firms want
    coinvestment.offer(eco, f)
    factor = coinvestment.crowding_in(eco, f, sec_k * p_inv)  # sector_capital_value
    # a stable, early-announced order stream: defence_tech firms build capacity for the orders
    # announced for next year (their share of the sector's sales grows with it)
    announced = bool(eco.scenario.defence.announced)
    boost = float(defence.capacity_growth(eco)) if announced else 1.0
    energy_s = np.asarray(c("sectors.energy_intensive"), dtype=np.float64)
    key0, key1, q = eco.shock_key()
    # capacity is planned on trend demand (a slow average), not on this quarter's mood; lumpy
    # investment: a firm orders its whole capital gap once the gap exceeds its own threshold,
    # so firms do not invest in lockstep
    with eco.draws.serial():  # one thread, without the GIL: queued draws run beside it
        fp.sales_trend, want, replacement, net, growth = investment_wanted(
            fp.sector, fp.sales_trend, fp.expected, fp.capital, fp.key,
            float(c("firms.trend_weight")), eco.trends.demand_growth, st.kappa,
            float(c("macro.capacity_utilisation")), factor,
            SECTOR_INDEX["defence_tech"] if announced else -1, boost, float(st.delta_q),
            float(c("firms.investment_threshold") * 2.0), energy_s, key0, key1, q,
            int(Shock.INVEST),
        )  # fmt: skip
    # energy-intensive sectors: the grid carries the congestion allowance plus the capacity
    # public grid programmes have connected; the expansion beyond the allowance uses that up
    allowance = c("grid.congestion_cap") * sec_k + eco.policy.grid_connected
    grid_scale = np.minimum(1.0, np.divide(allowance, growth, out=np.ones(S), where=growth > 0))
    f.investment_order, f.funding_request, used = investment_orders(
        fp.sector, want, replacement, net, energy_s, grid_scale, float(p_inv),
        float(c("firms.wage_cash_need")), f.wage_bill, fp.cash,
        float(c("finance.external_finance_share")),
    )  # fmt: skip
    f.grid_use = float(used.sum())
    beyond = np.maximum(used - c("grid.congestion_cap") * sec_k, 0.0)
    eco.policy.grid_connected = np.maximum(eco.policy.grid_connected - beyond, 0.0)
    f.grid_allowance = float(np.sum(allowance * energy_s))
