"""Chunked passes over the talent population, serial and parallel (``kernels.talent``).

Each pass works on fixed chunks of ``CHUNK`` agents (or candidates) that write only their own
agents' rows; what several agents share (the staff counts) is updated afterwards, in row order,
by :func:`apply_separations` on one thread. Each pass has a serial driver and a ``*_parallel``
driver that runs the same chunks with ``prange``: the thread count changes the speed, never
the result. The steps of
``kernels.talent`` compose them; their twins there are the rules.
"""

# numba caches this module's kernels with compiled copies of the kernels.events functions they
# call, keyed on this file alone: change this file whenever kernels/events.py changes (events:
# lottery bytes, U = (B + V) / 256; their lottery finds passing bytes eight at a time over
# dense ids, row by row over sparse ones), or a warm cache keeps the old draws.

import numba
import numpy as np

from kernels.events import _trailing_zeros, acts
from kernels.labour import _prefetch
from kernels.market import _renamed

AHEAD = 16  #: candidates between prefetching an agent's fields and reading them
CHUNK = 1 << 14  #: agents or candidates per chunk of a pass (fixed: never the thread count)


@numba.njit(cache=True, inline="always")
def _separate_one(i, employer, skill, experience, reservation, wages, firm_sector, ratio, staff):
    e = employer[i]
    k = skill[i]
    reservation[i] = ratio * wages[e, k]
    experience[i] = firm_sector[e]
    employer[i] = -1
    staff[e, k] -= 1


@numba.njit(cache=True, inline="always")
def _leave_job(i, employer, skill, experience, reservation, wages, firm_sector, ratio, sep_e, j):
    """Talent ``i`` leaves its job (its own row only); the employer goes to ``sep_e[j]``."""
    e = employer[i]
    reservation[i] = ratio * wages[e, skill[i]]
    experience[i] = firm_sector[e]
    employer[i] = -1
    sep_e[j] = e


@numba.njit(cache=True)
def apply_separations(rows, sep_e, skill, staff):
    """One fewer in ``staff[e, k]`` for each ``sep_e[j] = e >= 0`` (skill of ``rows[j]``), in
    order; returns how many."""
    n = 0
    for j in range(rows.shape[0]):
        e = sep_e[j]
        if e >= 0:
            staff[e, skill[rows[j]]] -= 1
            n += 1
    return n


@numba.njit(cache=True)
def _gather(rows, starts, counts):
    out = np.empty(counts.sum(), dtype=np.int64)
    c = 0
    for k in range(starts.shape[0]):
        for j in range(counts[k]):
            out[c] = rows[starts[k] + j]
            c += 1
    return out


# the unemployed residents: a count per chunk, then each chunk's flags eight at a time. The
# chunk loops run over slices (indices from 0): over range(lo, hi) numba keeps its check for
# negative indices and LLVM does not vectorise them (19.8 against 2.2 ms for the counts at 1:1)
@numba.njit(cache=True)
def _count_unemployed(k, abroad, employer, counts):
    lo = k * CHUNK
    hi = min(lo + CHUNK, employer.shape[0])
    a, e = abroad[lo:hi], employer[lo:hi]
    c = 0
    for i in range(a.shape[0]):
        c += (a[i] == 0) & (e[i] < 0)
    counts[k] = c


@numba.njit(cache=True)
def _list_unemployed(k, abroad, employer, start, out, flags):
    """Chunk ``k``'s rows into ``out[start[k]:start[k + 1]]``: a flag per agent (vectorised,
    into ``flags``, uint8[CHUNK]), then the set flags of each word of eight."""
    if start[k + 1] == start[k]:
        return
    lo = k * CHUNK
    hi = min(lo + CHUNK, employer.shape[0])
    a, e = abroad[lo:hi], employer[lo:hi]
    m = a.shape[0]
    for i in range(m):
        flags[i] = (a[i] == 0) & (e[i] < 0)
    rows_of_flags(flags, m, lo, out, start[k])


@numba.njit(cache=True, inline="always")
def rows_of_flags(flags, m, lo, out, j):
    """``lo + i`` for each set flag ``flags[i]`` (0 or 1, ``i < m``; ``flags`` uint8 with room
    for ``m`` rounded up to eight) into ``out[j:]`` in order, eight flags at a time (most words
    of eight flags are zero); returns the next free place."""
    for i in range(m, (m + 7) & ~7):
        flags[i] = 0
    words = flags[: (m + 7) & ~7].view(np.uint64)
    for w in range(words.shape[0]):
        word = words[w]
        while word != np.uint64(0):
            out[j] = lo + 8 * w + (np.int64(_trailing_zeros(word)) >> 3)
            j += 1
            word &= word - np.uint64(1)  # a flag is 0 or 1: one bit per set byte
    return j


def _unemployed_impl(abroad, employer):
    """The driver of :func:`unemployed` and :func:`unemployed_parallel` (``prange``
    loops: plain ranges when compiled without ``parallel``)."""
    n = employer.shape[0]
    nc = (n + CHUNK - 1) // CHUNK
    counts = np.empty(nc, dtype=np.int64)
    for k in numba.prange(nc):
        _count_unemployed(k, abroad, employer, counts)
    start = np.zeros(nc + 1, dtype=np.int64)
    for k in range(nc):
        start[k + 1] = start[k] + counts[k]
    out = np.empty(start[nc], dtype=np.int64)
    for k in numba.prange(nc):
        _list_unemployed(k, abroad, employer, start, out, np.empty(CHUNK, dtype=np.uint8))
    return out


unemployed = numba.njit(cache=True)(_renamed(_unemployed_impl, "unemployed"))
unemployed.__doc__ = """Rows of the unemployed residents (``abroad == 0`` and ``employer
< 0``), in row order: numpy's ``flatnonzero((abroad == 0) & (employer < 0))``. Each chunk
counts its own, then lists them at its offset from its flags, eight at a time. At 1:1
(11.8 million agents, 375,000 unemployed) about 8 ms against 16 ms for numpy's mask and
``flatnonzero`` (docs/performance.md, seventh session)."""
unemployed_parallel = numba.njit(cache=True, parallel=True)(
    _renamed(_unemployed_impl, "unemployed_parallel")
)
unemployed_parallel.__doc__ = ":func:`unemployed` with its chunks on numba's threads."


def unemployed_rows(abroad: np.ndarray, employer: np.ndarray, threads: int = 1) -> np.ndarray:
    """Rows (int64, in row order) of the unemployed residents, ``abroad == 0`` and ``employer <
    0``: :func:`unemployed` on one thread, :func:`unemployed_parallel` on more."""
    return (unemployed_parallel if threads > 1 else unemployed)(abroad, employer)


# the employees of firms with sheds[e + 1] = 1
@numba.njit(cache=True)
def _employees_chunk(k, employer, sheds, rows, counts):
    lo = k * CHUNK
    c = 0
    for i in range(lo, min(lo + CHUNK, employer.shape[0])):
        if sheds[employer[i] + 1]:  # rare: a branch costs less than a store per agent
            rows[lo + c] = i
            c += 1
    counts[k] = c


@numba.njit(cache=True)
def employees_of(employer, sheds):
    """Rows of the agents employed by firms ``e`` with ``sheds[e + 1] != 0``, in row order."""
    nc = (employer.shape[0] + CHUNK - 1) // CHUNK
    rows = np.empty(employer.shape[0], dtype=np.int64)
    counts = np.zeros(nc, dtype=np.int64)
    for k in range(nc):
        _employees_chunk(k, employer, sheds, rows, counts)
    return _gather(rows, np.arange(nc) * CHUNK, counts)


@numba.njit(cache=True, parallel=True)
def employees_of_parallel(employer, sheds):
    """:func:`employees_of` on numba's threads."""
    nc = (employer.shape[0] + CHUNK - 1) // CHUNK
    rows = np.empty(employer.shape[0], dtype=np.int64)
    counts = np.zeros(nc, dtype=np.int64)
    for k in numba.prange(nc):
        _employees_chunk(k, employer, sheds, rows, counts)
    return _gather(rows, np.arange(nc) * CHUNK, counts)


# quits and layoffs: candidates leave their jobs; the staff counts follow in one thread
@numba.njit(cache=True)
def _leave_chunk(
    k, rows, draws, p_fire, ids, abroad, job, p, key0, key1, quarter, mechanism, sep_e
):
    """Candidates ``rows[j]`` (of chunk ``k``) that are employed residents leave their jobs
    when ``U < p`` (or ``U < p_fire[e, k]`` when ``p_fire`` has rows; ``draws`` empty: draw
    the byte too)."""
    employer, skill, experience, reservation, wages, firm_sector, ratio = job
    lo = k * CHUNK
    hi = min(lo + CHUNK, rows.shape[0])
    for j in range(lo, hi):
        if j + AHEAD < hi:
            later = rows[j + AHEAD]
            _prefetch(abroad, later)
            _prefetch(employer, later)
            _prefetch(ids, later)
            _prefetch(skill, later)
        i = rows[j]
        sep_e[j] = -1
        e = employer[i]
        if abroad[i] != 0 or e < 0:
            continue
        q = p_fire[e, skill[i]] if p_fire.shape[0] else p
        if draws.shape[0]:
            go = draws[j] < q
        else:
            go = acts(key0, key1, ids[i], quarter, mechanism, q)
        if go:
            _leave_job(
                i, employer, skill, experience, reservation, wages, firm_sector, ratio, sep_e, j
            )


@numba.njit(cache=True)
def leave_jobs(rows, draws, p_fire, ids, abroad, job, p, key0, key1, quarter, mechanism):
    """The separations of :func:`_leave_chunk` over all candidates; returns ``sep_e``."""
    sep_e = np.empty(rows.shape[0], dtype=np.int64)
    for k in range((rows.shape[0] + CHUNK - 1) // CHUNK):
        _leave_chunk(
            k, rows, draws, p_fire, ids, abroad, job, p, key0, key1, quarter, mechanism, sep_e
        )
    return sep_e


@numba.njit(cache=True, parallel=True)
def leave_jobs_parallel(rows, draws, p_fire, ids, abroad, job, p, key0, key1, quarter, mechanism):
    """:func:`leave_jobs` on numba's threads."""
    sep_e = np.empty(rows.shape[0], dtype=np.int64)
    for k in numba.prange((rows.shape[0] + CHUNK - 1) // CHUNK):
        _leave_chunk(
            k, rows, draws, p_fire, ids, abroad, job, p, key0, key1, quarter, mechanism, sep_e
        )
    return sep_e


# the unemployed: reservation wages and who searches
@numba.njit(cache=True)
def _search_chunk(k, rows, ids, skill, reservation, floor, decay, p, key0, key1, quarter, m, out):
    lo = k * CHUNK
    hi = min(lo + CHUNK, rows.shape[0])
    for j in range(lo, hi):
        if j + AHEAD < hi:
            later = rows[j + AHEAD]
            _prefetch(reservation, later)
            _prefetch(skill, later)
            _prefetch(ids, later)
        i = rows[j]
        reservation[i] = max(floor[skill[i]], reservation[i] * decay)
        out[j] = acts(key0, key1, ids[i], quarter, m, p)


@numba.njit(cache=True)
def search(rows, ids, skill, reservation, floor, decay, p, key0, key1, quarter, m):
    """Unemployed ``rows``: reservation wage ``max(floor[k], decay * reservation)``; whether
    each searches (``U < p``), as a boolean array."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for k in range((rows.shape[0] + CHUNK - 1) // CHUNK):
        _search_chunk(
            k, rows, ids, skill, reservation, floor, decay, p, key0, key1, quarter, m, out
        )
    return out


@numba.njit(cache=True, parallel=True)
def search_parallel(rows, ids, skill, reservation, floor, decay, p, key0, key1, quarter, m):
    """:func:`search` on numba's threads."""
    out = np.empty(rows.shape[0], dtype=np.bool_)
    for k in numba.prange((rows.shape[0] + CHUNK - 1) // CHUNK):
        _search_chunk(
            k, rows, ids, skill, reservation, floor, decay, p, key0, key1, quarter, m, out
        )
    return out


# exits of employers: renumber everybody's employer; collect the staff of exiting firms
@numba.njit(cache=True)
def _remap_chunk(k, padded, employer, rows, counts):
    """Chunk ``k``: ``padded[e + 1]`` is employer row ``e``'s new row (-1 for ``e = -1``), or
    ``-(e + 2)`` when firm ``e`` exits: its staff keep their employer and go to ``rows``. Every
    agent's employer is stored, whatever it is (no branch on the row before the store)."""
    lo = k * CHUNK
    c = 0
    for i in range(lo, min(lo + CHUNK, employer.shape[0])):
        e = employer[i]
        v = padded[e + 1]
        employer[i] = v if v >= -1 else e
        if v < -1:  # rare
            rows[lo + c] = i
            c += 1
    counts[k] = c


@numba.njit(cache=True)
def _remap(padded, employer):
    nc = (employer.shape[0] + CHUNK - 1) // CHUNK
    rows = np.empty(employer.shape[0], dtype=np.int64)
    counts = np.zeros(nc, dtype=np.int64)
    for k in range(nc):
        _remap_chunk(k, padded, employer, rows, counts)
    return _gather(rows, np.arange(nc) * CHUNK, counts)


@numba.njit(cache=True, parallel=True)
def _remap_parallel(padded, employer):
    nc = (employer.shape[0] + CHUNK - 1) // CHUNK
    rows = np.empty(employer.shape[0], dtype=np.int64)
    counts = np.zeros(nc, dtype=np.int64)
    for k in numba.prange(nc):
        _remap_chunk(k, padded, employer, rows, counts)
    return _gather(rows, np.arange(nc) * CHUNK, counts)
