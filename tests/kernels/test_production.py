"""Production kernels (``kernels.production``) against their plain-Python twins, the numpy
expressions they replaced (bit for bit: the frozen references) and their threaded versions."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from kernels.philox import philox_uniforms
from kernels.production import (
    CHUNK,
    np_sum,
    plan_firms,
    plan_firms_parallel,
    plan_firms_py,
    produce_firms,
    produce_firms_parallel,
    produce_firms_py,
)

K0, K1, Q, M = np.uint64(0x1234), np.uint64(0xABCDEF), 10_007, 5
N_S, HIGH, SCALE = 8, 2, 20.0


def _readonly(a):
    """The model passes the wage matrix read-only (``EconomyState.firm_wages``): the same
    argument types here reuse the kernels the model compiled (and cached)."""
    a.flags.writeable = False
    return a


def _firms(n, seed):
    rng = np.random.default_rng(seed)
    return dict(
        expected=rng.uniform(0, 2e6, n),
        inventory=rng.uniform(0, 4e5, n),
        capital=rng.uniform(0, 3e6, n),
        productivity=rng.uniform(2e4, 8e4, n),
        sector=rng.integers(0, N_S, n),
        keys=rng.permutation(10 * n + 1)[:n].astype(np.int64) + 1,
        kappa=rng.uniform(0.2, 0.6, N_S),
        skill_mix=rng.dirichlet(np.ones(3), N_S),
        wages=_readonly(rng.uniform(8e3, 3e4, (n, 3))),
        rd_target=rng.uniform(0, 2e5, n) * (rng.random(n) < 0.3),
        staff=rng.integers(0, 12, (n, 3)),
    )


def _plan_args(d, margin=1.2, iota=0.1):
    return (
        d["expected"], d["inventory"], d["capital"], d["productivity"], d["sector"], d["keys"],
        d["kappa"], d["skill_mix"], d["wages"], d["rd_target"], 0.6, iota, SCALE, margin, HIGH,
        K0, K1, Q, M, d["staff"],
    )  # fmt: skip


def _plan_numpy(d, margin=1.2, iota=0.1):
    """The numpy code of ``abm.mechanisms.production.plan`` before the kernel."""
    cap = d["kappa"][d["sector"]] * d["capital"]
    planned = np.clip(d["expected"] * (1 + iota) - d["inventory"], 0.0, cap)
    rd_staff = 0.6 * d["rd_target"] / d["wages"][:, HIGH]
    desired = planned[:, None] / d["productivity"][:, None] * d["skill_mix"][d["sector"]]
    desired[:, HIGH] += rd_staff
    u = philox_uniforms(K0, K1, d["keys"], Q, M, 3)
    want = np.floor(desired / SCALE + u).astype(np.int64)
    have = d["staff"]
    surplus = np.where(have > np.ceil(want * margin), (have - want + 1) // 2, 0)
    p_fire = np.divide(surplus, have, out=np.zeros(have.shape), where=have > 0)
    return planned, rd_staff, want, p_fire


@pytest.mark.parametrize("n", [0, 1, 37, CHUNK + 5])
def test_plan_firms_equals_numpy_and_twin(n):
    d = _firms(n, n)
    got = plan_firms(*_plan_args(d))
    for x, y in zip(got[:4], _plan_numpy(d), strict=True):
        np.testing.assert_array_equal(x, y)
    assert got[4][0] == 0 and np.array_equal(got[4][1:].astype(bool), (got[3] > 0).any(axis=1))
    small = {k: v[:40] if k not in ("kappa", "skill_mix") else v for k, v in d.items()}
    for x, y in zip(plan_firms(*_plan_args(small)), plan_firms_py(*_plan_args(small)), strict=True):
        np.testing.assert_array_equal(x, y)


def test_plan_firms_sheds_only_above_the_hoarding_margin():
    d = _firms(500, 1)
    planned, _, want, p_fire, sheds = plan_firms(*_plan_args(d, margin=1.5))
    held = d["staff"]
    assert ((p_fire > 0) == (held > np.ceil(want * 1.5))).all()
    assert (p_fire <= 0.5 + 0.5 / np.maximum(held, 1)).all()  # at most half the surplus, rounded up
    assert (planned <= d["kappa"][d["sector"]] * d["capital"]).all() and (planned >= 0).all()
    assert sheds.sum() == (p_fire > 0).any(axis=1).sum()


def _produce_inputs(n, seed):
    d = _firms(n, seed)
    rng = np.random.default_rng(seed + 1)
    plan = rng.uniform(0, 2e6, n)
    rd_desired = rng.uniform(0, 30, n)
    persons = d["staff"].sum(axis=1) * SCALE
    io = rng.uniform(0, 0.1, (N_S, N_S))
    price = rng.uniform(0.9, 1.2, N_S)
    return (
        plan, rd_desired, d["productivity"], d["sector"], persons, d["staff"], d["wages"], io,
        price, SCALE, HIGH, 0.6, d["inventory"], 6,
    )  # fmt: skip


def _produce_numpy(plan, rd_desired, prod, sector, persons, staff, wages, io, price, *rest):
    """The numpy code of ``abm.mechanisms.production.produce`` before the kernel."""
    scale, high, share, inventory, services = rest
    rd_staff = np.minimum(rd_desired, staff[:, high] * scale)
    q = np.maximum(np.minimum(plan, prod * (persons - rd_staff)), 0.0)
    rd_wages = rd_staff * wages[:, high]
    rd = rd_wages / share
    interm = io[:, sector] * q[None, :] * price[:, None]
    by_firm = interm.sum(axis=0) + (rd - rd_wages)
    d = interm.sum(axis=1)
    d[services] += (rd - rd_wages).sum()
    return q, inventory + q, rd, rd_staff, rd_wages, by_firm, d


@pytest.mark.parametrize("n", [0, 1, 129, 3 * CHUNK + 1])
def test_produce_firms_equals_numpy_and_twin(n):
    args = _produce_inputs(n, n)
    inventory = args[12].copy()
    got = produce_firms(*args)
    np.testing.assert_array_equal(args[12], inventory)  # inputs are not written
    for x, y in zip(got, _produce_numpy(*args), strict=True):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(got, produce_firms_py(*args), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-13, atol=1e-9)
    # the books balance: what firms buy is what sectors sell
    np.testing.assert_allclose(got[5].sum(), got[6].sum(), rtol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 127, 128, 129, 1000, 65_537])
def test_np_sum_has_numpys_bits(n):
    rng = np.random.default_rng(n)
    a = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)  # rounding errors that show
    assert np_sum(a) == a.sum()


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba has one thread here")
def test_threaded_production_kernels_equal_serial():
    numba.set_num_threads(2)
    d = _firms(3 * CHUNK + 11, 9)
    for x, y in zip(plan_firms(*_plan_args(d)), plan_firms_parallel(*_plan_args(d)), strict=True):
        np.testing.assert_array_equal(x, y)
    args = _produce_inputs(3 * CHUNK + 11, 9)
    for x, y in zip(produce_firms(*args), produce_firms_parallel(*args), strict=True):
        np.testing.assert_array_equal(x, y)


def test_plan_divides_by_zero_as_numpy_does():
    """A zero wage gives an infinite R&D staff wanted, as numpy's division does, not an error."""
    d = _firms(3, 4)
    wages = d["wages"].copy()
    wages[:, HIGH] = 0.0
    d["wages"] = _readonly(wages)
    d["rd_target"][:] = 1e5
    _, rd_staff, *_ = plan_firms(*_plan_args(d))
    assert np.isinf(rd_staff).all()
