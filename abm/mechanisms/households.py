"""Households' consumption: a propensity out of smoothed real income and out of wealth.

Consumption planned for next quarter is C = c_y P_c YD* + c_k YK + c_w M_H (Godley & Lavoie
2007), with YD* permanent real disposable income from work and transfers (last quarter's value
grown at trend real growth, with weight ``households.income_smoothing`` on the new quarter), P_c
the consumer price index, YK net capital income (interest and distributed profits, consumed at
the lower propensity c_k = ``households.capital_income_propensity``: most of it is saved) and
M_H household deposits. c_w
(``households.wealth_propensity``) is an assumption; c_y starts at the value that makes
consumption its 2025 share of GDP (``macro.consumption_share``, FACTS: CBS 84105ENG) and
settles during the burn-in, then stays fixed.
"""

from __future__ import annotations

import numpy as np

from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows


def calibrate(eco: EconomyState, y: float, wages: np.ndarray) -> None:
    """The household tax rate and the propensity to consume, from 2025 shares.

    The household tax (all taxes other than labour and corporate tax, folded into one
    proportional tax on household income) is set so that, in the calibrated state, the
    government balance equals FACTS's -0.9% of GDP; the propensity to consume out of
    disposable income so that consumption is 46.6% of GDP. Distributed profits and corporate
    tax enter as first guesses (``households.initial_dividend_share`` of net operating
    surplus, ``government.initial_corporate_tax_gos`` of gross operating surplus); the burn-in
    settles both rates.
    """
    c = eco.c
    bs = eco.bs
    wage_total = wages.sum()
    transfers = c("government.transfers_share") * y
    benefits = (
        c("labour.benefit_replacement")
        * c("labour.unemployment_rate")
        / (1 - c("labour.unemployment_rate"))
        * wage_total
    )
    interest_h = c("firms.deposit_rate") / 4 * bs.deposits_h
    gos = y - wage_total
    dividends = c("households.initial_dividend_share") * (
        gos - eco.structure.delta_q * eco.firm_pop.capital.sum()
    )
    labour_tax = eco.government.wage_tax * wage_total
    corp_tax = c("government.initial_corporate_tax_gos") * gos
    gov_spend = (
        c("macro.government_purchases_share") * y
        + transfers
        + benefits
        + c("firms.bond_rate") / 4 * (bs.bonds_b + bs.bonds_r)
    )
    needed = gov_spend + c("government.balance_share") * y - labour_tax - corp_tax
    gross_income = wage_total + transfers + benefits + interest_h + max(dividends, 0.0)
    eco.government.household_tax = float(np.clip(needed / gross_income, 0.0, 0.6))
    yd = gross_income - labour_tax - eco.government.household_tax * gross_income
    consumption = c("macro.consumption_share") * y
    hh = eco.households
    hh.cy = float(np.clip((consumption - hh.cw * bs.deposits_h) / yd, 0.3, 1.2))


def plan_consumption(
    eco: EconomyState, f: QuarterFlows, disposable: float, capital_income: float
) -> None:
    """Smooth real disposable income and plan next quarter's consumption (module docstring).

    ``disposable`` is disposable income from work and transfers, ``capital_income`` the
    household's net capital income (interest and distributed profits). During the burn-in c_y
    is set each quarter so that the plan is the 2025 share of GDP; it is fixed from the first
    recorded quarter on.
    """
    c = eco.c
    hh = eco.households
    p_c = eco.consumer_price()
    w = c("households.income_smoothing")
    if hh.last_income is None:
        hh.last_income = disposable / p_c
    # permanent real income: the smoothed value carried forward at trend growth, so steady
    # growth leaves no lag between permanent and current income
    trend = (1 + eco.trends.prod_growth) * (1 + c("labour.labour_force_growth")) ** 0.25
    hh.last_income = (1 - w) * hh.last_income * trend + w * disposable / p_c
    from_capital = c("households.capital_income_propensity") * capital_income
    from_wealth = hh.cw * eco.bs.deposits_h
    if eco.quarter < 0:
        # the burn-in's transients do not count as permanent income: permanent income is
        # current income, and c_y makes next quarter's plan the 2025 share of this quarter's GDP
        hh.last_income = disposable / p_c
        want = c("macro.consumption_share") * max(float(f.va_firm.sum()), 1.0)
        hh.cy = float(
            np.clip((want - from_capital - from_wealth) / (hh.last_income * p_c), 0.3, 1.2)
        )
    hh.consumption_plan = hh.cy * hh.last_income * p_c + from_capital + from_wealth
