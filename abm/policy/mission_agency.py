"""A DARPA-like mission agency: research that widens the target sectors' technological opportunity.

A ``mission_agency`` programme spends a quarter of its yearly budget each quarter on purchases
from services (the agency's research), counted once, as public R&D. Each quarter's mission
succeeds with probability 1 - ``failure_probability`` (one draw from the ``programmes``
stream); a successful mission's research reaches the target sectors ``delay_quarters`` later as
a stock of mission research M_s (depreciating like knowledge) that widens their technological
opportunity, as mission-oriented public research does in Dosi, Lamperti, Mazzucato, Napoletano &
Roventini (2023): the upper bound of the innovation draws rises to x_high (1 + phi M_s / K_s),
with K_s the sector's knowledge stock and phi = ``rd.mission_opportunity`` (an assumption with
a range). There is no hard-wired leverage: what a mission yields is the larger innovations it
makes possible. FACTS: proposed, "partly financed from the shrinking generic fiscal
instruments".
"""

from __future__ import annotations

import numpy as np

from abm.policy.budget import active, quarter_budget, spend
from abm.policy.purchases import Purchases
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS, SECTOR_INDEX

INSTRUMENT = "mission_agency"


def commission(eco: EconomyState, f: QuarterFlows, out: Purchases) -> None:
    """This quarter's missions: purchases from services, and the research they will yield."""
    services = SECTOR_INDEX["services"]
    f.mission_spend = 0.0
    for i, p in active(eco, INSTRUMENT):
        amt = quarter_budget(eco, i)
        out.regular[services] += amt
        f.mission_spend += amt
        mask = p.spec.target_mask(eco.structure.size_weights)
        spend(eco, i, amt, mask)
        ok = eco.streams["programmes"].random() >= p.spec.failure_probability
        if ok:
            research = amt * mask / mask.sum()
            eco.policy.mission_pipeline.append((eco.quarter + p.spec.delay_quarters, research))


def arrivals(eco: EconomyState) -> np.ndarray:
    """Research of the missions due this quarter, by sector (removed from the pipeline)."""
    pipe = eco.policy.mission_pipeline
    out = np.zeros(N_SECTORS)
    due = [m for m in pipe if m[0] <= eco.quarter]
    eco.policy.mission_pipeline = [m for m in pipe if m[0] > eco.quarter]
    for _, v in due:
        out += v
    return out


def widening(eco: EconomyState, knowledge: np.ndarray) -> np.ndarray:
    """Add this quarter's arrivals to the mission research stock (depreciating like knowledge)
    and return each sector's widening of the innovation draws, phi M_s / K_s."""
    pol = eco.policy
    dk = eco.c("rd.knowledge_depreciation") / 4
    pol.mission_stock = (1 - dk) * pol.mission_stock + arrivals(eco)
    return eco.c("rd.mission_opportunity") * np.divide(
        pol.mission_stock, knowledge, out=np.zeros(N_SECTORS), where=knowledge > 0
    )
