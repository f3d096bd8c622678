"""Defence orders: the common defence budget path and how a scenario places equipment orders.

The defence budget (euros a year) is the same in every scenario (docs/model.md §9): FACTS's
EUR 22 bn
(2025) rising linearly to EUR 45 bn (2035), then ``government.defence_share_after_2035`` (3.5%)
of trend GDP. Of each quarter's budget ``government.defence_procurement_share`` is equipment
orders, split over supplying sectors by ``government.defence_mix`` (or with the scenario's
``[defence] defence_tech_share`` aimed at defence_tech) and placed at home with the scenario's
domestic share (default 1 - ``government.defence_import_share``: CPB, more than 60% imported);
the rest of the budget is bought from services. A scenario can announce a stable order stream
(``announced``: defence_tech firms plan capacity on next year's orders) and give domestic
orders dual-use spillovers (``dual_use_spillover`` euros of knowledge per euro, split equally
over semiconductors, digital_ai and defence_tech).
"""

from __future__ import annotations

import numpy as np

from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS, SECTOR_INDEX

DUAL_USE_SECTORS: tuple[str, ...] = ("semiconductors", "digital_ai", "defence_tech")


def budget(eco: EconomyState, year: int) -> float:
    """Defence budget in ``year`` (euros a year), common to every scenario."""
    c = eco.c
    b0, b1 = c("government.defence_budget_2025"), c("government.defence_budget_2035")
    if year <= 2025:
        return b0
    if year <= 2035:
        return b0 + (b1 - b0) * (year - 2025) / 10
    return max(b1, c("government.defence_share_after_2035") * 4 * eco.trend_gdp())


def order_mix(eco: EconomyState) -> np.ndarray:
    """Equipment orders by supplying sector (shares summing to one)."""
    dmix = eco.c("government.defence_mix") / eco.c("government.defence_mix").sum()
    dset = eco.scenario.defence
    dt = SECTOR_INDEX["defence_tech"]
    if dset.defence_tech_share is not None:
        rest = 1.0 - dmix[dt]
        dmix = dmix * (1.0 - dset.defence_tech_share) / rest if rest > 0 else dmix * 0
        dmix[dt] = dset.defence_tech_share
    return dmix


def place_orders(eco: EconomyState, f: QuarterFlows) -> tuple[float, float, np.ndarray]:
    """This quarter's defence spending: returns (budget, equipment orders, orders by sector);
    the domestic share and the dual-use knowledge go into ``f``."""
    c = eco.c
    defence = budget(eco, eco.year) / 4
    proc = defence * c("government.defence_procurement_share")
    dset = eco.scenario.defence
    directed = proc * order_mix(eco)
    default = 1.0 - c("government.defence_import_share")
    dom_share = dset.domestic_share_in(eco.year, default)
    f.defence_procurement = proc
    f.defence_orders = directed
    f.defence_domestic_share_target = dom_share
    # dual-use spillovers: a share of domestic defence orders adds to the knowledge of the
    # dual-use sectors
    dual = np.zeros(N_SECTORS)
    if dset.dual_use_spillover > 0:
        for name in DUAL_USE_SECTORS:
            dual[SECTOR_INDEX[name]] = (
                dset.dual_use_spillover * (directed * dom_share).sum() / len(DUAL_USE_SECTORS)
            )
    f.dual_use_knowledge = dual
    return defence, proc, directed


def capacity_growth(eco: EconomyState) -> float:
    """With an announced order stream, the growth of next year's orders that defence_tech firms
    build capacity for (1 otherwise)."""
    if not eco.scenario.defence.announced:
        return 1.0
    return budget(eco, eco.year + 1) / budget(eco, eco.year)


def domestic_share(f: QuarterFlows) -> float:
    """Share of defence equipment orders produced at home: orders aimed at domestic firms times
    the share of their sector's domestic demand they could serve."""
    proc = f.defence_procurement
    if proc <= 0:
        return 0.0
    return float((f.defence_orders * f.defence_domestic_share_target * f.served_share).sum() / proc)
