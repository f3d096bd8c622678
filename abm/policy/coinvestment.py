"""Public co-investment: a state fund that matches private capital in its target sectors.

A ``coinvestment`` programme commits a quarter of its yearly budget each quarter (counted at
its committed amount in the equal-budget sum, DESIGN §3; money not placed lapses), spread over
its target sectors by ``target_mask``. Within a sector the capital market funds requests best
prospects first, the fund adding ``match_ratio`` euros per private euro while it has money
(``kernels.capital.fund_requests``). The fund's intensity I_s is its money with the private match
over the sector's replacement investment (at most 1): investors see the risk of a co-invested
sector lowered by ``finance.coinvest_risk_relief`` x m/(1+m) x I_s (so the relief has a size:
a small fund in a large sector barely moves it), and firms there want more capital (cheaper,
less risky expansion capital): desired capital x (1 + ``finance.coinvest_crowding_in`` x I_s). Both
coefficients are assumptions.
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
    """Factor on the capital firms want, by sector: 1 + crowd x intensity."""
    intensity = np.minimum(
        1.0,
        np.divide(
            f.coinvest_budget * (1 + f.coinvest_match),
            eco.structure.delta_q * capital_value,
            out=np.zeros(S),
            where=capital_value > 0,
        ),
    )
    f.coinvest_intensity = intensity
    return 1 + eco.c("finance.coinvest_crowding_in") * intensity


def risk_relief(eco: EconomyState, f: QuarterFlows) -> np.ndarray:
    """Factor on the risk investors see in each sector: relief x public share of matched money x
    the fund's size relative to the sector's replacement investment (at most 1)."""
    return 1 - eco.c("finance.coinvest_risk_relief") * f.coinvest_share * f.coinvest_intensity


def commit(eco: EconomyState) -> None:
    """Book this quarter's commitments (the budget, placed or not)."""
    for i, p in active(eco, INSTRUMENT):
        mask = p.spec.target_mask(eco.structure.size_weights)
        spend(eco, i, float(quarter_budget(eco, i)), mask)
