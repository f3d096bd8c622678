"""Labour market and wages: separations, search and matching, wage premiums, the Phillips curve.

Search and matching (``kernels.labour.match_labour``): employed talent quits into search with
probability ``labour.quit_rate`` (own shock); every unemployed resident looks at
``labour.search_sample`` random vacancies (search friction) and takes the best-paid acceptable
one (skill at least the job's, a technical field where the job needs one, wage at least the
reservation wage), first come first served in a random order. Reservation wages of the
unemployed decay by ``labour.reservation_decay`` a quarter towards the benefit level
(replacement rate ``labour.benefit_replacement``). Firms whose vacancies stay open (more than
``labour.unfilled_threshold`` of them) bid up their wage premium by ``labour.wage_bid_speed``;
others relax it towards 1. Wages w_{i,k} = W_k theta_s omega_i (skill wage index, sector
premium, firm premium); W_k grows with inflation expectations, trend productivity and a
Phillips term phi (u*_k - u_k) (``labour.phillips_slope``, an assumption with a range).
"""

from __future__ import annotations

import numpy as np

from abm.state.economy import EconomyState, Shock
from abm.state.flows import QuarterFlows
from abm.state.sectors import HIGH, N_SKILLS
from kernels.labour import match_labour

K = N_SKILLS


def separate(eco: EconomyState, rows: np.ndarray) -> None:
    """End the jobs of talent ``rows``: they keep a reservation wage of
    ``labour.reservation_after_job`` times their last wage and their sector as experience."""
    tp = eco.talent_pop
    if rows.size == 0:
        return
    fr = tp.employer[rows]
    wages = eco.firm_wages()[fr, tp.skill[rows]]
    tp.arrays["reservation"][rows] = eco.c("labour.reservation_after_job") * wages
    tp.arrays["experience"][rows] = eco.firm_pop.sector[fr]
    tp.arrays["employer"][rows] = -1


def talent_wages(eco: EconomyState, rows: np.ndarray) -> np.ndarray:
    """Current wage of talent ``rows`` (0 for those without a job), euros per quarter."""
    tp = eco.talent_pop
    e = tp.employer[rows]
    out = np.zeros(rows.size)
    ok = e >= 0
    out[ok] = eco.firm_wages()[e[ok], tp.skill[rows[ok]]]
    return out


def match(eco: EconomyState, f: QuarterFlows) -> None:
    """Quits, search and matching, and firms' wage premiums (module docstring)."""
    fp = eco.firm_pop
    tp = eco.talent_pop
    c = eco.c
    rng = eco.streams["labour"]
    home = tp.abroad == 0
    emp = tp.employer >= 0
    quit_draw = eco.shocks(tp.id, Shock.QUIT)[:, 0]
    quitters = np.flatnonzero(emp & home & (quit_draw < c("labour.quit_rate")))
    separate(eco, quitters)
    seekers = np.flatnonzero(home & (tp.employer < 0))
    floor = c("labour.benefit_replacement") * eco.labour.skill_wage[tp.skill[seekers]]
    tp.arrays["reservation"][seekers] = np.maximum(
        floor, tp.reservation[seekers] * c("labour.reservation_decay")
    )
    vac = f.vacancies
    wages = eco.firm_wages()
    tech_need = c("sectors.technical_need")[fp.sector]
    # vacancy rows: (firm, skill[, technical]) with openings
    n_f = len(fp)
    high_tech = np.round(vac[:, HIGH] * tech_need).astype(np.int64)
    v_firm = np.concatenate([np.arange(n_f)] * (K + 1))
    v_skill = np.concatenate([np.full(n_f, k) for k in range(K)] + [np.full(n_f, HIGH)])
    v_field = np.concatenate([np.full(n_f * K, -1), np.full(n_f, 1)])
    openings = np.concatenate([vac[:, 0], vac[:, 1], vac[:, HIGH] - high_tech, high_tech])
    v_wage = wages[v_firm, v_skill]
    keep = openings > 0
    v_firm, v_skill, v_field = v_firm[keep], v_skill[keep], v_field[keep]
    openings, v_wage = openings[keep], v_wage[keep]
    n_s, n_v = seekers.size, v_firm.size
    k = int(c("labour.search_sample"))
    order = rng.permutation(n_s).astype(np.int64)
    samples = rng.integers(0, max(n_v, 1), size=(n_s, k if n_v else 0)).astype(np.int64)
    matched, filled = match_labour(
        tp.skill[seekers],
        tp.field[seekers],
        tp.reservation[seekers],
        order,
        v_skill.astype(np.int64),
        v_field.astype(np.int64),
        v_wage,
        openings.astype(np.int64),
        samples,
    )
    hired = matched >= 0
    tp.arrays["employer"][seekers[hired]] = v_firm[matched[hired]]
    tp.arrays["experience"][seekers[hired]] = fp.sector[v_firm[matched[hired]]]
    opened = np.bincount(v_firm, weights=openings, minlength=n_f)
    got = np.bincount(v_firm, weights=filled, minlength=n_f)
    fp.unfilled = np.divide(opened - got, opened, out=np.zeros(n_f), where=opened > 0)
    # wage premium: bid up where vacancies stay open, relax towards 1 otherwise
    prem = np.where(
        fp.unfilled > c("labour.unfilled_threshold"),
        fp.wage_premium * (1 + c("labour.wage_bid_speed")),
        fp.wage_premium - c("labour.premium_relaxation") * (fp.wage_premium - 1.0),
    )
    fp.wage_premium = np.clip(prem, 0.7, 2.0)
    f.vacancies_open = float((opened - got).sum()) * eco.scale
    f.hires = int(hired.sum())


def set_wages(eco: EconomyState, f: QuarterFlows) -> None:
    """Skill wage indices grow with the inflation target, trend productivity and the Phillips
    term phi (u*_k - u_k), skill by skill (clipped to -2%..+5% a quarter)."""
    c = eco.c
    tp = eco.talent_pop
    home = tp.abroad == 0
    unemp_rate = np.zeros(K)
    for k in range(K):
        m = home & (tp.skill == k)
        unemp_rate[k] = float(np.mean(tp.employer[m] < 0)) if m.any() else 0.0
    f.unemployment_by_skill = unemp_rate
    growth = (
        (1 + c("macro.inflation_target")) ** 0.25
        - 1
        + eco.trends.prod_growth
        + c("labour.phillips_slope") * (eco.structure.u_natural - unemp_rate)
    )
    eco.labour.skill_wage = eco.labour.skill_wage * (1 + np.clip(growth, -0.02, 0.05))
