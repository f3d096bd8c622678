"""Migration kernel: retirement, emigration and immigration of one quarter in one pass.

The rules are those of ``abm.mechanisms.migration`` (its docstring gives the equations and the
sources); whether an agent acts is decided by its keyed uniform (:mod:`kernels.events`), and
only residents whose uniform is below the bound of their emigration probability compute it.
``migrate_py`` is the plain-Python twin that ``tests/kernels/test_talent.py`` holds it to.
"""

# numba caches this module's kernels with compiled copies of the kernels.events functions they
# call, keyed on this file alone: change this file whenever kernels/events.py changes (events:
# lottery bytes, U = (B + V) / 256; their lottery finds passing bytes eight at a time over
# dense ids, row by row over sparse ones), or a warm cache keeps the old draws. The same for
# kernels/philox.py (philox4x64: Philox4x64-10, uniforms as (x >> 11) 2**-53), and for
# kernels.passes.rows_of_flags (the set flags' rows, eight flags at a time).

import math

import numba
import numpy as np

from kernels.events import acts, acts_py, lottery_rows, lottery_rows_parallel, own_uniform
from kernels.labour import _prefetch
from kernels.passes import AHEAD, CHUNK, apply_separations, rows_of_flags
from kernels.philox import philox_uniforms_py
from kernels.talent import separate, separate_py


@numba.njit(cache=True, inline="always")
def emigration_probability(p0, wage_abroad, wage_here, kappa, cost):
    """p0 2 / (1 + exp(-kappa (wage_abroad / max(wage_here, 1e-9) - 1 - cost))): the base rate
    times ``abm.mechanisms.migration.migration_response`` (the test holds the two together)."""
    gap = wage_abroad / max(wage_here, 1e-9)
    return p0 * (2.0 / (1.0 + math.exp(-kappa * (gap - 1.0 - cost))))


def emigration_probability_py(p0, wage_abroad, wage_here, kappa, cost):
    """Plain-Python twin of :func:`emigration_probability`."""
    gap = wage_abroad / max(wage_here, 1e-9)
    return p0 * (2.0 / (1.0 + math.exp(-kappa * (gap - 1.0 - cost))))


@numba.njit(cache=True)
def _retire_chunk(k, rows, draws, ids, abroad, p, key0, key1, quarter, m, go):
    lo = k * CHUNK
    hi = min(lo + CHUNK, rows.shape[0])
    for j in range(lo, hi):
        if j + AHEAD < hi:
            _prefetch(abroad, rows[j + AHEAD])
            _prefetch(ids, rows[j + AHEAD])
        i = rows[j]
        go[j] = abroad[i] == 0 and draws[j] < p


@numba.njit(cache=True)
def _emigrate_chunk(k, rows, draws, retired, ids, abroad, job, emi, key0, key1, quarter, m, out):
    """Candidates of chunk ``k`` who live here, do not retire and draw ``U < p``: ``out[j]`` is
    1 + their employer row (0: stays), and they leave their jobs and the country."""
    employer, skill, experience, reservation, wages, firm_sector, ratio = job
    p0, foreign_wage, kappa, cost = emi
    lo = k * CHUNK
    hi = min(lo + CHUNK, rows.shape[0])
    bound = 2.0 * p0
    for j in range(lo, hi):
        if j + AHEAD < hi:
            later = rows[j + AHEAD]
            _prefetch(abroad, later)
            _prefetch(ids, later)
            _prefetch(employer, later)
            _prefetch(skill, later)
            _prefetch(reservation, later)
        i = rows[j]
        out[j] = 0
        if abroad[i] != 0:
            continue
        r = np.searchsorted(retired, i)
        if r < retired.shape[0] and retired[r] == i:
            continue
        u = draws[j]
        if u >= bound:
            continue
        kk = skill[i]
        e = employer[i]
        here = wages[e, kk] if e >= 0 else np.float64(reservation[i])
        if u < emigration_probability(p0, foreign_wage[kk], here, kappa, cost):
            if e >= 0:
                reservation[i] = ratio * wages[e, kk]
                experience[i] = firm_sector[e]
                employer[i] = -1
            abroad[i] = 1
            out[j] = e + 2  # e >= -1


@numba.njit(cache=True)
def _immigrate_chunk(k, rows, p, ids, abroad, employer, skill, reservation, r_imm, key, out):
    key0, key1, quarter, m = key
    lo = k * CHUNK
    hi = min(lo + CHUNK, rows.shape[0])
    for j in range(lo, hi):
        i = rows[j]
        out[j] = acts(key0, key1, ids[i], quarter, m, p[j])
        if out[j]:
            abroad[i] = 0
            employer[i] = -1
            reservation[i] = r_imm[skill[i]]


@numba.njit(cache=True)
def _count_abroad(k, abroad, counts, skill, level):
    """Chunk ``k``'s rows abroad (of skill ``level`` only, when ``level >= 0``)."""
    lo = k * CHUNK
    hi = min(lo + CHUNK, abroad.shape[0])
    a = abroad[lo:hi]  # a slice: a vectorised loop
    c = 0
    if level < 0:
        for i in range(a.shape[0]):
            c += a[i] == 1
    else:
        s = skill[lo:hi]
        for i in range(a.shape[0]):
            c += (a[i] == 1) & (s[i] == level)
    counts[k] = c


@numba.njit(cache=True)
def _list_abroad(k, ids, abroad, key, start, rows, u, flags, tid, skill, level):
    """Chunk ``k``'s rows abroad (of skill ``level`` only, when ``level >= 0``) into
    ``rows[start[k]:start[k + 1]]`` (flags eight at a time) and their first keyed uniforms into
    ``u[:count]``: the ids gathered first, so the uniforms are a loop without loads."""
    lo = k * CHUNK
    hi = min(lo + CHUNK, abroad.shape[0])
    a = abroad[lo:hi]
    m = a.shape[0]
    if level < 0:
        for i in range(m):
            flags[i] = a[i] == 1
    else:
        s = skill[lo:hi]
        for i in range(m):
            flags[i] = (a[i] == 1) & (s[i] == level)
    rows_of_flags(flags, m, lo, rows, start[k])
    k0, k1, q, mech = key
    r = rows[start[k] : start[k + 1]]
    for j in range(r.shape[0]):
        tid[j] = ids[r[j]]
    for j in range(r.shape[0]):
        u[j] = own_uniform(k0, k1, tid[j], q, mech)


@numba.njit(cache=True)
def _draw_abroad(k, ids, abroad, skill, bound, key, start, rows, arriving, buffers):
    """Chunk ``k``'s rows abroad (``_list_abroad``) and whether each comes home, ``u < bound``."""
    if start[k + 1] == start[k]:
        return
    flags, tid, u = buffers
    _list_abroad(k, ids, abroad, key, start, rows, u, flags, tid, skill, -1)
    r = rows[start[k] : start[k + 1]]
    out = arriving[start[k] : start[k + 1]]
    for j in range(r.shape[0]):
        out[j] = u[j] < bound[skill[r[j]]]


@numba.njit(cache=True)
def _uniforms_abroad(k, ids, abroad, key, start, rows, uniforms, buffers, skill, level):
    """Chunk ``k``'s rows abroad and their uniforms, stored at their places (``_list_abroad``)."""
    if start[k + 1] == start[k]:
        return
    flags, tid = buffers
    u = uniforms[start[k] : start[k + 1]]
    _list_abroad(k, ids, abroad, key, start, rows, u, flags, tid, skill, level)


@numba.njit(cache=True)
def _abroad_starts(counts):
    """Each chunk's first place among the rows abroad (the chunks counted in ``counts``)."""
    nc = counts.shape[0]
    start = np.zeros(nc + 1, dtype=np.int64)
    for k in range(nc):
        start[k + 1] = start[k] + counts[k]
    return start


@numba.njit(cache=True)
def immigration_draws(ids, abroad, skill, bound, key0, key1, quarter, mechanism):
    """The rows abroad (``abroad == 1``, in row order) and whether each comes home by the base
        rate: ``u < bound[skill]`` with ``u`` its first keyed uniform (``philox_uniforms`` of
        ``(id, quarter, mechanism)``: the numbers ``EconomyState.shocks`` gives), drawn for the
        agents abroad only.

    By fixed chunks of agents: each counts its agents abroad (a vectorised loop over a slice), then
    lists them at its offset from flags eight at a time and draws for them. At 1:1 (11.8 million
    agents, 1.5 million abroad) that took 23 ms on one thread (16 on two) against 28-30 ms for
    three passes over the whole population (count, a store per agent without a branch, draws;
    docs/performance.md, fifth and seventh sessions). The draws, about 10 ns each, are most of it.
    With ``threads > 1`` the model draws them ahead instead (:func:`abroad_uniforms`), on a thread
    of their own: on numba's threads this took 16 ms of a 1:1 quarter (a threaded copy,
    ``immigration_draws_parallel``, until the eleventh session).
    """
    n = ids.shape[0]
    nc = (n + CHUNK - 1) // CHUNK
    counts = np.empty(nc, dtype=np.int64)
    for k in range(nc):
        _count_abroad(k, abroad, counts, skill, -1)
    start = _abroad_starts(counts)
    rows = np.empty(start[nc], dtype=np.int64)
    arriving = np.empty(start[nc], dtype=np.bool_)
    key = (np.uint64(key0), np.uint64(key1), np.uint64(quarter), np.uint64(mechanism))
    buffers = (np.empty(CHUNK, np.uint8), np.empty(CHUNK, np.int64), np.empty(CHUNK))
    for k in range(nc):
        _draw_abroad(k, ids, abroad, skill, bound, key, start, rows, arriving, buffers)
    return rows, arriving


@numba.njit(cache=True, nogil=True)
def abroad_uniforms(ids, abroad, skill, level, key0, key1, quarter, mechanism):
    """The rows abroad (``abroad == 1``, in row order; of skill ``level`` only when ``level >=
    0``) and their first keyed uniforms: with ``level = -1`` the rows and the ``u`` of
    :func:`immigration_draws`, before they meet a bound.

    The immigration draws depend on the quarter's bounds (its wages) only through that last
    comparison, and the rows abroad do not change in a quarter before migration: with
    ``threads > 1`` the model draws them on the helper thread while its own thread rations the
    goods market and books its sales (``abm.mechanisms.migration.draw_ahead``), and
    :func:`arrivals` compares them with the bounds. Compiled with ``nogil=True`` for that.
    The talent programmes' draws are those of the high-skill rows abroad
    (``abm.policy.talent_attraction.draw_ahead``).
    """
    n = ids.shape[0]
    nc = (n + CHUNK - 1) // CHUNK
    counts = np.empty(nc, dtype=np.int64)
    for k in range(nc):
        _count_abroad(k, abroad, counts, skill, level)
    start = _abroad_starts(counts)
    rows = np.empty(start[nc], dtype=np.int64)
    uniforms = np.empty(start[nc])
    key = (np.uint64(key0), np.uint64(key1), np.uint64(quarter), np.uint64(mechanism))
    buffers = (np.empty(CHUNK, np.uint8), np.empty(CHUNK, np.int64))
    for k in range(nc):
        _uniforms_abroad(k, ids, abroad, key, start, rows, uniforms, buffers, skill, level)
    return rows, uniforms


def abroad_uniforms_py(ids, abroad, skill, level, key0, key1, quarter, mechanism):
    """Plain-Python twin of :func:`abroad_uniforms`."""
    away = np.asarray(abroad) == 1
    rows = np.flatnonzero(away & (np.asarray(skill) == level) if level >= 0 else away)
    u = philox_uniforms_py(int(key0), int(key1), np.asarray(ids)[rows], quarter, mechanism, 1)
    return rows.astype(np.int64), u[:, 0]


@numba.njit(cache=True)
def arrivals(rows, uniforms, skill, bound):
    """Whether each row abroad comes home by the base rate, ``uniforms[j] < bound[skill[rows[j]]]``
    (with the rows and uniforms of :func:`abroad_uniforms`, the ``arriving`` of
    :func:`immigration_draws`)."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for j in range(rows.shape[0]):
        out[j] = uniforms[j] < bound[skill[rows[j]]]
    return out


def immigration_draws_py(ids, abroad, skill, bound, key0, key1, quarter, mechanism):
    """Plain-Python twin of :func:`immigration_draws`."""
    rows = np.flatnonzero(np.asarray(abroad) == 1)
    u = philox_uniforms_py(int(key0), int(key1), np.asarray(ids)[rows], quarter, mechanism, 1)
    return rows.astype(np.int64), u[:, 0] < np.asarray(bound)[np.asarray(skill)[rows]]


@numba.njit(cache=True)
def retire_pass(rows, draws, ids, abroad, p, key0, key1, quarter, m):
    """Whether each lottery row of retirement retires (a resident with ``U < p``)."""
    go = np.empty(rows.shape[0], dtype=np.bool_)
    for k in range((rows.shape[0] + CHUNK - 1) // CHUNK):
        _retire_chunk(k, rows, draws, ids, abroad, p, key0, key1, quarter, m, go)
    return go


@numba.njit(cache=True, parallel=True)
def retire_pass_parallel(rows, draws, ids, abroad, p, key0, key1, quarter, m):
    """:func:`retire_pass` on numba's threads."""
    go = np.empty(rows.shape[0], dtype=np.bool_)
    for k in numba.prange((rows.shape[0] + CHUNK - 1) // CHUNK):
        _retire_chunk(k, rows, draws, ids, abroad, p, key0, key1, quarter, m, go)
    return go


@numba.njit(cache=True)
def emigrate_pass(rows, draws, retired, ids, abroad, job, emi, key0, key1, quarter, m):
    """The emigrants among the lottery rows of emigration (``_emigrate_chunk``)."""
    out = np.empty(rows.shape[0], dtype=np.int64)
    for k in range((rows.shape[0] + CHUNK - 1) // CHUNK):
        _emigrate_chunk(k, rows, draws, retired, ids, abroad, job, emi, key0, key1, quarter, m, out)
    return out


@numba.njit(cache=True, parallel=True)
def emigrate_pass_parallel(rows, draws, retired, ids, abroad, job, emi, key0, key1, quarter, m):
    """:func:`emigrate_pass` on numba's threads."""
    out = np.empty(rows.shape[0], dtype=np.int64)
    for k in numba.prange((rows.shape[0] + CHUNK - 1) // CHUNK):
        _emigrate_chunk(k, rows, draws, retired, ids, abroad, job, emi, key0, key1, quarter, m, out)
    return out


@numba.njit(cache=True)
def immigrate_pass(rows, p, ids, abroad, employer, skill, reservation, r_imm, key):
    """Agents abroad ``rows`` come home when ``U < p[j]`` (reservation ``r_imm[k]``)."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for k in range((rows.shape[0] + CHUNK - 1) // CHUNK):
        _immigrate_chunk(k, rows, p, ids, abroad, employer, skill, reservation, r_imm, key, out)
    return out


@numba.njit(cache=True, parallel=True)
def immigrate_pass_parallel(rows, p, ids, abroad, employer, skill, reservation, r_imm, key):
    """:func:`immigrate_pass` on numba's threads."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for k in numba.prange((rows.shape[0] + CHUNK - 1) // CHUNK):
        _immigrate_chunk(k, rows, p, ids, abroad, employer, skill, reservation, r_imm, key, out)
    return out


def migrate(
    ids,
    abroad,
    employer,
    skill,
    experience,
    reservation,
    wages,
    firm_sector,
    ratio,
    staff,
    retire_p,
    p0_emigrate,
    foreign_wage,
    kappa,
    cost,
    away_rows,
    p_immigrate,
    reservation_immigrant,
    high,
    key0,
    key1,
    quarter,
    m_ret,
    m_emi,
    m_imm,
    threads=1,
    lotteries=None,
):
    """Retirement, emigration and immigration of one quarter, in place.

    A resident retires when ``U(id, m_ret) < retire_p`` (separated if employed; the caller
    removes the returned rows). A resident who does not retire emigrates when
    ``U(id, m_emi) < emigration_probability(p0_emigrate, foreign_wage[k], w_here, kappa, cost)``
    with ``w_here`` its wage ``wages[e, k]`` (its reservation wage without a job): separated if
    employed, then abroad. The probability is below ``2 p0_emigrate``, so only the lottery rows
    below that bound compute it. Agent ``away_rows[j]`` (rows abroad at the start, any subset, in
    row order; the model passes those who come home, with ``p_immigrate`` infinite) comes home
    when ``U(id, m_imm) < p_immigrate[j]``, with reservation wage ``reservation_immigrant[k]``.

    ``lotteries``, when given, holds the two lotteries' results made ahead,
    ``((rows, draws) of lottery_rows(ids, .., m_ret, retire_p), (rows, draws) of
    lottery_rows(ids, .., m_emi, 2 p0_emigrate))`` for these ``ids`` and ``quarter``: the same
    values the function would compute (``kernels.events.lottery_rows``).

    Returns (retiring rows in row order, emigrants, high-skill emigrants, immigrants,
    high-skill immigrants, change of residents by skill).
    """
    par = threads > 1
    lottery = lottery_rows_parallel if par else lottery_rows
    job = (employer, skill, experience, reservation, wages, firm_sector, ratio)
    n_skills = staff.shape[1]
    # retirement
    if lotteries is None:
        lotteries = (
            lottery(ids, key0, key1, quarter, m_ret, retire_p),
            lottery(ids, key0, key1, quarter, m_emi, 2.0 * p0_emigrate),
        )
    rows, draws = lotteries[0]
    go = (retire_pass_parallel if par else retire_pass)(
        rows, draws, ids, abroad, retire_p, key0, key1, quarter, m_ret
    )
    retired = rows[go]
    employed = retired[employer[retired] >= 0]
    separate(employed, *job, staff)
    delta = -np.bincount(skill[retired], minlength=n_skills).astype(np.int64)
    # emigration
    rows, draws = lotteries[1]
    emi = (float(p0_emigrate), np.asarray(foreign_wage, np.float64), float(kappa), float(cost))
    out = (emigrate_pass_parallel if par else emigrate_pass)(
        rows, draws, retired, ids, abroad, job, emi, key0, key1, quarter, m_emi
    )
    moved = out > 0
    emigrants = rows[moved]
    was = out[moved] - 2  # the employer each left, or -1
    apply_separations(emigrants, was, skill, staff)  # one fewer staff there (np.subtract.at)
    sk = skill[emigrants]
    delta -= np.bincount(sk, minlength=n_skills)
    # immigration
    key = (key0, key1, np.int64(quarter), np.int64(m_imm))
    r_imm = np.asarray(reservation_immigrant, np.float64)
    came = (immigrate_pass_parallel if par else immigrate_pass)(
        away_rows,
        np.asarray(p_immigrate, np.float64),
        ids,
        abroad,
        employer,
        skill,
        reservation,
        r_imm,
        key,
    )
    sk_in = skill[away_rows[came]]
    delta += np.bincount(sk_in, minlength=n_skills)
    return (
        retired,
        int(emigrants.size),
        int((sk == high).sum()),
        int(sk_in.size),
        int((sk_in == high).sum()),
        delta,
    )


def migrate_py(
    ids,
    abroad,
    employer,
    skill,
    experience,
    reservation,
    wages,
    firm_sector,
    ratio,
    staff,
    retire_p,
    p0_emigrate,
    foreign_wage,
    kappa,
    cost,
    away_rows,
    p_immigrate,
    reservation_immigrant,
    high,
    key0,
    key1,
    quarter,
    m_ret,
    m_emi,
    m_imm,
):
    """Plain-Python twin of :func:`migrate`: decide everyone first, then apply."""
    job = (employer, skill, experience, reservation, wages, firm_sector, ratio, staff)
    home = [i for i in range(len(ids)) if abroad[i] == 0]
    retire = [i for i in home if acts_py(key0, key1, ids[i], quarter, m_ret, retire_p)]
    gone = set(retire)
    emigrants = []
    for i in home:
        if i in gone:
            continue
        k = int(skill[i])
        here = wages[employer[i], k] if employer[i] >= 0 else float(reservation[i])
        p = emigration_probability_py(p0_emigrate, foreign_wage[k], here, kappa, cost)
        if acts_py(key0, key1, ids[i], quarter, m_emi, p):
            emigrants.append(i)
    immigrants = [
        int(i)
        for i, p in zip(away_rows, p_immigrate, strict=True)
        if acts_py(key0, key1, ids[i], quarter, m_imm, p)
    ]
    for group in (retire, emigrants):
        employed = np.array([i for i in group if employer[i] >= 0], dtype=np.int64)
        separate_py(employed, *job)
    delta = np.zeros(staff.shape[1], dtype=np.int64)
    for i in retire + emigrants:
        delta[int(skill[i])] -= 1
    for i in emigrants:
        abroad[i] = 1
    for i in immigrants:
        abroad[i] = 0
        employer[i] = -1
        reservation[i] = reservation_immigrant[int(skill[i])]
        delta[int(skill[i])] += 1
    n_high = lambda rows: sum(int(skill[i] == high) for i in rows)  # noqa: E731
    return (
        np.array(retire, dtype=np.int64),
        len(emigrants),
        n_high(emigrants),
        len(immigrants),
        n_high(immigrants),
        delta,
    )
