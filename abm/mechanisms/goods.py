"""Goods market and exports (``kernels.goods.allocate_demand``), market shares and prices.

Demand per sector and use: household consumption (the plan made last quarter, split by
``sectors.consumption_mix``), government purchases (``abm.mechanisms.government.demand``),
intermediate inputs, investment goods (last quarter's orders, ``sectors.investment_mix``) and
exports X_s = X_s,2025 WD_s(t) (P_s / P_world)^(-epsilon_X), epsilon_X =
``sectors.export_price_elasticity``. Each domestic use imports the share
``sectors.import_share_final`` (scaled so the 2025 market balances: ``abm.mechanisms.balance``);
the rest is shared among the sector's firms by market share
under capacity (inventories incl. this quarter's output); demand no firm can serve is imported
(lost, for exports). Market shares then follow replicator dynamics (docs/model.md §6.6):
f_i <- f_i (1 + chi (E_i - E_s)/|E_s|), E_i = -omega_p p_i/P_s - omega_u unserved_i, with chi,
omega_p, omega_u = ``firms.replicator_chi``, ``firms.price_weight``, ``firms.unfilled_weight``.
The firm-by-firm books after rationing and the share update are one pass over the firms
(``kernels.market.settle_firms``).

World demand: WD_s = (1 + g_0)^tb [(1 - n_s) + n_s N_s(t) / (1 + g_0)^t] exp(z_t), with z_t an
AR(1) world demand shock (z_t = rho z_t-1 + sigma e_t: ``macro.world_shock_persistence``,
``macro.world_shock_sd``, assumptions; drawn from the member's own stream, so scenarios of one
member share it: the source of aggregate fluctuations besides the agents' own), tb years since
the build (the calibrated state, WD = 1 there) and t years since 2026Q1 (0 before): base world
growth g_0 throughout, and from 2026 the niche share n_s grows at the niche rate g_n,s of
FACTS for ``niches.niche_horizon`` years, then its growth decays towards g_0 with time constant
``niches.niche_decay_years`` (docs/model.md §2.4; ``niche_log_level``), so every parameter
variant enters 2026 alike. World prices grow at the euro-area inflation target from 1 at the
build, like domestic prices.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms import government
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS, F, G, H, R
from kernels.goods import allocate_demand
from kernels.market import settle_firms
from kernels.sectors import sector_sums

S = N_SECTORS


def niche_log_level(eco: EconomyState, t: float) -> np.ndarray:
    """Log of the niche part's world demand t years after 2026Q1 (0 at t = 0), by sector.

    The log growth rate is ln(1 + g_n) for the horizon h, then decays exponentially towards
    ln(1 + g_0) with time constant tau (``niches.niche_decay_years``): niches grow out of being
    niches.
    """
    c = eco.c
    ln_n = np.log1p(c("niches.niche_growth"))
    ln_0 = np.log1p(c("niches.base_world_growth"))
    h = c("niches.niche_horizon")
    tau = max(c("niches.niche_decay_years"), 1e-9)
    if t <= h:
        return t * ln_n
    d = t - h
    return h * ln_n + d * ln_0 + (ln_n - ln_0) * tau * (1 - np.exp(-d / tau))


def export_demand(eco: EconomyState, f: QuarterFlows) -> np.ndarray:
    """Export demand (euros per quarter) by sector: world demand times competitiveness."""
    c = eco.c
    t = (eco.quarter + 4 * (eco.start_year - 2026)) / 4  # years since 2026Q1
    tb = (eco.quarter + eco.burn_in) / 4  # years since the build (the calibrated state)
    n = c("niches.niche_share")
    g0 = c("niches.base_world_growth")
    wd = np.full(S, (1 + g0) ** tb)
    if t > 0:
        # the niches' extra growth over base world growth, from 2026
        extra = np.exp(niche_log_level(eco, t) - t * np.log1p(g0))
        wd = wd * ((1 - n) + n * extra)
    # world demand shock: an AR(1) in logs, common to every sector (euro-area business cycle),
    # drawn from the member's goods stream so every scenario of a member sees the same shocks
    sec = eco.sectors
    sec.world_shock = c("macro.world_shock_persistence") * sec.world_shock + c(
        "macro.world_shock_sd"
    ) * float(eco.streams["goods"].standard_normal())
    wd = wd * np.exp(sec.world_shock)
    eco.sectors.world_price = (1 + c("macro.inflation_target")) ** tb
    rel = eco.sectors.price_index / eco.sectors.world_price
    f.world_demand = wd
    return (
        eco.structure.exports0
        * wd
        * np.power(np.maximum(rel, 1e-6), -c("sectors.export_price_elasticity"))
    )


def clear(eco: EconomyState, f: QuarterFlows) -> None:
    """Sell to every use, book the payments, deliver investment goods, update shares and prices."""
    fp = eco.firm_pop
    c = eco.c
    uses = {}
    consumption = eco.households.consumption_plan
    cmix = c("sectors.consumption_mix")
    uses["consumption"] = consumption * cmix / cmix.sum()
    g_regular, g_directed, g_dom_share = government.demand(eco, f)
    uses["government_purchases"] = g_regular + g_directed
    uses["intermediates"] = f.interm_demand
    orders = f.orders
    imix = c("sectors.investment_mix") / c("sectors.investment_mix").sum()
    uses["investment_goods"] = orders.sum() * imix
    m = eco.structure.import_share
    ex = export_demand(eco, f)
    dom = {k: v * (1 - m) for k, v in uses.items()}
    dom["government_purchases"] = g_regular * (1 - m) + g_directed * g_dom_share
    f.g_directed = g_directed
    f.g_directed_dom = g_directed * g_dom_share
    d = sum(dom.values()) + ex
    capacity = fp.inventory * fp.price
    # the rationing and the books run on this thread alone, without the interpreter's lock: the
    # immigration uniforms run beside them (abm.state.draws; abm.mechanisms.migration.draw_ahead)
    with eco.draws.serial("immigration"):
        sold, unserved = allocate_demand(fp.sector, fp.share, capacity, d, 50)
    served = np.divide(d - unserved, d, out=np.ones(S), where=d > 0)
    f.served_share = served
    sector_sold = sector_sums(fp.sector, sold, S)
    acc = eco.accounts
    payers = {
        "consumption": H,
        "government_purchases": G,
        "intermediates": F,
        "investment_goods": F,
    }
    imports_by_sector = np.zeros(S)
    frac_sold = np.divide(sector_sold, d, out=np.zeros(S), where=d > 0)
    for k, v in uses.items():
        domestic_paid = dom[k] * served  # payer side
        domestic_recv = dom[k] * frac_sold  # payee side (from the firms' sales)
        imp = v - domestic_paid
        imports_by_sector += imp
        acc.pay(k, payers[k], domestic_paid.sum())
        acc.receive(k, F, domestic_recv.sum())
        acc.transfer("imports", payers[k], R, imp.sum())
        setattr(f, k, v)
    exports = ex * served
    acc.pay("exports", R, exports.sum())
    acc.receive("exports", F, (ex * frac_sold).sum())
    f.exports = exports
    f.imports = imports_by_sector
    # money moves
    bs = eco.bs
    bs.deposits_h -= consumption
    bs.deposits_g -= uses["government_purchases"].sum()
    bs.deposits_r += imports_by_sector.sum() - exports.sum()
    # firm by firm (kernels.market): books, sector totals, unserved demand, replicator shares
    p_inv = float(imix @ eco.sectors.price_index)
    (
        fp.cash, f.depreciation, new_capital, sold_real, new_inventory, f.inventory_change,
        f.va_firm, f.va_sector, f.investment_sector, f.real_output_sector,
        f.nominal_output_sector, f.berd, f.berd_sector, fp.unserved, price_index, new_share,
    ) = settle_firms(
        fp.sector, sold, fp.price, fp.output, f.interm_by_firm, orders, fp.cash, fp.capital,
        fp.inventory, fp.rd, fp.share, d, eco.structure.delta_q, p_inv,
        c("firms.price_weight"), c("firms.unfilled_weight"), c("firms.replicator_chi"),
    )  # fmt: skip
    fp.capital, fp.inventory = new_capital, new_inventory
    f.sold = sold
    fp.sales = sold
    fp.sales_real = sold_real
    eco.sectors.price_index = price_index
    fp.share_prev = fp.share
    fp.share = new_share
    f.demand_total = d
