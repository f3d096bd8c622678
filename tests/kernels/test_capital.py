"""Tests of the capital-market kernels: twin agreement, edge cases and economic properties."""

import numpy as np
import pytest

from kernels.capital import (
    allocate_investors,
    allocate_investors_py,
    fund_queue,
    fund_requests,
    fund_requests_py,
    funding_queue,
    funding_queue_parallel,
)

# ---------------------------------------------------------------------------------------------
# Input builders
# ---------------------------------------------------------------------------------------------


def investor_case(m, n_sectors, rng):
    """Random investor inputs in the order of ``allocate_investors``'s signature."""
    return (
        rng.lognormal(0.0, 1.0, size=m),
        rng.uniform(0.0, 2.0, size=m),
        (rng.random(m) < 0.3).astype(np.int64),
        rng.normal(0.05, 0.02, size=n_sectors),
        rng.uniform(0.0, 0.1, size=n_sectors),
        0.04,
        20.0,
        2.0,
    )


def request_case(n, n_sectors, rng, share_asking=0.5, coverage=(0.3, 1.2), ties=False):
    """Random funding inputs in the order of ``fund_requests``'s signature."""
    firm_sector = rng.integers(0, n_sectors, size=n).astype(np.int64)
    request = np.where(rng.random(n) < share_asking, rng.lognormal(0.0, 1.0, size=n), 0.0)
    prospect = rng.normal(0.05, 0.03, size=n)
    if ties:  # many equal prospects, including -0.0 and 0.0
        prospect = np.round(prospect, 2)
        prospect[::5] = -0.0
        prospect[1::7] = 0.0
    demand = np.bincount(firm_sector, weights=request, minlength=n_sectors)
    sector_private = demand * rng.uniform(*coverage, size=n_sectors)
    match_ratio = np.where(rng.random(n_sectors) < 0.5, rng.uniform(0.2, 2.0, size=n_sectors), 0.0)
    sector_public = demand * rng.uniform(0.0, 1.0, size=n_sectors) * (match_ratio > 0)
    return firm_sector, request, prospect, sector_private, match_ratio, sector_public


def assert_same(got, want):
    """Kernel and twin agree: same shapes, values equal to 1e-12 (relative or absolute)."""
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)


def check_funding_invariants(args, result):
    firm_sector, request, _, sector_private, match_ratio, sector_public = args
    private, public, private_left, public_left = result
    n_sectors = len(sector_private)
    assert np.all(private >= 0.0) and np.all(public >= 0.0)
    assert np.all(private_left >= 0.0) and np.all(public_left >= 0.0)
    placed_private = np.bincount(firm_sector, weights=private, minlength=n_sectors)
    placed_public = np.bincount(firm_sector, weights=public, minlength=n_sectors)
    scale = 1.0 + sector_private.sum() + sector_public.sum()
    np.testing.assert_allclose(placed_private + private_left, sector_private, atol=1e-12 * scale)
    np.testing.assert_allclose(placed_public + public_left, sector_public, atol=1e-12 * scale)
    assert np.all(private + public <= request * (1.0 + 1e-12) + 1e-300)
    assert np.all(public <= match_ratio[firm_sector] * private * (1.0 + 1e-12) + 1e-300)


# ---------------------------------------------------------------------------------------------
# allocate_investors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("m", "n_sectors"), [(1, 1), (7, 3), (200, 8), (50, 0)])
def test_allocate_twin_agrees(m, n_sectors):
    args = investor_case(m, n_sectors, np.random.default_rng(m + 10 * n_sectors))
    got = allocate_investors(*args)
    assert got.shape == (m, n_sectors + 1)
    assert_same((got,), (allocate_investors_py(*args),))


def test_allocate_rows_sum_to_funds_and_are_nonnegative():
    args = investor_case(500, 8, np.random.default_rng(1))
    alloc = allocate_investors(*args)
    np.testing.assert_allclose(alloc.sum(axis=1), args[0], rtol=1e-13)
    assert np.all(alloc >= 0.0)


def test_allocate_no_investors_and_zero_funds():
    empty = allocate_investors(
        np.zeros(0), np.zeros(0), np.zeros(0, np.int64), np.ones(4), np.ones(4), 0.0, 1.0, 1.0
    )
    assert empty.shape == (0, 5)
    args = list(investor_case(6, 4, np.random.default_rng(2)))
    args[0] = np.zeros(6)
    assert np.array_equal(allocate_investors(*args), np.zeros((6, 5)))
    assert_same((allocate_investors(*args),), (allocate_investors_py(*args),))


def test_allocate_all_abroad_when_world_return_dominates():
    args = list(investor_case(20, 5, np.random.default_rng(3)))
    args[5] = 10.0  # world return far above any domestic return
    alloc = allocate_investors(*args)
    np.testing.assert_allclose(alloc[:, -1], args[0], rtol=1e-12)
    assert np.all(alloc[:, :-1] < 1e-50 * (1.0 + args[0][:, None]))
    assert_same((alloc,), (allocate_investors_py(*args),))


def test_allocate_large_utilities_do_not_overflow():
    args = list(investor_case(10, 3, np.random.default_rng(4)))
    args[6] = 1e4  # beta: utilities in the hundreds
    alloc = allocate_investors(*args)
    assert np.all(np.isfinite(alloc))
    np.testing.assert_allclose(alloc.sum(axis=1), args[0], rtol=1e-12)


def test_allocate_beta_zero_spreads_evenly_without_home_bias():
    m, n_sectors = 4, 3
    args = list(investor_case(m, n_sectors, np.random.default_rng(5)))
    args[1] = np.zeros(m)
    args[6] = 0.0
    alloc = allocate_investors(*args)
    np.testing.assert_allclose(alloc, np.outer(args[0], np.full(n_sectors + 1, 0.25)))


def _one_investor(expected_return, risk, home_bias=0.0, is_foreign=0, world_return=0.03):
    return allocate_investors(
        np.array([100.0]),
        np.array([home_bias]),
        np.array([is_foreign], dtype=np.int64),
        np.asarray(expected_return, dtype=np.float64),
        np.asarray(risk, dtype=np.float64),
        world_return,
        10.0,
        1.5,
    )[0]


def test_higher_expected_return_gets_larger_share():
    alloc = _one_investor([0.03, 0.05, 0.08], [0.01, 0.01, 0.01])
    assert alloc[0] < alloc[1] < alloc[2]
    raised = _one_investor([0.03, 0.06, 0.08], [0.01, 0.01, 0.01])
    assert raised[1] > alloc[1]


def test_lower_risk_gets_larger_share():
    alloc = _one_investor([0.05, 0.05, 0.05], [0.04, 0.02, 0.0])
    assert alloc[0] < alloc[1] < alloc[2]
    safer = _one_investor([0.05, 0.05, 0.05], [0.04, 0.01, 0.0])  # e.g. public co-investment
    assert safer[1] > alloc[1]


def test_home_bias_raises_home_share():
    r, risk = [0.05, 0.04], [0.01, 0.02]
    domestic_plain = _one_investor(r, risk)
    domestic_biased = _one_investor(r, risk, home_bias=1.0)
    assert domestic_biased[:2].sum() > domestic_plain[:2].sum()
    # Within the domestic sectors the bias is neutral: relative shares are unchanged.
    np.testing.assert_allclose(
        domestic_biased[0] / domestic_biased[1], domestic_plain[0] / domestic_plain[1]
    )
    foreign_plain = _one_investor(r, risk, is_foreign=1)
    foreign_biased = _one_investor(r, risk, home_bias=1.0, is_foreign=1)
    assert foreign_biased[2] > foreign_plain[2]  # a foreigner's home is abroad
    np.testing.assert_allclose(foreign_plain, domestic_plain)  # no bias: same behaviour


# ---------------------------------------------------------------------------------------------
# fund_requests
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 17, 300, 5000])
@pytest.mark.parametrize("ties", [False, True])
def test_fund_twin_agrees(n, ties):
    rng = np.random.default_rng(n + ties)
    args = request_case(n, 6, rng, ties=ties)
    got = fund_requests(*args)
    assert_same(got, fund_requests_py(*args))
    check_funding_invariants(args, got)


@pytest.mark.parametrize("coverage", [(0.0, 0.0), (0.05, 0.2), (2.0, 3.0)])
def test_fund_twin_agrees_scarce_and_ample_money(coverage):
    args = request_case(2000, 8, np.random.default_rng(7), coverage=coverage)
    got = fund_requests(*args)
    assert_same(got, fund_requests_py(*args))
    check_funding_invariants(args, got)


def test_fund_edge_cases_agree_with_twin():
    rng = np.random.default_rng(8)
    n_sectors = 5
    base = request_case(400, n_sectors, rng)
    no_requests = (base[0], np.zeros(400), *base[2:])
    no_capital = (*base[:3], np.zeros(n_sectors), base[4], base[5])
    no_firms = (
        np.zeros(0, np.int64),
        np.zeros(0),
        np.zeros(0),
        np.ones(n_sectors),
        np.ones(n_sectors),
        np.ones(n_sectors),
    )
    # Firms only in sectors 1 and 3: the other sectors keep all their money.
    sparse = (np.where(base[0] % 2 == 0, 1, 3).astype(np.int64), *base[1:])
    for args in (no_requests, no_capital, no_firms, sparse):
        got = fund_requests(*args)
        assert_same(got, fund_requests_py(*args))
        check_funding_invariants(args, got)
    for args in (no_requests, no_capital, no_firms):
        private, public, private_left, public_left = fund_requests(*args)
        assert not private.any() and not public.any()
        assert np.array_equal(private_left, args[3])
        assert np.array_equal(public_left, args[5])
    private_left = fund_requests(*sparse)[2]
    untouched = [0, 2, 4]
    assert np.array_equal(private_left[untouched], sparse[3][untouched])


def test_fund_one_firm():
    args = (
        np.array([0], np.int64),
        np.array([30.0]),
        np.array([0.1]),
        np.array([100.0]),
        np.array([0.5]),
        np.array([100.0]),
    )
    private, public, private_left, public_left = fund_requests(*args)
    np.testing.assert_allclose([private[0], public[0]], [20.0, 10.0])
    np.testing.assert_allclose([private_left[0], public_left[0]], [80.0, 90.0])
    assert_same((private, public, private_left, public_left), fund_requests_py(*args))


def test_best_prospect_funded_first():
    # One sector, budget for one firm only; the best prospect sits in the middle of the array.
    firm_sector = np.zeros(3, np.int64)
    request = np.array([10.0, 10.0, 10.0])
    prospect = np.array([0.02, 0.09, 0.05])
    no_match = np.zeros(1)
    private, public, private_left, _ = fund_requests(
        firm_sector, request, prospect, np.array([10.0]), no_match, np.zeros(1)
    )
    assert private.tolist() == [0.0, 10.0, 0.0]
    assert not public.any() and private_left[0] == 0.0
    # Budget for one and a half firms: the second-best gets the rest.
    private = fund_requests(
        firm_sector, request, prospect, np.array([15.0]), no_match, np.zeros(1)
    )[0]
    assert private.tolist() == [0.0, 10.0, 5.0]


def test_queue_spans_sectors_and_ties_go_to_lower_index():
    firm_sector = np.array([1, 0, 1, 0], np.int64)
    request = np.full(4, 8.0)
    prospect = np.array([0.5, 0.5, 0.5, 0.7])
    private, *_ = fund_requests(
        firm_sector, request, prospect, np.array([10.0, 10.0]), np.zeros(2), np.zeros(2)
    )
    # Sector 0: firm 3 (best) in full, then firm 1. Sector 1: equal prospects, firm 0 first.
    assert private.tolist() == [8.0, 2.0, 2.0, 8.0]


def test_match_ratio_gives_public_until_budget_runs_out():
    n = 5
    firm_sector = np.zeros(n, np.int64)
    request = np.full(n, 30.0)
    prospect = -np.arange(n, dtype=np.float64)  # firm 0 first
    ratio = 2.0
    private, public, private_left, public_left = fund_requests(
        firm_sector, request, prospect, np.array([1000.0]), np.array([ratio]), np.array([45.0])
    )
    # the fund matches 2:1 while it has money; then private money covers the whole request
    np.testing.assert_allclose(private, [10.0, 10.0, 25.0, 30.0, 30.0])
    np.testing.assert_allclose(public, [20.0, 20.0, 5.0, 0.0, 0.0])
    np.testing.assert_allclose(private + public, request)  # every request funded in full
    np.testing.assert_allclose([private_left[0], public_left[0]], [895.0, 0.0])
    assert np.all(public <= ratio * private + 1e-12)  # public money only matches private
    # Untargeted sector: no public money even with a budget.
    _, public, _, public_left = fund_requests(
        firm_sector, request, prospect, np.array([1000.0]), np.zeros(1), np.array([45.0])
    )
    assert not public.any() and public_left[0] == 45.0


# ---------------------------------------------------------------------------------------------
# The radix sort behind the queue
# ---------------------------------------------------------------------------------------------


def test_one_queue_serves_rounds_of_other_requests():
    """The queue of one round's askers serves later rounds of what is left of their requests
    as :func:`fund_requests` does (abm.mechanisms.finance builds it once for its three
    rounds): the same bits round by round, with many firms asking nothing and prospects tied or
    signed zeros."""
    rng = np.random.default_rng(11)
    n, s = 3000, 8
    sector = rng.integers(0, s, n)
    prospect = np.round(rng.normal(1.0, 0.3, n), 2)  # ties
    prospect[:40] = -0.0
    prospect[40:80] = 0.0
    first = np.where(rng.random(n) < 0.6, rng.lognormal(10, 1, n), 0.0)
    queue, start = funding_queue(sector, prospect, first, s)
    assert sorted(queue.tolist()) == np.flatnonzero(first > 0).tolist()  # the askers only
    for r in range(4):
        # later rounds: what is left of the same requests (a share of the askers, in part)
        request = np.where(rng.random(n) < 0.7, first * rng.uniform(0, 1, n), 0.0)
        private = rng.uniform(0, 2e6, s) * (r != 3)  # the last round: no private money
        ratio = np.where(rng.random(s) < 0.5, 1.0, 0.0)
        public = rng.uniform(0, 5e5, s)
        got = fund_queue(queue, start, request, private, ratio, public)
        # the twin serves one global queue: a sector's money changes in the same order, so
        # the same bits
        want = fund_requests_py(sector, request, prospect, private, ratio, public)
        for x, y in zip(got, want, strict=True):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("n, ties", [(1, False), (300, True), (20_000, False), (20_000, True)])
def test_split_and_threaded_queues_equal_one_stable_sort_a_sector(n, ties):
    """``funding_queue`` (a large sector sorted as two halves, merged) and
    ``funding_queue_parallel`` (the sorts on numba's threads, used with ``threads > 1``) give
    one stable descending sort of each sector's askers. Sectors of very different sizes, one
    without askers."""
    rng = np.random.default_rng(n + 3 * ties)
    s = 8
    sector, request, prospect, private, ratio, public = request_case(n, s, rng, ties=ties)
    sector = np.minimum(sector, rng.integers(0, s, n))  # low sectors hold most firms
    request[sector == 5] = 0.0  # a sector where nobody asks
    queue, start = funding_queue(sector, prospect, request, s)
    # a sector of SPLIT_SORT_FROM askers or more is sorted as two halves, then merged: the
    # default, and splits from 64 and from 1 asker, so that small cases take that path too
    want = [  # one stable descending sort of each sector's askers
        np.flatnonzero((sector == k) & (request > 0)) for k in range(s)
    ]
    want = np.concatenate([w[np.argsort(-prospect[w], kind="stable")] for w in want])
    np.testing.assert_array_equal(queue, want)
    for split in ((), (0,), (64,), (1,)):
        for kernel in (funding_queue, funding_queue_parallel):
            got_queue, got_start = kernel(sector, prospect, request, s, *split)
            np.testing.assert_array_equal(got_queue, queue)
            np.testing.assert_array_equal(got_start, start)
    if n >= 20_000:
        assert np.bincount(sector[request > 0]).max() >= 64  # some sector was split


@pytest.mark.parametrize("n", [0, 1, 3000])
def test_book_funding_equals_numpy_by_bit(n):
    """The firms' books after the funding rounds: the bits of the numpy code it replaced, with
    firms that got nothing, negative deposits, and signed zeros and NaN among the inputs."""
    from kernels.capital import book_funding, book_funding_py

    rng = np.random.default_rng(n)
    stocks = [rng.lognormal(12, 2, n) for _ in range(4)]
    cash = rng.normal(1e5, 4e5, n)
    order = rng.lognormal(11, 2, n)
    flows = [np.where(rng.random(n) < 0.6, 0.0, rng.lognormal(10, 2, n)) for _ in range(3)]
    if n >= 3000:
        cash[:3] = [-0.0, np.nan, 0.0]
        order[3:5] = [np.nan, -0.0]
        flows[0][5] = np.nan
    args = (*stocks, cash, order, *flows, 0.6)
    for a, b in zip(book_funding(*args), book_funding_py(*args), strict=True):
        np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))
