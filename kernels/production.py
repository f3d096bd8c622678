"""Production kernels: every firm's plan, labour demand and layoff odds, then its output and
intermediate purchases, each in one pass over the firms.

``plan_firms`` fuses the numpy expression of ``abm.mechanisms.production.plan`` (planned output
within capacity, staff wanted by skill, stochastic rounding with the firm's own keyed uniforms,
the labour-hoarding surplus and the share of it shed) and ``produce_firms`` that of ``produce``
(output within staff, R&D staffed, purchases of intermediate inputs through the input-output
matrix). Both compute the same operations in the same order as the numpy code they replace, so
the same bits, without its firms-by-skills and sectors-by-firms temporaries. Where numpy sums
a contiguous run (a firm's purchases over the sectors, the non-personnel R&D of all firms) it
sums pairwise, and ``np_sum`` walks the same tree (blocks of at most 128 terms with eight
accumulators); where it sums across (intermediate demand by sector) it adds firm after firm.

Divisions by zero give inf or nan as numpy's do (``error_model="numpy"``), never an exception.

Threads: the elementwise firm work runs in fixed chunks of firms, on numba's threads with
``threads > 1`` (``*_parallel``); each firm's numbers depend on that firm alone, so the result is
the same whatever the thread count. The sector totals run after, on one thread, in firm order.

Each kernel has a plain-Python twin (suffix ``_py``) that ``tests/kernels/test_production.py``
holds it to.
"""

# numba caches this module's kernels with compiled copies of kernels.philox.philox4x64, keyed on
# this file alone: change this file whenever kernels/philox.py changes (philox: Philox4x64-10,
# uniforms as (x >> 11) 2**-53), or a warm cache keeps the old draws.

import math

import numba
import numpy as np

from kernels.philox import philox4x64, philox_uniforms_py

CHUNK = 1 << 12  #: firms per chunk (fixed: never the thread count)
_INV53 = 1.0 / 9007199254740992.0


# ----------------------------------------------------------------------------- plans
@numba.njit(cache=True, error_model="numpy", inline="always")
def _plan_chunk(
    c, expected, inventory, capital, productivity, sector, keys, kappa, skill_mix, wages,
    rd_target, rd_share, iota1, scale, margin, high, key0, key1, quarter, mechanism,
    planned, rd_staff, want, p_fire, sheds, staff,
):  # fmt: skip
    n, n_k = want.shape
    q = np.uint64(quarter)
    m = np.uint64(mechanism)
    k0 = np.uint64(key0)
    k1 = np.uint64(key1)
    u = np.empty(4 * ((n_k + 3) // 4))
    for i in range(c * CHUNK, min((c + 1) * CHUNK, n)):
        s = sector[i]
        cap = kappa[s] * capital[i]
        p = expected[i] * iota1 - inventory[i]
        p = min(max(p, 0.0), cap)  # np.clip(x, 0, cap)
        planned[i] = p
        r = rd_share * rd_target[i] / wages[i, high]
        rd_staff[i] = r
        cid = np.uint64(keys[i])
        for b in range((n_k + 3) // 4):
            x0, x1, x2, x3 = philox4x64(cid, q, m, np.uint64(b), k0, k1)
            u[4 * b] = (x0 >> np.uint64(11)) * _INV53
            u[4 * b + 1] = (x1 >> np.uint64(11)) * _INV53
            u[4 * b + 2] = (x2 >> np.uint64(11)) * _INV53
            u[4 * b + 3] = (x3 >> np.uint64(11)) * _INV53
        shed = 0
        for k in range(n_k):
            d = p / productivity[i] * skill_mix[s, k]
            if k == high:
                d += r
            w = np.int64(math.floor(d / scale + u[k]))
            want[i, k] = w
            h = staff[i, k]
            if h > math.ceil(w * margin):
                sur = (h - w + 1) // 2
                p_fire[i, k] = sur / h
                if sur != 0:
                    shed = 1
            else:
                p_fire[i, k] = 0.0
        sheds[i + 1] = shed


@numba.njit(cache=True, error_model="numpy")
def plan_firms(
    expected, inventory, capital, productivity, sector, keys, kappa, skill_mix, wages,
    rd_target, rd_share, inventory_target, scale, margin, high, key0, key1, quarter, mechanism,
    staff,
):  # fmt: skip
    """Production plans, staff wanted and layoff odds of every firm.

    For firm ``i`` of sector ``s`` with the keyed uniforms ``u[i, k]`` (Philox counter ``(keys_i,
    quarter, mechanism, 0)``, as ``philox_uniforms``):

    - planned output ``P_i = clip(e_i (1 + iota) - inventory_i, 0, kappa_s K_i)``;
    - R&D staff wanted ``r_i = rd_share RD*_i / w_i,high``;
    - agents wanted ``want[i, k] = floor((P_i / a_i mix[s, k] + [k = high] r_i) / scale
      + u[i, k])``;
    - with ``h`` agents held, ``p_fire[i, k] = ((h - want + 1) // 2) / h`` when
      ``h > ceil(want margin)``, else 0 (labour hoarding: half the surplus above the margin).

    Returns (planned float64[n], rd_staff float64[n], want int64[n, K], p_fire float64[n, K],
    sheds uint8[n + 1]) with ``sheds[i + 1] = 1`` for a firm that sheds any skill (``sheds[0]``
    stays 0, for agents without an employer).
    """
    n, n_k = staff.shape
    planned = np.empty(n)
    rd_staff = np.empty(n)
    want = np.empty((n, n_k), dtype=np.int64)
    p_fire = np.empty((n, n_k))
    sheds = np.zeros(n + 1, dtype=np.uint8)
    iota1 = 1 + inventory_target
    for c in range((n + CHUNK - 1) // CHUNK):
        _plan_chunk(
            c, expected, inventory, capital, productivity, sector, keys, kappa, skill_mix, wages,
            rd_target, rd_share, iota1, scale, margin, high, key0, key1, quarter, mechanism,
            planned, rd_staff, want, p_fire, sheds, staff,
        )  # fmt: skip
    return planned, rd_staff, want, p_fire, sheds


@numba.njit(cache=True, error_model="numpy", parallel=True)
def plan_firms_parallel(
    expected, inventory, capital, productivity, sector, keys, kappa, skill_mix, wages,
    rd_target, rd_share, inventory_target, scale, margin, high, key0, key1, quarter, mechanism,
    staff,
):  # fmt: skip
    """:func:`plan_firms` with its chunks on numba's threads (the same result)."""
    n, n_k = staff.shape
    planned = np.empty(n)
    rd_staff = np.empty(n)
    want = np.empty((n, n_k), dtype=np.int64)
    p_fire = np.empty((n, n_k))
    sheds = np.zeros(n + 1, dtype=np.uint8)
    iota1 = 1 + inventory_target
    for c in numba.prange((n + CHUNK - 1) // CHUNK):
        _plan_chunk(
            c, expected, inventory, capital, productivity, sector, keys, kappa, skill_mix, wages,
            rd_target, rd_share, iota1, scale, margin, high, key0, key1, quarter, mechanism,
            planned, rd_staff, want, p_fire, sheds, staff,
        )  # fmt: skip
    return planned, rd_staff, want, p_fire, sheds


def plan_firms_py(
    expected, inventory, capital, productivity, sector, keys, kappa, skill_mix, wages,
    rd_target, rd_share, inventory_target, scale, margin, high, key0, key1, quarter, mechanism,
    staff,
):  # fmt: skip
    """Plain-Python twin of :func:`plan_firms`."""
    n, n_k = staff.shape
    u = philox_uniforms_py(int(key0), int(key1), keys, int(quarter), int(mechanism), n_k)
    planned, rd_staff = np.empty(n), np.empty(n)
    want = np.empty((n, n_k), dtype=np.int64)
    p_fire = np.zeros((n, n_k))
    sheds = np.zeros(n + 1, dtype=np.uint8)
    for i in range(n):
        s = int(sector[i])
        p = float(expected[i]) * (1 + inventory_target) - float(inventory[i])
        planned[i] = min(max(p, 0.0), float(kappa[s]) * float(capital[i]))
        rd_staff[i] = rd_share * float(rd_target[i]) / float(wages[i, high])
        for k in range(n_k):
            d = planned[i] / float(productivity[i]) * float(skill_mix[s, k])
            if k == high:
                d += rd_staff[i]
            want[i, k] = math.floor(d / scale + u[i, k])
            h = int(staff[i, k])
            if h > math.ceil(int(want[i, k]) * margin):
                sur = (h - int(want[i, k]) + 1) // 2
                p_fire[i, k] = sur / h
                sheds[i + 1] = sur != 0
    return planned, rd_staff, want, p_fire, sheds


# ----------------------------------------------------------------------------- output
@numba.njit(cache=True, error_model="numpy", inline="always")
def _produce_chunk(
    c, plan, rd_desired, productivity, sector, persons, staff, wages, io, price, scale, high,
    rd_share, output, inventory, new_inventory, rd, rd_staff, rd_wages, interm_firm, purchases,
):  # fmt: skip
    n = plan.shape[0]
    n_s = io.shape[0]
    buf = np.empty(n_s)
    for i in range(c * CHUNK, min((c + 1) * CHUNK, n)):
        r = min(rd_desired[i], staff[i, high] * scale)
        q = min(plan[i], productivity[i] * (persons[i] - r))
        q = max(q, 0.0)
        output[i] = q
        new_inventory[i] = inventory[i] + q
        rw = r * wages[i, high]
        x = rw / rd_share
        rd[i] = x
        rd_staff[i] = r
        rd_wages[i] = rw
        s = sector[i]
        for j in range(n_s):
            buf[j] = io[j, s] * q * price[j]
        # numpy's sum of the column (contiguous: the temporary is F-ordered), from 0.0
        tot = _pairwise_leaf(buf, 0, n_s) if n_s <= 128 else np_sum(buf)
        interm_firm[i] = (0.0 + tot) + (x - rw)
        purchases[i] = x - rw


@numba.njit(cache=True)
def _pairwise_leaf(a, lo, n):
    """numpy's pairwise_sum of ``a[lo:lo + n]`` for ``n <= 128`` (one leaf of its tree)."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@numba.njit(cache=True)
def np_sum(a):
    """``a.sum()`` of a contiguous float64 array with numpy's bits: numpy's pairwise summation
    (halves rounded down to a multiple of 8, leaves of at most 128 terms with eight
    accumulators), its recursion walked with an explicit stack (numba's cache cannot hold a
    recursive kernel), added to 0.0 as numpy's reduction starts from the identity."""
    los = np.empty(64, dtype=np.int64)
    ns = np.empty(64, dtype=np.int64)
    stage = np.empty(64, dtype=np.int64)
    left = np.empty(64)
    los[0], ns[0], stage[0] = 0, a.shape[0], 0
    sp = 1
    ret = 0.0
    while sp > 0:
        t = sp - 1
        lo, m = los[t], ns[t]
        if m <= 128:
            ret = _pairwise_leaf(a, lo, m)
            sp -= 1
            continue
        h = m // 2
        h -= h % 8
        if stage[t] == 0:
            stage[t] = 1
            los[sp], ns[sp], stage[sp] = lo, h, 0
            sp += 1
        elif stage[t] == 1:
            left[t] = ret
            stage[t] = 2
            los[sp], ns[sp], stage[sp] = lo + h, m - h, 0
            sp += 1
        else:
            ret = left[t] + ret
            sp -= 1
    return 0.0 + ret


@numba.njit(cache=True)
def _produce_sums(io, price, sector, output, purchases, services):
    """Intermediate demand by supplying sector: the numpy expression's F-ordered sectors x
    firms terms summed along the firms, which numpy does firm after firm from 0."""
    n_s = io.shape[0]
    demand = np.zeros(n_s)
    for i in range(output.shape[0]):
        s = sector[i]
        q = output[i]
        for j in range(n_s):
            demand[j] += io[j, s] * q * price[j]
    demand[services] += np_sum(purchases)
    return demand


@numba.njit(cache=True, error_model="numpy")
def produce_firms(
    plan, rd_desired, productivity, sector, persons, staff, wages, io, price, scale, high,
    rd_share, inventory, services,
):  # fmt: skip
    """Output, R&D staffed and intermediate purchases of every firm.

    For firm ``i`` of sector ``s`` with ``N_i`` persons employed (``persons``), planned output
    ``P_i`` and R&D staff wanted ``r*_i``:

    - R&D staff ``r_i = min(r*_i, staff[i, high] scale)``, R&D wages ``W_i = r_i w_i,high`` and
      R&D ``RD_i = W_i / rd_share``;
    - output ``Q_i = max(min(P_i, a_i (N_i - r_i)), 0)`` and inventories ``inventory_i + Q_i``;
    - intermediate purchases by firm ``sum_j (A[j, s] Q_i) p_j + (RD_i - W_i)`` and by supplying
      sector ``D_j = sum_i (A[j, s_i] Q_i) p_j``, with the non-personnel R&D of all firms added
      to ``services``.

    Returns (output, inventory, rd, rd_staff, rd_wages, interm_by_firm, interm_demand), float64
    (new arrays: ``inventory`` is not written).
    """
    n = plan.shape[0]
    output, rd, rd_staff, rd_wages = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    interm_firm, new_inventory, purchases = np.empty(n), np.empty(n), np.empty(n)
    for c in range((n + CHUNK - 1) // CHUNK):
        _produce_chunk(
            c, plan, rd_desired, productivity, sector, persons, staff, wages, io, price, scale,
            high, rd_share, output, inventory, new_inventory, rd, rd_staff, rd_wages, interm_firm,
            purchases,
        )  # fmt: skip
    demand = _produce_sums(io, price, sector, output, purchases, services)
    return output, new_inventory, rd, rd_staff, rd_wages, interm_firm, demand


@numba.njit(cache=True, error_model="numpy", parallel=True)
def produce_firms_parallel(
    plan, rd_desired, productivity, sector, persons, staff, wages, io, price, scale, high,
    rd_share, inventory, services,
):  # fmt: skip
    """:func:`produce_firms` with its chunks on numba's threads (the same result)."""
    n = plan.shape[0]
    output, rd, rd_staff, rd_wages = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    interm_firm, new_inventory, purchases = np.empty(n), np.empty(n), np.empty(n)
    for c in numba.prange((n + CHUNK - 1) // CHUNK):
        _produce_chunk(
            c, plan, rd_desired, productivity, sector, persons, staff, wages, io, price, scale,
            high, rd_share, output, inventory, new_inventory, rd, rd_staff, rd_wages, interm_firm,
            purchases,
        )  # fmt: skip
    demand = _produce_sums(io, price, sector, output, purchases, services)
    return output, new_inventory, rd, rd_staff, rd_wages, interm_firm, demand


def produce_firms_py(
    plan, rd_desired, productivity, sector, persons, staff, wages, io, price, scale, high,
    rd_share, inventory, services,
):  # fmt: skip
    """Plain-Python twin of :func:`produce_firms` (numpy's own sums for the sector totals)."""
    n, n_s = len(plan), io.shape[0]
    output, rd, rd_staff, rd_wages, interm_firm, new_inventory = (np.zeros(n) for _ in range(6))
    interm_sf = np.zeros((n_s, n))  # the twin keeps the sectors x firms terms
    for i in range(n):
        r = min(float(rd_desired[i]), float(staff[i, high]) * scale)
        q = max(min(float(plan[i]), float(productivity[i]) * (float(persons[i]) - r)), 0.0)
        output[i] = q
        new_inventory[i] = float(inventory[i]) + q
        rd_staff[i], rd_wages[i] = r, r * float(wages[i, high])
        rd[i] = rd_wages[i] / rd_share
        terms = [float(io[j, sector[i]]) * q * float(price[j]) for j in range(n_s)]
        interm_sf[:, i] = terms
        interm_firm[i] = np.sum(np.array(terms)) + (rd[i] - rd_wages[i])
    demand = np.zeros(n_s)
    for i in range(n):
        demand += interm_sf[:, i]
    demand[services] += np.sum(rd - rd_wages)
    return output, new_inventory, rd, rd_staff, rd_wages, interm_firm, demand
