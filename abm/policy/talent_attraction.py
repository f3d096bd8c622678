"""Talent attraction: a programme that buys additional high-skill residents at a price per person.

A ``talent_attraction`` programme spends a quarter of its yearly budget each quarter on purchases
from services (recruitment and allowances administered at home). It keeps a stock of additional
residents N* = B e / p, with B the yearly budget, p = ``labour.talent_cost_per_resident`` (FACTS,
30% ruling: EUR 1.1 bn a year for 1,765-5,575 additional workers in the country, i.e. EUR
200k-620k a year per additional worker) and e the scenario's ``immigration_boost`` (1 = the
evidence). The price is per additional resident-year and the figure is a stock, so departures and
deadweight (most of the money goes to people who would have come anyway) are inside it: each
quarter the programme recruits the shortfall between N* and the attracted people still resident
(stochastic rounding to agents with a programme-level draw), choosing among high-skill people
abroad by their own shock (technical people when the targets are a list of sectors: the same
money buys the same headcount whatever field it aims at). Attracted people arrive, search for
work, pay taxes, and may leave like anyone else; those who leave are replaced.
"""

from __future__ import annotations

import numpy as np

from abm.policy.budget import active, quarter_budget, spend
from abm.policy.purchases import Purchases
from abm.policy.selection import rows_up_to_kth
from abm.state.economy import EconomyState, Shock
from abm.state.sectors import HIGH, SECTOR_INDEX
from kernels.talent import marked_residents

INSTRUMENT = "talent_attraction"


def purchase(eco: EconomyState, out: Purchases) -> None:
    """This quarter's programme outlays (purchases from services)."""
    services = SECTOR_INDEX["services"]
    for i, p in active(eco, INSTRUMENT):
        amt = quarter_budget(eco, i)
        out.regular[services] += amt
        # the sectors it recruits for: its targets, or all sectors by size
        aim = (
            p.spec.target_mask(eco.structure.size_weights)
            if isinstance(p.spec.targets, list)
            else eco.structure.size_weights
        )
        spend(eco, i, amt, aim)


def recruit(eco: EconomyState, abroad_rows: np.ndarray, arriving: np.ndarray) -> np.ndarray:
    """Talent rows (among ``abroad_rows``, not already ``arriving``) the programmes bring in this
    quarter; they are marked with their programme in the ``attracted`` field."""
    tp = eco.talent_pop
    out = []
    price = eco.c("labour.talent_cost_per_resident")
    taken = arriving.copy()
    programmes = active(eco, INSTRUMENT)
    if not programmes:
        return np.zeros(0, np.int64)
    # the attracted people still resident, by programme (marks abroad are this quarter's picks)
    resident = marked_residents(tp.attracted, tp.abroad, len(eco.programme_pop) + 1)
    for i, p in programmes:
        target = eco.programme_pop.budget_year[i] * p.spec.immigration_boost / price / eco.scale
        held = int(resident[i + 1])
        u = eco.shocks(np.array([eco.programme_pop.id[i]], np.int64), Shock.ATTRACT)[0, 0]
        need = int(np.floor(target - held + u))
        if need <= 0:
            continue
        eligible = (tp.skill[abroad_rows] == HIGH) & ~taken
        if isinstance(p.spec.targets, list):
            eligible &= tp.field[abroad_rows] == 1
        # np.compress, not abroad_rows[eligible]: numpy's boolean index branches per element,
        # 6.3 against 1.7 ms for 1.5 million rows about half eligible (docs/performance.md)
        cand = np.compress(eligible, abroad_rows)
        if cand.size == 0:
            continue
        draw = eco.shocks(tp.id[cand], Shock.ATTRACT)[:, 0]
        chosen = cand[smallest_first(draw, need)]
        tp.arrays["attracted"][chosen] = i + 1
        taken[np.searchsorted(abroad_rows, chosen)] = True
        out.append(chosen)
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def smallest_first(values: np.ndarray, k: int) -> np.ndarray:
    """``np.argsort(values, kind="stable")[:k]`` (the rows of the ``k`` smallest values, ties in
    row order), sorting only the values up to the ``k``-th smallest instead of all of them."""
    n = values.shape[0]
    if k >= n:
        return np.argsort(values, kind="stable")
    if k <= 0:
        return np.zeros(0, np.int64)
    top = rows_up_to_kth(values, k)  # every tie of the k-th value, in row order
    return top[np.argsort(values[top], kind="stable")][:k]
