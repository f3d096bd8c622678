"""Grid capacity: public investment that connects energy-intensive expansion.

A ``grid_capacity`` programme spends a quarter of its yearly budget each quarter, bought from
other industry (``grid.supply_other_industry_share``) and services (the rest). Each euro adds
1 / ``grid.grid_cost_per_capacity`` euros of connectable capital to its energy-intensive target
sectors (``sectors.energy_intensive``), in proportion to their targeting weight. The investment
mechanism caps energy-intensive expansion at ``grid.congestion_cap`` of capital a quarter plus
this connected capacity, which the expansion then uses up (FACTS: 9,396 firms waiting for
5,116 MW, June 2024; the cost per unit of capacity is an assumption).
"""

from __future__ import annotations

from abm.policy.budget import active, quarter_budget, spend
from abm.policy.purchases import Purchases
from abm.state.economy import EconomyState
from abm.state.sectors import SECTOR_INDEX

INSTRUMENT = "grid_capacity"


def build(eco: EconomyState, out: Purchases) -> None:
    """This quarter's grid investment: purchases, and the capacity it connects."""
    other = eco.c("grid.supply_other_industry_share")
    for i, p in active(eco, INSTRUMENT):
        amt = quarter_budget(eco, i)
        out.regular[SECTOR_INDEX["other_industry"]] += other * amt
        out.regular[SECTOR_INDEX["services"]] += (1 - other) * amt
        mask = p.spec.target_mask(eco.structure.size_weights) * eco.c("sectors.energy_intensive")
        spend(
            eco, i, amt, mask if mask.sum() > 0 else p.spec.target_mask(eco.structure.size_weights)
        )
        if mask.sum() > 0:
            eco.policy.grid_connected += (
                amt / eco.c("grid.grid_cost_per_capacity") * mask / mask.sum()
            )
