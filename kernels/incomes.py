"""Incomes, firm by firm: wages, interest, amortisation, profits and the standard corporate tax
(``firm_incomes``), then the tax after the innovation box and dividends (``firm_dividends``).

The two kernels compute ``abm.mechanisms.incomes.pay`` and its ``_dividends`` with the same
operations in the same order as the numpy code they replace, so the same bits: whole-economy
totals summed pairwise as ``ndarray.sum`` (``kernels.production.np_sum``). The innovation box
(``abm.policy.innovation_box``) runs between them in Python.

Threads: the firm-by-firm work runs in fixed chunks of firms, on numba's threads in the
``*_parallel`` versions (the same driver compiled with ``parallel=True``); the totals are summed
after, on one thread, so the result is the same whatever the thread count. The plain-Python
twins (suffix ``_py``) are what ``tests/kernels/test_incomes.py`` holds the kernels to.
"""

# numba caches this module's kernels with compiled copies of kernels.production.np_sum, keyed on
# this file alone: change this file whenever np_sum changes (pairwise, leaves of 128, 8 lanes).

import numba
import numpy as np

from kernels.market import _renamed
from kernels.production import np_sum
from kernels.rd import np_max, np_max0, np_min

CHUNK = 1 << 12  #: firms per chunk (fixed: never the thread count)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _incomes_chunk(
    c, bill, cash, loans, sales, interm, depreciation, grants, credit, weight, rates,
    new_cash, new_loans, interest, repay, profit, tax_std,
):  # fmt: skip
    loan_q, maturity4, buffer, lo_rate, hi_rate, bracket = rates
    for i in range(c * CHUNK, min((c + 1) * CHUNK, bill.shape[0])):
        x = cash[i] - bill[i]
        it = loan_q * loans[i]
        x = x - it
        due = loans[i] / maturity4
        r = min(due, x - buffer * sales[i])
        r = min(max(r, 0.0), loans[i])  # np.clip(r, 0, loans)
        new_cash[i] = x - r
        new_loans[i] = loans[i] - r
        interest[i] = it
        repay[i] = r
        p = sales[i] - bill[i] - interm[i] - it - depreciation[i] + grants[i] + credit[i]
        profit[i] = p
        per_firm = (p if p > 0.0 else 0.0) / weight[i]
        above = per_firm - bracket
        tax_std[i] = weight[i] * (
            lo_rate * min(per_firm, bracket) + hi_rate * (above if above > 0.0 else 0.0)
        )


def firm_incomes_impl(
    bill, cash, loans, sales, interm, depreciation, grants, credit, weight, loan_rate_q,
    maturity_years, repayment_buffer, lo_rate, hi_rate, bracket_q,
):  # fmt: skip
    """The driver of :func:`firm_incomes` (``prange`` loops: a plain range when compiled
    without ``parallel``)."""
    n = bill.shape[0]
    new_cash, new_loans, interest = np.empty(n), np.empty(n), np.empty(n)
    repay, profit, tax_std = np.empty(n), np.empty(n), np.empty(n)
    rates = (loan_rate_q, 4 * maturity_years, repayment_buffer, lo_rate, hi_rate, bracket_q)
    for c in numba.prange((n + CHUNK - 1) // CHUNK):
        _incomes_chunk(
            c, bill, cash, loans, sales, interm, depreciation, grants, credit, weight, rates,
            new_cash, new_loans, interest, repay, profit, tax_std,
        )  # fmt: skip
    totals = (np_sum(bill), np_sum(interest), np_sum(repay))
    return new_cash, new_loans, interest, profit, tax_std, totals


firm_incomes = numba.njit(cache=True, error_model="numpy")(
    _renamed(firm_incomes_impl, "firm_incomes")
)
firm_incomes.__doc__ = """Wages, interest, amortisation, profit and the standard corporate tax.

For firm ``i`` with wage bill ``W_i``, loans ``L_i``, sales ``X_i``: cash falls by ``W_i``, by
the interest ``r_q L_i`` and by the repayment ``clip(min(L_i / (4 T), C_i - b X_i), 0, L_i)``
(``C_i`` the cash after wages and interest, ``T`` the maturity in years, ``b`` the repayment
buffer of sales), which loans fall by too; profit ``X_i - W_i - M_i - r_q L_i - D_i + G_i +
Z_i`` (intermediate purchases, depreciation, grants, tax credit); the standard tax
``n_i (t_lo min(pi_i, B) + t_hi max(pi_i - B, 0))`` with ``pi_i = max(profit, 0) / n_i`` per real
firm (``n_i`` the agent's weight) and ``B`` the quarterly bracket.

Returns (cash, loans, interest, profit, standard tax, (total wage bill, total interest, total
repayment)): new arrays, the inputs are not written.
"""


@numba.njit(cache=True, error_model="numpy", inline="always")
def _dividends_chunk(
    c, cash, tax, profit, sales, equity, equity_r, equity_g, rates, new_cash, div, div_r, div_g,
):  # fmt: skip
    cash_buffer, payout, excess = rates
    for i in range(c * CHUNK, min((c + 1) * CHUNK, cash.shape[0])):
        x = cash[i] - tax[i]
        buf = cash_buffer * sales[i]
        room = x - buf
        d = payout * (profit[i] - tax[i])
        d = min(max(d, 0.0), room if room > 0.0 else 0.0)  # np.clip(d, 0, max(room, 0))
        extra = x - d - buf
        d = d + (extra if extra > 0.0 else 0.0) * excess
        new_cash[i] = x - d
        div[i] = d
        e = equity[i]
        eq = e if e > 1e-12 else 1e-12
        div_r[i] = d * (equity_r[i] / eq if e > 0 else 0.0)
        div_g[i] = d * (equity_g[i] / eq if e > 0 else 0.0)


def firm_dividends_impl(
    cash, tax, profit, sales, equity, equity_r, equity_g, cash_buffer, payout, excess,
):  # fmt: skip
    """The driver of :func:`firm_dividends` (``prange`` loops: a plain range when compiled
    without ``parallel``)."""
    n = cash.shape[0]
    new_cash, div, div_r, div_g = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    rates = (cash_buffer, payout, excess)
    for c in numba.prange((n + CHUNK - 1) // CHUNK):
        _dividends_chunk(
            c, cash, tax, profit, sales, equity, equity_r, equity_g, rates, new_cash, div, div_r,
            div_g,
        )  # fmt: skip
    return new_cash, (np_sum(tax), np_sum(div), np_sum(div_r), np_sum(div_g))


firm_dividends = numba.njit(cache=True, error_model="numpy")(
    _renamed(firm_dividends_impl, "firm_dividends")
)
firm_dividends.__doc__ = """The corporate tax paid and dividends.

For firm ``i``: cash ``C_i`` falls by its tax ``tax_i``, then by its dividend ``D_i = clip(p
(profit_i - tax_i), 0, max(C_i - c X_i, 0)) + e max(C_i - D_i^0 - c X_i, 0)`` (``p`` the payout
ratio, ``c`` the cash buffer of sales ``X_i``, ``e`` the payout of excess cash, ``D_i^0`` the
first term), which goes to the rest of the world and the government by their shares of the
firm's equity (``equity_r / equity``, ``equity_g / equity``; none without equity).

Returns (cash, (total tax, total dividends, dividends to the rest of the world, dividends to
the government)).
"""
firm_dividends_parallel = numba.njit(cache=True, error_model="numpy", parallel=True)(
    _renamed(firm_dividends_impl, "firm_dividends_parallel")
)
firm_dividends_parallel.__doc__ = ":func:`firm_dividends` with its chunks on numba's threads."


@numba.njit(cache=True, error_model="numpy")
def box_tax(profit, tax_std, rd, sales, sector, in_box, multiple, cap, rate_scale, pref):
    """Corporate tax after the innovation box (``abm.policy.innovation_box``), firm by firm, the
    bits of its numpy code: the qualifying share ``q_i = clip(clip(multiple r_i, 0, cap)
    rate_scale, 0, 1)`` with ``r_i = rd_i / sales_i`` (0 without sales), for firms of a box
    sector (``in_box[s] > 0``) with R&D (else 0); the box's cost ``0 + (pref q_i)
    max(profit_i, 0)``; the tax ``max(tax_std_i - cost_i, 0)``. ``np.clip`` and ``np.maximum``
    keep numpy's NaN and equal-value rules (``kernels.rd``). Returns (tax, box benefit
    ``tax_std - tax``): new arrays."""
    n = profit.shape[0]
    tax = np.empty(n)
    benefit = np.empty(n)
    for i in range(n):
        ratio = rd[i] / sales[i] if sales[i] > 0 else 0.0
        q = np_min(np_max(multiple * ratio, 0.0), cap)
        q = np_min(np_max(q * rate_scale, 0.0), 1.0)
        if not (in_box[sector[i]] > 0 and rd[i] > 0):
            q = 0.0
        cost = 0.0 + pref * q * np_max0(profit[i])
        t = np_max0(tax_std[i] - cost)
        tax[i] = t
        benefit[i] = tax_std[i] - t
    return tax, benefit


def box_tax_py(profit, tax_std, rd, sales, sector, in_box, multiple, cap, rate_scale, pref):
    """Plain-Python twin of :func:`box_tax` (the numpy code it replaced)."""
    n = len(profit)
    mask = np.asarray(in_box)[sector] > 0
    qual = np.clip(multiple * np.divide(rd, sales, out=np.zeros(n), where=sales > 0), 0.0, cap)
    qual = np.clip(qual * rate_scale, 0.0, 1.0)
    qual = np.where(mask & (rd > 0), qual, 0.0)
    cost = np.zeros(n) + pref * qual * np.maximum(profit, 0.0)
    tax = np.maximum(tax_std - cost, 0.0)
    return tax, tax_std - tax


def firm_incomes_py(
    bill, cash, loans, sales, interm, depreciation, grants, credit, weight, loan_rate_q,
    maturity_years, repayment_buffer, lo_rate, hi_rate, bracket_q,
):  # fmt: skip
    """Plain-Python twin of :func:`firm_incomes`."""
    n = len(bill)
    new_cash, new_loans, interest, profit, tax_std = (np.zeros(n) for _ in range(5))
    repay = np.zeros(n)
    for i in range(n):
        interest[i] = loan_rate_q * loans[i]
        after = cash[i] - bill[i] - interest[i]
        due = loans[i] / (4 * maturity_years)
        repay[i] = min(max(min(due, after - repayment_buffer * sales[i]), 0.0), loans[i])
        new_cash[i] = after - repay[i]
        new_loans[i] = loans[i] - repay[i]
        profit[i] = (
            sales[i] - bill[i] - interm[i] - interest[i] - depreciation[i] + grants[i] + credit[i]
        )
        per_firm = max(profit[i], 0.0) / weight[i]
        tax_std[i] = weight[i] * (
            lo_rate * min(per_firm, bracket_q) + hi_rate * max(per_firm - bracket_q, 0.0)
        )
    totals = (float(np.sum(bill)), float(np.sum(interest)), float(np.sum(repay)))
    return new_cash, new_loans, interest, profit, tax_std, totals


def firm_dividends_py(
    cash, tax, profit, sales, equity, equity_r, equity_g, cash_buffer, payout, excess,
):  # fmt: skip
    """Plain-Python twin of :func:`firm_dividends`."""
    n = len(cash)
    new_cash, div, div_r, div_g = (np.zeros(n) for _ in range(4))
    for i in range(n):
        after = cash[i] - tax[i]
        buf = cash_buffer * sales[i]
        d = min(max(payout * (profit[i] - tax[i]), 0.0), max(after - buf, 0.0))
        div[i] = d + max(after - d - buf, 0.0) * excess
        new_cash[i] = after - div[i]
        if equity[i] > 0:
            div_r[i] = div[i] * (equity_r[i] / max(equity[i], 1e-12))
            div_g[i] = div[i] * (equity_g[i] / max(equity[i], 1e-12))
    totals = tuple(float(np.sum(x)) for x in (tax, div, div_r, div_g))
    return new_cash, totals
