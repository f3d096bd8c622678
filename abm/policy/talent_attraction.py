"""Talent attraction: programmes that raise high-skill immigration.

A ``talent_attraction`` programme spends a quarter of its yearly budget each quarter on
purchases from services (recruitment, allowances administered at home). It multiplies the
immigration probability of high-skill people abroad by 1 + b x ``labour.talent_boost_per_100m``
with b = budget / EUR 100 m x ``immigration_boost``; a programme with a list of target sectors
recruits technical (STEM) high-skill talent only. The coefficient is an assumption (issue #11
replaces it with a price per additional person from the evidence on the 30% ruling).
"""

from __future__ import annotations

import numpy as np

from abm.policy.budget import active, quarter_budget, spend
from abm.policy.purchases import Purchases
from abm.state.economy import EconomyState
from abm.state.sectors import HIGH, SECTOR_INDEX

INSTRUMENT = "talent_attraction"


def purchase(eco: EconomyState, out: Purchases) -> None:
    """This quarter's programme outlays (purchases from services)."""
    services = SECTOR_INDEX["services"]
    for i, _p in active(eco, INSTRUMENT):
        amt = quarter_budget(eco, i)
        out.regular[services] += amt
        spend(eco, i, amt)


def immigration_boost(eco: EconomyState, abroad_rows: np.ndarray) -> np.ndarray:
    """Multiplier of each foreign-pool member's immigration probability (1 without a programme)."""
    tp = eco.talent_pop
    boost = np.ones(abroad_rows.size)
    for i, p in active(eco, INSTRUMENT):
        b = eco.programme_pop.budget_year[i] / 1e8 * p.spec.immigration_boost
        # targeted programmes recruit technical (STEM) high-skill talent for their sectors
        aim = tp.skill[abroad_rows] == HIGH
        if isinstance(p.spec.targets, list):
            aim &= tp.field[abroad_rows] == 1
        boost = boost + np.where(aim, eco.c("labour.talent_boost_per_100m") * b, 0.0)
    return boost
