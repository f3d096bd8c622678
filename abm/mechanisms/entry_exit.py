"""Entry and exit of firm agents.

Exit when insolvent (cash + inventories + capital - loans < 0) or when the market share stays
below ``firms.exit_share_floor`` / n_s for ``firms.exit_patience_quarters`` quarters (firms
older than that); a sector keeps at least half its floor of agents. An exiting firm's staff
become unemployed, its deposits repay its loans, unpaid loans and its equity are written off
(capital transfers). Entrants per sector ~ Poisson(entry_rate max(n_s, n_s,2025)
clip(1 + phi (r_s - r_mean), 0, M)) plus refills to the sector floor
(``firms.min_agents_per_sector``), with phi = ``firms.entry_profit_response`` and M =
``firms.entry_max_multiple``; entrants start at ``firms.entrant_size`` of the sector's median
sales with ``firms.entrant_cash`` of that in cash from domestic venture capital (equity), a
market share of ``firms.entrant_share`` / n_s, capacity ordered for their size, and
productivity drawn log-normally around the sector mean (``firms.entrant_productivity_gap``,
``firms.entrant_productivity_sd``). All are assumptions with ranges.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms.labour import job_arrays
from abm.state.economy import EconomyState
from abm.state.fields import firm_rows
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS, B, F, G, R
from kernels import talent
from kernels.firms import exit_decisions
from kernels.rows import copy_without_rows
from kernels.sectors import sector_medians_of_rows, sector_medians_of_rows_parallel, sector_sums

S = N_SECTORS


def exit_firms(eco: EconomyState, f: QuarterFlows) -> None:
    """Remove insolvent and marginal firms, book their write-offs, free their staff."""
    fp = eco.firm_pop
    c = eco.c
    acc = eco.accounts
    bs = eco.bs
    p_inv = eco.investment_price()
    # (kernels.firms.exit_decisions: net worth, the quarters with a low share, the floor of
    # agents per sector, the exiting rows and the renumbering of the others)
    fp.low_share_quarters, f.exits, rows, mapping = exit_decisions(
        fp.sector, fp.cash, fp.inventory, fp.price, fp.capital, fp.loans, fp.share, fp.age,
        fp.low_share_quarters, float(p_inv), S, float(c("firms.exit_share_floor")),
        int(c("firms.exit_patience_quarters")), int(c("firms.min_agents_per_sector")) // 2,
    )  # fmt: skip
    if not rows.size:
        return
    # staff of exiting firms become unemployed (at their last wages); the others are renumbered
    talent.exit_remap(mapping, *job_arrays(eco), threads=eco.threads)
    repay = np.minimum(np.maximum(fp.cash[rows], 0.0), fp.loans[rows])
    fp.arrays["cash"][rows] -= repay
    fp.arrays["loans"][rows] -= repay
    acc.transfer("capital_transfers", B, F, fp.loans[rows].sum())
    # remaining (possibly negative) deposits: distributed (or covered) by owners
    left = fp.cash[rows]
    eq = np.maximum(fp.equity[rows], 1e-12)
    sr = np.where(fp.equity[rows] > 0, fp.equity_r[rows] / eq, 0.0)
    sg = np.where(fp.equity[rows] > 0, fp.equity_g[rows] / eq, 0.0)
    to_r, to_g = (left * sr).sum(), (left * sg).sum()
    to_b = left.sum() - to_r - to_g
    acc.pay("capital_transfers", F, left.sum())
    acc.receive("capital_transfers", R, to_r)
    acc.receive("capital_transfers", G, to_g)
    acc.receive("capital_transfers", B, to_b)
    bs.deposits_r += to_r
    bs.deposits_g += to_g
    # equity written off
    e_r, e_g = fp.equity_r[rows].sum(), fp.equity_g[rows].sum()
    e_b = fp.equity[rows].sum() - e_r - e_g
    acc.pay("capital_transfers", R, e_r)
    acc.pay("capital_transfers", G, e_g)
    acc.pay("capital_transfers", B, e_b)
    acc.receive("capital_transfers", F, e_r + e_g + e_b)
    with eco.draws.serial():  # Mesa's deregistration, Python: any queued draws run beside it
        eco.unregister_firms(fp.id[rows])
    fp.drop(rows, eco.free_threads())  # the helper may still be drawing (abm.state.draws)
    staff = eco.labour.staff  # the exiting firms' rows go (a copy by runs of kept rows)
    kept = np.empty((staff.shape[0] - rows.size, staff.shape[1]), dtype=staff.dtype)
    copy_without_rows(staff, staff.shape[0], rows, kept)
    eco.labour.staff = kept


def enter_firms(eco: EconomyState, f: QuarterFlows) -> None:
    """New firm agents where profits are high, and refills to the sector floor."""
    fp = eco.firm_pop
    c = eco.c
    st = eco.structure
    rng = eco.streams["entry"]
    p_inv = eco.investment_price()
    floor = int(c("firms.min_agents_per_sector"))
    n_s = np.bincount(fp.sector, minlength=S)
    r = eco.trends.profit_rate_hist[-1]
    rm = float(np.average(r, weights=np.maximum(n_s, 1)))
    # entry scales with the sector's 2025 number of firm agents (not today's, which would let
    # a concentrating sector shut its own door)
    lam = (
        c("firms.entry_rate")
        * np.maximum(n_s, st.n_agents0)
        * np.clip(
            1 + c("firms.entry_profit_response") * (r - rm), 0.0, c("firms.entry_max_multiple")
        )
    )
    k = rng.poisson(lam)
    k += np.maximum(floor - n_s - k, 0)
    f.entries = k.astype(float)
    if k.sum() == 0:
        return
    sec = np.repeat(np.arange(S), k)
    m = sec.size
    mean_a = eco.sector_mean_productivity()
    prod = mean_a[sec] * np.exp(
        rng.normal(c("firms.entrant_productivity_gap"), c("firms.entrant_productivity_sd"), m)
    )
    medians = sector_medians_of_rows_parallel if eco.threads > 1 else sector_medians_of_rows
    med_w, med_sales, med_norm = medians(
        fp.sector, np.stack([fp.weight, fp.sales, fp.rd_norm]), S, np.array([1.0, 0.0, 1.0])
    )
    size = c("firms.entrant_size") * med_sales[sec]
    cash0 = c("firms.entrant_cash") * size
    kap = size / st.kappa[sec]
    tot_share = sector_sums(fp.sector, fp.share, S)
    share0 = c("firms.entrant_share") / np.maximum(n_s[sec], 1) * np.maximum(tot_share[sec], 1.0)
    base_rd = st.nu[sec] * size * (1 - st.subsidy_2025) ** -c("rd.elasticity_long")
    price = eco.sectors.price_index[sec]
    # Mesa's registration is Python on this thread alone: draws queued for the helper run beside
    # it (abm.state.draws)
    with eco.draws.serial():
        ids = eco.register_firms(m)
    eco.firm_pop.append(
        **firm_rows(
            id=ids,
            key=eco.new_firm_keys(m),
            sector=sec,
            weight=med_w[sec],
            productivity=prod,
            capital=np.zeros(m),
            markup=st.markup0[sec],
            price=price,
            inventory=np.zeros(m),
            cash=cash0,
            loans=np.zeros(m),
            equity=cash0,
            equity_r=np.zeros(m),
            rd=base_rd,
            rd_nu=st.nu[sec],
            share=share0,
            sales=size,
            sales_real=size / price,
            output=np.zeros(m),
            age=0,
            wage_premium=1.0,
            order=kap * p_inv,
            rd_norm=med_norm[sec],
            subsidy_rate=st.subsidy_2025,
        )
    )
    lab = eco.labour
    lab.staff = np.concatenate([lab.staff, np.zeros((m, lab.staff.shape[1]), np.int64)])
    tot = sector_sums(fp.sector, fp.share, S)
    fp.share = np.divide(fp.share, tot[fp.sector], out=np.zeros(len(fp)), where=tot[fp.sector] > 0)
