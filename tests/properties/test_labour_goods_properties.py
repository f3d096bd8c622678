"""Hypothesis properties of the compiled labour-matching and goods-rationing kernels.

Labour: people are conserved (each matched seeker fills exactly one opening, no vacancy is
over-filled) and every match satisfies the acceptability rule. Goods: money is conserved per sector
(sales plus unserved demand equal demand), sales stay within capacity, and with enough rounds a
sector leaves demand unserved only when all its firms are sold out.
"""

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kernels.goods import allocate_demand, allocate_demand_py
from kernels.labour import match_labour, match_labour_py

SETTINGS = settings(max_examples=150, deadline=None)


def int_array(n, lo, hi):
    return hnp.arrays(np.int64, n, elements=st.integers(lo, hi))


def float_array(n, smallest, largest):
    """Zeros or positive floats in [smallest, largest] (0.0 for smallest allows subnormals)."""
    values = st.one_of(st.just(0.0), st.floats(smallest, largest, allow_infinity=False))
    return hnp.arrays(np.float64, n, elements=values)


@st.composite
def labour_markets(draw):
    n = draw(st.integers(0, 25))
    v = draw(st.integers(0, 8))
    k = draw(st.integers(0, 5))
    # A few round wage levels so that equal wages (ties) and wage == reservation occur.
    wage_levels = st.sampled_from([6000.0, 8000.0, 9000.0, 12000.0])
    return (
        draw(int_array(n, 0, 2)),
        draw(int_array(n, 0, 1)),
        draw(hnp.arrays(np.float64, n, elements=wage_levels)),
        np.asarray(draw(st.permutations(range(n))), dtype=np.int64).reshape(n),
        draw(int_array(v, 0, 2)),
        draw(int_array(v, -1, 1)),
        draw(hnp.arrays(np.float64, v, elements=wage_levels)),
        draw(int_array(v, 0, 3)),
        draw(int_array((n, k), 0, v - 1)) if v > 0 else np.empty((n, 0), np.int64),
    )


@SETTINGS
@given(labour_markets())
def test_labour_conserves_people_and_respects_rules(market):
    (skill, field, reservation, order, vac_skill, vac_field, vac_wage, vac_openings, samples) = (
        market
    )
    before = [a.copy() for a in market]
    match, filled = match_labour(*market)
    for a, b in zip(market, before, strict=True):
        np.testing.assert_array_equal(a, b)
    v = len(vac_skill)
    assert match.shape == skill.shape and filled.shape == vac_skill.shape
    assert np.all((filled >= 0) & (filled <= vac_openings))
    matched = match >= 0
    # Each matched seeker occupies exactly one opening: the counts add up vacancy by vacancy.
    np.testing.assert_array_equal(filled, np.bincount(match[matched], minlength=v))
    assert filled.sum() == matched.sum() <= min(len(skill), vac_openings.sum())
    for i in np.flatnonzero(matched):
        c = match[i]
        assert c in samples[i]
        assert skill[i] >= vac_skill[c]
        assert vac_field[c] in (-1, field[i])
        assert vac_wage[c] >= reservation[i]
    # Same answer as the plain-Python twin.
    match_py, filled_py = match_labour_py(*market)
    np.testing.assert_array_equal(match, match_py)
    np.testing.assert_array_equal(filled, filled_py)


@SETTINGS
@given(labour_markets(), st.data())
def test_labour_first_seeker_in_order_gets_its_best_option(market, data):
    """The first seeker served faces no competition: it gets the best acceptable sampled row."""
    (skill, field, reservation, order, vac_skill, vac_field, vac_wage, vac_openings, samples) = (
        market
    )
    match, _ = match_labour(*market)
    if len(order) == 0 or len(vac_skill) == 0:
        return
    i = order[0]
    options = [
        c
        for c in samples[i]
        if vac_openings[c] > 0
        and skill[i] >= vac_skill[c]
        and vac_field[c] in (-1, field[i])
        and vac_wage[c] >= reservation[i]
    ]
    if not options:
        assert match[i] == -1
    else:
        assert vac_wage[match[i]] == max(vac_wage[c] for c in options)


@st.composite
def goods_markets(draw, extreme=True):
    """Small markets. ``extreme=True`` lets positive amounts go down to the subnormal range;
    ``extreme=False`` keeps shares >= 1e-6 and euro amounts >= 1 cent, so that no offer underflows
    (a leftover split among firms can round to nothing far below 1e-300)."""
    n = draw(st.integers(0, 30))
    n_sectors = draw(st.integers(1, 5))
    return (
        draw(int_array(n, 0, n_sectors - 1)),
        draw(float_array(n, 0.0 if extreme else 1e-6, 10.0)),
        draw(float_array(n, 0.0 if extreme else 0.01, 1e6)),
        draw(float_array(n_sectors, 0.0 if extreme else 0.01, 1e7)),
    )


@SETTINGS
@given(goods_markets(), st.integers(0, 40))
def test_goods_conserves_money_and_respects_capacity(market, max_rounds):
    firm_sector, share, capacity, demand = market
    before = [a.copy() for a in market]
    sold, unserved = allocate_demand(*market, max_rounds)
    for a, b in zip(market, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert np.all(sold >= 0.0) and np.all(sold <= capacity)
    assert np.all(unserved >= 0.0) and np.all(unserved <= demand)
    per_sector = np.bincount(firm_sector, weights=sold, minlength=len(demand))
    np.testing.assert_allclose(per_sector + unserved, demand, rtol=1e-12, atol=1e-300)
    sold_py, unserved_py = allocate_demand_py(*market, max_rounds)
    scale = max(float(demand.max()), 1.0)
    np.testing.assert_allclose(sold, sold_py, rtol=1e-12, atol=1e-12 * scale)
    np.testing.assert_allclose(unserved, unserved_py, rtol=1e-12, atol=1e-12 * scale)


@SETTINGS
@given(goods_markets(extreme=False))
def test_goods_water_filling_with_enough_rounds(market):
    """With n + 2 rounds: demand is unserved only if the sector sold out, and firms with room left
    all sell the same amount per unit of share, the most any firm of the sector sells per share."""
    firm_sector, share, capacity, demand = market
    sold, unserved = allocate_demand(*market, len(firm_sector) + 2)
    for s in range(len(demand)):
        in_s = firm_sector == s
        if unserved[s] > 1e-12 * demand[s]:
            np.testing.assert_array_equal(sold[in_s], capacity[in_s])
        positive = in_s & (share > 0.0)
        room = positive & (sold < capacity)
        if room.any():
            level = sold[room] / share[room]
            np.testing.assert_allclose(level, level[0], rtol=1e-9)
            assert np.all(sold[positive] / share[positive] <= level[0] * (1.0 + 1e-9))
            # Zero-share firms sell nothing while a positive-share firm still has room.
            np.testing.assert_array_equal(sold[in_s & (share == 0.0)], 0.0)
