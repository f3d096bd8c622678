"""Strategic public procurement: orders placed in the target sectors with a domestic share.

A ``procurement`` programme spends a quarter of its yearly budget each quarter as orders split
equally over its target sectors (``target_mask``); the domestic share ``domestic_share`` rises
linearly to ``domestic_share_end`` (when given) between the programme's start and end years,
share(t) = s_0 + min(max((year - start)/(end - start), 0), 1) (s_1 - s_0); the rest is bought
abroad. Shares are scenario assumptions (FACTS names "demand stimulation by strategic
public/EU procurement" without figures).
"""

from __future__ import annotations

from abm.policy.budget import active, quarter_budget, spend
from abm.policy.purchases import Purchases
from abm.state.economy import EconomyState

INSTRUMENT = "procurement"


def place_orders(eco: EconomyState, out: Purchases) -> None:
    """Add this quarter's procurement orders to ``out.directed`` / ``out.directed_dom``."""
    for i, p in active(eco, INSTRUMENT):
        sp = p.spec
        amt = quarter_budget(eco, i)
        mask = sp.target_mask(eco.structure.size_weights)
        share = sp.domestic_share
        if sp.domestic_share_end is not None and sp.end > sp.start:
            f = min(max((eco.year - sp.start) / (sp.end - sp.start), 0.0), 1.0)
            share = share + f * (sp.domestic_share_end - share)
        orders = amt * mask / mask.sum()
        out.directed += orders
        out.directed_dom += orders * share
        spend(eco, i, amt, orders)
