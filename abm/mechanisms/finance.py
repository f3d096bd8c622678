"""The capital market (``kernels.capital``): investors place new money, firms are funded.

New money: household saving, loan repayments coming back, and retained earnings of the
financial sector (``finance.retained_earnings_gdp`` of trend GDP) for domestic investors;
``finance.foreign_inflow_share`` of GDP for foreign ones. Investors hold sector portfolios and
place new money across the eight sectors and abroad by a logit on risk-adjusted expected returns
(docs/model.md §6.10): share_s ~ w_s exp(beta (r_s - r_s,2025 + r_world - lambda risk_s)) with home
bias, w_s the sector's capital share, r_s the mean profit rate on capital of the last eight
quarters, risk_s its standard deviation plus ``finance.risk_floor`` (lowered by co-investment),
beta = ``finance.logit_beta``, lambda = ``finance.risk_aversion`` (assumptions). Domestic
returns are measured against their 2025 level, so in 2025 home bias alone sets the home share.
Within a sector requests are funded best prospects first (relative productivity plus market
share), the public fund matching private money; money meant for home that found no request in
its sector looks for unmet requests elsewhere before it goes abroad (capital outflow). Domestic
private money comes as loans (``finance.loan_share``) and equity. Orders are then limited by
cash (credit constraint).
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms.investment import sector_capital_value
from abm.policy import coinvestment
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS
from kernels.capital import (
    allocate_investors,
    book_funding,
    fund_queue,
    funding_queue,
    funding_queue_parallel,
)
from kernels.sectors import sector_sums

S = N_SECTORS


def allocate(eco: EconomyState, f: QuarterFlows) -> None:
    """Investor allocation, funding of requests, capital flows (module docstring)."""
    fp = eco.firm_pop
    c = eco.c
    request = f.funding_request
    # expected returns and risk by sector
    cap_val = sector_capital_value(eco, eco.investment_price())
    profit_s = sector_sums(fp.sector, fp.profit, S)
    rate = np.divide(4 * profit_s, cap_val, out=np.zeros(S), where=cap_val > 0)
    tr = eco.trends
    tr.profit_rate_hist.append(rate)
    tr.profit_rate_hist = tr.profit_rate_hist[-8:]
    hist = np.array(tr.profit_rate_hist)
    exp_r = hist.mean(axis=0)
    risk = hist.std(axis=0) + c("finance.risk_floor")
    risk_seen = risk * coinvestment.risk_relief(eco, f)
    ip = eco.investor_pop
    y = eco.trend_gdp()
    funds = (
        max(eco.households.saving_prev, 0.0)
        + eco.finance.loan_repayments
        + c("finance.retained_earnings_gdp") * y
    )
    dom = ip.kind < 3
    nd = max(int(dom.sum()), 1)
    nfor = max(int((~dom).sum()), 1)
    ip.funds = np.where(dom, funds / nd, c("finance.foreign_inflow_share") * y / nfor)
    beta = c("finance.logit_beta")
    w_s = np.maximum(cap_val / max(cap_val.sum(), 1e-9), 1e-12)
    lam = c("finance.risk_aversion")
    fin = eco.finance
    if eco.quarter < 0 or fin.return_ref is None:
        # 2025 reference, sector by sector: the expected return at the end of the burn-in
        # (sectors differ structurally in return on capital)
        fin.return_ref = exp_r.copy()
    r_adj = (
        exp_r
        - fin.return_ref
        + c("finance.world_return")
        + lam * c("finance.base_risk")
        + np.log(w_s) / max(beta, 1e-9)
    )
    alloc = allocate_investors(
        ip.funds,
        ip.home_bias,
        (~dom).astype(np.int64),
        r_adj,
        risk_seen,
        c("finance.world_return"),
        beta,
        lam,
    )
    dom_alloc = alloc[dom].sum(axis=0)
    for_alloc = alloc[~dom].sum(axis=0)
    prospect = fp.productivity / np.maximum(eco.sector_mean_productivity()[fp.sector], 1e-12) + (
        fp.share
    )
    match = f.coinvest_match
    # the firms that ask, by sector, best prospects first: the queue of all three rounds below
    # (the later rounds serve what is left of the same requests); with threads, its sorts on
    # them (the rounds stay on one: most firms are in one sector, kernels.capital)
    queue_of = funding_queue_parallel if eco.free_threads() > 1 else funding_queue
    queue, start = queue_of(fp.sector, prospect, request, S)
    priv, pub, priv_left, pub_left = fund_queue(
        queue, start, request, dom_alloc[:S].copy(), match, f.coinvest_budget
    )
    # money meant for home that found no request in its sector looks for unmet requests in
    # other sectors (pro rata) before it goes abroad
    unmet = np.maximum(request - priv - pub, 0.0)
    unmet_s = sector_sums(fp.sector, unmet, S)
    if priv_left.sum() > 0 and unmet_s.sum() > 0:
        second = priv_left.sum() * unmet_s / unmet_s.sum()
        priv2, pub2, left2, pub_left = fund_queue(
            queue, start, unmet, second, match, pub_left.copy()
        )
        priv, pub = priv + priv2, pub + pub2
        priv_left = left2
    rest = np.maximum(request - priv - pub, 0.0)
    fpriv, _, _, _ = fund_queue(queue, start, rest, for_alloc[:S].copy(), np.zeros(S), np.zeros(S))
    loan_share = c("finance.loan_share")
    bs = eco.bs
    # domestic private: loans and equity (financial transactions: no net lending); public
    # and foreign equity; deposits; orders limited by deposits (credit constraint)
    fp.loans, fp.equity, fp.equity_g, fp.equity_r, fp.cash, fp.order = book_funding(
        fp.loans, fp.equity, fp.equity_g, fp.equity_r, fp.cash, f.investment_order, priv, pub,
        fpriv, float(loan_share),
    )  # fmt: skip
    bs.deposits_g -= pub.sum()
    bs.deposits_r -= fpriv.sum()
    # what domestic investors do not place at home goes abroad (capital outflow)
    outflow = float(dom_alloc[S] + priv_left.sum())
    bs.foreign_assets += outflow
    bs.deposits_r += outflow
    f.capital_outflow = outflow
    f.capital_inflow = float(fpriv.sum())
    f.coinvest_placed = float(pub.sum())
    coinvestment.commit(eco)
    placed = np.zeros(len(ip))
    placed[dom] = priv.sum() / nd
    placed[~dom] = fpriv.sum() / nfor
    ip.placed_home = placed
    ip.placed_abroad = np.where(dom, outflow / nd, 0.0)
