"""The R&D tax credit (WBSO-like): a credit on R&D wage costs with brackets and a start-up rate.

Per real firm, on annual R&D wage cost W: credit = r_1 min(W, bracket) + r_2 max(W - bracket, 0),
with r_1 = ``rate_starter`` for firms younger than 5 years (20 quarters) and ``rate_first``
otherwise, r_2 = ``rate_second``, each times the rate scale that keeps the credit on its budget
path (``abm.policy.budget``) and capped at 1 (FACTS: WBSO 2025 36% up to EUR 380k, 16% above,
starters 50%). Paid in cash each quarter: the WBSO's wage-tax reduction is worth cash to the
firm (a subsidy from government to firms). A scenario has at most one credit.
"""

from __future__ import annotations

import numpy as np

from abm.policy.budget import active, by_firm_sector, spend
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from kernels.rd import rd_credit

INSTRUMENT = "rd_tax_credit"
STARTER_AGE_QUARTERS = 20


def credit(eco: EconomyState, f: QuarterFlows) -> np.ndarray:
    """This quarter's credit per firm agent (euros, the total of the real firms it stands for)."""
    fp = eco.firm_pop
    out = np.zeros(len(fp))
    for i, p in active(eco, INSTRUMENT):
        sp = p.spec
        mask = sp.target_mask(eco.structure.size_weights)[fp.sector] > 0
        scale_r = float(eco.programme_pop.rate_scale[i])
        rates = tuple(
            map(float, (sp.rate_starter, sp.rate_first, sp.rate_second, scale_r, sp.bracket))
        )
        # the formula of the module docstring, firm by firm (kernels.rd.rd_credit)
        out = rd_credit(f.rd_wages, fp.weight, fp.age, mask, rates, STARTER_AGE_QUARTERS)
        spend(eco, i, float(out.sum()), by_firm_sector(eco, out))
        break
    return out
