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
    Preconditions (checked by the caller, not here): the shapes above; ``order`` is a permutation
    of ``range(n)``; every entry of ``samples`` is in ``[0, v)`` when ``v > 0`` (an index out of
    range reads or writes out of bounds in the compiled kernel); no NaN wages (a NaN wage or
    reservation wage makes the comparison false, so such a pair never matches). Inputs are not
    modified; both outputs are freshly allocated.
    """
    n = seeker_skill.shape[0]
    v = vac_skill.shape[0]
    match = np.full(n, -1, dtype=np.int64)
    filled = np.zeros(v, dtype=np.int64)
    if v == 0 or n == 0:
        return match, filled
    k = samples.shape[1]

    # Pack the skill and field requirements of each row into one byte so the inner loop touches
    # fewer cache lines: accepts[c] has bit (2 * skill + field) set when a seeker of that skill and
    # field qualifies for row c. remaining[c] counts the openings still free.
    accepts = np.zeros(v, dtype=np.uint8)
    remaining = np.empty(v, dtype=np.int64)
    for c in range(v):
        mask = 0
        for s in range(3):
            if s >= vac_skill[c]:
                for f in range(2):
                    if vac_field[c] == -1 or vac_field[c] == f:
                        mask |= 1 << (2 * s + f)
        accepts[c] = mask
        remaining[c] = vac_openings[c]

    for t in range(n):
        i = order[t]
        s = seeker_skill[i]
        f = seeker_field[i]
        reservation = seeker_reservation[i]
        # Seeker types outside 0..2 x 0..1 fall back to the explicit test below.
        typed = 0 <= s <= 2 and 0 <= f <= 1
        bit = 2 * s + f if typed else 0
        best = -1
        best_wage = 0.0
        for j in range(k):
            c = samples[i, j]
            if remaining[c] <= 0:
                continue
            if typed:
                if not (accepts[c] >> bit) & 1:
                    continue
            elif not (s >= vac_skill[c] and (vac_field[c] == -1 or vac_field[c] == f)):
                continue
            w = vac_wage[c]
            if w >= reservation and (best < 0 or w > best_wage):
                best = c
                best_wage = w
        if best >= 0:
            match[i] = best
            remaining[best] -= 1
            filled[best] += 1
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
