"""Public research (universities and institutes): the baseline public R&D of every scenario.

A ``public_research`` programme spends a quarter of its yearly budget each quarter on purchases
from services (researchers' work); its knowledge serves the target sectors in proportion to
their share of business R&D (``sectors.rd_share_of_berd``): a sector gains
amt x mask_s w_s / sum(mask w). FACTS: higher education EUR 6,327 m + institutes EUR 1,167 m
(2023, 0.71% of GDP, CBS 84644ENG). It is not innovation-policy money in the equal-budget sum.
"""

from __future__ import annotations

import numpy as np

from abm.policy.budget import active, quarter_budget, spend
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS

INSTRUMENT = "public_research"


def split(eco: EconomyState) -> np.ndarray:
    """Share of public research whose knowledge serves each sector (by BERD shares)."""
    w = eco.c("sectors.rd_share_of_berd")
    return w / w.sum()


def pay(eco: EconomyState, f: QuarterFlows) -> float:
    """This quarter's public research (euros); its knowledge by sector in ``f``."""
    total = 0.0
    f.public_rd_knowledge = np.zeros(N_SECTORS)
    for i, p in active(eco, INSTRUMENT):
        amt = quarter_budget(eco, i)
        total += amt
        mask = p.spec.target_mask(eco.structure.size_weights) * split(eco)
        spend(eco, i, amt, mask)
        f.public_rd_knowledge += amt * mask / mask.sum()
    return total
