"""Competitive R&D grants: noisy selection of proposals, best-scored first, within the budget.

Firms in the target sectors submit proposals of ``grant_share`` of their planned R&D. A
proposal's score is the firm's log productivity relative to its sector's output-weighted mean
plus normal noise with standard deviation ``selection_noise`` (drawn from the firm's own
shock through the inverse error function: ``kernels.policy.grant_scores``), so noisy selection
can "pick losers"; proposals are funded best-first within the
quarter's budget, the marginal one in part, so the budget is spent whenever the proposals add
up to it. Selection noise and grant share are scenario assumptions.
"""

from __future__ import annotations

import numpy as np

from abm.policy.budget import active, by_firm_sector, quarter_budget, spend
from abm.policy.selection import rows_up_to_kth
from abm.state.economy import EconomyState, Shock
from abm.state.flows import QuarterFlows
from kernels.policy import grant_scores, grant_scores_parallel
from kernels.sort import argsort_descending

INSTRUMENT = "grant"


def award(eco: EconomyState, f: QuarterFlows) -> np.ndarray:
    """This quarter's grants per firm agent (euros)."""
    fp = eco.firm_pop
    n = len(fp)
    grants = np.zeros(n)
    for i, p in active(eco, INSTRUMENT):
        sp = p.spec
        mask = sp.target_mask(eco.structure.size_weights)[fp.sector] > 0
        budget = quarter_budget(eco, i)
        ask = np.where(mask, sp.grant_share * fp.rd_target, 0.0)
        key0, key1, q = eco.shock_key()
        scores = grant_scores_parallel if eco.threads > 1 else grant_scores
        score = scores(
            fp.productivity, fp.sector, eco.sector_mean_productivity(), ask, fp.key,
            key0, key1, q, int(Shock.GRANT), float(sp.selection_noise),
        )  # fmt: skip
        ranked = best_first(score, ask, budget)
        before = np.cumsum(ask[ranked]) - ask[ranked]
        g = np.zeros(n)
        g[ranked] = np.clip(budget - before, 0.0, ask[ranked])
        grants += g
        spend(eco, i, float(g.sum()), by_firm_sector(eco, g))
    return grants


def best_first(score: np.ndarray, ask: np.ndarray, budget: float) -> np.ndarray:
    """The rows with a finite score, best first (ties in row order), as far as the budget reaches.

    The same rows, in the same order, as the first rows of ``np.argsort(-score, kind="stable")``
    restricted to finite scores, up to the first row at which the running sum of ``ask`` reaches
    ``budget``; the rows after it get nothing (their asks start at or above the budget), so the
    award is the same to the bit. Only the best ``k`` proposals are sorted (``k`` starts at twice
    the number of average asks the budget pays and grows fourfold until their asks cover the
    budget) instead of every firm's, by a radix sort (``kernels.sort.argsort_descending``: the
    order of numpy's stable sort; 8.1 ms of a 1:1 quarter with numpy's).
    """
    fin = np.flatnonzero(np.isfinite(score))
    good = score[fin]
    neg = -good
    mean_ask = float(ask[fin].mean()) if fin.size else 0.0
    # a first guess: twice the proposals of an average ask the budget pays (only the speed
    # depends on it)
    guess = 2.0 * budget / mean_ask if mean_ask > 0 else np.inf
    k = max(256, int(guess)) if np.isfinite(guess) else fin.size
    while k < fin.size:
        top = rows_up_to_kth(neg, k)  # every tie of the k-th score, in row order
        order = fin[top[argsort_descending(good[top])]]  # np.argsort(neg[top], "stable")
        if np.cumsum(ask[order])[-1] >= budget:
            return order
        k *= 4
    return fin[argsort_descending(good)]
