"""A DARPA-like mission agency: public research aimed at the target sectors, with delay and risk.

A ``mission_agency`` programme spends a quarter of its yearly budget each quarter on purchases
from services (the agency's research). Each quarter's mission succeeds with probability
1 - ``failure_probability`` (one draw from the ``programmes`` stream); a successful mission's
knowledge, ``rd.mission_leverage`` times its money (an assumption), reaches the target sectors'
knowledge stocks ``delay_quarters`` later. FACTS: proposed, "partly financed from the shrinking
generic fiscal instruments"; Dosi et al. (2023) on missions against subsidies.
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
    """This quarter's missions: purchases from services, and the knowledge they will yield."""
    services = SECTOR_INDEX["services"]
    f.mission_spend = 0.0
    for i, p in active(eco, INSTRUMENT):
        amt = quarter_budget(eco, i)
        out.regular[services] += amt
        f.mission_spend += amt
        spend(eco, i, amt)
        ok = eco.streams["programmes"].random() >= p.spec.failure_probability
        mask = p.spec.target_mask(eco.structure.size_weights)
        if ok:
            knowledge = amt * eco.c("rd.mission_leverage") * mask / mask.sum()
            eco.policy.mission_pipeline.append((eco.quarter + p.spec.delay_quarters, knowledge))


def arrivals(eco: EconomyState) -> np.ndarray:
    """Knowledge of the missions due this quarter, by sector (removed from the pipeline)."""
    pipe = eco.policy.mission_pipeline
    out = np.zeros(N_SECTORS)
    due = [m for m in pipe if m[0] <= eco.quarter]
    eco.policy.mission_pipeline = [m for m in pipe if m[0] > eco.quarter]
    for _, v in due:
        out += v
    return out
