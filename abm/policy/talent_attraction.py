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
from kernels.migration import abroad_uniforms
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


def _high_abroad_key(eco: EconomyState) -> tuple[int, int]:
    """What the draws of the high-skill people abroad depend on besides their rows: the quarter
    and the number of talent rows (rows change only in migration and education)."""
    return eco.quarter, len(eco.talent_pop)


def _high_abroad_compute(eco: EconomyState):
    """The high-skill rows abroad and their own shocks (``Shock.ATTRACT``, the numbers
    ``eco.shocks`` gives), by ``kernels.migration.abroad_uniforms``."""
    tp = eco.talent_pop
    key0, key1, q = eco.shock_key()
    ids, abroad, skill, mechanism = tp.id, tp.abroad, tp.skill, int(Shock.ATTRACT)
    return lambda: abroad_uniforms(ids, abroad, skill, HIGH, key0, key1, q, mechanism)


def draw_ahead(eco: EconomyState) -> None:
    """Queue the shocks of the high-skill people abroad, among whom the programmes choose, for
    the helper thread (with ``threads > 1``; ``abm.state.draws``): keyed draws of (seed, agent id,
    quarter), and the rows abroad do not change before migration. The model queues them after
    the exits, and the entrants' Mesa registration (Python on the model's thread) starts them
    (docs/performance.md, sixteenth session: beside the exits' shorter deregistration they kept
    the helper busy during the exits' drop of firm rows, which then ran on one thread)."""
    if active(eco, INSTRUMENT):
        eco.draws.ahead_keyed(INSTRUMENT, _high_abroad_key(eco), _high_abroad_compute(eco))


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
    # the attracted people still resident, by programme (marks abroad are this quarter's picks),
    # and the shortfall of each programme
    resident = marked_residents(tp.attracted, tp.abroad, len(eco.programme_pop) + 1)
    needs = []
    for i, p in programmes:
        target = eco.programme_pop.budget_year[i] * p.spec.immigration_boost / price / eco.scale
        held = int(resident[i + 1])
        u = eco.shocks(np.array([eco.programme_pop.id[i]], np.int64), Shock.ATTRACT)[0, 0]
        needs.append((i, p, int(np.floor(target - held + u))))
    if all(need <= 0 for _, _, need in needs):
        eco.draws.drop_keyed(INSTRUMENT)  # drawn ahead for nothing (threads > 1)
        return np.zeros(0, np.int64)
    # the high-skill rows abroad (in row order, as in abroad_rows: where each is there) and their
    # shocks: drawn ahead on the helper thread with threads > 1, for those rows here otherwise
    at = np.flatnonzero(tp.skill[abroad_rows] == HIGH)

    def here() -> tuple[np.ndarray, np.ndarray]:
        rows = abroad_rows[at]
        return rows, eco.shocks(tp.id[rows], Shock.ATTRACT)[:, 0]

    high_rows, shock = eco.draws.take_keyed(INSTRUMENT, _high_abroad_key(eco), here)
    if not np.array_equal(abroad_rows[at], high_rows):  # one gather: a guard for the future
        raise RuntimeError("talent attraction: the rows abroad changed after their draws")
    for i, p, need in needs:
        if need <= 0:
            continue
        eligible = ~taken[at]
        if isinstance(p.spec.targets, list):
            eligible &= tp.field[high_rows] == 1
        pick = np.flatnonzero(eligible)
        if pick.size == 0:
            continue
        cand = high_rows[pick]
        chosen = cand[smallest_first(shock[pick], need)]
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
