"""Keyed agent events: whether an agent acts this quarter, at a cost that follows the actors.

Every agent event (a quit, a layoff, a retirement, a move abroad or home, a search) happens when
the agent's uniform ``U(id, q, m) < p`` for its probability ``p``: a pure function of the
member's key and (agent id, quarter, mechanism), the same whichever other agents exist and in
whatever order they are processed (common random numbers, DESIGN §5), and the same ``U`` for
every probability, so a scenario that raises ``p`` adds actors and removes none.

``U`` is drawn in two parts so that only the agents who may act pay for a full draw:

    U(id, q, m) = (B(id, q, m) + V(id, q, m)) / 256

B is the agent's "lottery byte", one of the 32 bytes of the Philox4x64-10 block at counter
``(id >> 5, q, m + 2**32, 0)``, shared by the 32 ids ``32 (id >> 5) .. 32 (id >> 5) + 31``
(byte ``id & 31``, little-endian within the four 64-bit words); V is the agent's own draw, the
first uniform of counter ``(id, q, m, 0)`` (``kernels.philox.philox_uniforms``). B is uniform on
0..255 and V on [0, 1), independent, so U is uniform on [0, 1). Since ``U >= B / 256``, an agent
whose byte is at least ``256 p`` cannot act: a pass over the agents computes one shared block per
32 ids (0.3 ns per agent on the project machine) and draws V only for the ``p``-share of them
whose byte is below ``256 p`` (the flag ``2**32`` keeps the byte blocks' counters apart from the
agents' own). With a probability that varies by agent, a cheap upper bound of it decides who
computes the exact probability; the outcome does not depend on the bound.

:func:`acts` is the inline kernel building block (a five-word ``cache`` holds the last byte
block), :func:`event_uniforms` evaluates U for given ids; ``*_py`` are their plain-Python twins.
"""

import math

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from kernels.philox import philox4x64

IDS_PER_BLOCK = 32
LOTTERY_FLAG = 1 << 32  #: added to the mechanism word of the shared byte blocks
_INV53 = 1.0 / 9007199254740992.0
_INV256 = 1.0 / 256.0
_MASK = (1 << 64) - 1
_H = np.uint64(0x8080808080808080)
_ONES = np.uint64(0x0101010101010101)
_GATHER = np.uint64(0x0102040810204080)  # lane bits 0, 8, .., 56 (after >> 7) to bits 56..63


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
    """B: agent ``tid``'s byte of its shared block; ``cache`` (uint64[5], zeros to start) keeps
    the last block, so agents visited in id order compute one block per 32 ids."""
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
def acts(cache, key0, key1, tid, quarter, mechanism, p):
    """Whether agent ``tid`` acts with probability ``p``: ``U(tid, quarter, mechanism) < p``."""
    b = lottery_byte(cache, key0, key1, tid, quarter, mechanism)
    if b >= 256.0 * p:
        return False
    return (b + own_uniform(key0, key1, tid, quarter, mechanism)) * _INV256 < p


@numba.njit(cache=True, inline="always")
def may_act(cache, key0, key1, tid, quarter, mechanism, bound):
    """U, or 2.0 when the byte alone shows ``U >= bound`` (the agent cannot act with any
    probability up to ``bound``): the first step for a probability that is costly to compute."""
    b = lottery_byte(cache, key0, key1, tid, quarter, mechanism)
    if b >= 256.0 * bound:
        return 2.0
    return (b + own_uniform(key0, key1, tid, quarter, mechanism)) * _INV256


@numba.njit(cache=True, inline="always")
def _below(x, t):
    """8-bit mask of the bytes of ``x`` below ``t`` (byte j -> bit j), for 1 <= t <= 128: no lane
    borrows in ``(x | 0x80..) - t``, whose lane top bit is set iff ``(byte & 0x7f) >= t``."""
    y = ((x | _H) - _ONES * np.uint64(t)) | x
    lanes = ~y & _H  # bit 8 j + 7 set iff byte j < t
    return ((lanes >> np.uint64(7)) * _GATHER) >> np.uint64(56)


ROWS_PER_CHUNK = 1 << 15  #: agents per chunk of :func:`lottery_rows`


@numba.njit(cache=True, inline="always")
def _mask_below(b0, b1, b2, b3, t):
    """32-bit mask of the bytes of a block below ``t`` (byte j -> bit j)."""
    if t <= 128:
        return (
            _below(b0, t)
            | (_below(b1, t) << np.uint64(8))
            | (_below(b2, t) << np.uint64(16))
            | (_below(b3, t) << np.uint64(24))
        )
    mask = np.uint64(0)
    for j in range(32):
        word = b0 if j < 8 else (b1 if j < 16 else (b2 if j < 24 else b3))
        if (word >> np.uint64(8 * (j & 7))) & np.uint64(255) < np.uint64(t):
            mask |= np.uint64(1) << np.uint64(j)
    return mask


@numba.njit(cache=True)
def _lottery_chunk(k, ids, k0, k1, q, m, t, rows, bytes_, counts):
    """The lottery rows among rows ``k * ROWS_PER_CHUNK ..``: written to ``rows`` and
    ``bytes_`` from the chunk's first row on, their number to ``counts[k]``. The ids stream by
    in order; a block's byte mask is computed once for its ids, and only candidates do more."""
    lo = k * ROWS_PER_CHUNK
    hi = min(lo + ROWS_PER_CHUNK, ids.shape[0])
    w_last = np.uint64(0xFFFFFFFFFFFFFFFF)
    b0 = b1 = b2 = b3 = mask = np.uint64(0)
    c = 0
    for r in range(lo, hi):
        tid = np.uint64(ids[r])
        w = tid >> np.uint64(5)
        if w != w_last:
            w_last = w
            b0, b1, b2, b3 = philox4x64(w, q, m, np.uint64(0), k0, k1)
            mask = _mask_below(b0, b1, b2, b3, t)
        j = tid & np.uint64(31)
        if (mask >> j) & np.uint64(1):
            word = b0 if j < 8 else (b1 if j < 16 else (b2 if j < 24 else b3))
            rows[lo + c] = r
            bytes_[lo + c] = np.uint8(
                (word >> (np.uint64(8) * (j & np.uint64(7)))) & np.uint64(255)
            )
            c += 1
    counts[k] = c


@numba.njit(cache=True)
def _lottery_gather(rows, bytes_, counts):
    total = counts.sum()
    out_rows = np.empty(total, dtype=np.int64)
    out_bytes = np.empty(total, dtype=np.int64)
    c = 0
    for k in range(counts.shape[0]):
        for j in range(counts[k]):
            out_rows[c] = rows[k * ROWS_PER_CHUNK + j]
            out_bytes[c] = bytes_[k * ROWS_PER_CHUNK + j]
            c += 1
    return out_rows, out_bytes


@numba.njit(cache=True)
def lottery_rows(ids, key0, key1, quarter, mechanism, bound):
    """The rows whose lottery byte is below ``256 bound``, in row order, and their bytes.

    ``ids`` must increase (a population's id column). Agents outside these rows have
    ``U >= bound`` and cannot act with any probability up to ``bound``. The ids are read once in
    order (4 bytes an agent), one shared block is computed per 32 ids, and only the candidates
    do more. The rows are taken in chunks of ``ROWS_PER_CHUNK``; :func:`lottery_rows_parallel`
    runs the chunks on several threads with the same result.
    """
    n = ids.shape[0]
    t = min(int(math.ceil(256.0 * bound)), 256) if bound > 0.0 else 0
    nc = (n + ROWS_PER_CHUNK - 1) // ROWS_PER_CHUNK if t > 0 else 0
    m = np.uint64(mechanism) + np.uint64(LOTTERY_FLAG)
    rows = np.empty(n, dtype=np.int64)  # chunk k writes from its first row on
    bytes_ = np.empty(n, dtype=np.uint8)
    counts = np.zeros(nc, dtype=np.int64)
    for k in range(nc):
        _lottery_chunk(
            k, ids, np.uint64(key0), np.uint64(key1), np.uint64(quarter), m, t, rows, bytes_, counts
        )
    return _lottery_gather(rows, bytes_, counts)


@numba.njit(cache=True, parallel=True)
def lottery_rows_parallel(ids, key0, key1, quarter, mechanism, bound):
    """:func:`lottery_rows` with its chunks on numba's threads (the same result)."""
    n = ids.shape[0]
    t = min(int(math.ceil(256.0 * bound)), 256) if bound > 0.0 else 0
    nc = (n + ROWS_PER_CHUNK - 1) // ROWS_PER_CHUNK if t > 0 else 0
    m = np.uint64(mechanism) + np.uint64(LOTTERY_FLAG)
    rows = np.empty(n, dtype=np.int64)
    bytes_ = np.empty(n, dtype=np.uint8)
    counts = np.zeros(nc, dtype=np.int64)
    for k in numba.prange(nc):
        _lottery_chunk(
            k, ids, np.uint64(key0), np.uint64(key1), np.uint64(quarter), m, t, rows, bytes_, counts
        )
    return _lottery_gather(rows, bytes_, counts)


@numba.njit(cache=True, inline="always")
def candidate_acts(key0, key1, tid, byte, quarter, mechanism, p):
    """For a lottery row: whether ``U = (byte + V(tid)) / 256 < p``."""
    if byte >= 256.0 * p:
        return False
    return (byte + own_uniform(key0, key1, tid, quarter, mechanism)) * _INV256 < p


@numba.njit(cache=True, inline="always")
def candidate_uniform(key0, key1, tid, byte, quarter, mechanism):
    """For a lottery row: ``U = (byte + V(tid)) / 256``."""
    return (byte + own_uniform(key0, key1, tid, quarter, mechanism)) * _INV256


@numba.njit(cache=True)
def event_uniforms(key0, key1, ids, quarter, mechanism):
    """U(id, quarter, mechanism) for each of ``ids`` (float64[n])."""
    cache = np.zeros(5, dtype=np.uint64)
    k0 = np.uint64(key0)
    k1 = np.uint64(key1)
    out = np.empty(ids.shape[0])
    for i in range(ids.shape[0]):
        b = lottery_byte(cache, k0, k1, ids[i], quarter, mechanism)
        out[i] = (b + own_uniform(k0, k1, ids[i], quarter, mechanism)) * _INV256
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
    v = (philox4x64_py([tid, quarter, mechanism, 0], key0, key1)[0] >> 11) * _INV53
    return (byte + v) * _INV256


def event_uniforms_py(key0, key1, ids, quarter, mechanism):
    """Plain-Python twin of :func:`event_uniforms`."""
    return np.array(
        [event_uniform_py(key0, key1, int(t), int(quarter), int(mechanism)) for t in ids],
        dtype=np.float64,
    )


def lottery_byte_py(key0: int, key1: int, tid: int, quarter: int, mechanism: int) -> int:
    """Plain-Python twin of :func:`lottery_byte`."""
    tid = int(tid)
    block = philox4x64_py([tid >> 5, quarter, mechanism + LOTTERY_FLAG, 0], key0, key1)
    j = tid & 31
    return (block[j // 8] >> (8 * (j % 8))) & 255


def lottery_rows_py(ids, key0, key1, quarter, mechanism, bound):
    """Plain-Python twin of :func:`lottery_rows`: every row's byte, compared one by one."""
    rows, bytes_ = [], []
    for r, tid in enumerate(ids):
        b = lottery_byte_py(key0, key1, int(tid), int(quarter), int(mechanism))
        if b < 256.0 * bound:
            rows.append(r)
            bytes_.append(b)
    return np.array(rows, dtype=np.int64), np.array(bytes_, dtype=np.int64)


def acts_py(key0, key1, tid, quarter, mechanism, p) -> bool:
    """Plain-Python twin of :func:`acts`."""
    return event_uniform_py(key0, key1, tid, quarter, mechanism) < p
