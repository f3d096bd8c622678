"""Talent kernels: staff counts, separations, layoffs, quits and search, exits of employers.

The talent population is a struct of arrays (one row per talent agent, sorted by id). The
passes here do the per-agent work only for the agents concerned (the employees of firms that
shed staff, the employed who may quit, the unemployed who may search), keeping the firm x skill
staff counts ``staff`` in step with every change of employer.

Whether an agent acts is decided by its keyed uniform ``U(id, q, m) < p``
(:mod:`kernels.events`): a pure function of the member's key and (agent id, quarter, mechanism),
the same whichever other agents exist and in whatever order they are processed (common random
numbers, docs/model.md §8), and drawn only for the agents who may act (quits for the employed,
searches for the unemployed, layoffs for the staff of firms that shed). The key is passed in,
nothing is global.

Threads: the steps are made of the chunked passes of ``kernels.passes``; with ``threads > 1``
they run on numba's threads (``prange`` over fixed chunks), with the same result whatever the
count. ``threads=1`` never starts numba's thread pool (the default: a forked worker stays safe).

Each kernel has a plain-Python twin (suffix ``_py``) with the same arguments and results that
``tests/kernels/test_talent.py`` holds it to. Inputs are not validated: an ``employer`` must be
-1 or a valid row of ``wages``, ``staff`` and ``firm_sector``; a ``skill`` a valid column.
"""

# numba caches this module's kernels with compiled copies of the kernels.events functions they
# call, keyed on this file alone: change this file whenever kernels/events.py changes (events:
# lottery bytes, U = (B + V) / 256; their lottery finds passing bytes eight at a time over
# dense ids, row by row over sparse ones), or a warm cache keeps the old draws.

import numba
import numpy as np

from kernels.events import acts_py, lottery_rows, lottery_rows_parallel
from kernels.passes import (
    _remap,
    _remap_parallel,
    _separate_one,
    apply_separations,
    employees_of,
    employees_of_parallel,
    leave_jobs,
    leave_jobs_parallel,
    search,
    search_parallel,
    unemployed_rows,
)


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


_MARK_BLOCK = 512  #: agents whose marks one OR tests (marked_residents)


@numba.njit(cache=True, inline="always")
def _block_marked(attracted, lo):
    """Whether the block of ``_MARK_BLOCK`` marks from ``lo`` has one (an OR over a block of
    a size known when compiling: vectorised)."""
    block = attracted[lo : lo + _MARK_BLOCK]
    any_mark = np.int32(0)
    for i in range(_MARK_BLOCK):
        any_mark |= block[i]
    return any_mark != 0


@numba.njit(cache=True)
def _count_marks(attracted, abroad, lo, hi, out):
    for i in range(lo, hi):
        m = attracted[i]
        if 0 < m < out.shape[0] and abroad[i] == 0:
            out[m] += 1


@numba.njit(cache=True)
def marked_residents(attracted, abroad, n_marks):
    """Residents by mark: ``out[m] = #{i: attracted_i = m, abroad_i = 0}`` for ``0 < m <
    n_marks`` (int64; mark 0, no mark, and marks outside the range are not counted). Marked
    agents are rare (a few hundred at 1:1): blocks of 512 without one are skipped after an OR
    of their marks. The blocks have a size known when compiling, so the OR is vectorised:
    1.85 against 17.4 ms over 11.8 million agents for blocks of a size found at run time
    (``min(lo + 64, n)``; docs/performance.md, seventh session).
    """
    out = np.zeros(n_marks, dtype=np.int64)
    n = attracted.shape[0]
    whole = n - n % _MARK_BLOCK
    for lo in range(0, whole, _MARK_BLOCK):
        if _block_marked(attracted, lo):
            _count_marks(attracted, abroad, lo, lo + _MARK_BLOCK, out)
    _count_marks(attracted, abroad, whole, n, out)
    return out


@numba.njit(cache=True)
def clear_marks_abroad(attracted, abroad):
    """In place: ``attracted[i] = 0`` for every agent abroad (``abroad[i] == 1``) with a mark;
    returns how many marks were cleared. Blocks of 512 without a mark are skipped after an OR
    of their marks, as in :func:`marked_residents`: 3.5 ms over 11.8 million agents against
    6.4 ms for numpy's ``flatnonzero(attracted != 0)`` and the masks after it."""
    n = attracted.shape[0]
    whole = n - n % _MARK_BLOCK
    cleared = 0
    for lo in range(0, whole, _MARK_BLOCK):
        if _block_marked(attracted, lo):
            cleared += _clear_abroad(attracted, abroad, lo, lo + _MARK_BLOCK)
    return cleared + _clear_abroad(attracted, abroad, whole, n)


@numba.njit(cache=True)
def _clear_abroad(attracted, abroad, lo, hi):
    cleared = 0
    for i in range(lo, hi):
        if attracted[i] != 0 and abroad[i] == 1:
            attracted[i] = 0
            cleared += 1
    return cleared


def clear_marks_abroad_py(attracted, abroad):
    """Plain-Python twin of :func:`clear_marks_abroad`."""
    cleared = 0
    for i in range(len(attracted)):
        if attracted[i] != 0 and abroad[i] == 1:
            attracted[i] = 0
            cleared += 1
    return cleared


def marked_residents_py(attracted, abroad, n_marks):
    """Plain-Python twin of :func:`marked_residents`."""
    out = np.zeros(n_marks, dtype=np.int64)
    for m, a in zip(attracted, abroad, strict=True):
        if a == 0 and 0 < int(m) < n_marks:
            out[int(m)] += 1
    return out


# ----------------------------------------------------------------------------- separations
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


# ----------------------------------------------------------------------------- the steps
def exit_remap(
    mapping, employer, skill, experience, reservation, wages, firm_sector, ratio, staff, threads=1
):
    """Firms exit: ``mapping[e]`` is firm row ``e``'s new row, -1 if it exits. Staff of exiting
    firms are separated (``separate``, at the old rows' wages), the others' employer rows are
    renumbered; ``staff`` keeps the old rows (the caller compacts it). Returns the separated."""
    # padded[e + 1]: the new row; -(e + 2) when firm e exits; -1 for e = -1 (no employer)
    new = np.where(mapping >= 0, mapping, -2 - np.arange(mapping.shape[0]))
    padded = np.concatenate([[-1], new]).astype(np.int32)
    rows = (_remap_parallel if threads > 1 else _remap)(padded, employer)
    separate(rows, employer, skill, experience, reservation, wages, firm_sector, ratio, staff)
    return int(rows.size)


def layoffs(
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
    p_fire,
    key0,
    key1,
    quarter,
    mechanism,
    threads=1,
    sheds=None,
):
    """Employees leave firms that shed staff: talent ``i`` employed at ``e`` with skill ``k`` is
    laid off when ``U(id_i, quarter, mechanism) < p_fire[e, k]`` and separated (in place).
    Only the employees of firms with some ``p_fire > 0`` draw. Returns the number laid off.

    ``sheds`` (uint8[n_firms + 1], ``sheds[e + 1] = 1`` for a firm with some ``p_fire > 0``,
    ``sheds[0] = 0``), when given, is those flags as ``kernels.production.plan_firms`` returns
    them (a surplus to shed, which is ``p_fire > 0`` for hoarding margins of at least 1, as the
    model's ``1 + firms.hoarding_margin``); else they are computed here
    (``(p_fire > 0).any(axis=1)`` took 0.5 ms at 1:20, numpy's reduction over rows of three)."""
    par = threads > 1
    if sheds is None:
        sheds = np.concatenate([[0], (p_fire > 0.0).any(axis=1)]).astype(np.uint8)
    rows = (employees_of_parallel if par else employees_of)(employer, sheds)
    job = (employer, skill, experience, reservation, wages, firm_sector, ratio)
    none = np.zeros(0)  # no lottery draws: each draws its own (float64: the quits' signature)
    args = (rows, none, p_fire, ids, abroad, job, 0.0, key0, key1, quarter, mechanism)
    sep_e = (leave_jobs_parallel if par else leave_jobs)(*args)
    return int(apply_separations(rows, sep_e, skill, staff))


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
    threads=1,
):
    """Quits, reservation wages of the unemployed and who searches.

    A resident employed talent quits when ``U(id, quarter, m_quit) < quit_p`` (separated, in
    place). Every unemployed resident (quitters included) then lowers its reservation wage to
    ``max(benefit_floor[k], decay * reservation)`` and searches this quarter when
    ``U(id, quarter, m_search) < search_p``. Returns (seeker rows in row order, quits).
    """
    par = threads > 1
    rows, draws = (lottery_rows_parallel if par else lottery_rows)(
        ids, key0, key1, quarter, m_quit, quit_p
    )
    job = (employer, skill, experience, reservation, wages, firm_sector, ratio)
    no_table = np.zeros((0, 1))
    args = (rows, draws, no_table, ids, abroad, job, quit_p, key0, key1, quarter, m_quit)
    sep_e = (leave_jobs_parallel if par else leave_jobs)(*args)
    n_quit = int(apply_separations(rows, sep_e, skill, staff))
    out = unemployed_rows(abroad, employer, threads)
    floor = np.asarray(benefit_floor, dtype=np.float64)
    args = (out, ids, skill, reservation, floor, float(decay), search_p, key0, key1, quarter)
    seeks = (search_parallel if par else search)(*args, m_search)
    return out[seeks], n_quit


# ----------------------------------------------------------------------------- twins
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


def layoffs_py(
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
    p_fire,
    key0,
    key1,
    quarter,
    mechanism,
):
    """Plain-Python twin of :func:`layoffs`: everyone employed draws, the draw decides."""
    fired = [
        i
        for i in range(len(employer))
        if employer[i] >= 0
        and acts_py(key0, key1, ids[i], quarter, mechanism, p_fire[employer[i], skill[i]])
    ]
    rows = np.array(fired, dtype=np.int64)
    separate_py(rows, employer, skill, experience, reservation, wages, firm_sector, ratio, staff)
    return len(fired)


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
        i for i in home if employer[i] >= 0 and acts_py(key0, key1, ids[i], quarter, m_quit, quit_p)
    ]
    rows = np.array(quitters, dtype=np.int64)
    separate_py(rows, employer, skill, experience, reservation, wages, firm_sector, ratio, staff)
    seekers = []
    for i in home:
        if employer[i] < 0:
            reservation[i] = max(benefit_floor[int(skill[i])], float(reservation[i]) * decay)
            if acts_py(key0, key1, ids[i], quarter, m_search, search_p):
                seekers.append(i)
    return np.array(seekers, dtype=np.int64), len(quitters)
