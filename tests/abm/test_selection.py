"""Selecting the k best of many (abm/policy/selection.py): the same rows as a full partition."""

import numpy as np
import pytest

from abm.policy import selection
from abm.policy.grant import best_first
from abm.policy.selection import rows_up_to_kth
from abm.policy.talent_attraction import smallest_first


def _reference(values, k):
    return np.flatnonzero(values <= np.partition(values, k - 1)[k - 1])


def _values(kind, n, rng):
    if kind == "uniform":
        return rng.random(n)
    if kind == "ties":
        return rng.integers(0, 50, n).astype(float)
    if kind == "sorted":
        return np.sort(rng.random(n))
    if kind == "descending":
        return np.sort(rng.random(n))[::-1].copy()
    if kind == "constant":  # one value: the bound keeps every row
        return np.full(n, 0.25)
    if kind == "mostly_ties":  # 60% share the smallest value: so does the bound
        v = rng.random(n)
        v[rng.random(n) < 0.6] = 0.0
        return v
    if kind == "strided":  # small exactly at the sampled rows: the bound keeps too few
        v = rng.random(n) + 1.0
        v[:: _stride(n)] = rng.random(v[:: _stride(n)].size) * 1e-3
        return v
    # the small values clustered in one block
    v = rng.random(n) + 1.0
    v[n // 3 : n // 3 + 40] = rng.random(40) * 1e-3
    return v


def _stride(n):
    return -(-n // min(selection.SAMPLE, max(n // 8, 1)))


KINDS = ["uniform", "ties", "sorted", "descending", "constant", "mostly_ties", "strided", "block"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [100, 8_192, 50_000, 300_000])
def test_rows_up_to_kth_are_those_of_a_full_partition(kind, n):
    rng = np.random.default_rng(n)
    v = _values(kind, n, rng)
    for k in sorted(
        {1, 2, 37, n // 100 + 1, n // 9, n // 8, n // 6, n // 5 - 1, n // 5, n // 2, n - 1, n}
    ):
        got = rows_up_to_kth(v, k)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, _reference(v, k), err_msg=f"{kind} n={n} k={k}")


def _partitioned(values, k, monkeypatch):
    """``rows_up_to_kth(values, k)`` and the sizes of the arrays it partitioned, in order."""
    sizes = []
    real = np.partition

    def spy(a, kth, *args, **kwargs):
        sizes.append(a.size)
        return real(a, kth, *args, **kwargs)

    monkeypatch.setattr(selection.np, "partition", spy)
    got = rows_up_to_kth(values, k)
    monkeypatch.undo()
    return got, sizes


def test_the_bound_from_the_sample_is_used_when_it_keeps_k_rows(monkeypatch):
    """On uniform draws the sampled bound keeps at least k rows, so only those are partitioned
    (the guess sets the speed, not the rows)."""
    v = np.random.default_rng(3).random(400_000)
    got, sizes = _partitioned(v, 2_000, monkeypatch)
    np.testing.assert_array_equal(got, _reference(v, 2_000))
    assert selection.SAMPLE // 2 < sizes[0] <= selection.SAMPLE  # the sample
    assert len(sizes) == 2 and sizes[1] < 10_000  # then the rows near the bound, never all


def test_the_bound_from_the_sample_is_used_for_the_grants_share_of_proposals(monkeypatch):
    """The grants fund about 15% of the proposals at 1:1 (k = 75,214 of 497,004): the sampled
    bound still keeps at most a quarter of the values, so the rest are never partitioned."""
    v = np.random.default_rng(4).random(497_004)
    got, sizes = _partitioned(v, 75_214, monkeypatch)
    np.testing.assert_array_equal(got, _reference(v, 75_214))
    assert len(sizes) == 2 and sizes[1] < 497_004 // 4


@pytest.mark.parametrize("kind", ["strided", "mostly_ties"])
def test_the_bound_is_set_aside_when_it_keeps_too_few_or_too_many_rows(kind, monkeypatch):
    """A sample that saw only small values keeps fewer than k rows; a bound that most values
    share keeps more than a quarter of them: both partition every value, with the same rows."""
    n, k = 300_000, 20_000
    v = _values(kind, n, np.random.default_rng(5))
    got, sizes = _partitioned(v, k, monkeypatch)
    np.testing.assert_array_equal(got, _reference(v, k))
    assert len(sizes) == 2 and sizes[1] == n  # the sample, then all values


@pytest.mark.parametrize("k", [0, -1, 11])
def test_rows_up_to_kth_refuses_a_k_out_of_range(k):
    with pytest.raises(ValueError, match=r"k must be in \[1, 10\]"):
        rows_up_to_kth(np.arange(10.0), k)


@pytest.mark.parametrize("seed", range(6))
def test_the_programmes_and_grants_select_as_a_full_sort_at_scale(seed):
    """smallest_first and best_first above the size where the sampled bound applies: the heads
    of stable argsorts, ties included."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20_000, 120_000))
    u = rng.random(n) if seed % 2 else np.round(rng.random(n), 3)
    for k in (1, 150, n // 20):
        np.testing.assert_array_equal(smallest_first(u, k), np.argsort(u, kind="stable")[:k])
    score = rng.normal(size=n) if seed % 2 else np.round(rng.normal(size=n), 2)
    score[rng.random(n) < 0.3] = -np.inf
    ask = np.where(np.isfinite(score), rng.random(n), 0.0)
    budget = float(ask.sum() * (0.01, 0.2)[seed % 2])
    order = np.argsort(-score, kind="stable")
    full = order[np.isfinite(score[order])]
    got = best_first(score, ask, budget)
    np.testing.assert_array_equal(got, full[: got.size])
    assert np.cumsum(ask[got])[-1] >= budget
