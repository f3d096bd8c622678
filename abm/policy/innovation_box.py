"""The innovation box: a lower corporate tax rate on innovation profits.

The qualifying share of a firm's profit is ``rd.box_qualifying_multiple`` times its R&D over
sales, capped at ``rd.box_qualifying_cap`` (an assumption: profits that come from R&D), scaled
by the budget tracking's rate scale (the preference is capped by the statutory rate, so scaling
the rate alone could not reach every budget) and capped at 1. Its tax saving is
(t_high - ``box_rate``) x qualifying share x profit, at most the tax due. FACTS: 9% effective
rate; cost about EUR 1.5-1.9 bn a year, ~75% to the top 10 users (SEO evaluation 2010-2019).
A scenario has at most one box (the tax code has one).
"""

from __future__ import annotations

import numpy as np

from abm.policy.budget import active, by_firm_sector, spend
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from kernels.incomes import box_tax

INSTRUMENT = "innovation_box"


def tax_after_box(
    eco: EconomyState, f: QuarterFlows, profit: np.ndarray, tax_std: np.ndarray
) -> np.ndarray:
    """Corporate tax after the box; its benefit per firm goes into ``f.box_benefit``."""
    fp = eco.firm_pop
    c = eco.c
    for i, p in active(eco, INSTRUMENT):  # at most one box (module docstring)
        # the qualifying share and the box's saving, firm by firm (kernels.incomes.box_tax)
        tax, f.box_benefit = box_tax(
            profit, tax_std, fp.rd, fp.sales, fp.sector,
            np.asarray(p.spec.target_mask(eco.structure.size_weights), dtype=np.float64),
            float(c("rd.box_qualifying_multiple")), float(c("rd.box_qualifying_cap")),
            float(eco.programme_pop.rate_scale[i]),
            float(max(c("government.corporate_rate_high") - p.spec.box_rate, 0.0)),
        )  # fmt: skip
        spend(eco, i, float(f.box_benefit.sum()), by_firm_sector(eco, f.box_benefit))
        return tax
    tax = np.maximum(tax_std, 0.0)  # no box: the standard tax (x - 0.0 is x, to the bit)
    f.box_benefit = tax_std - tax
    return tax
