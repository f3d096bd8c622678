"""Labour market and wages: separations, search and matching, wage premiums, the Phillips curve.

Search and matching (``kernels.labour.match_labour``): employed talent quits into search with
probability ``labour.quit_rate`` (own shock); an unemployed resident searches in a quarter with
probability ``labour.search_probability`` (own shock; CBS flows: 40-50% of the unemployed find
work within a quarter), looks at ``labour.search_sample`` random vacancies and takes the
best-paid acceptable one (skill at least the job's, a technical field where the job needs one,
wage at least the reservation wage), first come first served in a random order. Reservation
wages of the unemployed decay by ``labour.reservation_decay`` a quarter towards the benefit level
(replacement rate ``labour.benefit_replacement``). Firms whose vacancies stay open (more than
``labour.unfilled_threshold`` of them) bid up their wage premium by ``labour.wage_bid_speed``;
others relax it towards 1; premiums are relative wages (their employment-weighted mean is kept
at 1). Wages w_{i,k} = W_k theta_s omega_i (skill wage index, sector premium, firm premium). The
level of W_k grows with expected euro-area inflation (the ECB's 2%: the Netherlands has no
monetary policy of its own), trend productivity and an aggregate Phillips term phi (u* - u)
(``labour.phillips_slope``); relative skill wages move with each skill's tightness against the
average (``labour.relative_wage_slope``), so scarce researchers' wages rise (Goolsbee 1998)
without moving the level. The natural rates u*_k are each skill's structural unemployment given
the matching: they start at the 2025 rate (FACTS: 3.7%) and, during the burn-in only, move
towards the actual rates (weight ``labour.natural_rate_burn_in_weight`` a quarter); they are
fixed from 2026 on, so Dutch inflation departs from the euro area's only through tightness and
relative prices.
"""

from __future__ import annotations

import numpy as np

from abm.state.economy import EconomyState, Shock
from abm.state.flows import QuarterFlows
from abm.state.sectors import HIGH, N_SKILLS
from kernels import talent
from kernels.firms import wage_premiums
from kernels.labour import match_labour, vacancy_row_count, vacancy_rows

K = N_SKILLS


def separate(eco: EconomyState, rows: np.ndarray) -> None:
    """End the jobs of talent ``rows``: they keep a reservation wage of
    ``labour.reservation_after_job`` times their last wage and their sector as experience."""
    if rows.size == 0:
        return
    talent.separate(rows.astype(np.int64, copy=False), *job_arrays(eco))


def job_arrays(eco: EconomyState) -> tuple:
    """The arrays a separation writes or reads, in the order of ``kernels.talent.separate``."""
    tp = eco.talent_pop
    return (
        tp.employer,
        tp.skill,
        tp.experience,
        tp.reservation,
        eco.firm_wages(),
        eco.firm_pop.sector,
        float(eco.c("labour.reservation_after_job")),
        eco.labour.staff,
    )


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
    # quits, reservation wages of the unemployed, and who searches (one pass over talent)
    key0, key1, q = eco.shock_key()
    seekers, _ = talent.quits_and_search(
        tp.id,
        tp.abroad,
        *job_arrays(eco),
        c("labour.benefit_replacement") * eco.labour.skill_wage,
        float(c("labour.reservation_decay")),
        float(c("labour.quit_rate")),
        float(c("labour.search_probability")),
        key0,
        key1,
        q,
        int(Shock.QUIT),
        int(Shock.SEARCH),
        eco.threads,
    )
    vac = f.vacancies
    wages = eco.firm_wages()
    tech_need = c("sectors.technical_need")[fp.sector]
    # vacancy rows: (firm, skill[, technical]) with openings; the service order and each
    # seeker's k looks, drawn on the helper thread while the rows are listed and the seekers'
    # data gathered (abm.state.draws; their sizes are known first: vacancy_row_count)
    high_tech = np.round(vac[:, HIGH] * tech_need).astype(np.int64)
    n_s, n_v = seekers.size, int(vacancy_row_count(vac, high_tech, HIGH))
    k = int(c("labour.search_sample"))

    def service(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """The service order (a permutation of the seekers) and their ``k`` looks each."""
        order = rng.permutation(n_s).astype(np.int64, copy=False)
        samples = rng.integers(0, max(n_v, 1), size=(n_s, k if n_v else 0), dtype=np.int64)
        return order, samples

    eco.draws.ahead("labour", (n_s, n_v, k), service)
    with eco.draws.serial("labour"):
        v_firm, v_skill, v_field, openings, v_wage = vacancy_rows(vac, high_tech, wages, HIGH, n_v)
        s_skill = tp.skill[seekers].astype(np.int64)
        s_field = tp.field[seekers].astype(np.int64)
        s_reservation = tp.reservation[seekers].astype(np.float64)
    order, samples = eco.draws.take("labour", (n_s, n_v, k), service)
    with eco.draws.serial():  # one thread: queued numpy draws use another (abm.state.draws)
        matched, filled = match_labour(
            s_skill, s_field, s_reservation, order, v_skill, v_field, v_wage, openings, samples
        )
    hired = matched >= 0
    staff = eco.labour.staff
    talent.hire(
        seekers[hired],
        v_firm[matched[hired]],
        tp.employer,
        tp.skill,
        tp.experience,
        fp.sector,
        staff,
    )
    # wage premium: bid up where vacancies stay open, relax towards 1 otherwise; premiums are
    # relative wages: their employment-weighted mean stays 1, so bidding moves wages between
    # firms and sectors while the level follows the skill wage indices (kernels.firms)
    fp.unfilled, fp.wage_premium, still_open = wage_premiums(
        v_firm, openings, filled, fp.wage_premium, staff,
        float(c("labour.unfilled_threshold")), float(1 + c("labour.wage_bid_speed")),
        float(c("labour.premium_relaxation")),
    )  # fmt: skip
    f.vacancies_open = still_open * eco.scale
    f.hires = int(hired.sum())


def set_wages(eco: EconomyState, f: QuarterFlows) -> None:
    """Skill wage indices: the level grows with expected euro-area inflation (the ECB target),
    trend productivity and the aggregate Phillips term phi (u* - u); relative skill wages move
    with each skill's tightness against the average, phi_r ((u*_k - u_k) - mean_j(u*_j - u_j))
    (employment-weighted mean, so it adds nothing to the level); growth clipped to -2%..+5% a
    quarter."""
    c = eco.c
    home, employed_k = eco.talent_census()
    unemp_rate = np.divide((home - employed_k).astype(float), home, out=np.zeros(K), where=home > 0)
    f.unemployment_by_skill = unemp_rate
    lab = eco.labour
    if eco.quarter < 0:
        # the burn-in finds each skill's structural unemployment rate given the matching
        w = c("labour.natural_rate_burn_in_weight")
        lab.natural_rate = (1 - w) * lab.natural_rate + w * unemp_rate
    gap = lab.natural_rate - unemp_rate
    employed = employed_k.astype(float)
    mean_gap = float(np.average(gap, weights=employed)) if employed.sum() > 0 else 0.0
    growth = (
        (1 + c("macro.inflation_target")) ** 0.25
        - 1
        + eco.trends.prod_growth
        + c("labour.phillips_slope") * mean_gap
        + c("labour.relative_wage_slope") * (gap - mean_gap)
    )
    eco.labour.skill_wage = eco.labour.skill_wage * (1 + np.clip(growth, -0.02, 0.05))
