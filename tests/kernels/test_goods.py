"""Tests of the goods-market rationing kernel ``kernels.goods.allocate_demand`` and its twin."""

import numpy as np
import pytest

from kernels.goods import allocate_demand, allocate_demand_py

REL = 1e-12


def make_market(rng, n, n_sectors, zero_share_frac=0.1, zero_cap_frac=0.05, pressure=(0.6, 1.3)):
    """Random firms and sector demand; ``pressure`` is demand over sector capacity."""
    firm_sector = rng.integers(0, n_sectors, n).astype(np.int64)
    share = rng.lognormal(0.0, 1.0, n)
    share[rng.random(n) < zero_share_frac] = 0.0
    capacity = share * 1e6 * rng.lognormal(0.0, 0.5, n) + rng.uniform(0.0, 1e5, n)
    capacity[rng.random(n) < zero_cap_frac] = 0.0
    sector_capacity = np.bincount(firm_sector, weights=capacity, minlength=n_sectors)
    demand = sector_capacity * rng.uniform(*pressure, n_sectors) + rng.uniform(0.0, 1e5, n_sectors)
    return firm_sector, share, capacity, demand


def run_both(firm_sector, share, capacity, demand, max_rounds):
    """Run kernel and twin, check they agree to 1e-12 and left the inputs alone."""
    args = (firm_sector, share, capacity, demand)
    before = [a.copy() for a in args]
    sold, unserved = allocate_demand(firm_sector, share, capacity, demand, max_rounds)
    sold_py, unserved_py = allocate_demand_py(firm_sector, share, capacity, demand, max_rounds)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert sold.dtype == np.float64 and unserved.dtype == np.float64
    assert sold.shape == firm_sector.shape and unserved.shape == demand.shape
    scale = max(float(demand.max(initial=0.0)), 1.0)
    np.testing.assert_allclose(sold, sold_py, rtol=REL, atol=REL * scale)
    np.testing.assert_allclose(unserved, unserved_py, rtol=REL, atol=REL * scale)
    return sold, unserved


def check_conservation(firm_sector, capacity, demand, sold, unserved):
    assert np.all(sold >= 0.0)
    assert np.all(sold <= capacity)
    assert np.all(unserved >= 0.0)
    per_sector = np.bincount(firm_sector, weights=sold, minlength=len(demand))
    np.testing.assert_allclose(per_sector + unserved, demand, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(
    ("n", "n_sectors", "max_rounds", "seed"),
    [
        (1, 1, 10, 0),
        (10, 3, 10, 1),
        (1000, 8, 50, 2),
        (20000, 8, 100, 3),
        (5000, 4, 2, 4),  # stopped by max_rounds
        (300, 40, 50, 5),  # many sectors, some without firms
    ],
)
def test_kernel_equals_twin_and_conserves(n, n_sectors, max_rounds, seed):
    rng = np.random.default_rng(seed)
    market = make_market(rng, n, n_sectors)
    sold, unserved = run_both(*market, max_rounds)
    check_conservation(market[0], market[2], market[3], sold, unserved)


def test_full_water_filling():
    """With enough rounds a sector either meets its demand or sells out every firm."""
    rng = np.random.default_rng(7)
    firm_sector, share, capacity, demand = make_market(rng, 2000, 6, pressure=(0.5, 1.5))
    sold, unserved = run_both(firm_sector, share, capacity, demand, 2001)
    for s in range(6):
        in_s = firm_sector == s
        if unserved[s] > 1e-9 * demand[s]:
            np.testing.assert_array_equal(sold[in_s], capacity[in_s])
        else:
            assert unserved[s] <= 1e-12 * demand[s]
        # Firms below capacity with positive share sell the same amount per unit of share, and
        # that is the most any firm with positive share sells per unit of share.
        positive = in_s & (share > 0)
        below = positive & (sold < capacity)
        if below.any():
            level = sold[below] / share[below]
            np.testing.assert_allclose(level, level[0], rtol=1e-9)
            assert np.all(sold[positive] / share[positive] <= level[0] * (1 + 1e-9))
            # Zero-share firms get nothing while a positive-share firm still has room.
            np.testing.assert_array_equal(sold[in_s & (share == 0)], 0.0)


def test_hand_computed_two_firms_shares_3_to_1():
    sector = np.array([0, 0], np.int64)
    share = np.array([3.0, 1.0])
    capacity = np.array([100.0, 100.0])
    # Demand 100: 75 and 25, nobody capped.
    sold, unserved = run_both(sector, share, capacity, np.array([100.0]), 10)
    np.testing.assert_allclose(sold, [75.0, 25.0], rtol=1e-15)
    np.testing.assert_allclose(unserved, [0.0], atol=1e-12)
    # Demand 160: offers 120 and 40; firm 0 is capped at 100, its 20 go to firm 1 -> 100, 60.
    sold, unserved = run_both(sector, share, capacity, np.array([160.0]), 10)
    np.testing.assert_allclose(sold, [100.0, 60.0], rtol=1e-15)
    np.testing.assert_allclose(unserved, [0.0], atol=1e-12)
    # Demand 250: both sell out, 50 unserved.
    sold, unserved = run_both(sector, share, capacity, np.array([250.0]), 10)
    np.testing.assert_array_equal(sold, [100.0, 100.0])
    np.testing.assert_allclose(unserved, [50.0], rtol=1e-15)
    # Demand 160 with a single round: no redistribution, the excess 20 is unserved.
    sold, unserved = run_both(sector, share, capacity, np.array([160.0]), 1)
    np.testing.assert_allclose(sold, [100.0, 40.0], rtol=1e-15)
    np.testing.assert_allclose(unserved, [20.0], rtol=1e-15)


def test_hand_computed_three_firms_two_rounds():
    # Shares 1:1:2, capacities 10, 50, 50, demand 100. Round 1 offers 25, 25, 50: firm 0 capped at
    # 10 (15 left over), firm 2's offer equals its capacity. Round 2: the 15 go to firm 1.
    sold, unserved = run_both(
        np.array([0, 0, 0], np.int64),
        np.array([1.0, 1.0, 2.0]),
        np.array([10.0, 50.0, 50.0]),
        np.array([100.0]),
        10,
    )
    np.testing.assert_allclose(sold, [10.0, 40.0, 50.0], rtol=1e-15)
    np.testing.assert_allclose(unserved, [0.0], atol=1e-12)


def test_zero_share_firm_takes_only_what_others_cannot():
    sold, unserved = run_both(
        np.array([0, 0], np.int64),
        np.array([1.0, 0.0]),
        np.array([10.0, 10.0]),
        np.array([15.0]),
        5,
    )
    np.testing.assert_allclose(sold, [10.0, 5.0], rtol=1e-15)
    np.testing.assert_allclose(unserved, [0.0], atol=1e-12)


def test_all_shares_zero_uses_equal_weights():
    sold, unserved = run_both(
        np.array([0, 0, 0, 1], np.int64),
        np.zeros(4),
        np.array([10.0, 100.0, 100.0, 5.0]),
        np.array([90.0, 8.0]),
        10,
    )
    # Sector 0: 30 each, firm 0 capped at 10, the 20 split 10/10 -> 10, 40, 40. Sector 1: 5 of 8.
    np.testing.assert_allclose(sold, [10.0, 40.0, 40.0, 5.0], rtol=1e-14)
    np.testing.assert_allclose(unserved, [0.0, 3.0], rtol=1e-14, atol=1e-12)


def test_no_firms():
    demand = np.array([5.0, 0.0, 7.0])
    sold, unserved = run_both(np.empty(0, np.int64), np.empty(0), np.empty(0), demand, 10)
    assert sold.shape == (0,)
    np.testing.assert_array_equal(unserved, demand)


def test_no_sectors_no_firms():
    sold, unserved = run_both(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty(0), 10)
    assert sold.shape == (0,) and unserved.shape == (0,)


def test_one_firm():
    for demand, expect_sold, expect_unserved in [(30.0, 30.0, 0.0), (80.0, 50.0, 30.0)]:
        sold, unserved = run_both(
            np.array([0], np.int64), np.array([0.4]), np.array([50.0]), np.array([demand]), 10
        )
        np.testing.assert_allclose(sold, [expect_sold], rtol=1e-15)
        np.testing.assert_allclose(unserved, [expect_unserved], rtol=1e-15, atol=1e-12)


def test_zero_capacity_everywhere():
    rng = np.random.default_rng(8)
    firm_sector, share, capacity, demand = make_market(rng, 50, 3)
    sold, unserved = run_both(firm_sector, share, np.zeros(50), demand, 10)
    np.testing.assert_array_equal(sold, 0.0)
    np.testing.assert_array_equal(unserved, demand)


def test_zero_demand():
    rng = np.random.default_rng(9)
    firm_sector, share, capacity, _ = make_market(rng, 50, 3)
    sold, unserved = run_both(firm_sector, share, capacity, np.zeros(3), 10)
    np.testing.assert_array_equal(sold, 0.0)
    np.testing.assert_array_equal(unserved, 0.0)


def test_sector_without_firms_is_all_unserved():
    rng = np.random.default_rng(10)
    firm_sector, share, capacity, demand = make_market(rng, 200, 4)
    firm_sector[firm_sector == 2] = 1
    sold, unserved = run_both(firm_sector, share, capacity, demand, 50)
    assert unserved[2] == demand[2]
    check_conservation(firm_sector, capacity, demand, sold, unserved)


def test_zero_rounds_sells_nothing():
    rng = np.random.default_rng(11)
    firm_sector, share, capacity, demand = make_market(rng, 100, 3)
    for max_rounds in (0, -1):
        sold, unserved = run_both(firm_sector, share, capacity, demand, max_rounds)
        np.testing.assert_array_equal(sold, 0.0)
        np.testing.assert_array_equal(unserved, demand)


def test_more_rounds_never_serve_less():
    rng = np.random.default_rng(12)
    firm_sector, share, capacity, demand = make_market(rng, 3000, 5, pressure=(0.9, 1.1))
    previous = demand.copy()
    for max_rounds in (1, 2, 3, 5, 10, 100):
        _, unserved = run_both(firm_sector, share, capacity, demand, max_rounds)
        assert np.all(unserved <= previous * (1 + 1e-12))
        previous = unserved


def test_outputs_are_fresh_arrays():
    demand = np.array([0.0, 3.0])
    sold, unserved = allocate_demand(np.array([0], np.int64), np.ones(1), np.ones(1), demand, 10)
    assert not np.shares_memory(unserved, demand)
    unserved[:] = -1.0
    np.testing.assert_array_equal(demand, [0.0, 3.0])


@pytest.mark.parametrize("runs", [True, False])
def test_sector_sums_in_registers_keep_the_twins_bits(runs):
    """The kernel keeps a run of one sector's sums in registers: with firms in runs of one
    sector (as in the model) or shuffled, its sales and unserved demand are the twin's to the
    bit (the same sums in the same order)."""
    rng = np.random.default_rng(5 + runs)
    n = 3000
    sector = rng.integers(0, 6, n)
    if runs:
        sector = np.sort(sector)
    share = np.where(rng.random(n) < 0.1, 0.0, rng.random(n))
    capacity = np.where(rng.random(n) < 0.05, 0.0, rng.lognormal(5, 1, n))
    demand = np.bincount(sector, weights=capacity, minlength=6) * rng.uniform(0.5, 1.2, 6)
    sold, unserved = allocate_demand(sector, share, capacity, demand, 50)
    sold_py, unserved_py = allocate_demand_py(sector, share, capacity, demand, 50)
    np.testing.assert_array_equal(sold, sold_py)
    np.testing.assert_array_equal(unserved, unserved_py)
