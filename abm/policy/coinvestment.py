"""Public co-investment: a state fund that matches private capital in its target sectors.

A ``coinvestment`` programme commits a quarter of its yearly budget each quarter (counted at
its committed amount in the equal-budget sum, DESIGN §3; money not placed lapses), spread over
its target sectors by ``target_mask``. Within a sector the capital market funds requests best
prospects first, the fund adding ``match_ratio`` euros per private euro while it has money
(``kernels.capital.fund_requests``). Investors see the risk of a co-invested sector lowered by
``finance.coinvest_risk_relief`` times the public share m/(1+m) of matched money, and firms
there invest beyond their capacity gap (cheaper, less risky expansion capital) by
``finance.coinvest_crowding_in`` times the fund's intensity (public money with its private
match over the sector's replacement investment). Both coefficients are assumptions.
"""

from __future__ import annotations

import numpy as np

from abm.policy.budget import active, quarter_budget, spend
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS

INSTRUMENT = "coinvestment"
S = N_SECTORS


def offer(eco: EconomyState, f: QuarterFlows) -> None:
    """This quarter's public money, match ratio and public share of matched money by sector."""
    share = np.zeros(S)
    budget = np.zeros(S)
    match = np.zeros(S)
    for i, p in active(eco, INSTRUMENT):
        mask = p.spec.target_mask(eco.structure.size_weights)
        budget += quarter_budget(eco, i) * mask / mask.sum()
        match = np.maximum(match, p.spec.match_ratio * (mask > 0))
        share = np.maximum(share, (mask > 0) * p.spec.match_ratio / (1 + p.spec.match_ratio))
    f.coinvest_share = share
    f.coinvest_budget = budget
    f.coinvest_match = match


def crowding_in(eco: EconomyState, f: QuarterFlows, capital_value: np.ndarray) -> np.ndarray:
    """Factor on a firm's wanted investment by sector: 1 + crowd x intensity."""
    intensity = np.minimum(
        1.0,
        np.divide(
            f.coinvest_budget * (1 + f.coinvest_match),
            eco.structure.delta_q * capital_value,
            out=np.zeros(S),
            where=capital_value > 0,
        ),
    )
    return 1 + eco.c("finance.coinvest_crowding_in") * intensity


def risk_relief(eco: EconomyState, f: QuarterFlows) -> np.ndarray:
    """Factor on the risk investors see in each sector."""
    return 1 - eco.c("finance.coinvest_risk_relief") * f.coinvest_share


def commit(eco: EconomyState) -> None:
    """Book this quarter's commitments (the budget, placed or not)."""
    for i, _p in active(eco, INSTRUMENT):
        spend(eco, i, float(quarter_budget(eco, i)))
