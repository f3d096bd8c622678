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
financial sector passes its whole profit to households. The firm-by-firm arithmetic is
``kernels.incomes`` (one pass before the innovation box, one after).
"""

from __future__ import annotations

from abm.policy import innovation_box
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS, B, F, G, H, R
from kernels.incomes import (
    firm_dividends,
    firm_dividends_parallel,
    firm_incomes,
)

S = N_SECTORS


def pay(eco: EconomyState, f: QuarterFlows) -> None:
    """Wages, interest, taxes and dividends of the quarter (module docstring)."""
    fp = eco.firm_pop
    c = eco.c
    acc = eco.accounts
    bs = eco.bs
    bill = f.wage_bill  # this quarter's staff at this quarter's wages (step 4)
    par = eco.threads > 1
    # firm by firm (kernels.incomes): wages, interest, amortisation, profit, standard tax
    # (one thread: the threaded copy was slower on two threads, docs/performance.md)
    fp.cash, fp.loans, interest_f, profit, tax_std, (bill_total, interest_total, repaid) = (
        firm_incomes
    )(
        bill, fp.cash, fp.loans, fp.sales, f.interm_by_firm, f.depreciation, fp.grant_received,
        fp.credit, fp.weight, c("firms.loan_rate") / 4, float(c("finance.loan_maturity")),
        c("firms.repayment_buffer"), c("government.corporate_rate_low"),
        c("government.corporate_rate_high"), c("government.corporate_bracket") / 4,
    )  # fmt: skip
    # households receive what firms pay: the wage bill is what the employed talent agents earn,
    # wages[employer, skill] x persons per agent summed over agents (tests/abm/test_accounts.py)
    received = bill_total
    bs.deposits_h += received
    acc.pay("wages", F, bill_total)
    acc.receive("wages", H, received)
    labour_tax = eco.government.wage_tax * received
    bs.deposits_h -= labour_tax
    bs.deposits_g += labour_tax
    acc.transfer("labour_tax", H, G, labour_tax)
    # interest
    acc.transfer("interest", F, B, interest_total)
    # amortisation: a financial transaction (deposits and loans fall together)
    eco.finance.loan_repayments = repaid
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
    fp.profit = profit
    tax = innovation_box.tax_after_box(eco, f, profit, tax_std)
    # firm by firm: the tax paid, then dividends (module docstring)
    fp.cash, (tax_total, div_total, d_r, d_g) = (
        firm_dividends_parallel if par else firm_dividends
    )(
        fp.cash, tax, profit, fp.sales, fp.equity, fp.equity_r, fp.equity_g,
        c("firms.cash_buffer_sales"), c("firms.payout_ratio"), c("firms.excess_cash_payout"),
    )  # fmt: skip
    bs.deposits_g += tax_total
    acc.transfer("corporate_tax", F, G, tax_total)
    f.corporate_tax = tax_total
    b_receipts = interest_total + bq * bs.bonds_b + fa_inc
    _dividends(eco, f, div_total, d_r, d_g, b_receipts, dep_int)


def _dividends(
    eco: EconomyState,
    f: QuarterFlows,
    div: float,
    d_r: float,
    d_g: float,
    b_receipts: float,
    dep_int: float,
) -> None:
    """Book the dividends firms paid (``div`` in all, ``d_r`` to the rest of the world and
    ``d_g`` to the government by their equity shares, the rest to the financial sector); the
    financial sector passes its profit (``b_receipts`` of interest and property income plus
    dividends, less deposit interest) to households (its net worth changes only by
    write-offs)."""
    acc = eco.accounts
    bs = eco.bs
    d_b = div - d_r - d_g
    acc.pay("dividends", F, div)
    acc.receive("dividends", R, d_r)
    acc.receive("dividends", G, d_g)
    acc.receive("dividends", B, d_b)
    bs.deposits_r += d_r
    bs.deposits_g += d_g
    b_income = b_receipts + d_b - dep_int
    bs.deposits_h += b_income
    acc.transfer("dividends", B, H, b_income)
    f.household_income_capital = dep_int + b_income
