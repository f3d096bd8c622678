"""Tests of the innovation kernel: twin agreement, edge cases and economic properties."""

import numpy as np
import pytest

from kernels.innovation import innovate, innovate_py

PARAM_NAMES = ("k_ref", "sigma", "eta", "zeta_in", "zeta_im")


def innovation_case(n, n_sectors, n_peers, rng, **overrides):
    """Random inputs for ``innovate`` as a dict keyed by its parameter names."""
    firm_sector = rng.integers(0, n_sectors, size=n).astype(np.int64)
    case = {
        "firm_sector": firm_sector,
        "productivity": rng.lognormal(0.0, 0.4, size=n),
        "rd_innovation": rng.gamma(2.0, 0.5, size=n),
        "rd_imitation": rng.gamma(2.0, 0.5, size=n),
        "knowledge_intensity": rng.uniform(0.0, 3.0, size=n_sectors),
        "k_ref": 1.0,
        "sigma": 0.8,
        "eta": 0.7,
        "zeta_in": 0.4,
        "zeta_im": 0.4,
        "u_in": rng.random(n),
        "jump": -0.15 + 0.3 * rng.beta(2.0, 2.0, size=n),
        "u_im": rng.random(n),
        "peer_u": rng.random((n, n_peers)),
        "u_pick": rng.random(n),
    }
    case.update(overrides)
    case["sector_members"], case["sector_start"] = sector_index(case["firm_sector"], n_sectors)
    return case


def sector_index(firm_sector, n_sectors):
    members = np.argsort(firm_sector, kind="stable").astype(np.int64)
    start = np.zeros(n_sectors + 1, dtype=np.int64)
    start[1:] = np.cumsum(np.bincount(firm_sector, minlength=n_sectors))
    return members, start


def run(fn, case):
    return fn(**case)


def assert_same(got, want):
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=0.0)
    assert np.array_equal(got[1], want[1])
    assert np.array_equal(got[2], want[2])


# ---------------------------------------------------------------------------------------------
# Twin agreement and edge cases
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 40, 3000])
@pytest.mark.parametrize("n_peers", [0, 1, 4])
def test_twin_agrees(n, n_peers):
    # 12 sectors for few firms: several sectors are empty.
    case = innovation_case(n, 12 if n < 100 else 6, n_peers, np.random.default_rng(n + n_peers))
    got = run(innovate, case)
    assert_same(got, run(innovate_py, case))
    assert got[1].any() or n < 10
    assert got[2].any() or n < 10


def test_no_firms():
    case = innovation_case(0, 4, 3, np.random.default_rng(0))
    got = run(innovate, case)
    assert [a.shape for a in got] == [(0,), (0,), (0,)]
    assert got[1].dtype == np.bool_ and got[2].dtype == np.bool_
    assert_same(got, run(innovate_py, case))


def test_zero_rd_leaves_productivity_unchanged():
    rng = np.random.default_rng(1)
    case = innovation_case(500, 5, 4, rng, rd_innovation=np.zeros(500), rd_imitation=np.zeros(500))
    new, innovated, imitated = run(innovate, case)
    assert np.array_equal(new, case["productivity"])
    assert not innovated.any() and not imitated.any()
    assert_same((new, innovated, imitated), run(innovate_py, case))


def test_productivity_never_falls_and_changes_only_on_success():
    case = innovation_case(5000, 6, 4, np.random.default_rng(2))
    new, innovated, imitated = run(innovate, case)
    a = case["productivity"]
    assert np.all(new >= a)
    assert np.array_equal(new[~innovated & ~imitated], a[~innovated & ~imitated])
    assert np.any(new > a)
    # An innovation with a negative jump is tried but not adopted.
    bad_jump = innovated & ~imitated & (case["jump"] < 0)
    assert bad_jump.any() and np.array_equal(new[bad_jump], a[bad_jump])
    # A pure innovator adopts exactly a * (1 + jump) when it is better.
    good_jump = innovated & ~imitated & (case["jump"] > 0)
    np.testing.assert_allclose(new[good_jump], a[good_jump] * (1 + case["jump"][good_jump]))


def test_success_probability_formula():
    # p = 1 - exp(-zeta * rd * m) with m = 1 + sigma * (k / k_ref)^eta.
    n = 1
    rd, zeta, sigma, eta, k = 0.7, 0.4, 0.8, 0.5, 2.25
    m = 1 + sigma * (k / 1.5) ** eta
    p = 1 - np.exp(-zeta * rd * m)
    for u, expected in ((p - 1e-9, True), (p + 1e-9, False)):
        case = innovation_case(
            n,
            1,
            0,
            np.random.default_rng(3),
            rd_innovation=np.array([rd]),
            rd_imitation=np.array([rd]),
            knowledge_intensity=np.array([k]),
            k_ref=1.5,
            sigma=sigma,
            eta=eta,
            zeta_in=zeta,
            zeta_im=zeta,
            u_in=np.array([u]),
            u_im=np.array([u]),
        )
        _, innovated, imitated = run(innovate, case)
        assert innovated[0] == expected and imitated[0] == expected


def test_knowledge_intensity_raises_success_when_spillovers_on():
    rng = np.random.default_rng(4)
    n = 20_000
    low = innovation_case(n, 2, 4, rng, knowledge_intensity=np.array([0.2, 0.2]))
    high = dict(low, knowledge_intensity=np.array([0.2, 3.0]))  # same draws, sector 1 richer
    _, inn_low, imi_low = run(innovate, low)
    _, inn_high, imi_high = run(innovate, high)
    in_sector_1 = low["firm_sector"] == 1
    assert inn_high[in_sector_1].sum() > inn_low[in_sector_1].sum() + 100
    assert imi_high[in_sector_1].sum() > imi_low[in_sector_1].sum() + 100
    # With the same draws success is monotone: nobody loses a success.
    assert np.all(inn_high >= inn_low) and np.all(imi_high >= imi_low)
    # Sector 0 is untouched.
    assert np.array_equal(inn_high[~in_sector_1], inn_low[~in_sector_1])


def test_no_spillover_effect_when_sigma_zero_or_no_knowledge():
    rng = np.random.default_rng(5)
    base = innovation_case(3000, 3, 4, rng, sigma=0.0)
    other = dict(base, knowledge_intensity=base["knowledge_intensity"] * 10 + 5)
    for got, want in zip(run(innovate, other), run(innovate, base), strict=True):
        assert np.array_equal(got, want)
    # m_s = 1 when k_s <= 0, whatever sigma: same as sigma = 0.
    none = dict(base, knowledge_intensity=np.array([0.0, -1.0, 0.0]), sigma=5.0)
    off = dict(none, sigma=0.0)
    for got, want in zip(run(innovate, none), run(innovate, off), strict=True):
        assert np.array_equal(got, want)


def test_imitation_never_copies_another_sector():
    rng = np.random.default_rng(6)
    n, n_sectors = 4000, 5
    firm_sector = rng.integers(0, n_sectors, size=n).astype(np.int64)
    # Sector s has productivities in [10 s + 1, 10 s + 2): a copy across sectors would show.
    productivity = 10.0 * firm_sector + 1.0 + rng.random(n)
    case = innovation_case(
        n,
        n_sectors,
        4,
        rng,
        firm_sector=firm_sector,
        productivity=productivity,
        rd_innovation=np.zeros(n),
        rd_imitation=np.full(n, 5.0),
    )
    new, innovated, imitated = run(innovate, case)
    assert not innovated.any() and imitated.mean() > 0.8
    assert np.any(new > productivity)
    for s in range(n_sectors):
        own = firm_sector == s
        assert np.all(np.isin(new[own], productivity[own]))  # copied from an own-sector firm
    assert_same((new, innovated, imitated), run(innovate_py, case))


def test_no_peers_means_imitation_finds_nothing():
    case = innovation_case(300, 3, 0, np.random.default_rng(7), rd_innovation=np.zeros(300))
    new, _, imitated = run(innovate, case)
    assert imitated.any()
    assert np.array_equal(new, case["productivity"])


def test_peer_choice_favours_close_technology():
    # Firm 0 (a = 1) imitates; its two candidate peers are firm 1 (a = 1.1, close) and firm 2
    # (a = 3, far). Weights 1/(1 + 0.1) and 1/(1 + 2): P(close) = (1/1.1) / (1/1.1 + 1/3).
    productivity = np.array([1.0, 1.1, 3.0])
    p_close = (1 / 1.1) / (1 / 1.1 + 1 / 3)
    common = {
        "firm_sector": np.zeros(3, np.int64),
        "productivity": productivity,
        "rd_innovation": np.zeros(3),
        "rd_imitation": np.array([100.0, 0.0, 0.0]),
        "peer_u": np.array([[0.5, 0.9], [0.0, 0.0], [0.0, 0.0]]),  # members 1 and 2
    }
    for u_pick, expected in ((p_close - 1e-6, 1.1), (p_close + 1e-6, 3.0)):
        case = innovation_case(
            3, 1, 2, np.random.default_rng(8), u_pick=np.array([u_pick, 0.0, 0.0]), **common
        )
        case["u_im"] = np.zeros(3)
        new, _, imitated = run(innovate, case)
        assert imitated.tolist() == [True, False, False]
        assert new.tolist() == [expected, 1.1, 3.0]
        assert_same((new, _, imitated), run(innovate_py, case))


def test_imitation_reads_old_productivities():
    # Firm 0 innovates to 2.0; firm 1 imitates firm 0 and must copy its *old* productivity.
    case = innovation_case(
        2,
        1,
        1,
        np.random.default_rng(9),
        productivity=np.array([1.0, 0.5]),
        rd_innovation=np.array([100.0, 0.0]),
        rd_imitation=np.array([0.0, 100.0]),
        jump=np.array([1.0, 0.0]),
        peer_u=np.array([[0.0], [0.0]]),  # the only candidate is member 0 = firm 0
    )
    new, innovated, imitated = run(innovate, case)
    assert innovated.tolist() == [True, False] and imitated.tolist() == [False, True]
    assert new.tolist() == [2.0, 1.0]


@pytest.mark.parametrize("n", [0, 1, 40, 3000, 3 * 4096 + 17])
def test_keyed_kernel_equals_innovate_with_the_keyed_uniforms(n):
    """The model's call draws each firm's eight uniforms inside (the second block only for
    imitators), by chunks of firms: the same result to the bit as ``innovate`` given
    ``philox_uniforms``, whatever the thread count."""
    import numba

    from kernels.innovation import innovate_keyed, innovate_keyed_parallel, innovate_keyed_py
    from kernels.philox import philox_uniforms

    rng = np.random.default_rng(n)
    case = innovation_case(n, 6, 4, rng)
    keys = rng.permutation(5 * n + 1)[:n].astype(np.int64) + 1
    k0, k1, q, m = np.uint64(99), np.uint64(12345), 10_004, 6
    d = philox_uniforms(k0, k1, keys, q, m, 8)
    case.update(u_in=d[:, 0], u_im=d[:, 1], peer_u=d[:, 2:6].copy(), u_pick=d[:, 6].copy())
    want = innovate(**case)
    keyed = {k: v for k, v in case.items() if k not in ("u_in", "u_im", "peer_u", "u_pick")}
    order = [
        "firm_sector", "productivity", "rd_innovation", "rd_imitation", "knowledge_intensity",
        "k_ref", "sigma", "eta", "zeta_in", "zeta_im", "jump",
    ]  # fmt: skip
    args = [keyed[k] for k in order] + [keys, k0, k1, q, m]
    args += [keyed["sector_members"], keyed["sector_start"]]
    got = innovate_keyed(*args)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    assert_same(innovate_keyed_py(*args), got)
    assert n < 10 or (got[1].any() and got[2].any())
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        par = innovate_keyed_parallel(*args)
    finally:
        numba.set_num_threads(before)
    for g, p in zip(got, par, strict=True):
        np.testing.assert_array_equal(g, p)
