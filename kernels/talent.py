"""Talent kernels: staff counts, separations, layoffs, quits and search, migration draws.

The talent population is a struct of arrays (one row per talent agent, sorted by id). These
kernels walk it once per step and do the per-agent work only for the agents concerned (the
employees of firms that shed staff, the employed who may quit, the unemployed who may search,
the residents who may retire or emigrate, the pool abroad), keeping the firm x skill staff
counts ``staff`` in step with every change of employer.

Per-agent draws are counter-based (``kernels.philox``): the uniform of agent ``id`` for
mechanism ``m`` in quarter ``q`` is a pure function of the member's key and ``(id, q, m)``
(:func:`event_uniform`), so it is the same whichever other agents exist and in whatever order
they are processed (common random numbers, DESIGN §5); the key is passed in, nothing is global.

Each kernel has a plain-Python twin (suffix ``_py``) with the same signature and results that
``tests/kernels/test_talent.py`` holds it to. Inputs are not validated: an ``employer`` must be
-1 or a valid row of ``wages``, ``staff`` and ``firm_sector``; a ``skill`` a valid column.
"""

import numba
import numpy as np

from kernels.philox import philox4x64, philox_uniforms_py

_INV53 = 1.0 / 9007199254740992.0


@numba.njit(cache=True, inline="always")
def event_uniform(key0, key1, tid, quarter, mechanism):
    """Uniform [0, 1) of agent ``tid`` for ``mechanism`` in ``quarter``: the first draw of
    ``philox_uniforms(key0, key1, [tid], quarter, mechanism, 1)``."""
    x0, _x1, _x2, _x3 = philox4x64(
        np.uint64(tid), np.uint64(quarter), np.uint64(mechanism), np.uint64(0), key0, key1
    )
    return (x0 >> np.uint64(11)) * _INV53


def event_uniform_py(key0: int, key1: int, tid: int, quarter: int, mechanism: int) -> float:
    """Plain-Python twin of :func:`event_uniform`."""
    ids = np.array([tid], dtype=np.int64)
    return float(philox_uniforms_py(int(key0), int(key1), ids, quarter, mechanism, 1)[0, 0])


# ----------------------------------------------------------------------------- staff counts
@numba.njit(cache=True)
def count_staff(employer, skill, n_firms, n_skills):
    """Talent agents employed per firm row and skill: ``out[e, k] = #{i: employer_i = e,
    skill_i = k}`` (int64[n_firms, n_skills]); rows with ``employer < 0`` are not counted."""
    out = np.zeros((n_firms, n_skills), dtype=np.int64)
    for i in range(employer.shape[0]):
        e = employer[i]
        if e >= 0:
            out[e, skill[i]] += 1
    return out


def count_staff_py(employer, skill, n_firms, n_skills):
    """Plain-Python twin of :func:`count_staff`."""
    out = np.zeros((n_firms, n_skills), dtype=np.int64)
    for e, k in zip(employer, skill, strict=True):
        if e >= 0:
            out[int(e), int(k)] += 1
    return out


@numba.njit(cache=True)
def census(abroad, employer, skill, n_skills):
    """Residents and employed residents by skill: (home[k], employed[k]), int64."""
    home = np.zeros(n_skills, dtype=np.int64)
    employed = np.zeros(n_skills, dtype=np.int64)
    for i in range(abroad.shape[0]):
        if abroad[i] == 0:
            k = skill[i]
            home[k] += 1
            if employer[i] >= 0:
                employed[k] += 1
    return home, employed


def census_py(abroad, employer, skill, n_skills):
    """Plain-Python twin of :func:`census`."""
    home = np.zeros(n_skills, dtype=np.int64)
    employed = np.zeros(n_skills, dtype=np.int64)
    for a, e, k in zip(abroad, employer, skill, strict=True):
        if a == 0:
            home[int(k)] += 1
            employed[int(k)] += int(e >= 0)
    return home, employed


# ----------------------------------------------------------------------------- separations
@numba.njit(cache=True, inline="always")
def _separate_one(i, employer, skill, experience, reservation, wages, firm_sector, ratio, staff):
    e = employer[i]
    k = skill[i]
    reservation[i] = ratio * wages[e, k]
    experience[i] = firm_sector[e]
    employer[i] = -1
    staff[e, k] -= 1


@numba.njit(cache=True)
def separate(rows, employer, skill, experience, reservation, wages, firm_sector, ratio, staff):
    """End the jobs of talent ``rows`` (all employed), in place: reservation wage ``ratio`` times
    the last wage ``wages[e, k]``, experience the employer's sector, employer -1, and one fewer
    in ``staff[e, k]``."""
    for j in range(rows.shape[0]):
        _separate_one(
            rows[j], employer, skill, experience, reservation, wages, firm_sector, ratio, staff
        )


def separate_py(rows, employer, skill, experience, reservation, wages, firm_sector, ratio, staff):
    """Plain-Python twin of :func:`separate`."""
    for i in rows:
        e, k = int(employer[i]), int(skill[i])
        reservation[i] = ratio * wages[e, k]
        experience[i] = firm_sector[e]
        employer[i] = -1
        staff[e, k] -= 1


@numba.njit(cache=True)
def hire(rows, firms, employer, skill, experience, firm_sector, staff):
    """Talent ``rows[j]`` (all unemployed) start work at firm row ``firms[j]``, in place."""
    for j in range(rows.shape[0]):
        i = rows[j]
        e = firms[j]
        employer[i] = e
        experience[i] = firm_sector[e]
        staff[e, skill[i]] += 1


def hire_py(rows, firms, employer, skill, experience, firm_sector, staff):
    """Plain-Python twin of :func:`hire`."""
    for i, e in zip(rows, firms, strict=True):
        employer[i] = e
        experience[i] = firm_sector[e]
        staff[int(e), int(skill[i])] += 1


@numba.njit(cache=True)
def exit_remap(mapping, employer, skill, experience, reservation, wages, firm_sector, ratio, staff):
    """Firms exit: ``mapping[e]`` is firm row ``e``'s new row, -1 if it exits. Staff of exiting
    firms are separated (``separate``, at the old rows' wages), the others' employer rows are
    renumbered; ``staff`` keeps the old rows (the caller compacts it). Returns the separated."""
    n_sep = 0
    for i in range(employer.shape[0]):
        e = employer[i]
        if e >= 0:
            m = mapping[e]
            if m < 0:
                _separate_one(
                    i, employer, skill, experience, reservation, wages, firm_sector, ratio, staff
                )
                n_sep += 1
            else:
                employer[i] = m
    return n_sep


def exit_remap_py(
    mapping, employer, skill, experience, reservation, wages, firm_sector, ratio, staff
):
    """Plain-Python twin of :func:`exit_remap`."""
    gone = [i for i in range(len(employer)) if employer[i] >= 0 and mapping[employer[i]] < 0]
    separate_py(
        np.array(gone, dtype=np.int64),
        employer,
        skill,
        experience,
        reservation,
        wages,
        firm_sector,
        ratio,
        staff,
    )
    for i in range(len(employer)):
        if employer[i] >= 0:
            employer[i] = mapping[employer[i]]
    return len(gone)


# ----------------------------------------------------------------------------- layoffs
@numba.njit(cache=True)
def layoffs(
    ids,
    employer,
    skill,
    experience,
    reservation,
    wages,
    firm_sector,
    ratio,
    staff,
    p_fire,
    key0,
    key1,
    quarter,
    mechanism,
):
    """Employees leave firms that shed staff: talent ``i`` employed at ``e`` with skill ``k`` is
    laid off when ``event_uniform(id_i) < p_fire[e, k]`` (and separated, in place). Only the
    employees of firm-skills with ``p_fire > 0`` draw. Returns the number laid off."""
    n = 0
    for i in range(employer.shape[0]):
        e = employer[i]
        if e >= 0:
            p = p_fire[e, skill[i]]
            if p > 0.0 and event_uniform(key0, key1, ids[i], quarter, mechanism) < p:
                _separate_one(
                    i, employer, skill, experience, reservation, wages, firm_sector, ratio, staff
                )
                n += 1
    return n


def layoffs_py(
    ids,
    employer,
    skill,
    experience,
    reservation,
    wages,
    firm_sector,
    ratio,
    staff,
    p_fire,
    key0,
    key1,
    quarter,
    mechanism,
):
    """Plain-Python twin of :func:`layoffs`: everyone employed draws, the draw decides."""
    fired = []
    for i in range(len(employer)):
        e = int(employer[i])
        if e >= 0:
            u = event_uniform_py(key0, key1, int(ids[i]), quarter, mechanism)
            if u < p_fire[e, int(skill[i])]:
                fired.append(i)
    rows = np.array(fired, dtype=np.int64)
    separate_py(rows, employer, skill, experience, reservation, wages, firm_sector, ratio, staff)
    return len(fired)


# ----------------------------------------------------------------------------- quits, search
@numba.njit(cache=True)
def quits_and_search(
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
    benefit_floor,
    decay,
    quit_p,
    search_p,
    key0,
    key1,
    quarter,
    m_quit,
    m_search,
):
    """Quits, reservation wages of the unemployed and who searches, in one pass.

    A resident employed talent quits when ``event_uniform(id, m_quit) < quit_p`` (separated,
    in place). Every unemployed resident (quitters included) then lowers its reservation wage
    to ``max(benefit_floor[k], decay * reservation)`` and searches this quarter when
    ``event_uniform(id, m_search) < search_p``. Returns (seeker rows in row order, quits).
    """
    n = employer.shape[0]
    seekers = np.empty(n, dtype=np.int64)
    n_seek = 0
    n_quit = 0
    for i in range(n):
        if abroad[i] != 0:
            continue
        tid = ids[i]
        if employer[i] >= 0:
            if event_uniform(key0, key1, tid, quarter, m_quit) < quit_p:
                _separate_one(
                    i, employer, skill, experience, reservation, wages, firm_sector, ratio, staff
                )
                n_quit += 1
            else:
                continue
        reservation[i] = max(benefit_floor[skill[i]], reservation[i] * decay)
        if event_uniform(key0, key1, tid, quarter, m_search) < search_p:
            seekers[n_seek] = i
            n_seek += 1
    return seekers[:n_seek].copy(), n_quit


def quits_and_search_py(
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
    benefit_floor,
    decay,
    quit_p,
    search_p,
    key0,
    key1,
    quarter,
    m_quit,
    m_search,
):
    """Plain-Python twin of :func:`quits_and_search`, step by step as the rule reads."""
    home = [i for i in range(len(ids)) if abroad[i] == 0]
    quitters = [
        i
        for i in home
        if employer[i] >= 0 and event_uniform_py(key0, key1, int(ids[i]), quarter, m_quit) < quit_p
    ]
    rows = np.array(quitters, dtype=np.int64)
    separate_py(rows, employer, skill, experience, reservation, wages, firm_sector, ratio, staff)
    seekers = []
    for i in home:
        if employer[i] < 0:
            reservation[i] = max(benefit_floor[int(skill[i])], reservation[i] * decay)
            if event_uniform_py(key0, key1, int(ids[i]), quarter, m_search) < search_p:
                seekers.append(i)
    return np.array(seekers, dtype=np.int64), len(quitters)


# ----------------------------------------------------------------------------- migration
@numba.njit(cache=True)
def migration_draws(
    ids, abroad, retire_p, emigrate_bound, key0, key1, quarter, m_ret, m_emi, m_imm
):
    """Who retires, who may emigrate, and the draws of the pool abroad, in one pass.

    A resident retires when ``event_uniform(id, m_ret) < retire_p``; a resident who does not
    retire is an emigration candidate when ``u = event_uniform(id, m_emi) < emigrate_bound``
    (an upper bound of every resident's emigration probability, so no one else can emigrate);
    every agent abroad draws ``event_uniform(id, m_imm)``. Returns (retiring rows, candidate
    rows, their draws, rows abroad, their draws), each in row order.
    """
    n = ids.shape[0]
    retire = np.empty(n, dtype=np.int64)
    cand = np.empty(n, dtype=np.int64)
    cand_u = np.empty(n)
    away = np.empty(n, dtype=np.int64)
    away_u = np.empty(n)
    n_r = 0
    n_c = 0
    n_a = 0
    for i in range(n):
        tid = ids[i]
        if abroad[i] == 0:
            if event_uniform(key0, key1, tid, quarter, m_ret) < retire_p:
                retire[n_r] = i
                n_r += 1
                continue
            u = event_uniform(key0, key1, tid, quarter, m_emi)
            if u < emigrate_bound:
                cand[n_c] = i
                cand_u[n_c] = u
                n_c += 1
        else:
            away[n_a] = i
            away_u[n_a] = event_uniform(key0, key1, tid, quarter, m_imm)
            n_a += 1
    return (
        retire[:n_r].copy(),
        cand[:n_c].copy(),
        cand_u[:n_c].copy(),
        away[:n_a].copy(),
        away_u[:n_a].copy(),
    )


def migration_draws_py(
    ids, abroad, retire_p, emigrate_bound, key0, key1, quarter, m_ret, m_emi, m_imm
):
    """Plain-Python twin of :func:`migration_draws`."""
    retire, cand, cand_u, away, away_u = [], [], [], [], []
    for i in range(len(ids)):
        tid = int(ids[i])
        if abroad[i] == 0:
            if event_uniform_py(key0, key1, tid, quarter, m_ret) < retire_p:
                retire.append(i)
                continue
            u = event_uniform_py(key0, key1, tid, quarter, m_emi)
            if u < emigrate_bound:
                cand.append(i)
                cand_u.append(u)
        else:
            away.append(i)
            away_u.append(event_uniform_py(key0, key1, tid, quarter, m_imm))
    as_rows = lambda x: np.array(x, dtype=np.int64)  # noqa: E731
    return as_rows(retire), as_rows(cand), np.array(cand_u), as_rows(away), np.array(away_u)
