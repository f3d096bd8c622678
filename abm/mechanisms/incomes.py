"""Incomes: wages, interest, loan repayment, profits, corporate tax and dividends.

Wages are paid at w_{i,k} = W_k theta_s omega_i (``abm.mechanisms.labour``). Interest: loans at
``firms.loan_rate``, deposits at ``firms.deposit_rate``, bonds at ``firms.bond_rate`` (FACTS:
ECB, DSTA); half the world return on foreign assets (``finance.foreign_income_share``) comes
home as property income. Loans are repaid over ``finance.loan_maturity`` years from cash above
``firms.repayment_buffer`` of sales. Corporate tax 19% up to EUR 200k profit per real firm,
25.8% above (FACTS, PwC), less the innovation box (``abm.policy.innovation_box``). Labour tax:
the 37.5% tax wedge (OECD). Dividends: ``firms.payout_ratio`` of after-tax profits plus
``firms.excess_cash_payout`` of cash above a buffer of ``firms.cash_buffer_sales`` of sales (the
2025 cash ratio, so cash holdings are stationary), to equity holders by their shares; the
financial sector passes its whole profit to households.
"""

from __future__ import annotations

import numpy as np

from abm.policy import innovation_box
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS, B, F, G, H, R

S = N_SECTORS


def pay(eco: EconomyState, f: QuarterFlows) -> None:
    """Wages, interest, taxes and dividends of the quarter (module docstring)."""
    fp = eco.firm_pop
    c = eco.c
    acc = eco.accounts
    bs = eco.bs
    bill = f.wage_bill  # this quarter's staff at this quarter's wages (step 4)
    # households receive what firms pay: the wage bill is what the employed talent agents earn,
    # wages[employer, skill] x persons per agent summed over agents (tests/abm/test_accounts.py)
    received = float(bill.sum())
    fp.cash = fp.cash - bill
    bs.deposits_h += received
    acc.pay("wages", F, bill.sum())
    acc.receive("wages", H, received)
    labour_tax = eco.government.wage_tax * received
    bs.deposits_h -= labour_tax
    bs.deposits_g += labour_tax
    acc.transfer("labour_tax", H, G, labour_tax)
    # interest
    interest_f = c("firms.loan_rate") / 4 * fp.loans
    fp.cash = fp.cash - interest_f
    acc.transfer("interest", F, B, interest_f.sum())
    # amortisation: a financial transaction (deposits and loans fall together)
    due = fp.loans / (4 * c("finance.loan_maturity"))
    repay = np.clip(
        np.minimum(due, fp.cash - c("firms.repayment_buffer") * fp.sales), 0.0, fp.loans
    )
    fp.cash = fp.cash - repay
    fp.loans = fp.loans - repay
    eco.finance.loan_repayments = float(repay.sum())
    dep_int = c("firms.deposit_rate") / 4 * bs.deposits_h
    bs.deposits_h += dep_int
    acc.transfer("interest", B, H, dep_int)
    bq = c("firms.bond_rate") / 4
    bs.deposits_g -= bq * (bs.bonds_b + bs.bonds_r)
    bs.deposits_r += bq * bs.bonds_r
    acc.transfer("interest", G, B, bq * bs.bonds_b)
    acc.transfer("interest", G, R, bq * bs.bonds_r)
    fa_inc = c("finance.world_return") / 4 * bs.foreign_assets * c("finance.foreign_income_share")
    bs.deposits_r -= fa_inc
    acc.transfer("property_income", R, B, fa_inc)
    # profits and corporate tax (per real firm brackets), innovation box
    profit = (
        fp.sales
        - bill
        - f.interm_by_firm
        - interest_f
        - f.depreciation
        + fp.grant_received
        + fp.credit
    )
    fp.profit = profit
    per_firm = np.maximum(profit, 0.0) / fp.weight
    lo_rate, hi_rate = c("government.corporate_rate_low"), c("government.corporate_rate_high")
    br = c("government.corporate_bracket") / 4
    tax_std = fp.weight * (
        lo_rate * np.minimum(per_firm, br) + hi_rate * np.maximum(per_firm - br, 0.0)
    )
    tax = innovation_box.tax_after_box(eco, f, profit, tax_std)
    fp.cash = fp.cash - tax
    bs.deposits_g += tax.sum()
    acc.transfer("corporate_tax", F, G, tax.sum())
    f.corporate_tax = tax.sum()
    _dividends(eco, f, profit - tax, interest_f.sum() + bq * bs.bonds_b + fa_inc, dep_int)


def _dividends(
    eco: EconomyState, f: QuarterFlows, after_tax: np.ndarray, b_receipts: float, dep_int: float
) -> None:
    """Firms pay dividends to their equity holders; the financial sector passes its profit
    (``b_receipts`` of interest and property income plus dividends, less deposit interest) to
    households (its net worth changes only by write-offs)."""
    fp = eco.firm_pop
    c = eco.c
    acc = eco.accounts
    bs = eco.bs
    buffer = c("firms.cash_buffer_sales") * fp.sales
    div = np.clip(c("firms.payout_ratio") * after_tax, 0.0, np.maximum(fp.cash - buffer, 0.0))
    div = div + np.maximum(fp.cash - div - buffer, 0.0) * c("firms.excess_cash_payout")
    fp.cash = fp.cash - div
    eq = np.maximum(fp.equity, 1e-12)
    share_r = np.where(fp.equity > 0, fp.equity_r / eq, 0.0)
    share_g = np.where(fp.equity > 0, fp.equity_g / eq, 0.0)
    d_r, d_g = (div * share_r).sum(), (div * share_g).sum()
    d_b = div.sum() - d_r - d_g
    acc.pay("dividends", F, div.sum())
    acc.receive("dividends", R, d_r)
    acc.receive("dividends", G, d_g)
    acc.receive("dividends", B, d_b)
    bs.deposits_r += d_r
    bs.deposits_g += d_g
    b_income = b_receipts + d_b - dep_int
    bs.deposits_h += b_income
    acc.transfer("dividends", B, H, b_income)
    f.household_income_capital = dep_int + b_income
