"""Kernels of the firms by sector: sums, counts, grouping and medians by sector.

The firms lie in runs of one sector (the build and the entrants come sector by sector), so a
pass over them keeps a run's sum, count or next place in a register and stores it when the
sector changes: a sum through memory waits at every firm for its previous store to the same
element (docs/performance.md, "Sixth session"). ``sector_sums`` sums by sector (the bits of
``np.bincount`` with weights), ``sector_counts`` counts, ``sector_groups`` and ``sector_order``
group the firms by sector in row order, ``sector_medians`` and ``sector_medians_of_rows`` take
medians by sector (numpy's values, by radix selection on the floats' bits). ``*_py`` are the
plain-Python twins.
"""

import numba
import numpy as np

from kernels.market import _renamed


@numba.njit(cache=True)
def sector_sums(firm_sector, values, n_sectors):
    """``values`` summed by sector: ``np.bincount(firm_sector, weights=values,
    minlength=n_sectors)``, each sector's sum taken firm after firm in row order from 0.0, as
    numpy's, so the same bits. The firms lie in runs of one sector (the build and the entrants
    come sector by sector), so a run's sum stays in a register and is stored once: 26 us at
    1:20 against numpy's 115 us (which first finds the indices' range, then adds through
    memory). Raises ValueError for a sector outside ``[0, n_sectors)`` or arrays of other
    lengths (as ``np.bincount``). (With NaN: which NaN a sum of two keeps is not defined, so the
    sign bit of a NaN sum may differ.)"""
    out = np.zeros(n_sectors)
    n = firm_sector.shape[0]
    if values.shape[0] != n:
        raise ValueError("kernels.sectors.sector_sums: the sectors and values differ in length")
    if n == 0:
        return out
    cur = firm_sector[0]
    if cur < 0 or cur >= n_sectors:
        raise ValueError("kernels.sectors.sector_sums: a sector index is out of range")
    acc = 0.0
    for i in range(n):
        s = firm_sector[i]
        if s != cur:
            if s < 0 or s >= n_sectors:
                raise ValueError("kernels.sectors.sector_sums: a sector index is out of range")
            out[cur] = acc
            cur = s
            acc = out[s]
        acc += values[i]
    out[cur] = acc
    return out


def sector_sums_py(firm_sector, values, n_sectors):
    """Plain-Python twin of :func:`sector_sums`."""
    out = [0.0] * n_sectors
    for s, v in zip(firm_sector, values, strict=True):
        if not 0 <= s < n_sectors:
            raise ValueError("kernels.sectors.sector_sums: a sector index is out of range")
        out[s] = out[s] + float(v)
    return np.array(out)


@numba.njit(cache=True)
def sector_counts(firm_sector, n_sectors):
    """Firms by sector (int64[n_sectors]; ``np.bincount(firm_sector, minlength=n_sectors)``),
    a run of one sector's firms counted in a register (as :func:`sector_sums`)."""
    out = np.zeros(n_sectors, dtype=np.int64)
    cur = -1
    c = 0
    for i in range(firm_sector.shape[0]):
        s = firm_sector[i]
        if s != cur:
            if cur >= 0:
                out[cur] = c
            cur = s
            c = out[s]
        c += 1
    if cur >= 0:
        out[cur] = c
    return out


@numba.njit(cache=True)
def sector_groups(firm_sector, n_sectors):
    """(start int64[S + 1], where int64[n]): firm ``i`` goes to place ``where[i]`` when the
    firms are grouped by sector in row order, sector ``s`` at ``start[s]:start[s + 1]``."""
    counts = sector_counts(firm_sector, n_sectors)
    start = np.zeros(n_sectors + 1, dtype=np.int64)
    for s in range(n_sectors):
        start[s + 1] = start[s] + counts[s]
    pos = start[:-1].copy()
    where = np.empty(firm_sector.shape[0], dtype=np.int64)
    cur = -1  # a run of one sector's firms takes consecutive places from a register
    p = 0
    for i in range(firm_sector.shape[0]):
        s = firm_sector[i]
        if s != cur:
            if cur >= 0:
                pos[cur] = p
            cur = s
            p = pos[s]
        where[i] = p
        p += 1
    return start, where


@numba.njit(cache=True)
def sector_order(firm_sector, n_sectors):
    """The firms grouped by sector, in row order within each: ``order`` (int64[n], what
    ``np.argsort(firm_sector, kind="stable")`` gives) and ``start`` (int64[n_sectors + 1], sector
    ``s``'s firms are ``order[start[s]:start[s + 1]]``), by one counting pass."""
    start, where = sector_groups(firm_sector, n_sectors)
    order = np.empty(firm_sector.shape[0], dtype=np.int64)
    for i in range(firm_sector.shape[0]):
        order[where[i]] = i
    return order, start


_SIGN = np.uint64(0x8000000000000000)


@numba.njit(cache=True)
def _varying_bits(keys, n):
    """The bits in which some of ``keys[:n]`` differ (a vectorised AND and OR)."""
    all_set = ~np.uint64(0)
    any_set = np.uint64(0)
    for t in range(n):
        all_set &= keys[t]
        any_set |= keys[t]
    return all_set ^ any_set


@numba.njit(cache=True)
def _select_key(keys, m, k, buf_a, buf_b):
    """The ``k``-th smallest (from 0) of ``keys[:m]`` (uint64), by radix selection from the top
    byte down: a byte's counts give the byte of rank ``k``, and only the keys with that byte
    are kept (stored without a branch) for the next. ``keys`` is kept; ``buf_a`` and ``buf_b``
    (at least ``m`` long) are scratch.

    A byte that all the keys left share is skipped without a pass (the floats of a sector share
    their sign and most of their exponent; weights and R&D norms take a few values), and the
    counts go to four tables in turn, so that equal bytes in a row do not wait for each other's
    stores: 0.37 -> 0.06 ms for 26,000 weights, 8.5 -> 3.2 ms for 534,000 (docs/performance.md,
    seventh session).
    """
    src = keys
    dst = buf_a
    other = buf_b
    n = m
    varying = _varying_bits(src, n)
    h = np.zeros((4, 256), dtype=np.int64)
    for q in range(7, -1, -1):
        shift = np.uint64(8 * q)
        if (varying >> shift) & np.uint64(0xFF) == np.uint64(0):
            continue  # every key left has this byte: nothing to count or drop
        h[:] = 0
        n4 = n - n % 4
        for t in range(0, n4, 4):
            h[0, np.int64((src[t] >> shift) & np.uint64(0xFF))] += 1
            h[1, np.int64((src[t + 1] >> shift) & np.uint64(0xFF))] += 1
            h[2, np.int64((src[t + 2] >> shift) & np.uint64(0xFF))] += 1
            h[3, np.int64((src[t + 3] >> shift) & np.uint64(0xFF))] += 1
        for t in range(n4, n):
            h[0, np.int64((src[t] >> shift) & np.uint64(0xFF))] += 1
        c = 0
        d = 0
        while c + h[0, d] + h[1, d] + h[2, d] + h[3, d] <= k:
            c += h[0, d] + h[1, d] + h[2, d] + h[3, d]
            d += 1
        k -= c
        j = 0
        for t in range(n):
            v = src[t]
            dst[j] = v
            j += ((v >> shift) & np.uint64(0xFF)) == np.uint64(d)
        n = j
        src = dst
        dst, other = other, dst
        varying = _varying_bits(src, n)
    return src[0]


@numba.njit(cache=True)
def _medians_of(values, start, where, n_sectors, empty):
    """The median of each sector's ``values`` (``empty`` for a sector without firms), as
    ``numpy.median``: the middle value, or the mean of the two middle values.

    The middle value is selected by the bits of the floats (a key per float whose unsigned
    order is the floats' order, :func:`_select_key`), the lower middle value of an even count
    as the largest value below it, or the middle value itself when that has a twin below the
    middle. Any selection gives the same values; a sector with a NaN or a -0.0 (where the bits
    of the result could depend on the algorithm) takes numba's ``np.partition``, as before.
    0.5 against 1.3 ms for three rows of 26,000 firms in 13 sectors (before the skipped bytes of
    :func:`_select_key`).
    """
    n_all = values.shape[0]
    grouped = np.empty(n_all)
    for i in range(n_all):
        grouped[where[i]] = values[i]
    out = np.full(n_sectors, empty)
    keys = np.empty(n_all, dtype=np.uint64)
    buf_a = np.empty(n_all, dtype=np.uint64)
    buf_b = np.empty(n_all, dtype=np.uint64)
    one = np.empty(1, dtype=np.uint64)
    as_float = one.view(np.float64)
    for s in range(n_sectors):
        lo, hi = start[s], start[s + 1]
        n = hi - lo
        if n == 0:
            continue
        special = False
        for i in range(lo, hi):
            x = grouped[i]
            special |= (x != x) or (x == 0.0 and np.signbit(x))
        if special:
            g = np.partition(grouped[lo:hi], n // 2)  # linear time, like numpy
            upper = g[n // 2]
            out[s] = upper if n % 2 else (g[: n // 2].max() + upper) / 2.0
            continue
        bits = grouped[lo:hi].view(np.uint64)
        for i in range(n):
            b = bits[i]  # negative floats: all bits flipped; the others: the sign bit set
            keys[i] = ~b if b & _SIGN else b | _SIGN
        k = n // 2
        key = _select_key(keys, n, k, buf_a, buf_b)
        one[0] = key ^ _SIGN if key & _SIGN else ~key
        upper = as_float[0]
        if n % 2:
            out[s] = upper
            continue
        below = 0
        lower = -np.inf
        for i in range(lo, hi):
            x = grouped[i]
            lt = x < upper
            below += lt
            lower = x if lt and x > lower else lower
        if below < k:
            lower = upper  # the middle value has a twin below the middle
        out[s] = (lower + upper) / 2.0
    return out


@numba.njit(cache=True)
def sector_medians(firm_sector, values, n_sectors, empty):
    """Median of ``values`` over the firms of each sector (``empty`` for a sector without
    firms), as ``numpy.median``: the middle value, or the mean of the two middle values."""
    start, where = sector_groups(firm_sector, n_sectors)
    return _medians_of(values, start, where, n_sectors, empty)


def _medians_of_rows_impl(firm_sector, values, n_sectors, empty):
    """The driver of :func:`sector_medians_of_rows` (a ``prange`` loop over the rows: a plain
    range when compiled without ``parallel``)."""
    start, where = sector_groups(firm_sector, n_sectors)
    out = np.empty((values.shape[0], n_sectors))
    for r in numba.prange(values.shape[0]):
        out[r] = _medians_of(values[r], start, where, n_sectors, empty[r])
    return out


sector_medians_of_rows = numba.njit(cache=True)(
    _renamed(_medians_of_rows_impl, "sector_medians_of_rows")
)
sector_medians_of_rows.__doc__ = """:func:`sector_medians` of each row of ``values``
(float64[m, n_firms]; ``empty[r]`` for row ``r``), the firms grouped by sector once:
float64[m, n_sectors]."""
sector_medians_of_rows_parallel = numba.njit(cache=True, parallel=True)(
    _renamed(_medians_of_rows_impl, "sector_medians_of_rows_parallel")
)
sector_medians_of_rows_parallel.__doc__ = """:func:`sector_medians_of_rows` with its rows on
numba's threads (each row's medians are its own: the same result)."""


def sector_order_py(firm_sector, n_sectors):
    """Plain-Python twin of :func:`sector_order`."""
    groups = [[i for i, t in enumerate(firm_sector) if t == s] for s in range(n_sectors)]
    start = np.cumsum([0] + [len(g) for g in groups]).astype(np.int64)
    return np.array([i for g in groups for i in g], dtype=np.int64), start


def sector_medians_py(firm_sector, values, n_sectors, empty):
    """Plain-Python twin of :func:`sector_medians`."""
    out = np.full(n_sectors, float(empty))
    for s in range(n_sectors):
        v = sorted(float(x) for x, t in zip(values, firm_sector, strict=True) if t == s)
        if v:
            m = len(v) // 2
            out[s] = v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2.0
    return out
