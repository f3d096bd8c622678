"""Government: purchases, transfers, household taxes, bonds and the fiscal rule.

Purchases: non-defence purchases are ``macro.government_purchases_share`` of trend GDP less the
2025 defence budget and public research, split by ``sectors.government_mix``; defence follows
its common budget path (``abm.policy.defence``); public research and purchase-type programmes
add their outlays. Transfers: unemployment benefits (replacement rate
``labour.benefit_replacement`` times the skill wage per unemployed person) and other transfers
(``government.transfers_share`` of trend GDP). Household tax: one rate on gross household income
(all taxes other than labour and corporate tax). The government keeps deposits of
``government.deposit_target`` of quarterly GDP and issues (or redeems) bonds for the rest,
``government.bond_foreign_share`` of them abroad. Fiscal path under unchanged policy: during
the burn-in the household tax rate moves to bring the balance to its 2025 level (-0.9% of GDP,
FACTS); from 2026 tax rates stay at their 2025 levels, the defence budget rises on its common
path and extra transfers follow ``government.extra_spending_path`` (CPB's projected rise of
spending beyond defence), so the deficit emerges. Both are financed by bonds, the same way in
every scenario; a debt brake raises the household tax rate (``government.fiscal_rule_speed``
a quarter of the excess) only while the deficit exceeds ``government.deficit_ceiling`` (3%) or
debt exceeds ``government.debt_ceiling`` (60% of GDP), and eases off afterwards.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms import households
from abm.policy import (
    defence,
    grid_capacity,
    mission_agency,
    procurement,
    public_research,
    talent_attraction,
)
from abm.policy.purchases import Purchases
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS, SECTOR_INDEX, F, G, H
from kernels.passes import unemployed_rows

S = N_SECTORS


def demand(eco: EconomyState, f: QuarterFlows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Government purchases by sector this quarter (euros).

    Returns (regular purchases, directed orders, domestic share of the directed orders).
    Regular purchases import ``sectors.import_share_final``; directed orders (defence equipment,
    strategic procurement) are placed with domestic firms up to their domestic share, the rest
    is bought abroad.
    """
    c = eco.c
    yt = eco.trend_gdp()
    defence_q, proc, directed = defence.place_orders(eco, f)
    public_rd = public_research.pay(eco, f)
    base = c("macro.government_purchases_share") * yt
    non_def = max(base - defence.budget(eco, 2025) / 4 - c("rd.public_rd_share_gdp") * yt, 0.0)
    gmix = c("sectors.government_mix") / c("sectors.government_mix").sum()
    regular = non_def * gmix
    regular[SECTOR_INDEX["services"]] += defence_q - proc + public_rd
    directed_dom = directed * f.defence_domestic_share_target
    f.public_rd = public_rd
    programmes = Purchases()
    procurement.place_orders(eco, programmes)
    mission_agency.commission(eco, f, programmes)
    talent_attraction.purchase(eco, programmes)
    grid_capacity.build(eco, programmes)
    regular += programmes.regular
    directed = directed + programmes.directed
    directed_dom = directed_dom + programmes.directed_dom
    share = np.divide(directed_dom, directed, out=np.zeros(S), where=directed > 0)
    return regular, directed, share


def transfers_and_taxes(eco: EconomyState, f: QuarterFlows) -> None:
    """Benefits, other transfers and the household tax; households then plan consumption."""
    c = eco.c
    acc = eco.accounts
    bs = eco.bs
    tp = eco.talent_pop
    unemp = unemployed_rows(tp.abroad, tp.employer, eco.threads)
    benefits = float(
        (c("labour.benefit_replacement") * eco.labour.skill_wage[tp.skill[unemp]]).sum() * eco.scale
    )
    yt = eco.trend_gdp()
    transfers = (c("government.transfers_share") + extra_spending_share(eco, eco.year)) * yt
    bs.deposits_g -= benefits + transfers
    bs.deposits_h += benefits + transfers
    acc.transfer("transfers", G, H, benefits + transfers)
    wages = -acc.total("wages", F)
    gross = wages + benefits + transfers + f.household_income_capital
    htax = eco.government.household_tax * gross
    bs.deposits_h -= htax
    bs.deposits_g += htax
    acc.transfer("household_tax", H, G, htax)
    yd = gross - eco.government.wage_tax * wages - htax
    eco.households.saving_prev = yd - eco.households.consumption_plan
    f.benefits = benefits
    f.transfers = transfers
    f.household_gross_income = gross
    capital_net = f.household_income_capital * (1 - eco.government.household_tax)
    households.plan_consumption(eco, f, yd - capital_net, capital_net)


def finance_deficit(eco: EconomyState, f: QuarterFlows) -> None:
    """Bonds for what deposits do not cover, and the fiscal rule (module docstring)."""
    c = eco.c
    bs = eco.bs
    yt = eco.trend_gdp()
    target = c("government.deposit_target") * yt
    gap = target - bs.deposits_g
    if gap > 0 or bs.bonds_b + bs.bonds_r > 0:
        gap = max(gap, -(bs.bonds_b + bs.bonds_r))
        phi = c("government.bond_foreign_share")
        bs.deposits_g += gap
        bs.bonds_b += (1 - phi) * gap
        bs.bonds_r += phi * gap
        bs.deposits_r -= phi * gap
    bal = float(eco.accounts.net_lending()[G]) / max(yt, 1.0)
    gross = f.household_gross_income
    gov = eco.government
    if eco.quarter < 0:
        # the burn-in settles the household tax rate at the 2025 balance (FACTS: -0.9%)
        speed = yt / max(gross, 1.0)
        gov.household_tax = float(
            np.clip(gov.household_tax - speed * (bal - c("government.balance_share")), 0.0, 0.6)
        )
        gov.household_tax_2025 = gov.household_tax
        return
    # unchanged policy: the 2025 rate, plus what the debt brake adds beyond its ceilings
    debt = (bs.bonds_b + bs.bonds_r) / max(4 * yt, 1.0)
    excess = max(-bal - c("government.deficit_ceiling"), 0.0) + c(
        "government.debt_brake_strength"
    ) * max(debt - c("government.debt_ceiling"), 0.0)
    speed = c("government.fiscal_rule_speed")
    if excess > 0:
        gov.brake += speed * excess
    else:
        gov.brake -= speed * gov.brake
    gov.household_tax = float(np.clip(gov.household_tax_2025 + gov.brake, 0.0, 0.6))


def extra_spending_share(eco: EconomyState, year: int) -> float:
    """Extra transfers beyond 2025 as a share of trend GDP (``government.extra_spending_path``
    by year, linear between its years, constant after the last)."""
    path = eco.c("government.extra_spending_path")
    years = np.arange(2026, 2026 + len(path))
    if year < 2026:
        return 0.0
    return float(np.interp(year, years, path))
