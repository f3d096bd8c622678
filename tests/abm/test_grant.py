"""Competitive grants (abm/policy/grant.py): best-first selection within the budget."""

import numpy as np
import pytest

from abm.policy.grant import best_first


def _award(rows, ask, budget):
    g = np.zeros(ask.size)
    before = np.cumsum(ask[rows]) - ask[rows]
    g[rows] = np.clip(budget - before, 0.0, ask[rows])
    return g


@pytest.mark.parametrize("seed", range(40))
def test_best_first_is_the_full_stable_ranking_as_far_as_the_budget_reaches(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    score = rng.normal(size=n)
    if seed % 3 == 0:
        score = np.round(score, 1)  # ties: row order decides, as in a stable sort
    score[rng.random(n) < 0.3] = -np.inf  # firms without a proposal
    ask = np.where(np.isfinite(score), rng.random(n), 0.0)
    budget = float(ask.sum() * rng.choice([0.001, 0.05, 0.5, 1.5]))
    order = np.argsort(-score, kind="stable")
    full = order[np.isfinite(score[order])]
    got = best_first(score, ask, budget)
    assert np.array_equal(got, full[: got.size])
    assert got.size == full.size or np.cumsum(ask[got])[-1] >= budget
    assert np.array_equal(_award(got, ask, budget), _award(full, ask, budget))


@pytest.mark.parametrize("budget", [np.inf, 1e308, 0.0])
def test_best_first_with_a_boundless_or_empty_budget(budget):
    rng = np.random.default_rng(7)
    score = rng.normal(size=2000)
    ask = np.full(2000, 5e-324) if budget == 1e308 else rng.random(2000)
    full = np.argsort(-score, kind="stable")
    got = best_first(score, ask, budget)
    assert np.array_equal(got, full[: got.size])
    assert np.array_equal(_award(got, ask, budget), _award(full, ask, budget))


@pytest.mark.parametrize("k", [0, 1, 5, 99, 100, 150])
def test_smallest_first_is_the_head_of_a_stable_argsort(k):
    """Talent programmes pick the ``need`` people abroad with the smallest draws: the head of a
    stable argsort, ties included, whatever ``k``."""
    from abm.policy.talent_attraction import smallest_first

    rng = np.random.default_rng(k)
    v = rng.integers(0, 30, 100).astype(float)  # many ties
    np.testing.assert_array_equal(smallest_first(v, k), np.argsort(v, kind="stable")[:k])
    u = rng.random(100)
    np.testing.assert_array_equal(smallest_first(u, k), np.argsort(u, kind="stable")[:k])
