"""Tests of the labour-market matching kernel ``kernels.labour.match_labour`` and its twin."""

import numpy as np
import pytest

from kernels.labour import match_labour, match_labour_py


def make_market(rng, n, v, k, openings_mean=2.0):
    """Random seekers and vacancies with realistic wage scales (euros per quarter)."""
    seeker_skill = rng.integers(0, 3, n).astype(np.int64)
    seeker_field = rng.integers(0, 2, n).astype(np.int64)
    seeker_reservation = rng.lognormal(np.log(9000.0), 0.3, n)
    order = rng.permutation(n).astype(np.int64)
    vac_skill = rng.integers(0, 3, v).astype(np.int64)
    vac_field = rng.integers(-1, 2, v).astype(np.int64)
    # Round wages to 100 euros so that ties between vacancies actually happen.
    vac_wage = np.round(rng.lognormal(np.log(10000.0), 0.3, v), -2)
    vac_openings = rng.poisson(openings_mean, v).astype(np.int64)
    samples = (
        rng.integers(0, max(v, 1), (n, k)).astype(np.int64) if v > 0 else np.empty((n, 0), np.int64)
    )
    return (
        seeker_skill,
        seeker_field,
        seeker_reservation,
        order,
        vac_skill,
        vac_field,
        vac_wage,
        vac_openings,
        samples,
    )


def run_both(args):
    """Run kernel and twin on copies, check they agree exactly and left the inputs alone."""
    before = [a.copy() for a in args]
    match, filled = match_labour(*args)
    match_py, filled_py = match_labour_py(*args)
    for a, b in zip(args, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert match.dtype == np.int64 and filled.dtype == np.int64
    assert match.shape == (len(args[0]),) and filled.shape == (len(args[4]),)
    np.testing.assert_array_equal(match, match_py)
    np.testing.assert_array_equal(filled, filled_py)
    return match, filled


def check_properties(args, match, filled):
    """Properties every matching must have, whatever the inputs."""
    (
        seeker_skill,
        seeker_field,
        seeker_reservation,
        order,
        vac_skill,
        vac_field,
        vac_wage,
        vac_openings,
        samples,
    ) = args
    v = len(vac_skill)
    assert np.all(filled >= 0)
    assert np.all(filled <= vac_openings)
    assert np.all((match >= -1) & (match < v))
    # People are conserved: each vacancy's filled count is the number of seekers matched to it.
    np.testing.assert_array_equal(filled, np.bincount(match[match >= 0], minlength=v))

    def qualifies(i, c):
        return seeker_skill[i] >= vac_skill[c] and vac_field[c] in (-1, seeker_field[i])

    full = filled == vac_openings
    for i in range(len(seeker_skill)):
        c = match[i]
        row = samples[i] if v > 0 else []
        if c >= 0:
            assert c in row
            assert qualifies(i, c)
            assert vac_wage[c] >= seeker_reservation[i]
        # Any sampled vacancy the seeker would have preferred must have been full at its turn, and
        # since openings only fall, it is full at the end.
        for d in row:
            better = vac_wage[d] > vac_wage[c] if c >= 0 else True
            if qualifies(i, d) and vac_wage[d] >= seeker_reservation[i] and better:
                assert full[d]


@pytest.mark.parametrize(
    ("n", "v", "k", "seed"),
    [
        (1, 1, 1, 0),
        (7, 3, 2, 1),
        (200, 20, 8, 2),
        (3000, 300, 8, 3),
        (3000, 5, 4, 4),  # few vacancies: heavy contention
        (500, 2000, 16, 5),  # more vacancy rows than seekers
        (50, 10, 0, 6),  # k = 0: nobody looks at anything
        (513, 40, 1, 7),  # k = 1; crosses the kernel's block boundaries
        (257, 3, 3, 8),
    ],
)
def test_kernel_equals_twin_and_properties(n, v, k, seed):
    rng = np.random.default_rng(seed)
    args = make_market(rng, n, v, k)
    match, filled = run_both(args)
    check_properties(args, match, filled)


def test_random_market_matches_some_but_not_all():
    rng = np.random.default_rng(11)
    args = make_market(rng, 2000, 200, 8)
    match, filled = run_both(args)
    assert 0 < np.count_nonzero(match >= 0) < 2000
    assert filled.sum() == np.count_nonzero(match >= 0)


@pytest.mark.parametrize("k", [0, 3])
def test_no_vacancies(k):
    """v == 0: nobody is matched, whatever ``samples`` holds (its content must be ignored)."""
    rng = np.random.default_rng(1)
    args = list(make_market(rng, 20, 0, 0))
    args[8] = np.full((20, k), 12345, dtype=np.int64)
    match, filled = run_both(tuple(args))
    np.testing.assert_array_equal(match, np.full(20, -1))
    assert filled.shape == (0,)


def test_no_seekers():
    rng = np.random.default_rng(2)
    args = make_market(rng, 0, 5, 4)
    assert args[8].shape == (0, 4)
    match, filled = run_both(args)
    assert match.shape == (0,)
    np.testing.assert_array_equal(filled, np.zeros(5))


def test_no_seekers_no_vacancies():
    rng = np.random.default_rng(3)
    match, filled = run_both(make_market(rng, 0, 0, 0))
    assert match.shape == (0,) and filled.shape == (0,)


def test_zero_openings_everywhere():
    rng = np.random.default_rng(4)
    args = list(make_market(rng, 100, 10, 5))
    args[7] = np.zeros(10, dtype=np.int64)
    match, filled = run_both(tuple(args))
    assert np.all(match == -1) and np.all(filled == 0)


def test_one_firm_row_with_many_openings_fills_up_in_order():
    """Ten qualified seekers, one row with four openings: the first four in ``order`` get it."""
    n = 10
    order = np.array([3, 9, 0, 5, 1, 2, 4, 6, 7, 8], dtype=np.int64)
    args = (
        np.full(n, 2, np.int64),
        np.zeros(n, np.int64),
        np.full(n, 5000.0),
        order,
        np.array([1], np.int64),
        np.array([-1], np.int64),
        np.array([8000.0]),
        np.array([4], np.int64),
        np.zeros((n, 1), np.int64),
    )
    match, filled = run_both(args)
    np.testing.assert_array_equal(filled, [4])
    assert sorted(np.flatnonzero(match == 0)) == sorted(order[:4])


def single_opening_two_seekers(order):
    """Two identical seekers both sample the single opening of vacancy 0."""
    return (
        np.array([1, 1], np.int64),
        np.array([0, 0], np.int64),
        np.array([7000.0, 7000.0]),
        np.array(order, np.int64),
        np.array([1], np.int64),
        np.array([0], np.int64),
        np.array([9000.0]),
        np.array([1], np.int64),
        np.array([[0], [0]], np.int64),
    )


@pytest.mark.parametrize(("order", "winner"), [([0, 1], 0), ([1, 0], 1)])
def test_first_in_order_gets_the_opening(order, winner):
    match, filled = run_both(single_opening_two_seekers(order))
    assert match[winner] == 0
    assert match[1 - winner] == -1
    np.testing.assert_array_equal(filled, [1])


def test_earlier_seekers_unaffected_by_later_ones():
    """The matches of the first m seekers in ``order`` are what they get without the others."""
    rng = np.random.default_rng(21)
    args = make_market(rng, 400, 30, 6, openings_mean=3.0)
    match, _ = run_both(args)
    order = args[3]
    for m in (1, 50, 200, 399):
        first = order[:m]
        sub = (
            args[0][first],
            args[1][first],
            args[2][first],
            np.arange(m, dtype=np.int64),
            *args[4:8],
            args[8][first],
        )
        sub_match, _ = run_both(sub)
        np.testing.assert_array_equal(sub_match, match[first])


def one_seeker(skill, field, reservation, vac_skill, vac_field, vac_wage, openings, row):
    return (
        np.array([skill], np.int64),
        np.array([field], np.int64),
        np.array([reservation]),
        np.array([0], np.int64),
        np.array(vac_skill, np.int64),
        np.array(vac_field, np.int64),
        np.array(vac_wage, np.float64),
        np.array(openings, np.int64),
        np.array([row], np.int64),
    )


def test_takes_highest_wage_among_acceptable():
    # Vacancy 2 pays most but needs high skill; vacancy 3 pays more than 1 but has no opening.
    args = one_seeker(
        skill=1,
        field=1,
        reservation=6000.0,
        vac_skill=[0, 1, 2, 0],
        vac_field=[-1, 1, -1, 1],
        vac_wage=[7000.0, 8000.0, 12000.0, 9000.0],
        openings=[1, 1, 1, 0],
        row=[0, 3, 2, 1],
    )
    match, filled = run_both(args)
    assert match[0] == 1
    np.testing.assert_array_equal(filled, [0, 1, 0, 0])


def test_ties_go_to_the_first_in_the_sample_row():
    args = one_seeker(
        1, 0, 5000.0, [0, 0, 0], [-1, -1, -1], [9000.0, 9000.0, 8000.0], [1, 1, 1], [2, 1, 0]
    )
    match, _ = run_both(args)
    assert match[0] == 1


def test_same_vacancy_sampled_twice_counts_once():
    args = one_seeker(0, 0, 5000.0, [0], [-1], [9000.0], [3], [0, 0, 0])
    match, filled = run_both(args)
    assert match[0] == 0
    np.testing.assert_array_equal(filled, [1])


@pytest.mark.parametrize(
    ("skill", "field", "reservation", "vac_skill", "vac_field", "vac_wage", "matched"),
    [
        (1, 0, 8000.0, 1, 0, 8000.0, True),  # wage equal to reservation wage is accepted
        (1, 0, 8000.01, 1, 0, 8000.0, False),  # wage below reservation wage
        (2, 0, 1000.0, 1, 0, 8000.0, True),  # overqualified is fine
        (0, 0, 1000.0, 1, 0, 8000.0, False),  # underqualified
        (1, 1, 1000.0, 1, 0, 8000.0, False),  # wrong field
        (1, 1, 1000.0, 1, -1, 8000.0, True),  # any field
        (1, 0, 1000.0, 3, -1, 8000.0, False),  # a skill level no seeker has
    ],
)
def test_acceptability_conditions(
    skill, field, reservation, vac_skill, vac_field, vac_wage, matched
):
    args = one_seeker(skill, field, reservation, [vac_skill], [vac_field], [vac_wage], [1], [0])
    match, _ = run_both(args)
    assert bool(match[0] == 0) is matched


def test_levels_outside_the_documented_ones_follow_the_same_rule():
    """Skill 3 or -1, field 2, a vacancy field 5: the kernel's slow path must match the twin."""
    rng = np.random.default_rng(31)
    args = list(make_market(rng, 600, 60, 6))
    args[0] = rng.integers(-1, 5, 600).astype(np.int64)
    args[1] = rng.integers(0, 3, 600).astype(np.int64)
    args[4] = rng.integers(-1, 5, 60).astype(np.int64)
    args[5] = rng.integers(-1, 6, 60).astype(np.int64)
    args = tuple(args)
    match, filled = run_both(args)
    check_properties(args, match, filled)
    assert np.count_nonzero(match >= 0) > 0


def test_nan_wages_never_match():
    rng = np.random.default_rng(32)
    args = list(make_market(rng, 300, 30, 5))
    args[2] = args[2].copy()
    args[2][::7] = np.nan
    args[6] = args[6].copy()
    args[6][::5] = np.nan
    args = tuple(args)
    match, filled = run_both(args)
    check_properties(args, match, filled)
    assert np.all(match[::7] == -1)
    assert np.all(filled[::5] == 0)


def test_outputs_are_fresh_arrays():
    rng = np.random.default_rng(5)
    args = make_market(rng, 30, 5, 3)
    match, filled = match_labour(*args)
    assert not np.shares_memory(filled, args[7])
    filled[:] = -7
    match2, filled2 = match_labour(*args)
    np.testing.assert_array_equal(match2, match)
    assert np.all(filled2 >= 0)


def test_wage_code_preserves_order():
    """``_wage_code`` is monotone, a smaller code means a smaller number, and -0.0 codes as 0.0."""
    from kernels.labour import _wage_code

    rng = np.random.default_rng(41)
    special = [-np.inf, -1e300, -5.0, -1e-310, -0.0, 0.0, 5e-324, 1e-310, 1.0, 1e300, np.inf]
    base = rng.lognormal(np.log(9000.0), 0.3, 500)
    near = np.concatenate([base, np.nextafter(base, np.inf), base * (1 + 1e-5), -base])
    x = np.sort(np.concatenate([special, near]))
    codes = np.array([_wage_code(float(a)) for a in x])
    assert np.all(np.diff(codes) >= 0)
    assert np.all((codes >= 0) & (codes < 2**26))
    for a, b, ca, cb in zip(x[:-1], x[1:], codes[:-1], codes[1:], strict=True):
        if ca < cb:
            assert a < b
    assert _wage_code(-0.0) == _wage_code(0.0)


def test_prefetch_is_only_a_hint():
    """``_prefetch`` compiles for 1-d and 2-d arrays and changes nothing."""
    import numba

    from kernels.labour import _prefetch

    @numba.njit
    def touch(a, b):
        total = 0
        for i in range(a.shape[0]):
            _prefetch(a, i)
            _prefetch(b, (i, b.shape[1] - 1))
            total += a[i] + b[i, 0]
        return total

    a = np.arange(10, dtype=np.int64)
    b = np.arange(30, dtype=np.int64).reshape(10, 3)
    before = (a.copy(), b.copy())
    assert touch(a, b) == a.sum() + b[:, 0].sum()
    np.testing.assert_array_equal(a, before[0])
    np.testing.assert_array_equal(b, before[1])


@pytest.mark.parametrize("seed", range(4))
def test_wages_closer_than_the_wage_code_resolution(seed):
    """Wages and reservation wages equal, one ulp apart, or 1e-6 apart (all below the resolution
    of the kernel's 26-bit wage codes): the kernel must decide these on the exact wages."""
    rng = np.random.default_rng(50 + seed)
    args = list(make_market(rng, 2000, 60, 6, openings_mean=4.0))
    levels = np.array([9000.0, 10000.0, 11000.0])
    wage = rng.choice(levels, 60)
    wage = np.where(rng.random(60) < 0.3, np.nextafter(wage, np.inf), wage)
    wage = np.where(rng.random(60) < 0.3, np.nextafter(wage, -np.inf), wage)
    wage = np.where(rng.random(60) < 0.3, wage * (1 + 1e-6), wage)
    reservation = rng.choice(levels, 2000) * (1 + 1e-9 * rng.integers(-2, 3, 2000))
    args[6] = wage
    args[2] = reservation
    args = tuple(args)
    match, filled = run_both(args)
    check_properties(args, match, filled)
    assert np.count_nonzero(match >= 0) > 0


def test_signed_zeros_and_infinite_wages():
    rng = np.random.default_rng(61)
    args = list(make_market(rng, 800, 40, 5))
    args[6] = rng.choice(np.array([-0.0, 0.0, np.inf, -np.inf, 5.0, 9000.0]), 40)
    args[2] = rng.choice(np.array([-0.0, 0.0, np.inf, -np.inf, 5.0, 9000.0, np.nan]), 800)
    args = tuple(args)
    match, filled = run_both(args)
    check_properties(args, match, filled)
    assert np.count_nonzero(match >= 0) > 0
