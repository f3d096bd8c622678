"""Tests of the stable descending radix sort (``kernels.sort``) against numpy's stable sort."""

import numpy as np
import pytest

from kernels.sort import sort_descending


@pytest.mark.parametrize(
    "values",
    [
        np.zeros(0),
        np.array([3.0]),
        np.array([1.0, 1.0, 1.0, 1.0]),
        np.array([-1.5, 2.0, 0.0, -0.0, np.inf, -np.inf, 2.0, 1e-310, -1e-310, -1.5]),
        np.random.default_rng(9).normal(size=3000),
        np.round(np.random.default_rng(10).normal(size=3000), 1),
        1.0 + 1e-15 * np.random.default_rng(11).integers(0, 5, size=500),  # 1 pass (odd)
        np.nextafter(2.0, 3.0) * np.array([1.0, 1.0]) - np.array([0.0, 2.0**-51]),
        1.0 + 1e-13 * np.random.default_rng(12).integers(0, 30, size=20),  # a short run
        1.0 + 1e-13 * np.random.default_rng(13).integers(0, 1000, size=2500),  # long runs
        np.concatenate([np.full(40, 3.0), 3.0 + 1e-14 * np.arange(40.0), np.full(40, -3.0)]),
        np.random.default_rng(14).choice([-1.0, -0.0, 0.0, 1e-300, -1e300, np.inf, 3.0], 900),
    ],
)
def test_sort_descending_matches_stable_argsort(values):
    """Also: keys equal in their top halves and not in their low halves, in runs of up to 32
    (insertion) and longer (byte passes over the run)."""
    m = len(values)
    clean = np.where(values == 0.0, 0.0, values)
    key = clean.copy().view(np.int64)
    order = np.empty(m + 3, np.int64)
    done = sort_descending(key, order, np.empty(m + 3, np.int64), np.empty(m + 3, np.int64))
    assert np.array_equal(order[:m], np.argsort(-values, kind="mergesort"))
    # the sorted keys come back, as ascending integers, equal where the values are equal
    assert done.shape == (m,)
    assert np.all(done[1:] >= done[:-1])  # (not np.diff: the differences overflow int64)
    ranked = clean[order[:m]]
    assert np.array_equal(done[1:] == done[:-1], ranked[1:] == ranked[:-1])
    b = ranked.view(np.int64)  # the keys themselves: what the funding queue's merge compares
    assert np.array_equal(done, ~(b ^ ((b >> 63) & 0x7FFF_FFFF_FFFF_FFFF)))


@pytest.mark.parametrize("seed", range(6))
def test_argsort_descending_is_numpys_stable_argsort_of_the_negated_values(seed):
    """The grants' ranking: ties in position order, ``-0.0`` tied with ``0.0``, infinities."""
    from kernels.sort import argsort_descending

    rng = np.random.default_rng(seed)
    n = [0, 1, 7, 500, 20_000, 100_000][seed]
    values = rng.normal(size=n)
    if seed % 2:
        values = np.round(values, 1)  # many ties, and -0.0 from small negatives
        values[::11] = 0.0
        values[::13] = np.inf
        values[::17] = -np.inf
    assert np.array_equal(argsort_descending(values), np.argsort(-values, kind="stable"))
