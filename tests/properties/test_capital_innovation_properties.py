"""Hypothesis properties of the compiled capital and innovation kernels.

Money is conserved (investors' funds, sector pots), funding stays within requests and budgets and
follows the prospect queue, and productivity never falls and only moves to a value the firm
could have reached (its innovation or a peer of its own sector).
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kernels.capital import allocate_investors, fund_requests
from kernels.innovation import innovate

SETTINGS = settings(max_examples=60, deadline=None)

# euros: subnormal amounts (below 1e-308) have no meaning and no relative precision
money = st.floats(0.0, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
rate = st.floats(-0.5, 0.5, allow_nan=False, allow_infinity=False)
unit = st.floats(0.0, 1.0, allow_nan=False, exclude_max=True)


def vector(n, elements):
    return hnp.arrays(np.float64, n, elements=elements)


# ---------------------------------------------------------------------------------------------
# Capital
# ---------------------------------------------------------------------------------------------


@st.composite
def investor_inputs(draw):
    m = draw(st.integers(0, 12))
    n_sectors = draw(st.integers(0, 6))
    return (
        draw(vector(m, money)),
        draw(vector(m, st.floats(0.0, 5.0))),
        draw(hnp.arrays(np.int64, m, elements=st.integers(0, 1))),
        draw(vector(n_sectors, rate)),
        draw(vector(n_sectors, st.floats(0.0, 1.0))),
        draw(rate),
        draw(st.floats(0.0, 200.0)),
        draw(st.floats(0.0, 10.0)),
    )


@SETTINGS
@given(investor_inputs())
def test_allocation_conserves_each_investors_funds(args):
    funds = args[0]
    alloc = allocate_investors(*args)
    assert alloc.shape == (len(funds), len(args[3]) + 1)
    assert np.all(np.isfinite(alloc)) and np.all(alloc >= 0.0)
    np.testing.assert_allclose(alloc.sum(axis=1), funds, rtol=1e-12, atol=1e-300)


@st.composite
def funding_inputs(draw):
    n = draw(st.integers(0, 40))
    n_sectors = draw(st.integers(1, 4))
    firm_sector = draw(hnp.arrays(np.int64, n, elements=st.integers(0, n_sectors - 1)))
    request = draw(vector(n, st.one_of(st.just(0.0), money)))
    # Few distinct prospects so that ties (and -0.0 against 0.0) are common.
    prospect = draw(vector(n, st.sampled_from([-1.0, -0.0, 0.0, 0.25, 0.5, 3.0])))
    sector_private = draw(vector(n_sectors, money))
    match_ratio = draw(vector(n_sectors, st.one_of(st.just(0.0), st.floats(0.0, 3.0))))
    sector_public = draw(vector(n_sectors, money))
    return firm_sector, request, prospect, sector_private, match_ratio, sector_public


@SETTINGS
@given(funding_inputs())
def test_funding_conserves_money_and_respects_bounds(args):
    firm_sector, request, _, sector_private, match_ratio, sector_public = args
    private, public, private_left, public_left = fund_requests(*args)
    n_sectors = len(sector_private)
    for arr in (private, public, private_left, public_left):
        assert np.all(arr >= 0.0)
    tol = 1e-9 * (1.0 + sector_private.sum() + sector_public.sum())
    placed = np.bincount(firm_sector, weights=private, minlength=n_sectors)
    np.testing.assert_allclose(placed + private_left, sector_private, rtol=0, atol=tol)
    placed = np.bincount(firm_sector, weights=public, minlength=n_sectors)
    np.testing.assert_allclose(placed + public_left, sector_public, rtol=0, atol=tol)
    assert np.all(private + public <= request * (1 + 1e-12))
    assert np.all(public <= match_ratio[firm_sector] * private * (1 + 1e-12))
    assert np.all(private_left <= sector_private) and np.all(public_left <= sector_public)


@SETTINGS
@given(funding_inputs())
def test_funding_follows_the_prospect_queue(args):
    firm_sector, request, prospect, _, match_ratio, _ = args
    private = fund_requests(*args)[0]
    full = request / (1.0 + match_ratio[firm_sector])
    for s in np.unique(firm_sector):
        queue = np.flatnonzero(firm_sector == s)
        queue = queue[np.argsort(-prospect[queue], kind="mergesort")]
        asking = queue[request[queue] > 0]
        # Fully served, then at most one partly served firm, then nothing.
        served = private[asking] >= full[asking] * (1 - 1e-12)
        if not served.all():
            first_short = int(np.argmin(served))
            assert served[:first_short].all()
            assert not private[asking[first_short + 1 :]].any()


# ---------------------------------------------------------------------------------------------
# Innovation
# ---------------------------------------------------------------------------------------------


@st.composite
def innovation_inputs(draw):
    n = draw(st.integers(0, 30))
    n_sectors = draw(st.integers(1, 5))
    n_peers = draw(st.integers(0, 4))
    firm_sector = draw(hnp.arrays(np.int64, n, elements=st.integers(0, n_sectors - 1)))
    members = np.argsort(firm_sector, kind="stable").astype(np.int64)
    start = np.zeros(n_sectors + 1, dtype=np.int64)
    start[1:] = np.cumsum(np.bincount(firm_sector, minlength=n_sectors))
    effort = st.floats(0.0, 20.0)
    return {
        "firm_sector": firm_sector,
        "productivity": draw(vector(n, st.floats(1e-3, 1e3))),
        "rd_innovation": draw(vector(n, effort)),
        "rd_imitation": draw(vector(n, effort)),
        "knowledge_intensity": draw(vector(n_sectors, st.floats(0.0, 10.0))),
        "k_ref": draw(st.floats(0.1, 10.0)),
        "sigma": draw(st.floats(0.0, 3.0)),
        "eta": draw(st.floats(0.0, 3.0)),
        "zeta_in": draw(st.floats(0.01, 2.0)),
        "zeta_im": draw(st.floats(0.01, 2.0)),
        "u_in": draw(vector(n, unit)),
        "jump": draw(vector(n, st.floats(-0.5, 0.5))),
        "u_im": draw(vector(n, unit)),
        "peer_u": draw(hnp.arrays(np.float64, (n, n_peers), elements=unit)),
        "u_pick": draw(vector(n, unit)),
        "sector_members": members,
        "sector_start": start,
    }


@SETTINGS
@given(innovation_inputs())
def test_productivity_moves_only_up_to_reachable_values(case):
    a = case["productivity"]
    new, innovated, imitated = innovate(**case)
    assert new.shape == a.shape and np.all(new >= a)
    assert np.array_equal(new[~innovated & ~imitated], a[~innovated & ~imitated])
    assert not innovated[case["rd_innovation"] == 0].any()
    assert not imitated[case["rd_imitation"] == 0].any()
    for i in np.flatnonzero(new > a):
        s = case["firm_sector"][i]
        own = a[case["firm_sector"] == s]
        from_innovation = innovated[i] and new[i] == a[i] * (1 + case["jump"][i])
        from_imitation = imitated[i] and new[i] in own
        assert from_innovation or from_imitation
