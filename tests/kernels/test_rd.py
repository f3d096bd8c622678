"""R&D support and the R&D rule (``kernels.rd``) against the numpy code they replaced (bit for
bit: the frozen references), their plain-Python twins and the threaded R&D rule."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from kernels.rd import (
    CHUNK,
    np_scalar_power,
    np_scalar_power_py,
    plan_rd_firms,
    plan_rd_firms_parallel,
    plan_rd_firms_py,
    rd_credit,
    rd_credit_py,
    user_cost,
    user_cost_py,
)

RATES = (0.5, 0.36, 0.16, 1.07, 380_000.0)  # starter, first, second, rate scale, bracket


def _bits(a):
    return np.asarray(a, dtype=np.float64).view(np.uint64)


def _firms(n, seed):
    rng = np.random.default_rng(seed)
    return {
        "rd_wages": rng.uniform(0, 4e5, n) * (rng.random(n) < 0.6),
        "weight": rng.uniform(1, 40, n),
        "age": rng.integers(0, 60, n).astype(np.int64),
        "eligible": rng.random(n) < 0.8,
        "credit": rng.uniform(0, 3e4, n) * (rng.random(n) < 0.5),
        "grants": rng.uniform(0, 2e4, n) * (rng.random(n) < 0.2),
        "box": rng.uniform(0, 1e4, n) * (rng.random(n) < 0.3),
        "rd": rng.uniform(0, 2e5, n) * (rng.random(n) < 0.7),
        "subsidy": rng.uniform(-0.1, 1.0, n),
        "sector": rng.integers(0, 6, n).astype(np.int64),
        "rd_nu": rng.uniform(0, 0.08, n),
        "rd_ratio": rng.uniform(0, 0.1, n) * (rng.random(n) < 0.9),
        "sales": rng.normal(5e5, 4e5, n),
    }


def _credit_numpy(rd_wages, weight, age, mask, rates, starter_age):
    """``abm.policy.rd_tax_credit.credit`` before the kernel."""
    starter, first_rate, second, scale_r, bracket = rates
    rd_wage = rd_wages / weight * 4
    first = np.where(age < starter_age, starter, first_rate) * scale_r
    annual = np.minimum(first, 1.0) * np.minimum(rd_wage, bracket) + min(
        second * scale_r, 1.0
    ) * np.maximum(rd_wage - bracket, 0.0)
    return np.where(mask, annual / 4 * weight, 0.0)


def _user_cost_numpy(credit, grants, box, w, rd):
    """``abm.mechanisms.innovation.update_user_cost`` before the kernel."""
    support = credit + grants + w * box
    rate = np.divide(support, np.maximum(rd, 1e-9), out=np.zeros(rd.size), where=rd > 0)
    return np.clip(rate, 0.0, 0.9)


def _plan_numpy(subsidy, opportunity, sector, rd_nu, rd_ratio, sales, eps_l, lam):
    """``abm.mechanisms.innovation.plan_rd`` before the kernel."""
    ucost = np.clip(1 - subsidy, 0.05, 1.0) / opportunity[sector]
    target = np.maximum(rd_nu * ucost ** (-eps_l), 1e-9)
    cur = np.maximum(rd_ratio, 1e-9)
    ratio = np.exp((1 - lam) * np.log(cur) + lam * np.log(target))
    return ratio, ratio * np.maximum(sales, 0.0)


@pytest.mark.parametrize("n", [0, 1, CHUNK + 1, 20_000])
def test_credit_and_user_cost_equal_the_numpy_code_bit_for_bit(n):
    d = _firms(n, n)
    want = _credit_numpy(d["rd_wages"], d["weight"], d["age"], d["eligible"], RATES, 20)
    got = rd_credit(d["rd_wages"], d["weight"], d["age"], d["eligible"], RATES, 20)
    np.testing.assert_array_equal(_bits(got), _bits(want))
    want = _user_cost_numpy(d["credit"], d["grants"], d["box"], 0.5, d["rd"])
    got = user_cost(d["credit"], d["grants"], d["box"], 0.5, d["rd"])
    np.testing.assert_array_equal(_bits(got), _bits(want))


# the exponent is -eps_l: eps_l of 1 (the calibration's), -0.5 and -2 take numpy's shortcuts
# for a scalar power (a division, a square root, a product)
@pytest.mark.parametrize("eps_l", [1.0, -0.5, -2.0, 0.5, 0.37, 1.5, 0.0])
@pytest.mark.parametrize("n", [0, 1, CHUNK - 1, 3 * CHUNK + 7])
def test_plan_rd_equals_the_numpy_code_bit_for_bit(n, eps_l, numpy_baseline):
    d = _firms(n, n + 1)
    opportunity = np.random.default_rng(n).uniform(0.7, 1.6, 6)
    args = (d["subsidy"], opportunity, d["sector"], d["rd_nu"], d["rd_ratio"], d["sales"])
    lam = 1 - (1 - min(0.1 / max(eps_l, 1e-9), 0.99)) ** 0.25
    want = numpy_baseline(_plan_numpy, *args, eps_l, lam)  # numpy's bits at its baseline
    got = plan_rd_firms(*args, eps_l, lam)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(_bits(g), _bits(w))


def test_the_kernels_equal_their_twins():
    d = _firms(400, 7)
    args = (d["rd_wages"], d["weight"], d["age"], d["eligible"], RATES, 20)
    np.testing.assert_array_equal(rd_credit(*args), rd_credit_py(*args))
    args = (d["credit"], d["grants"], d["box"], 0.5, d["rd"])
    np.testing.assert_array_equal(user_cost(*args), user_cost_py(*args))
    opportunity = np.linspace(0.8, 1.3, 6)
    args = (d["subsidy"], opportunity, d["sector"], d["rd_nu"], d["rd_ratio"], d["sales"])
    for g, w in zip(
        plan_rd_firms(*args, 1.0, 0.03), plan_rd_firms_py(*args, 1.0, 0.03), strict=True
    ):
        np.testing.assert_array_equal(g, w)
    for e in (-1.0, 0.5, 2.0, -0.3):
        assert np_scalar_power(1.7, e) == np_scalar_power_py(1.7, e) == (np.array([1.7]) ** e)[0]


def test_two_threads_give_the_same_plans():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    d = _firms(5 * CHUNK + 3, 11)
    opportunity = np.linspace(0.8, 1.3, 6)
    args = (
        d["subsidy"],
        opportunity,
        d["sector"],
        d["rd_nu"],
        d["rd_ratio"],
        d["sales"],
        1.0,
        0.03,
    )
    numba.set_num_threads(2)
    try:
        par = plan_rd_firms_parallel(*args)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    for g, w in zip(par, plan_rd_firms(*args), strict=True):
        np.testing.assert_array_equal(_bits(g), _bits(w))


def test_edge_values_give_numpy_bits():
    """Signed zeros, NaN, zero weights and opportunities: inf and NaN where numpy gives them
    (no ZeroDivisionError), +0.0 where ``np.maximum(-0.0, 0.0)`` gives it."""
    sales = np.array([-0.0, 0.0, np.nan, -5.0, 3.0, np.inf])
    n = sales.size
    subsidy = np.array([0.2, 1.0, 0.3, np.nan, 0.1, 0.0])
    opportunity = np.array([1.0, 0.0, np.inf])
    sector = np.array([0, 1, 2, 0, 1, 0], dtype=np.int64)
    rd_nu = np.array([0.02, 0.0, 0.03, 0.01, np.nan, 0.02])
    rd_ratio = np.array([0.01, -0.0, np.nan, 0.0, 0.02, np.inf])
    args = (subsidy, opportunity, sector, rd_nu, rd_ratio, sales)
    for eps_l in (1.0, 0.37):
        with np.errstate(all="ignore"):
            want = _plan_numpy(*args, eps_l, 0.03)
        for g, w in zip(plan_rd_firms(*args, eps_l, 0.03), want, strict=True):
            np.testing.assert_array_equal(_bits(g), _bits(w))
    rd_wages = np.array([-0.0, 1e5, np.nan, 4e5, 0.0, 1e5])
    weight = np.array([1.0, 0.0, 2.0, 3.0, 0.0, 1.0])
    age = np.arange(n, dtype=np.int64) * 10
    mask = np.ones(n, dtype=bool)
    for rates in (RATES, (0.5, 0.36, 0.16, 1.0, 0.0)):
        with np.errstate(all="ignore"):
            want = _credit_numpy(rd_wages, weight, age, mask, rates, 20)
        got = rd_credit(rd_wages, weight, age, mask, rates, 20)
        np.testing.assert_array_equal(_bits(got), _bits(want))
    credit = np.array([-0.0, 1.0, np.nan, 0.0, 2.0, 1.0])
    rd = np.array([1.0, 0.0, 1.0, -0.0, np.nan, 1e-12])
    with np.errstate(all="ignore"):
        want = _user_cost_numpy(credit, credit, credit, 0.5, rd)
    np.testing.assert_array_equal(_bits(user_cost(credit, credit, credit, 0.5, rd)), _bits(want))
