"""Keyed agent events: whether an agent acts this quarter, with common random numbers, at a cost
that follows the agents who may act.

Every agent event (a quit, a layoff, a retirement, a move abroad or home, a search) happens when
the agent's uniform ``U(id, q, m) < p`` for its probability ``p``. ``U`` is a pure function of
(member seed, agent id, quarter, mechanism), the same whichever other agents exist and in
whatever order they are processed (common random numbers, docs/model.md §8), and the same ``U``
for every probability, so a scenario that raises ``p`` adds actors and removes none. It is drawn
from numpy's Philox4x64-10 in two parts, so that only the agents who may act pay for a full draw:

    U(id, q, m) = (B(id, q, m) + V(id, q, m)) / 256

B is the agent's "lottery byte": byte ``id & 31`` (little-endian within the four 64-bit words)
of the Philox block at counter ``(id >> 5, q, m + 2**32, 0)``, one block shared by the 32 ids
``32 (id >> 5) .. 32 (id >> 5) + 31``; V is the agent's own draw, the first uniform of counter
``(id, q, m, 0)`` (what ``kernels.philox.philox_uniforms`` gives for one draw). B is uniform on
0..255 and V on [0, 1), independent, so U is uniform on [0, 1). Since ``U >= B / 256``, an agent
whose byte is at least ``256 p`` cannot act: a pass over the agents in id order computes one
block per 32 ids and draws V only for the share ``ceil(256 p) / 256`` of them whose byte is
below ``256 p`` (the flag ``2**32`` keeps the byte blocks' counters apart from the agents' own);
for ``p`` up to one half it finds those bytes eight at a time and visits only the agents they
name, not every row.

:func:`lottery_rows` returns the rows whose ``U`` is below a bound (an upper bound of their
probabilities), with their ``U``, so a probability that is costly to compute is computed for
them only; its passes run in fixed chunks, on one thread or several, with the same result.
:func:`acts` is the inline building block; ``*_py`` are the plain-Python twins.
"""

import math

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from kernels.labour import _prefetch
from kernels.philox import philox4x64

IDS_PER_BLOCK = 32  #: ids that share one block of lottery bytes
LOTTERY_FLAG = 1 << 32  #: added to the mechanism word of the lottery byte blocks
_INV53 = 1.0 / 9007199254740992.0
_INV256 = 1.0 / 256.0
_MASK = (1 << 64) - 1


@intrinsic
def _trailing_zeros(typingctx, x):
    """Number of trailing zero bits of a non-zero uint64 (LLVM ``cttz``: one instruction)."""
    if x != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        fn = builder.module.declare_intrinsic("llvm.cttz", [i64, ir.IntType(1)])
        return builder.call(fn, [args[0], ir.Constant(ir.IntType(1), 1)])

    return types.uint64(types.uint64), codegen


@numba.njit(cache=True, inline="always")
def own_uniform(key0, key1, tid, quarter, mechanism):
    """V: the first uniform of counter ``(tid, quarter, mechanism, 0)``."""
    x0, _x1, _x2, _x3 = philox4x64(
        np.uint64(tid), np.uint64(quarter), np.uint64(mechanism), np.uint64(0), key0, key1
    )
    return (x0 >> np.uint64(11)) * _INV53


@numba.njit(cache=True, inline="always")
def lottery_byte(cache, key0, key1, tid, quarter, mechanism):
    """B: agent ``tid``'s byte of its shared block. ``cache`` (uint64[5], zeros to start) keeps
    the last block, so agents visited in id order compute one block per 32 ids; it is a memo
    only (the byte is the same with an empty cache)."""
    t = np.uint64(tid)
    w = t >> np.uint64(5)
    if cache[0] != w + np.uint64(1):
        m = np.uint64(mechanism) + np.uint64(LOTTERY_FLAG)
        b0, b1, b2, b3 = philox4x64(w, np.uint64(quarter), m, np.uint64(0), key0, key1)
        cache[0] = w + np.uint64(1)
        cache[1] = b0
        cache[2] = b1
        cache[3] = b2
        cache[4] = b3
    j = t & np.uint64(31)
    word = cache[np.int64(j >> np.uint64(3)) + 1]
    return np.int64((word >> ((j & np.uint64(7)) * np.uint64(8))) & np.uint64(255))


@numba.njit(cache=True, inline="always")
def own_byte(key0, key1, tid, quarter, mechanism):
    """B without a memo: the shared block computed for this agent alone."""
    t = np.uint64(tid)
    m = np.uint64(mechanism) + np.uint64(LOTTERY_FLAG)
    b0, b1, b2, b3 = philox4x64(t >> np.uint64(5), np.uint64(quarter), m, np.uint64(0), key0, key1)
    j = t & np.uint64(31)
    h = j >> np.uint64(3)
    word = b0 if h == 0 else (b1 if h == 1 else (b2 if h == 2 else b3))
    return np.int64((word >> ((j & np.uint64(7)) * np.uint64(8))) & np.uint64(255))


@numba.njit(cache=True, inline="always")
def event_uniform(cache, key0, key1, tid, quarter, mechanism):
    """U(tid, quarter, mechanism) = (B + V) / 256 (module docstring)."""
    b = lottery_byte(cache, key0, key1, tid, quarter, mechanism)
    return (b + own_uniform(key0, key1, tid, quarter, mechanism)) * _INV256


@numba.njit(cache=True, inline="always")
def acts(key0, key1, tid, quarter, mechanism, p):
    """Whether agent ``tid`` acts with probability ``p``: ``U(tid, quarter, mechanism) < p``
    (no draw when ``p <= 0``: no uniform is below it; V only when the byte allows it)."""
    if p <= 0.0:
        return False
    b = own_byte(key0, key1, tid, quarter, mechanism)
    if b >= 256.0 * p:
        return False
    return (b + own_uniform(key0, key1, tid, quarter, mechanism)) * _INV256 < p


ROWS_PER_CHUNK = 1 << 15  #: agents per chunk of :func:`lottery_rows`
PREFETCH_BLOCKS = 8  #: blocks of 32 ids between prefetching their ids and searching them


@numba.njit(cache=True, inline="always")
def _byte_threshold(bound):
    """``t = ceil(256 bound)`` capped at 256: an agent whose byte is ``t`` or more has
    ``U >= bound`` (any bound of 1 or more, infinity included, lets every byte pass)."""
    if bound >= 1.0:
        return np.int64(256)
    return np.int64(math.ceil(256.0 * bound))


@numba.njit(cache=True, inline="never")
def _fill_block(block, w, q, mb, k0, k1):
    """The lottery-byte block of ids ``32 w .. 32 w + 31`` into ``block`` (a call, not inlined:
    the hot loop over the rows stays small)."""
    block[0], block[1], block[2], block[3] = philox4x64(np.uint64(w), q, mb, np.uint64(0), k0, k1)


@numba.njit(cache=True)
def _lottery_chunk_dense(k, ids, k0, k1, q, m, bound, rows, draws, counts):
    """:func:`_lottery_chunk` row by row: each row's byte from its block (for bounds above
    one half, where most bytes pass)."""
    lo = k * ROWS_PER_CHUNK
    hi = min(lo + ROWS_PER_CHUNK, ids.shape[0])
    t = _byte_threshold(bound)  # byte >= t: U >= bound
    mb = m + np.uint64(LOTTERY_FLAG)
    cur = np.int64(-1)  # no block yet
    block = np.zeros(4, dtype=np.uint64)
    by = block.view(np.uint8)  # byte j of the block (little-endian words)
    c = 0
    for r in range(lo, hi):
        tid = ids[r]
        w = tid >> 5
        if w != cur:
            _fill_block(block, w, q, mb, k0, k1)
            cur = w
        b = by[tid & 31]
        if b >= t:
            continue
        u = (np.float64(b) + own_uniform(k0, k1, ids[r], q, m)) * _INV256
        if u < bound:
            rows[lo + c] = r
            draws[lo + c] = u
            c += 1
    counts[k] = c


_H = np.uint64(0x8080808080808080)
_L = np.uint64(0x0101010101010101)


@numba.njit(cache=True, inline="always")
def _bytes_below(x, t):
    """Bit 7 of byte ``j`` of the result is set where byte ``j`` of ``x`` is below ``t``
    (``1 <= t <= 128``), every other bit is 0: with bit 7 of each byte set first, subtracting
    ``t`` from every byte borrows across none, and bit 7 stays set where ``byte | 128 >= 128 + t``;
    a byte of 128 or more is never below ``t``."""
    return ~((x | _H) - _L * t) & ~x & _H


@numba.njit(cache=True)
def _lottery_chunk(k, ids, k0, k1, q, m, bound, rows, draws, counts):
    """The rows among ``k * ROWS_PER_CHUNK ..`` with ``U < bound``: written to ``rows`` and
    ``draws`` from the chunk's first row on, their number to ``counts[k]``.

    Block by block over the chunk's ids (sorted, unique): the bytes of a block below
    ``t = ceil(256 bound)`` are found eight at a time (:func:`_bytes_below`), and only the ids
    they name are looked up among the rows (a binary search from the last row found, bounded by
    the id gap) and drawn, so the rows whose byte cannot pass are never visited. The same rows
    and ``U`` as :func:`_lottery_chunk_dense`, which bounds above one half use, and chunks whose
    ids span four times their rows or more (ids of agents who left leave gaps).
    """
    lo = k * ROWS_PER_CHUNK
    hi = min(lo + ROWS_PER_CHUNK, ids.shape[0])
    t = _byte_threshold(bound)  # byte >= t: U >= bound
    if t > 128 or lo >= hi or np.int64(ids[hi - 1]) - np.int64(ids[lo]) >= 4 * (hi - lo):
        # most bytes pass, or the ids are spread thin (a block per 32 ids of their span would
        # cost more than one per run of rows): row by row
        _lottery_chunk_dense(k, ids, k0, k1, q, m, bound, rows, draws, counts)
        return
    tt = np.uint64(t)
    mb = m + np.uint64(LOTTERY_FLAG)
    first = np.int64(ids[lo])
    last = np.int64(ids[hi - 1])
    c = 0
    r = lo  # the rows before r hold ids below every candidate still to come
    for w in range(first >> 5, (last >> 5) + 1):
        # the ids of the blocks PREFETCH_BLOCKS on: a candidate's search reads ids some 100 rows
        # apart, a stride the CPU's own prefetching missed (1.3 against 0.62 ms for a lottery
        # at 1:20 with the ids out of cache, as a quarter leaves them)
        ahead = r + (32 * (w + PREFETCH_BLOCKS) - np.int64(ids[r]))
        if r <= ahead < hi:
            _prefetch(ids, ahead)
        b0, b1, b2, b3 = philox4x64(np.uint64(w), q, mb, np.uint64(0), k0, k1)
        for h in range(4):
            word = b0 if h == 0 else (b1 if h == 1 else (b2 if h == 2 else b3))
            flags = _bytes_below(word, tt)
            while flags != np.uint64(0):
                bit = np.int64(_trailing_zeros(flags))  # 8 j + 7 for byte j
                flags &= flags - np.uint64(1)
                target = 32 * w + 8 * h + (bit >> 3)
                if target < first or target > last:
                    continue
                # ids rise by at least 1 a row, so g(x) = ids[x] - x never falls: target's row
                # x* is below b = r + (target - ids[r]) + 1, and x* = ids[x*] - g(x*) >= target
                # - g(b - 1), since g(b - 1) >= g(x*): few rows lie between (one id in twenty
                # is gone), where a binary search over the id gap took seven guesses
                b = min(hi, r + (target - np.int64(ids[r])) + 1)
                a = r
                if b > r:  # (else target is below ids[r]: its row would be r, not an agent's)
                    a = max(r, min(b, target - np.int64(ids[b - 1]) + (b - 1)))
                while a < b:
                    mid = (a + b) >> 1
                    if np.int64(ids[mid]) < target:
                        a = mid + 1
                    else:
                        b = mid
                r = a
                if r >= hi or np.int64(ids[r]) != target:
                    continue  # no agent with this id (any more)
                byte = np.float64((word >> np.uint64(bit - 7)) & np.uint64(255))
                u = (byte + own_uniform(k0, k1, target, q, m)) * _INV256
                if u < bound:
                    rows[lo + c] = r
                    draws[lo + c] = u
                    c += 1
    counts[k] = c


@numba.njit(cache=True)
def _lottery_gather(rows, draws, counts):
    total = counts.sum()
    out_rows = np.empty(total, dtype=np.int64)
    out_draws = np.empty(total, dtype=np.float64)
    c = 0
    for k in range(counts.shape[0]):
        for j in range(counts[k]):
            out_rows[c] = rows[k * ROWS_PER_CHUNK + j]
            out_draws[c] = draws[k * ROWS_PER_CHUNK + j]
            c += 1
    return out_rows, out_draws


@numba.njit(cache=True, nogil=True)
def lottery_rows(ids, key0, key1, quarter, mechanism, bound):
    """The rows whose ``U(id, quarter, mechanism) < bound``, in row order, and their ``U``.

    Agents outside these rows cannot act with any probability up to ``bound``. The rows are
    taken in chunks of ``ROWS_PER_CHUNK``; :func:`lottery_rows_parallel` runs the chunks on
    several threads with the same result. Compiled with ``nogil=True``: the draws' helper thread
    runs it beside the model's thread (``abm.mechanisms.migration.draw_lotteries_ahead``).
    """
    n = ids.shape[0]
    nc = (n + ROWS_PER_CHUNK - 1) // ROWS_PER_CHUNK if bound > 0.0 else 0
    rows = np.empty(n if nc else 0, dtype=np.int64)  # chunk k writes from its first row on
    draws = np.empty(n if nc else 0, dtype=np.float64)
    counts = np.zeros(nc, dtype=np.int64)
    k0, k1, q, m = np.uint64(key0), np.uint64(key1), np.uint64(quarter), np.uint64(mechanism)
    for k in range(nc):
        _lottery_chunk(k, ids, k0, k1, q, m, bound, rows, draws, counts)
    return _lottery_gather(rows, draws, counts)


@numba.njit(cache=True, parallel=True)
def lottery_rows_parallel(ids, key0, key1, quarter, mechanism, bound):
    """:func:`lottery_rows` with its chunks on numba's threads (the same result)."""
    n = ids.shape[0]
    nc = (n + ROWS_PER_CHUNK - 1) // ROWS_PER_CHUNK if bound > 0.0 else 0
    rows = np.empty(n if nc else 0, dtype=np.int64)
    draws = np.empty(n if nc else 0, dtype=np.float64)
    counts = np.zeros(nc, dtype=np.int64)
    k0, k1, q, m = np.uint64(key0), np.uint64(key1), np.uint64(quarter), np.uint64(mechanism)
    for k in numba.prange(nc):
        _lottery_chunk(k, ids, k0, k1, q, m, bound, rows, draws, counts)
    return _lottery_gather(rows, draws, counts)


@numba.njit(cache=True)
def event_uniforms(key0, key1, ids, quarter, mechanism):
    """U(id, quarter, mechanism) for each of ``ids`` (float64[n])."""
    k0 = np.uint64(key0)
    k1 = np.uint64(key1)
    cache = np.zeros(5, dtype=np.uint64)
    out = np.empty(ids.shape[0])
    for i in range(ids.shape[0]):
        out[i] = event_uniform(cache, k0, k1, ids[i], quarter, mechanism)
    return out


# ----------------------------------------------------------------------------- twins
def philox4x64_py(c: list[int], key0: int, key1: int) -> list[int]:
    """Plain-Python Philox4x64-10 block: four 64-bit words for counter ``c`` (four ints)."""
    m0, m1 = 0xD2E7470EE14C6C93, 0xCA5A826395121157
    w0, w1 = 0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B
    c = [int(x) & _MASK for x in c]
    k = [int(key0) & _MASK, int(key1) & _MASK]
    for r in range(10):
        if r > 0:
            k = [(k[0] + w0) & _MASK, (k[1] + w1) & _MASK]
        p0 = m0 * c[0]
        p1 = m1 * c[2]
        c = [(p1 >> 64) ^ c[1] ^ k[0], p1 & _MASK, (p0 >> 64) ^ c[3] ^ k[1], p0 & _MASK]
    return c


def event_uniform_py(key0: int, key1: int, tid: int, quarter: int, mechanism: int) -> float:
    """Plain-Python twin of U(tid, quarter, mechanism) (module docstring)."""
    tid = int(tid)
    byte = lottery_byte_py(key0, key1, tid, quarter, mechanism)
    v = (philox4x64_py([tid, int(quarter), int(mechanism), 0], key0, key1)[0] >> 11) * _INV53
    return (byte + v) * _INV256


def lottery_byte_py(key0: int, key1: int, tid: int, quarter: int, mechanism: int) -> int:
    """Plain-Python twin of :func:`lottery_byte`: byte ``tid & 31`` of the shared block."""
    tid = int(tid)
    block = philox4x64_py([tid >> 5, int(quarter), int(mechanism) + LOTTERY_FLAG, 0], key0, key1)
    j = tid & 31
    return (block[j // 8] >> (8 * (j % 8))) & 255


def event_uniforms_py(key0, key1, ids, quarter, mechanism):
    """Plain-Python twin of :func:`event_uniforms`."""
    return np.array(
        [event_uniform_py(key0, key1, int(t), int(quarter), int(mechanism)) for t in ids],
        dtype=np.float64,
    )


def lottery_rows_py(ids, key0, key1, quarter, mechanism, bound):
    """Plain-Python twin of :func:`lottery_rows`: every row's uniform, compared one by one."""
    rows, draws = [], []
    for r, tid in enumerate(ids):
        u = event_uniform_py(key0, key1, int(tid), int(quarter), int(mechanism))
        if u < bound:
            rows.append(r)
            draws.append(u)
    return np.array(rows, dtype=np.int64), np.array(draws, dtype=np.float64)


def acts_py(key0, key1, tid, quarter, mechanism, p) -> bool:
    """Plain-Python twin of :func:`acts`."""
    return event_uniform_py(key0, key1, tid, quarter, mechanism) < p
