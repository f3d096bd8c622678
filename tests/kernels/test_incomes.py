"""Firm incomes and dividends (``kernels.incomes``) against the numpy code they replaced (bit for
bit: the frozen references), their plain-Python twins and their threaded versions."""

from __future__ import annotations

import numba
import numpy as np
import pytest

from kernels.incomes import (
    CHUNK,
    firm_dividends,
    firm_dividends_parallel,
    firm_dividends_py,
    firm_incomes,
    firm_incomes_py,
)

RATES = (0.045 / 4, 5.0, 0.05, 0.19, 0.258, 200_000.0 / 4)


def _incomes_inputs(n, seed):
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(0, 4e5, n), rng.normal(2e5, 3e5, n),
        rng.uniform(0, 1e6, n) * (rng.random(n) < 0.7), rng.uniform(0, 2e6, n),
        rng.uniform(0, 8e5, n), rng.uniform(0, 5e4, n),
        rng.uniform(0, 3e4, n) * (rng.random(n) < 0.1),
        rng.uniform(0, 2e4, n) * (rng.random(n) < 0.3), rng.uniform(1, 40, n), *RATES,
    )  # fmt: skip


def _incomes_numpy(bill, cash, loans, sales, interm, dep, grants, credit, weight, lq, mat, buf,
                   lo, hi, br):  # fmt: skip
    """The numpy code of ``abm.mechanisms.incomes.pay`` before the kernel."""
    cash = cash - bill
    interest = lq * loans
    cash = cash - interest
    due = loans / (4 * mat)
    repay = np.clip(np.minimum(due, cash - buf * sales), 0.0, loans)
    cash, loans = cash - repay, loans - repay
    profit = sales - bill - interm - interest - dep + grants + credit
    per_firm = np.maximum(profit, 0.0) / weight
    tax = weight * (lo * np.minimum(per_firm, br) + hi * np.maximum(per_firm - br, 0.0))
    return cash, loans, interest, profit, tax, (bill.sum(), interest.sum(), repay.sum())


def _dividends_numpy(cash, tax, profit, sales, equity, equity_r, equity_g, cb, payout, excess):
    """The numpy code of ``abm.mechanisms.incomes._dividends`` before the kernel."""
    cash = cash - tax
    buffer = cb * sales
    div = np.clip(payout * (profit - tax), 0.0, np.maximum(cash - buffer, 0.0))
    div = div + np.maximum(cash - div - buffer, 0.0) * excess
    cash = cash - div
    eq = np.maximum(equity, 1e-12)
    share_r = np.where(equity > 0, equity_r / eq, 0.0)
    share_g = np.where(equity > 0, equity_g / eq, 0.0)
    return cash, (tax.sum(), div.sum(), (div * share_r).sum(), (div * share_g).sum())


def _dividends_inputs(n, seed):
    rng = np.random.default_rng(seed + 100)
    equity = rng.uniform(0, 1e6, n) * (rng.random(n) < 0.8)
    return (
        rng.normal(3e5, 3e5, n), rng.uniform(0, 5e4, n), rng.normal(5e4, 1e5, n),
        rng.uniform(0, 2e6, n), equity, equity * rng.uniform(0, 0.5, n),
        equity * rng.uniform(0, 0.2, n), 0.15, 0.6, 0.25,
    )  # fmt: skip


def _assert_same(got, want, exact=True):
    for x, y in zip(got[:-1], want[:-1], strict=True):
        (np.testing.assert_array_equal if exact else np.testing.assert_allclose)(x, y)
    for x, y in zip(got[-1], want[-1], strict=True):
        assert x == y if exact else np.isclose(x, y, rtol=1e-12)


@pytest.mark.parametrize("n", [0, 1, 300, 2 * CHUNK + 5])
def test_firm_incomes_equal_numpy_twin_and_threads(n):
    args = _incomes_inputs(n, n)
    got = firm_incomes(*args)
    _assert_same(got, _incomes_numpy(*args))
    _assert_same(got, firm_incomes_py(*args), exact=False)
    cash, loans, repaid = got[0], got[1], got[5][2]
    assert (loans >= 0).all() and (loans <= args[2]).all()  # repaid within what is owed
    np.testing.assert_allclose(cash.sum() + repaid, (args[1] - args[0] - got[2]).sum(), rtol=1e-9)


@pytest.mark.parametrize("n", [0, 1, 300, 2 * CHUNK + 5])
def test_firm_dividends_equal_numpy_twin_and_threads(n):
    args = _dividends_inputs(n, n)
    got = firm_dividends(*args)
    _assert_same(got, _dividends_numpy(*args))
    _assert_same(got, firm_dividends_py(*args), exact=False)
    assert got[1][2] + got[1][3] <= got[1][1] + 1e-6  # shares of equity add to at most 1
    if numba.config.NUMBA_NUM_THREADS >= 2:
        numba.set_num_threads(2)
        _assert_same(got, firm_dividends_parallel(*args))


@pytest.mark.parametrize("n", [0, 1, 40, 3000])
def test_box_tax_equals_numpy_by_bit(n):
    """The tax after the innovation box: the bits of the numpy code it replaced, with firms
    without sales or R&D, losses, firms outside the box's sectors, qualifying shares at the caps,
    and signed zeros, infinities and NaN among the inputs."""
    from kernels.incomes import box_tax, box_tax_py

    rng = np.random.default_rng(n)
    profit = rng.normal(1e5, 3e5, n)
    tax_std = np.maximum(profit, 0.0) * 0.25
    rd = np.where(rng.random(n) < 0.2, 0.0, rng.lognormal(9, 2, n))
    sales = np.where(rng.random(n) < 0.1, 0.0, rng.lognormal(13, 1, n))
    sector = rng.integers(0, 8, n)
    if n >= 40:
        profit[:6] = [-0.0, np.inf, np.nan, 0.0, -np.inf, 1e300]
        sales[6:9] = [np.nan, -0.0, np.inf]
        rd[9:12] = [np.nan, -0.0, np.inf]
        tax_std[12] = np.nan
        rd[13], sales[13] = 1e6, 1.0  # the share at its cap
    in_box = np.array([1.0, 0.0, 0.4, 1.0, 0.0, 1.0, 1.0, 0.0])
    for scale in (1.0, 0.37, 3.0):
        args = (profit, tax_std, rd, sales, sector, in_box, 2.5, 0.6, scale, 0.166)
        with np.errstate(all="ignore"):
            want = box_tax_py(*args)
        got = box_tax(*args)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64))
