"""Labour-market matching kernel.

``match_labour`` is the compiled kernel; ``match_labour_py`` is its plain-Python twin with the same
signature and the same results, written as loops that follow the matching rule line by line.
"""

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

# Service positions between prefetching a seeker's data and serving the seeker.
PREFETCH_AHEAD = 32
_SIGN = np.uint64(0x8000000000000000)
_LOW32 = 0xFFFFFFFF
_KEEP_TYPES = np.uint32(0xFFFFFFFF)
_CLEAR_TYPES = np.uint32(0xFFFFFFC0)


@intrinsic
def _prefetch(typingctx, arr, idx):
    """Hint the CPU to fetch the cache line holding ``arr[idx]``; no effect on any value.

    ``idx`` is an integer for a 1-d array, or a tuple with one integer per dimension. The address
    is computed without bounds checks or wraparound, and a prefetch never faults.
    """
    if not isinstance(arr, types.Array):
        return None
    if isinstance(idx, types.Integer):
        idx_types = (idx,)
    elif isinstance(idx, types.BaseTuple) and all(isinstance(t, types.Integer) for t in idx):
        idx_types = tuple(idx)
    else:
        return None
    if len(idx_types) != arr.ndim:
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        if isinstance(signature.args[1], types.Integer):
            raw = [args[1]]
        else:
            raw = [builder.extract_value(args[1], d) for d in range(len(idx_types))]
        pairs = zip(raw, idx_types, strict=True)
        indices = [context.cast(builder, x, t, types.intp) for x, t in pairs]
        ptr = cgutils.get_item_pointer(
            context, builder, array_type, array, indices, wraparound=False
        )
        byte_ptr = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [byte_ptr], fnty)
        # Read access, high temporal locality, data cache.
        builder.call(fn, [builder.bitcast(ptr, byte_ptr), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(arr, idx), codegen


@numba.njit(cache=True)
def _wage_code(x):
    """Order-preserving 26-bit code of a non-NaN float64: ``x < y`` implies
    ``_wage_code(x) <= _wage_code(y)``, so ``_wage_code(x) < _wage_code(y)`` implies ``x < y``.

    The code is the top 26 bits of the IEEE bit pattern mapped to unsigned integer order (sign,
    exponent and 14 mantissa bits: a relative resolution of about 6e-5). -0.0 gets the code of 0.0,
    so equal numbers always get equal codes. Equal codes say nothing about the order.
    """
    if x == 0.0:
        x = 0.0
    u = np.float64(x).view(np.uint64)
    u = ~u if u & _SIGN else u | _SIGN
    return np.int64(u >> np.uint64(38))


@numba.njit(cache=True)
def _best_exact(
    i,
    type_bit,
    seeker_skill,
    seeker_field,
    seeker_reservation,
    vac_skill,
    vac_field,
    vac_wage,
    remaining,
    vac_key,
    samples,
):
    """The rule itself, on exact wages: seeker ``i``'s best acceptable sampled row, or -1.

    ``type_bit`` is the seeker's type bit in ``vac_key`` (whose type bits are cleared when a row
    fills up), or 0 for a seeker outside the documented levels, checked field by field.
    """
    reservation = seeker_reservation[i]
    best = -1
    for j in range(samples.shape[1]):
        c = samples[i, j]
        if type_bit != 0:
            qualified = (np.int64(vac_key[c]) & type_bit) != 0
        else:
            qualified = (
                remaining[c] > 0
                and seeker_skill[i] >= vac_skill[c]
                and (vac_field[c] == -1 or vac_field[c] == seeker_field[i])
            )
        w = vac_wage[c]
        if qualified and w >= reservation and (best == -1 or w > vac_wage[best]):
            best = c
    return best


@numba.njit(cache=True, nogil=True)
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
    modified; both outputs are freshly allocated. Cost is O(n * k + v).

    At 10^6 seekers the random service order and the k random vacancy looks per seeker make the
    kernel memory bound, so it keeps what a look reads small and fetches ahead. Each vacancy row is
    one 32-bit key: a 26-bit order-preserving code of the wage (``_wage_code``) above six bits, one
    per seeker type ``(skill, field)``, set for the types that qualify while the row has openings
    left. Each seeker is one 32-bit key too: the code of the reservation wage above its type bit.
    A look is then one load and integer compares, and the best look is a running maximum of
    ``(wage code, sample position)`` packed in one integer. Codes order wages exactly except when
    two are equal; whenever that could decide the outcome (a wage code equal to the reservation
    code, or two acceptable rows tied on the top code), and for seekers outside the documented
    levels or with a NaN reservation wage, the seeker is served by ``_best_exact``, the rule on the
    original arrays. The seeker's sample row and key are prefetched ``PREFETCH_AHEAD`` positions
    ahead in ``order``, and a seeker without a match takes from a sink row that never runs out, so
    serving has no data-dependent branches.

    Compiled with ``nogil=True``: it runs on one thread and releases the interpreter's lock, so
    numpy draws queued for the helper thread run beside it (``abm.state.draws``).
    """
    n = seeker_skill.shape[0]
    v = vac_skill.shape[0]
    k = samples.shape[1]
    match = np.full(n, -1, dtype=np.int64)
    if v == 0 or n == 0 or k == 0:
        return match, np.zeros(v, dtype=np.int64)

    # Seeker key: reservation wage code << 6 | 1 << (2 * skill + field). 0 sends the seeker to the
    # exact path: a skill or field outside the documented levels, or a NaN reservation wage.
    seeker_key = np.zeros(n, dtype=np.uint32)
    for i in range(n):
        skill = seeker_skill[i]
        field = seeker_field[i]
        reservation = seeker_reservation[i]
        if 0 <= skill <= 2 and 0 <= field <= 1 and reservation == reservation:
            seeker_key[i] = (_wage_code(reservation) << 6) | (1 << (2 * skill + field))

    # Vacancy key: wage code << 6 | the type bits of the seekers who qualify (skill and field),
    # while the row has openings left; no type bits for a NaN wage. Row v is the sink of seekers
    # without a match: it has no type bits and never runs out.
    remaining = np.empty(v + 1, dtype=np.int64)
    remaining[:v] = vac_openings
    remaining[v] = n + 1
    vac_key = np.zeros(v + 1, dtype=np.uint32)
    for c in range(v):
        w = vac_wage[c]
        if w == w:
            bits = 0
            if remaining[c] > 0:
                for s in range(3):
                    for f in range(2):
                        if s >= vac_skill[c] and (vac_field[c] == -1 or vac_field[c] == f):
                            bits |= 1 << (2 * s + f)
            vac_key[c] = (_wage_code(w) << 6) | bits

    ahead = PREFETCH_AHEAD
    for p in range(n):
        if p + ahead < n:
            later = order[p + ahead]
            _prefetch(samples, (later, 0))
            _prefetch(samples, (later, k - 1))  # a row may straddle two cache lines
            _prefetch(seeker_key, later)
            _prefetch(match, later)
        i = order[p]
        key = np.int64(seeker_key[i])
        type_bit = key & 63
        reservation_code = key >> 6
        # Without branches: the top of (wage code, -position) and of (wage code, position) over the
        # acceptable looks, -1 if none; whether the exact path is needed.
        top_first = -1
        top_last = -1
        exact = type_bit == 0
        for j in range(k):
            x = np.int64(vac_key[np.uint64(samples[i, j])])
            qualified = (x & type_bit) != 0
            wage_code = x >> 6
            ok = qualified & (wage_code > reservation_code)
            exact |= qualified & (wage_code == reservation_code)
            top_first = max(top_first, ((wage_code << 32) | (_LOW32 - j)) if ok else -1)
            top_last = max(top_last, ((wage_code << 32) | j) if ok else -1)
        first = _LOW32 - (top_first & _LOW32)
        # Two positions share the top code: a tie, or two wages the code cannot tell apart.
        exact |= (top_first >= 0) & (first != (top_last & _LOW32))
        best = samples[i, first] if top_first >= 0 else -1
        if exact:
            best = _best_exact(
                i,
                type_bit,
                seeker_skill,
                seeker_field,
                seeker_reservation,
                vac_skill,
                vac_field,
                vac_wage,
                remaining,
                vac_key,
                samples,
            )
        match[i] = best
        row = best if best >= 0 else v
        left = remaining[row] - 1
        remaining[row] = left
        vac_key[row] &= _KEEP_TYPES if left > 0 else _CLEAR_TYPES

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


@numba.njit(cache=True, nogil=True)
def vacancy_row_count(vacancies, high_tech, high):
    """The number of rows :func:`vacancy_rows` returns (its first pass), known before they are
    listed: the matching's draws are sized by it (``abm.mechanisms.labour``)."""
    n, n_skills = vacancies.shape
    total = 0
    for b in range(n_skills + 1):
        for i in range(n):
            total += _openings(vacancies, high_tech, high, n_skills, b, i) > 0
    return total


@numba.njit(cache=True, nogil=True)
def vacancy_rows(vacancies, high_tech, wages, high, total=-1):
    """The vacancy rows the matching serves: for each skill block ``k`` (any field, the
    technical openings of skill ``high`` left out) and then a block of technical openings of
    skill ``high``, the firms with openings in row order.

    ``vacancies[i, k]`` are firm ``i``'s openings for skill ``k``, ``high_tech[i]`` how many of
    its skill-``high`` openings need a technical field, ``wages[i, k]`` the wage offered.
    Returns (firm row, skill, field or -1, openings, wage) per vacancy row (int64, float64).
    ``total``, when given (>= 0), is :func:`vacancy_row_count` of the same arrays, computed by
    the caller already. Compiled with ``nogil=True``: the matching's numpy draws run beside it
    (``abm.state.draws``).
    """
    n, n_skills = vacancies.shape
    if total < 0:
        total = vacancy_row_count(vacancies, high_tech, high)
    v_firm = np.empty(total, dtype=np.int64)
    v_skill = np.empty(total, dtype=np.int64)
    v_field = np.empty(total, dtype=np.int64)
    openings = np.empty(total, dtype=np.int64)
    v_wage = np.empty(total)
    c = 0
    for b in range(n_skills + 1):
        k = b if b < n_skills else high
        for i in range(n):
            o = _openings(vacancies, high_tech, high, n_skills, b, i)
            if o > 0:
                v_firm[c] = i
                v_skill[c] = k
                v_field[c] = -1 if b < n_skills else 1
                openings[c] = o
                v_wage[c] = wages[i, k]
                c += 1
    return v_firm, v_skill, v_field, openings, v_wage


@numba.njit(cache=True, inline="always")
def _openings(vacancies, high_tech, high, n_skills, b, i):
    if b == n_skills:
        return high_tech[i]
    return vacancies[i, b] - (high_tech[i] if b == high else 0)


def vacancy_rows_py(vacancies, high_tech, wages, high, total=-1):
    """Plain-Python twin of :func:`vacancy_rows` (``total`` is not needed here)."""
    n, n_skills = vacancies.shape
    rows = []
    for b in range(n_skills + 1):
        for i in range(n):
            if b < n_skills:
                o = vacancies[i, b] - (high_tech[i] if b == high else 0)
                k, fld = b, -1
            else:
                o, k, fld = high_tech[i], high, 1
            if o > 0:
                rows.append((i, k, fld, o, wages[i, k]))
    cols = list(zip(*rows, strict=True)) if rows else [[]] * 5
    ints = [np.array(col, dtype=np.int64) for col in cols[:4]]
    return (*ints, np.array(cols[4], dtype=np.float64))
