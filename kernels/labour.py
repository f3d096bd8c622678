"""Labour-market matching kernel.

``match_labour`` is the compiled kernel; ``match_labour_py`` is its plain-Python twin with the same
signature and the same results, written as loops that follow the matching rule line by line.
"""

import numba
import numpy as np


@numba.njit(cache=True)
def match_labour(
    seeker_skill,
    seeker_field,
    seeker_reservation,
    order,
    vac_skill,
    vac_field,
    vac_wage,
    vac_openings,
    samples,
):
    """Match job seekers to vacancies, first come first served, under search frictions.

    Serves the decentralised labour market: unemployed (or job-switching) workers do not see every
    vacancy but only ``k`` randomly sampled ones, and take the best-paid acceptable job among them
    while openings last. Seekers are served one at a time in ``order``. For seeker ``i`` the
    acceptable set is the sampled vacancies ``c = samples[i, j]`` with remaining openings
    ``R_c > 0``, ``seeker_skill[i] >= vac_skill[c]``, ``vac_field[c] in {-1, seeker_field[i]}``
    and ``vac_wage[c] >= seeker_reservation[i]``. The seeker takes
    ``c* = argmax_{c acceptable} vac_wage[c]`` (ties: the earliest in the seeker's sample row) and
    ``R_c* <- R_c* - 1``; with ``R_c = vac_openings[c]`` at the start. A seeker with an empty
    acceptable set stays unmatched.

    Parameters
    ----------
    seeker_skill : int64[n]
        Seeker skill level (0 = low, 1 = medium, 2 = high).
    seeker_field : int64[n]
        Seeker field (0 = non-technical, 1 = technical).
    seeker_reservation : float64[n]
        Reservation wage, euros per quarter.
    order : int64[n]
        A permutation of ``range(n)``: the service order (first come first served).
    vac_skill : int64[v]
        Minimum skill level required by the vacancy row.
    vac_field : int64[v]
        Required field, or -1 for any field.
    vac_wage : float64[v]
        Offered wage, euros per quarter.
    vac_openings : int64[v]
        Number of openings in the row (>= 0).
    samples : int64[n, k]
        Vacancy indices seeker ``i`` looks at, each in ``[0, v)``. When ``v == 0`` the content and
        ``k`` are ignored (the caller may pass shape ``(n, 0)``).

    Returns
    -------
    match : int64[n]
        Index of the vacancy row seeker ``i`` took, -1 if none.
    filled : int64[v]
        Openings filled per vacancy row; ``0 <= filled <= vac_openings``.

    Notes
    -----
    Preconditions (checked by the caller, not here): the shapes and dtypes above; ``order`` is a
    permutation of ``range(n)``; when ``v > 0`` every entry of ``samples`` is in ``[0, v)`` (an
    index out of range reads and writes out of bounds in the compiled kernel). Skill and field
    values outside the documented levels still follow the rule (on a slower path), and a NaN wage
    or reservation wage never satisfies ``>=``, so such a pair never matches. Inputs are not
    modified; both outputs are freshly allocated. Cost is O(n * k + v); seekers are processed in
    blocks whose data are gathered first, which matters at 10^6 seekers, where the random order
    makes the kernel memory-latency bound.
    """
    n = seeker_skill.shape[0]
    v = vac_skill.shape[0]
    k = samples.shape[1]
    match = np.full(n, -1, dtype=np.int64)
    if v == 0 or n == 0 or k == 0:
        return match, np.zeros(v, dtype=np.int64)

    # Seeker type as one bit, 1 << (2 * skill + field); 0 marks a seeker outside the documented
    # levels, who takes the slow path below (same rule, checked field by field).
    type_bit = np.zeros(n, dtype=np.uint8)
    for i in range(n):
        if 0 <= seeker_skill[i] <= 2 and 0 <= seeker_field[i] <= 1:
            type_bit[i] = 1 << (2 * seeker_skill[i] + seeker_field[i])

    # open_for[c]: the seeker types that qualify for row c (skill and field), while it has openings
    # left; cleared when the row fills up, so one byte answers "open and qualified".
    remaining = vac_openings.copy()
    open_for = np.zeros(v, dtype=np.uint8)
    for c in range(v):
        if remaining[c] > 0:
            bits = 0
            for s in range(3):
                for f in range(2):
                    if s >= vac_skill[c] and (vac_field[c] == -1 or vac_field[c] == f):
                        bits |= 1 << (2 * s + f)
            open_for[c] = bits

    # Seekers are served in blocks of `block`. The block's data are first gathered in service order
    # by loops of independent loads, so that many cache misses are in flight at once: the first
    # loop touches both ends of each seeker's sample row (a row may straddle two cache lines), the
    # second copies the rest from cache. Then the block's seekers are served one by one.
    block = 256
    blk_seeker = np.empty(block, dtype=np.int64)
    blk_bit = np.empty(block, dtype=np.uint8)
    blk_reservation = np.empty(block, dtype=np.float64)
    blk_rows = np.empty((block, k), dtype=np.int64)
    key = np.empty(k, dtype=np.float64)
    acceptable = np.empty(k, dtype=np.bool_)
    for start in range(0, n, block):
        size = min(block, n - start)
        for b in range(size):
            i = order[start + b]
            blk_seeker[b] = i
            blk_reservation[b] = seeker_reservation[i]
            blk_bit[b] = type_bit[i]
            blk_rows[b, 0] = samples[i, 0]
            blk_rows[b, k - 1] = samples[i, k - 1]
        for b in range(size):
            i = blk_seeker[b]
            for j in range(1, k - 1):
                blk_rows[b, j] = samples[i, j]

        for b in range(size):
            i = blk_seeker[b]
            bit = blk_bit[b]
            reservation = blk_reservation[b]
            # Pass 1, without data-dependent branches on the fast path: which sampled rows are
            # acceptable, key = wage (or -inf), and the top key (two running maxima for speed).
            n_ok = 0
            top_even = -np.inf
            top_odd = -np.inf
            for j in range(k):
                c = blk_rows[b, j]
                w = vac_wage[c]
                if bit != 0:
                    qualified = (open_for[c] & bit) != 0
                else:
                    qualified = (
                        remaining[c] > 0
                        and seeker_skill[i] >= vac_skill[c]
                        and (vac_field[c] == -1 or vac_field[c] == seeker_field[i])
                    )
                ok = qualified & (w >= reservation)
                acceptable[j] = ok
                n_ok += ok
                key[j] = w if ok else -np.inf
                if j & 1:
                    top_odd = key[j] if key[j] > top_odd else top_odd
                else:
                    top_even = key[j] if key[j] > top_even else top_even
            if n_ok == 0:
                continue
            top = top_odd if top_odd > top_even else top_even
            # Pass 2: the first acceptable sampled row paying the top wage.
            best = -1
            for j in range(k):
                if acceptable[j] and key[j] == top:
                    best = blk_rows[b, j]
                    break
            match[i] = best
            remaining[best] -= 1
            if remaining[best] == 0:
                open_for[best] = 0

    filled = np.empty(v, dtype=np.int64)
    for c in range(v):
        filled[c] = vac_openings[c] - remaining[c]
    return match, filled


def match_labour_py(
    seeker_skill: np.ndarray,
    seeker_field: np.ndarray,
    seeker_reservation: np.ndarray,
    order: np.ndarray,
    vac_skill: np.ndarray,
    vac_field: np.ndarray,
    vac_wage: np.ndarray,
    vac_openings: np.ndarray,
    samples: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-Python twin of :func:`match_labour` (same signature, same results).

    Serves each seeker in ``order``; among the sampled vacancies with openings left that the seeker
    qualifies for (skill, field) and that pay at least the reservation wage, takes the best-paid one
    (ties: first in the sample row) and uses up one of its openings. See :func:`match_labour` for
    the parameters and preconditions.
    """
    n = len(seeker_skill)
    v = len(vac_skill)
    match = np.full(n, -1, dtype=np.int64)
    filled = np.zeros(v, dtype=np.int64)
    if v == 0:
        return match, filled
    remaining = [int(x) for x in vac_openings]

    for i in order:
        i = int(i)
        best = -1
        for c in samples[i]:
            c = int(c)
            acceptable = (
                remaining[c] > 0
                and seeker_skill[i] >= vac_skill[c]
                and (vac_field[c] == -1 or vac_field[c] == seeker_field[i])
                and vac_wage[c] >= seeker_reservation[i]
            )
            if acceptable and (best == -1 or vac_wage[c] > vac_wage[best]):
                best = c
        if best != -1:
            match[i] = best
            remaining[best] -= 1
            filled[best] += 1
    return match, filled
