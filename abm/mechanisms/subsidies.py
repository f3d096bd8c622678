"""Subsidies to firms' R&D: the tax credit and grants are paid, and the R&D user cost follows.

The R&D tax credit (``abm.policy.rd_tax_credit``) and competitive grants (``abm.policy.grant``)
are paid in cash from government to firms (the subsidies row of the flow matrix); with the
innovation box benefit booked in the incomes step they set each firm's R&D user cost for next
quarter's R&D decision (``abm.mechanisms.innovation.update_user_cost``).
"""

from __future__ import annotations

from abm.mechanisms.innovation import update_user_cost
from abm.policy import grant, rd_tax_credit
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS, F, G
from kernels.sectors import sector_sums


def pay(eco: EconomyState, f: QuarterFlows) -> None:
    """Pay this quarter's credit and grants and update the user cost."""
    fp = eco.firm_pop
    credit = rd_tax_credit.credit(eco, f)
    grants = grant.award(eco, f)
    total = credit + grants
    fp.cash = fp.cash + total
    eco.bs.deposits_g -= total.sum()
    eco.accounts.pay("subsidies", G, total.sum())
    eco.accounts.receive("subsidies", F, credit.sum() + grants.sum())
    fp.grant_received = grants
    fp.credit = credit
    update_user_cost(eco, f, credit, grants)
    f.credit = credit.sum()
    f.grants = grants.sum()
    f.grants_sector = sector_sums(fp.sector, grants, N_SECTORS)
