"""Talent and migration: retirement, emigration, immigration, education entrants, foreign pool.

Migration (docs/model.md §6.16): the quarterly probability of moving is a base rate times a
logistic response to the wage gap, p = p_0 2 / (1 + exp(-kappa (w_other / w_here - 1 - c))),
equal to p_0 when the gap just covers the moving cost c (``labour.moving_cost``); kappa is
``labour.migration_mobility`` (assumptions with ranges). Base rates p_0 are set so that flows
equal FACTS's 2024 rates (emigration 205k, immigration 314k a year over population), at the
start and again at the end of the burn-in. Retirement at ``labour.retirement_rate`` a year
(FACTS, ~45-year careers). Education adds entrants so that, with no wage gap, the labour force
grows at ``labour.labour_force_growth`` (DNB); the foreign pool is kept at
``labour.foreign_pool_ratio`` of the labour force, with skills ``labour.foreign_pool_skill_mix``.
"""

from __future__ import annotations

import numpy as np

from abm.calibration import load_calibration
from abm.mechanisms.labour import job_arrays, talent_wages
from abm.policy import talent_attraction
from abm.state.economy import EconomyState, Shock
from abm.state.flows import QuarterFlows
from abm.state.sectors import HIGH, N_SKILLS
from kernels.events import lottery_rows, lottery_rows_parallel
from kernels.migration import abroad_uniforms, arrivals, immigration_draws
from kernels.migration import migrate as migration_kernel
from kernels.talent import clear_marks_abroad

K = N_SKILLS


def migration_response(eco: EconomyState, emigrate: bool, baseline: bool = False) -> np.ndarray:
    """Logistic response 2 / (1 + exp(-kappa (w_other / w_here - 1 - c))) per agent; with
    ``baseline`` the calibration file's values (not the scenario's overrides) are used, so base
    rates are calibrated once and a scenario's parameters then move the flows."""
    tp = eco.talent_pop
    src = load_calibration() if baseline else eco.cal
    kappa = src["labour.migration_mobility"]
    cost = src["labour.moving_cost"]
    fw = src["labour.foreign_wage_ratio"]
    lab = eco.labour
    if emigrate:
        home = np.flatnonzero(tp.abroad == 0)
        sk = tp.skill[home]
        here = np.where(tp.employer[home] >= 0, talent_wages(eco, home), tp.reservation[home])
        other = fw[sk] * lab.foreign_wage_level[sk]
        ratio = other / np.maximum(here, 1e-9)
    else:
        away = np.flatnonzero(tp.abroad == 1)
        sk = tp.skill[away]
        here = lab.skill_wage[sk]
        other = fw[sk] * lab.foreign_wage_level[sk]
        ratio = here / np.maximum(other, 1e-9)
    return 2.0 / (1.0 + np.exp(-kappa * (ratio - 1.0 - cost)))


def calibrate_base_rates(eco: EconomyState) -> None:
    """Base rates p_0 so that, at the current wage gaps and the calibration file's mobility and
    moving cost, flows equal FACTS's rates (module docstring)."""
    tp = eco.talent_pop
    n_home = int((tp.abroad == 0).sum())
    lab = eco.labour
    lab.p0_emigrate = (
        eco.c("labour.emigration_rate")
        / 4
        / max(np.mean(migration_response(eco, emigrate=True, baseline=True)), 1e-9)
    )
    inflow = eco.c("labour.immigration_rate") / 4 * n_home
    lab.p0_immigrate = inflow / max(
        np.sum(migration_response(eco, emigrate=False, baseline=True)), 1e-9
    )


def update_foreign_wages(eco: EconomyState) -> None:
    """Wages abroad grow with the trend part of home wage growth (inflation target plus trend
    productivity): the world shares the trend, while the home labour market's tightness, firms'
    wage premiums and policy open the gaps that move talent."""
    trend = (1 + eco.c("macro.inflation_target")) ** 0.25 - 1 + eco.trends.prod_growth
    eco.labour.foreign_wage_level = eco.labour.foreign_wage_level * (1 + trend)


def draw_foreign_pool(
    eco: EconomyState, rng: np.random.Generator, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Skills and fields of ``n`` new members of the foreign pool."""
    skill = rng.choice(K, n, p=eco.c("labour.foreign_pool_skill_mix"))
    field = (rng.random(n) < eco.c("labour.foreign_pool_technical_share")).astype(np.int64)
    return skill, field


def migrate(eco: EconomyState, f: QuarterFlows) -> None:
    """Retirement, emigration and immigration (module docstring); talent attraction
    programmes buy additional residents (``abm.policy.talent_attraction``)."""
    c = eco.c
    tp = eco.talent_pop
    lab = eco.labour
    f.residents_before_migration = int(lab.residents.sum())
    if eco.quarter == -1:
        calibrate_base_rates(eco)
    src = eco.cal
    # the pool abroad: who comes by the base rate, and the residents talent programmes buy
    # (chosen before anyone moves, as ``talent_attraction.recruit`` counts its residents)
    key0, key1, q = eco.shock_key()
    bound = np.minimum(lab.p0_immigrate * _immigration_response_by_skill(eco), 0.9)
    arows, arriving = _immigration_draws(eco, bound)
    arriving[np.searchsorted(arows, talent_attraction.recruit(eco, arows, arriving))] = True
    coming = arows[arriving]  # by the base rate, and the programmes' recruits
    # emigration: kernels.migration computes the response of migration_response(emigrate=True)
    # for the residents whose draw is below its bound only (tests/abm/test_talent_step.py)
    retire, n_emi, n_emi_high, n_imm, n_imm_high, delta = migration_kernel(
        tp.id,
        tp.abroad,
        *job_arrays(eco),
        float(c("labour.retirement_rate") / 4),
        float(lab.p0_emigrate),
        src["labour.foreign_wage_ratio"] * lab.foreign_wage_level,
        float(src["labour.migration_mobility"]),
        float(src["labour.moving_cost"]),
        coming,  # the others abroad stay (probability 0: the pass need not visit them)
        np.full(coming.size, np.inf),  # certain: U <= 1 < inf (with p = 1 an arrival whose
        # (255 + V) / 256 rounds to 1.0, V > 1 - 2**-46, would stay abroad)
        c("labour.reservation_immigrant") * lab.skill_wage,
        HIGH,
        key0,
        key1,
        q,
        int(Shock.RETIRE),
        int(Shock.EMIGRATE),
        int(Shock.IMMIGRATE),
        eco.threads,
        _lotteries(eco),
    )
    # a programme's resident who left is one no longer (only emigrants can be abroad with a mark)
    clear_marks_abroad(tp.arrays["attracted"], tp.abroad)
    lab.residents += delta
    f.emigration = float(n_emi) * eco.scale
    f.immigration = float(n_imm) * eco.scale
    f.emigration_high = float(n_emi_high) * eco.scale
    f.immigration_high = float(n_imm_high) * eco.scale
    tp.drop(retire, eco.threads)
    f.retirements = float(retire.size) * eco.scale


def _abroad_key(eco: EconomyState) -> tuple[int, int]:
    """What the uniforms of the agents abroad depend on besides their rows: the quarter and the
    number of talent rows (rows change only in migration and education)."""
    return eco.quarter, len(eco.talent_pop)


def _abroad_compute(eco: EconomyState):
    """The rows abroad and their immigration uniforms (``kernels.migration.abroad_uniforms``)."""
    tp = eco.talent_pop
    key0, key1, q = eco.shock_key()
    ids, abroad, skill, mechanism = tp.id, tp.abroad, tp.skill, int(Shock.IMMIGRATE)
    return lambda: abroad_uniforms(ids, abroad, skill, -1, key0, key1, q, mechanism)


def draw_ahead(eco: EconomyState) -> None:
    """Queue the immigration uniforms of the agents abroad for the helper thread (with
    ``threads > 1``; ``abm.state.draws``): keyed draws of (seed, agent id, quarter), which do not
    depend on the bounds the quarter's wages set, and the rows abroad do not change before
    migration. The model queues them after production, and the goods market's rationing and
    books (kernels without the interpreter's lock, on the model's thread alone) start them
    (docs/performance.md, sixteenth session; until then they started in the entrants' Mesa
    registration, which on a fast machine ended before they did)."""
    eco.draws.ahead_keyed("immigration", _abroad_key(eco), _abroad_compute(eco))


def _lottery_key(eco: EconomyState) -> tuple[int, int, int, int, float, float]:
    """What the retirement and emigration lotteries depend on besides the talent ids: the
    quarter, the number of talent rows, their first and last ids (ids increase: rows changed at
    the same count would show) and the two bounds (the emigration base rate changes in the
    burn-in's last quarter, ``calibrate_base_rates``)."""
    ids = eco.talent_pop.id
    first, last = (int(ids[0]), int(ids[-1])) if ids.size else (-1, -1)
    return (eco.quarter, ids.size, first, last, float(eco.c("labour.retirement_rate") / 4),
            2.0 * float(eco.labour.p0_emigrate))  # fmt: skip


def _lottery_compute(eco: EconomyState, threads: int):
    """The two lotteries of ``kernels.migration.migrate`` (retirement below ``retire_p``,
    emigration below ``2 p0_emigrate``) for the talent rows as they are now."""
    ids = eco.talent_pop.id
    key0, key1, q = eco.shock_key()
    *_, retire_p, emi_bound = _lottery_key(eco)
    lottery = lottery_rows_parallel if threads > 1 else lottery_rows
    m_ret, m_emi = int(Shock.RETIRE), int(Shock.EMIGRATE)
    return lambda: (
        lottery(ids, key0, key1, q, m_ret, retire_p),
        lottery(ids, key0, key1, q, m_emi, emi_bound),
    )


def draw_lotteries_ahead(eco: EconomyState) -> None:
    """Queue the retirement and emigration lotteries for the helper thread (with ``threads >
    1``; ``abm.state.draws``): keyed draws of (seed, agent id, quarter) below the quarter's
    bounds, over talent rows that do not change before migration. The model queues them after
    the labour market, and the investment plans' keyed draws (one thread,
    ``kernels.investment.investment_wanted``) start them (docs/performance.md, thirteenth
    session). Not in the burn-in's last quarter, whose migration sets the emigration base rate
    (``calibrate_base_rates``) before it draws."""
    if eco.quarter != -1:
        eco.draws.ahead_keyed("migration_lotteries", _lottery_key(eco), _lottery_compute(eco, 1))


def _lotteries(eco: EconomyState) -> tuple | None:
    """The lotteries made ahead, if they were queued (None: ``migration_kernel`` draws them)."""
    if not eco.draws.enabled:
        return None
    return eco.draws.take_keyed(
        "migration_lotteries", _lottery_key(eco), _lottery_compute(eco, eco.threads)
    )


def _immigration_draws(eco: EconomyState, bound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows abroad and whether each comes home by the base rate (``u < bound[skill]``):
    from the uniforms drawn ahead with ``threads > 1``, in one kernel otherwise."""
    tp = eco.talent_pop
    if not eco.draws.enabled:
        key0, key1, q = eco.shock_key()
        return immigration_draws(tp.id, tp.abroad, tp.skill, bound, key0, key1, q,
                                 int(Shock.IMMIGRATE))  # fmt: skip
    rows, uniforms = eco.draws.take_keyed("immigration", _abroad_key(eco), _abroad_compute(eco))
    return rows, arrivals(rows, uniforms, tp.skill, bound)


def _immigration_response_by_skill(eco: EconomyState) -> np.ndarray:
    """``migration_response(eco, emigrate=False)`` by skill: abroad it depends on the skill
    alone (the same numbers, computed for three skills instead of the whole pool)."""
    src = eco.cal
    lab = eco.labour
    here = lab.skill_wage
    other = src["labour.foreign_wage_ratio"] * lab.foreign_wage_level
    ratio = here / np.maximum(other, 1e-9)
    kappa, cost = src["labour.migration_mobility"], src["labour.moving_cost"]
    return 2.0 / (1.0 + np.exp(-kappa * (ratio - 1.0 - cost)))


def educate(eco: EconomyState, f: QuarterFlows) -> None:
    """Education entrants (labour-force growth net of migration, plus replacement of
    retirements) and new members of the foreign pool, both relative to the resident labour
    force before this quarter's migration."""
    c = eco.c
    tp = eco.talent_pop
    n_home = f.residents_before_migration
    rng = eco.streams["education"]
    g = c("labour.labour_force_growth")
    net_mig = c("labour.immigration_rate") - c("labour.emigration_rate")
    lam = n_home * max(c("labour.retirement_rate") + g - net_mig, 0.0) / 4
    n_new = int(rng.poisson(lam))
    shares = c("labour.skill_shares")
    sk = rng.choice(K, n_new, p=shares / shares.sum())
    fld = (rng.random(n_new) < c("labour.technical_share")).astype(np.int64)
    pool = len(tp) - int(eco.labour.residents.sum())  # everyone else lives abroad
    want_pool = int(round(n_home * c("labour.foreign_pool_ratio")))
    n_pool = max(want_pool - pool, 0)
    psk, pfl = draw_foreign_pool(eco, rng, n_pool)
    m = n_new + n_pool
    eco.labour.residents += np.bincount(sk, minlength=K)
    if m:
        skills = np.concatenate([sk, psk])
        tp.append(
            id=eco.new_talent_ids(m),
            skill=skills,
            field=np.concatenate([fld, pfl]),
            employer=np.full(m, -1),
            abroad=np.concatenate([np.zeros(n_new, np.int8), np.ones(n_pool, np.int8)]),
            reservation=c("labour.reservation_entrant") * eco.labour.skill_wage[skills],
            experience=np.full(m, -1),
            attracted=0,
        )
