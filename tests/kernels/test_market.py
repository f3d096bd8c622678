"""The goods market's settlement kernel (``kernels.market``) against the numpy code it replaced
(bit for bit: the frozen references), its plain-Python twin and its threaded version."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from kernels.market import CHUNK, settle_firms, settle_firms_py

S = 8


def _inputs(n, seed):
    rng = np.random.default_rng(seed)
    sector = rng.integers(0, S - 1, n)  # the last sector has no firms
    price = rng.uniform(0.8, 1.3, n)
    output = rng.uniform(0, 1e6, n) * (rng.random(n) < 0.9)  # some firms produce nothing
    share = rng.dirichlet(np.ones(max(n, 1)))[:n] * (rng.random(n) < 0.95)
    capacity = rng.uniform(0, 2e6, n)
    sold = capacity * rng.uniform(0, 1, n) * (rng.random(n) < 0.8)
    return (
        sector, sold, price, output, rng.uniform(0, 4e5, n), rng.uniform(0, 1e5, n),
        rng.normal(0, 1e5, n), rng.uniform(0, 3e6, n), rng.uniform(0, 2e5, n),
        rng.uniform(0, 5e4, n), share, rng.uniform(0, 5e7, S), 0.025, 1.07, 1.0, 0.5, 0.3,
    )  # fmt: skip


def _numpy(sector, sold, price, output, interm, orders, cash, capital, inventory, rd, share, d,
           delta_q, p_inv, pw, uw, chi):  # fmt: skip
    """The numpy code of ``abm.mechanisms.goods.clear`` and ``_replicate`` before the kernel."""

    def bc(x):
        return np.bincount(sector, weights=x, minlength=S)

    def weighted_mean(x, w):
        num, den = bc(x * w), bc(w)
        return np.divide(num, den, out=np.zeros(S), where=den > 0)

    new_cash = cash + sold - interm - orders
    dep = capital * delta_q * p_inv
    new_capital = capital * (1 - delta_q) + orders / p_inv
    sold_real = sold / price
    new_inventory = np.maximum(inventory - sold_real, 0.0)
    inv_change = float(((output - sold_real) * price).sum())
    va = output * price - interm
    alloc = share / np.maximum(bc(share)[sector], 1e-300) * d[sector]
    unserved = np.clip(
        np.divide(alloc - sold, alloc, out=np.zeros(len(sold)), where=alloc > 0), 0.0, 1.0
    )
    pidx = weighted_mean(price, np.maximum(output, 1e-12))
    e = -(pw * price / pidx[sector] + uw * unserved)
    ebar = weighted_mean(e, share)
    new = np.maximum(share * (1 + chi * (e - ebar[sector]) / np.abs(ebar[sector])), 0.0)
    tot = bc(new)
    new_share = np.divide(new, tot[sector], out=np.zeros(len(sold)), where=tot[sector] > 0)
    return (
        new_cash, dep, new_capital, sold_real, new_inventory, inv_change, va, bc(va), bc(orders),
        bc(output), bc(output * price), float(rd.sum()), bc(rd), unserved, pidx, new_share,
    )  # fmt: skip


@pytest.mark.parametrize("n", [0, 1, 130, 2 * CHUNK + 3])
def test_settle_firms_equals_numpy_and_twin(n):
    args = _inputs(n, n)
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    got = settle_firms(*args)
    for a, b in zip(args, before, strict=True):  # the inputs are not written
        np.testing.assert_array_equal(a, b)
    for i, (x, y) in enumerate(zip(got, _numpy(*args), strict=True)):
        np.testing.assert_array_equal(x, y, err_msg=f"output {i}")
    for i, (x, y) in enumerate(zip(got, settle_firms_py(*args), strict=True)):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-6, err_msg=f"output {i}")


def test_settlement_keeps_the_books_and_the_shares():
    args = _inputs(3000, 5)
    sector, sold, price, output, interm, orders, cash = args[:7]
    got = settle_firms(*args)
    new_cash, va, va_s, share = got[0], got[6], got[7], got[15]
    np.testing.assert_allclose(new_cash.sum(), (cash + sold - interm - orders).sum(), rtol=1e-12)
    np.testing.assert_allclose(va_s.sum(), va.sum(), rtol=1e-12)
    by_sector = np.bincount(sector, weights=share, minlength=S)
    np.testing.assert_allclose(by_sector[:-1], 1.0, rtol=1e-12)  # shares sum to 1 per sector
    assert by_sector[-1] == 0.0 and (share >= 0).all()
    assert ((got[13] >= 0) & (got[13] <= 1)).all() and (got[4] >= 0).all()


def _readonly(a):
    """The model passes the wage matrix read-only (``EconomyState.firm_wages``): the same
    argument types here reuse the kernel the model compiled (and cached)."""
    a.flags.writeable = False
    return a


def _price_inputs(n, seed):
    rng = np.random.default_rng(seed)
    share_prev = rng.uniform(0, 0.01, n) * (rng.random(n) < 0.9)  # entrants have none
    return (
        rng.integers(0, S, n), rng.uniform(0, 1e6, n), rng.uniform(0, 1, n) ** 3,
        rng.uniform(0, 1.2e6, n), share_prev * rng.uniform(0.3, 1.8, n), share_prev,
        rng.uniform(0.05, 0.6, n), rng.uniform(2e4, 9e4, n),
        _readonly(rng.uniform(8e3, 3e4, (n, 3))),
        rng.normal(0.005, 0.01, S), rng.uniform(0.1, 0.3, S), rng.dirichlet(np.ones(3), S),
        rng.uniform(0.2, 0.6, S), rng.uniform(0, 0.02, S), 0.25, 0.04,
    )  # fmt: skip


def _price_numpy(sector, sales_real, unserved, expected, share, share_prev, markup, prod, wages,
                 g, markup0, mix, interm, rd, a, ups):  # fmt: skip
    """The numpy code of ``abm.mechanisms.expectations`` before the kernel."""
    seen = sales_real / np.maximum(1e-9, 1.0 - unserved)
    expected = np.maximum(expected + a * (seen * (1 + g[sector]) - expected), 0.0)
    rel = np.divide(share - share_prev, share_prev, out=np.zeros(len(sector)), where=share_prev > 0)
    mu = markup * (1 + ups * np.clip(rel, -0.5, 0.5))
    mu = np.clip(mu, 0.5 * markup0[sector], 2.0 * markup0[sector] + 0.05)
    labour_cost = (mix[sector] * wages).sum(axis=1) / prod
    return expected, mu, (1 + mu) * (labour_cost + interm[sector] + rd[sector])


@pytest.mark.parametrize("n", [0, 1, 77, 2 * CHUNK + 9])
def test_expect_and_price_equals_numpy_twin_and_threads(n):
    from kernels.market import expect_and_price, expect_and_price_parallel, expect_and_price_py

    args = _price_inputs(n, n)
    got = expect_and_price(*args)
    for x, y in zip(got, _price_numpy(*args), strict=True):
        np.testing.assert_array_equal(x, y)
    for x, y in zip(got, expect_and_price_py(*args), strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-13)
    markup0 = args[10][args[0]]
    assert (got[0] >= 0).all() and (got[1] >= 0.5 * markup0).all()
    assert (got[1] <= 2 * markup0 + 0.05).all()
    if numba.config.NUMBA_NUM_THREADS >= 2 and n > CHUNK:
        numba.set_num_threads(2)
        for x, y in zip(got, expect_and_price_parallel(*args), strict=True):
            np.testing.assert_array_equal(x, y)
