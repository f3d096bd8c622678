"""Kernels of the firms by sector (``kernels.sectors``) against numpy and their plain-Python
twins."""

from __future__ import annotations

import numpy as np
import pytest

from kernels.sectors import (
    sector_counts,
    sector_medians,
    sector_medians_py,
    sector_order,
    sector_order_py,
    sector_sums,
    sector_sums_py,
)


@pytest.mark.parametrize("n", [0, 1, 17, 5000])
@pytest.mark.parametrize("layout", ["runs", "shuffled", "one sector"])
def test_sector_sums_equal_bincount_by_bit(n, layout):
    """Sums by sector: the bits of ``np.bincount`` with weights (sums in row order from 0.0),
    whether the firms lie in runs of one sector or not, with sectors left empty, values whose
    sums round differently in other orders, and signed zeros, infinities and NaN."""
    rng = np.random.default_rng(n)
    sector = np.sort(rng.integers(1, 7, n))  # sectors 0 and 7 empty
    if layout == "shuffled":
        sector = rng.permutation(sector)
    elif layout == "one sector":
        sector[:] = 3
    values = rng.lognormal(10, 3, n) * rng.choice([-1.0, 1.0], n)
    if n >= 17:
        values[[2, 5, 9, 11]] = [-0.0, np.inf, np.nan, -0.0]
    got = sector_sums(sector, values, 8)
    want = np.bincount(sector, weights=values, minlength=8)
    np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
    np.testing.assert_array_equal(sector_sums_py(sector, values, 8), want)


@pytest.mark.parametrize("kind", ["spread", "ties", "signs", "tiny gaps", "negative zero"])
def test_sector_medians_by_bits_equal_numpy(kind):
    """The medians selected by the floats' bits are numpy's, to the bit: values spread over
    many binades, many ties at the middle, negative and positive values, infinities, values a
    few units in the last place apart, and -0.0 (which takes np.partition)."""
    rng = np.random.default_rng(len(kind))
    n = 4001
    sector = rng.integers(0, 8, n)
    values = {
        "spread": rng.lognormal(0, 6, n),
        "ties": rng.integers(0, 3, n).astype(float),
        "signs": rng.choice([-np.inf, -2.5, -1e-300, 0.0, 1e-300, 3.0, np.inf], n),
        "tiny gaps": 1.0 + np.spacing(1.0) * rng.integers(0, 6, n),
        "negative zero": rng.choice([-0.0, 0.0, 1.0, -1.0], n),
    }[kind]
    sector[:3] = 7  # an odd and an even count somewhere
    got = sector_medians(sector, values, 9, -1.0)
    want = [np.median(values[sector == s]) if (sector == s).any() else -1.0 for s in range(9)]
    np.testing.assert_array_equal(got, want)
    if kind != "negative zero":  # numpy's sign of a zero median is its own business
        np.testing.assert_array_equal(got.view(np.int64), np.array(want).view(np.int64))


@pytest.mark.parametrize("n", [0, 1, 17, 5000])
@pytest.mark.parametrize("shuffled", [False, True])
def test_sector_counts_equal_bincount(n, shuffled):
    rng = np.random.default_rng(n)
    sector = np.sort(rng.integers(1, 7, n))
    if shuffled:
        sector = rng.permutation(sector)
    np.testing.assert_array_equal(sector_counts(sector, 8), np.bincount(sector, minlength=8))
    order, start = sector_order(sector, 8)
    np.testing.assert_array_equal(order, np.argsort(sector, kind="stable"))
    np.testing.assert_array_equal(np.diff(start), np.bincount(sector, minlength=8))


@pytest.mark.parametrize("bad", [-1, 8])
def test_sector_sums_refuse_a_sector_out_of_range(bad):
    sector = np.array([0, 0, 3, bad, 3], dtype=np.int64)
    with pytest.raises(ValueError, match="out of range"):
        sector_sums(sector, np.ones(5), 8)
    with pytest.raises(ValueError, match="out of range"):
        sector_sums(np.array([bad, 1], dtype=np.int64), np.ones(2), 8)


def test_sector_sums_refuse_values_of_another_length():
    with pytest.raises(ValueError, match="differ in length"):
        sector_sums(np.zeros(6, dtype=np.int64), np.ones(3), 8)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 10, 999])
def test_sector_medians_equal_twin_and_numpy(n):
    rng = np.random.default_rng(n)
    sector = rng.integers(0, 6, n)
    values = rng.lognormal(0, 1, n)
    values[: n // 4] = 1.0  # ties
    a = sector_medians(sector, values, 8, -1.0)
    np.testing.assert_array_equal(a, sector_medians_py(sector, values, 8, -1.0))
    ref = [np.median(values[sector == s]) if (sector == s).any() else -1.0 for s in range(8)]
    np.testing.assert_array_equal(a, ref)


@pytest.mark.parametrize("n", [0, 1, 2, 10, 5000])
def test_sector_order_equals_twin_and_a_stable_argsort(n):
    rng = np.random.default_rng(n)
    sector = rng.integers(0, 6, n).astype(np.int64)  # sectors 6 and 7 stay empty
    order, start = sector_order(sector, 8)
    want = np.argsort(sector, kind="stable")
    np.testing.assert_array_equal(order, want)
    np.testing.assert_array_equal(
        start, np.concatenate([[0], np.cumsum(np.bincount(sector, minlength=8))])
    )
    assert order.dtype == start.dtype == np.int64
    twin = sector_order_py(sector, 8)
    np.testing.assert_array_equal(order, twin[0])
    np.testing.assert_array_equal(start, twin[1])


@pytest.mark.parametrize("n", [0, 1, 6, 999])
def test_sector_medians_of_rows_equal_one_row_at_a_time(n):
    import numba

    from kernels.sectors import sector_medians_of_rows, sector_medians_of_rows_parallel

    rng = np.random.default_rng(n)
    sector = rng.integers(0, 6, n)
    values = rng.lognormal(0, 1, (3, n))
    empty = np.array([1.0, 0.0, -2.0])
    got = sector_medians_of_rows(sector, values, 8, empty)
    for r in range(3):
        np.testing.assert_array_equal(got[r], sector_medians(sector, values[r], 8, empty[r]))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        par = sector_medians_of_rows_parallel(sector, values, 8, empty)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(par.view(np.uint64), got.view(np.uint64))


@pytest.mark.parametrize(
    "kind", ["equal", "two_values", "low_byte", "high_byte", "few_values", "random", "mixed"]
)
def test_select_key_finds_every_rank(kind):
    """The radix selection (bytes shared by every key left skipped, counts in four tables) gives
    the ``k``-th smallest key for every ``k``, whatever bytes the keys share."""
    from kernels.sectors import _select_key

    rng = np.random.default_rng(len(kind))
    for m in (1, 2, 3, 4, 5, 7, 64, 257):
        base = np.uint64(0xBFF0_0000_0000_0000)
        keys = {
            "equal": np.full(m, base),
            "two_values": np.where(rng.random(m) < 0.5, base, base + np.uint64(1)),
            "low_byte": base + rng.integers(0, 256, m).astype(np.uint64),
            "high_byte": rng.integers(0, 256, m).astype(np.uint64) << np.uint64(56),
            "few_values": base + (rng.integers(0, 4, m).astype(np.uint64) << np.uint64(40)),
            "random": rng.integers(0, 2**63, m, dtype=np.int64).astype(np.uint64) * np.uint64(2),
            "mixed": base ^ (rng.integers(0, 3, m).astype(np.uint64) << np.uint64(8 * (m % 8))),
        }[kind].astype(np.uint64)
        want = np.sort(keys)
        a, b = np.empty(m, np.uint64), np.empty(m, np.uint64)
        kept = keys.copy()
        for k in range(m):
            assert _select_key(keys, m, k, a, b) == want[k], (m, k)
        np.testing.assert_array_equal(keys, kept)
