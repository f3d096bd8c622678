"""Investment kernels (``kernels.investment``) against their plain-Python twins (the numpy code of
``abm.mechanisms.investment`` they replaced), bit for bit, on random firms and edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from kernels import investment
from kernels.philox import philox_uniforms
from kernels.rd import np_max, np_min

K0, K1, Q, M = np.uint64(0xFEEDFACE12345678), np.uint64(3), 10_040, 11
S = 8


def firms(seed: int, n: int, runs: bool = False):
    """Random firms; with ``runs``, in runs of one sector, as the model's."""
    rng = np.random.default_rng(seed)
    sector = rng.integers(0, S, n).astype(np.int64)
    if runs:
        sector = np.sort(sector)
    capital = rng.uniform(0, 5e6, n)
    capital[rng.random(n) < 0.05] = 0.0  # firms without capital
    return {
        "sector": sector,
        "sales_trend": rng.uniform(1e5, 3e6, n),
        "expected": rng.uniform(1e5, 3e6, n),
        "capital": capital,
        "keys": np.sort(rng.choice(10 * n + 10, n, replace=False)).astype(np.int64),
        "energy": np.array([1, 0, 0, 1, 0, 1, 1, 0], dtype=np.float64),
        "wage_bill": rng.uniform(0, 1e6, n),
        "cash": rng.uniform(-1e5, 2e6, n),
    }


def wanted_args(x, boost_sector=-1):
    growth = np.linspace(-0.01, 0.02, S)
    kappa = np.linspace(0.3, 1.2, S)
    factor = 1 + np.linspace(0, 0.3, S)
    return (
        x["sector"], x["sales_trend"], x["expected"], x["capital"], x["keys"], 0.1, growth,
        kappa, 0.8, factor, boost_sector, 1.07, 0.015, 0.2, x["energy"], K0, K1, Q, M,
    )  # fmt: skip


@pytest.mark.parametrize(("seed", "n", "boost"), [(0, 0, -1), (1, 1, 2), (2, 500, -1),
                                                  (3, 20_000, 5)])  # fmt: skip
@pytest.mark.parametrize("runs", [False, True])
def test_investment_kernels_equal_twins_bit_for_bit(seed, n, boost, runs):
    x = firms(seed, n, runs)
    args = wanted_args(x, boost)
    got = investment.investment_wanted(*args)
    want = investment.investment_wanted_py(*args)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.float64
    trend, w, rep, net, growth = got
    if n >= 500:  # the lumpy rule: some firms order, some do not; net only in energy sectors
        assert 0 < (w > 0).sum() < n
        assert (net[x["energy"][x["sector"]] == 0] == 0).all() and (net > 0).any()
    # a quarter's keyed uniform decides: the threshold is 2 theta U K
    u = philox_uniforms(K0, K1, x["keys"], Q, M, 1)[:, 0]
    gap_ok = w > 0
    assert (w[gap_ok] > 0.2 * u[gap_ok] * x["capital"][gap_ok]).all()
    scale = np.minimum(1.0, np.divide(0.3 * growth.sum() / S, growth, out=np.ones(S),
                                      where=growth > 0))  # fmt: skip
    oargs = (x["sector"], w, rep, net, x["energy"], scale, 1.02, 0.25, x["wage_bill"], x["cash"],
             0.4)  # fmt: skip
    got = investment.investment_orders(*oargs)
    want = investment.investment_orders_py(*oargs)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    order, funding, used = got
    assert (funding >= 0.4 * order).all() and (funding >= 0).all()
    np.testing.assert_allclose(used.sum(), (net * scale[x["sector"]]).sum(), rtol=1e-12)


def same_bits(a, b):
    """Equal as numpy compares, and also in where the NaNs are and in the sign of every zero
    (``assert_array_equal`` takes -0.0 for 0.0)."""
    a, b = np.asarray(a), np.asarray(b)
    nan = np.isnan(a)
    np.testing.assert_array_equal(nan, np.isnan(b))
    np.testing.assert_array_equal(a[~nan], b[~nan])
    np.testing.assert_array_equal(np.signbit(a[~nan]), np.signbit(b[~nan]))


def test_investment_kernels_follow_numpy_on_nan_and_signed_zero():
    """np.maximum / np.minimum as numpy's vector loops: NaN from either side, the second
    argument when the two are equal (numba's max and min differ on both)."""
    assert np.isnan(np_max(np.nan, 1.0)) and np.isnan(np_max(1.0, np.nan))
    assert np.isnan(np_min(np.nan, 1.0)) and np.isnan(np_min(1.0, np.nan))
    assert np.signbit(np_max(0.0, -0.0)) and not np.signbit(np_max(-0.0, 0.0))
    assert np.signbit(np_min(0.0, -0.0)) and not np.signbit(np_min(-0.0, 0.0))
    assert np_min(2.0, 3.0) == 2.0 and np_max(2.0, 3.0) == 3.0
    for x, y in [(0.0, -0.0), (-0.0, 0.0), (np.nan, 1.0), (1.0, np.nan), (2.0, 3.0)]:
        same_bits(np_max(x, y), np.maximum(x, y))
        same_bits(np_min(x, y), np.minimum(x, y))
    # orders: NaN in want and in rep, a +0/-0 tie of want and rep, a request of -0.0
    sector = np.zeros(6, dtype=np.int64)
    want = np.array([np.nan, 1.0, 2.0, 0.0, 0.0, 0.0])
    rep = np.array([0.0, np.nan, 3.0, -0.0, 0.0, 0.0])
    cash = np.array([1.0, 1.0, 1.0, 0.0, 0.0, 0.0])
    wage_bill = np.array([0.0, 0.0, 0.0, 0.0, -0.0, 0.0])
    for energy in (np.ones(S), np.zeros(S)):
        args = (sector, want, rep, np.zeros(6), energy, np.ones(S), 1.0, 1.0, wage_bill, cash, 0.0)
        for a, b in zip(investment.investment_orders(*args), investment.investment_orders_py(*args),
                        strict=True):  # fmt: skip
            same_bits(a, b)
    # wanted: NaN and -0.0 in want - replacement (a NaN capital, a firm with no gap)
    x = firms(7, 6)
    x["capital"][:] = [np.nan, 0.0, 1e5, 0.0, 2e6, 1e5]
    x["sales_trend"][:] = [1e5, 0.0, 1e5, 0.0, 1e5, np.nan]
    x["expected"][:] = x["sales_trend"]
    x["sector"][:] = [0, 3, 5, 1, 0, 6]
    args = wanted_args(x)
    for a, b in zip(investment.investment_wanted(*args), investment.investment_wanted_py(*args),
                    strict=True):  # fmt: skip
        same_bits(a, b)
