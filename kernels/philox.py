"""Counter-based per-agent shocks: the Philox4x64-10 generator (the bit generator of numpy's
``numpy.random.Philox``) evaluated directly at a counter.

Why: docs/model.md §8
keys every agent's shocks by (member seed, agent id, quarter, mechanism), so two
scenarios run with the same seed give the same agent the same draws wherever they have not
diverged (common random numbers), independently of how many agents exist or in which order they
are processed. A counter-based generator makes that a pure function: the 4 x 64-bit output for
counter ``(agent_id, quarter, mechanism, block)`` under the 128-bit key derived from the member
seed. ``philox_uniforms(key0, key1, ids, quarter, mechanism, n_draws)`` returns ``n_draws``
uniforms in [0, 1) per agent, the same numbers numpy's ``Philox(key=[key0, key1],
counter=[id - 1, quarter, mechanism, block])`` yields (numpy increments the counter before its
first block), turned into doubles as numpy does: ``(x >> 11) * 2**-53``.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_W0 = np.uint64(0x9E3779B97F4A7C15)
_W1 = np.uint64(0xBB67AE8584CAA73B)
_MASK32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0


@intrinsic
def _mulhilo(typingctx, a, b):
    """High and low 64-bit words of the 128-bit product ``a * b`` of two uint64.

    One ``mul i128`` in LLVM, which x86-64 compiles to a single ``mul``/``mulx`` instruction:
    about six times as fast as four 32-bit partial products (the results are the same bits).
    """
    if a != types.uint64 or b != types.uint64:
        return None
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        i128 = ir.IntType(128)
        p = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        lo = builder.trunc(p, i64)
        hi = builder.trunc(builder.lshr(p, ir.Constant(i128, 64)), i64)
        return context.make_tuple(builder, signature.return_type, [hi, lo])

    return sig, codegen


@numba.njit(cache=True, inline="always")
def philox4x64(c0, c1, c2, c3, k0, k1):
    """Philox4x64-10 block function (Salmon et al. 2011): 4 words of output for one counter."""
    m0 = np.uint64(0xD2E7470EE14C6C93)
    m1 = np.uint64(0xCA5A826395121157)
    w0 = np.uint64(0x9E3779B97F4A7C15)
    w1 = np.uint64(0xBB67AE8584CAA73B)
    for r in range(10):
        if r > 0:
            k0 = k0 + w0
            k1 = k1 + w1
        hi0, lo0 = _mulhilo(m0, c0)
        hi1, lo1 = _mulhilo(m1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@numba.njit(cache=True, inline="always")
def _uniforms_row(out, i, cid, q, m, k0, k1, n_draws):
    for b in range((n_draws + 3) // 4):
        x0, x1, x2, x3 = philox4x64(cid, q, m, np.uint64(b), k0, k1)
        j = 4 * b
        if j < n_draws:
            out[i, j] = (x0 >> np.uint64(11)) * _INV53
        if j + 1 < n_draws:
            out[i, j + 1] = (x1 >> np.uint64(11)) * _INV53
        if j + 2 < n_draws:
            out[i, j + 2] = (x2 >> np.uint64(11)) * _INV53
        if j + 3 < n_draws:
            out[i, j + 3] = (x3 >> np.uint64(11)) * _INV53


@numba.njit(cache=True)
def philox_uniforms(key0, key1, ids, quarter, mechanism, n_draws):
    """Uniform [0, 1) draws keyed by agent id, quarter and mechanism.

    Parameters
    ----------
    key0, key1 : uint64
        The 128-bit key, derived from the ensemble member's seed.
    ids : int64[n]
        Stable agent ids (never reused).
    quarter, mechanism : int
        Counter words two and three: the model quarter (burn-in included) and the mechanism code.
    n_draws : int
        Draws per agent; block ``b`` of 4 draws uses counter word four = ``b``.

    Returns
    -------
    float64[n, n_draws]
    """
    out = np.empty((ids.shape[0], n_draws))
    q = np.uint64(quarter)
    m = np.uint64(mechanism)
    for i in range(ids.shape[0]):
        _uniforms_row(out, i, np.uint64(ids[i]), q, m, np.uint64(key0), np.uint64(key1), n_draws)
    return out


@numba.njit(cache=True, parallel=True)
def philox_uniforms_parallel(key0, key1, ids, quarter, mechanism, n_draws):
    """:func:`philox_uniforms` on numba's threads (each agent's draws are its own: the same
    numbers whatever the thread count)."""
    out = np.empty((ids.shape[0], n_draws))
    q = np.uint64(quarter)
    m = np.uint64(mechanism)
    for i in numba.prange(ids.shape[0]):
        _uniforms_row(out, i, np.uint64(ids[i]), q, m, np.uint64(key0), np.uint64(key1), n_draws)
    return out


def philox_uniforms_py(
    key0: int, key1: int, ids: np.ndarray, quarter: int, mechanism: int, n_draws: int
) -> np.ndarray:
    """Plain-Python twin of :func:`philox_uniforms` (arbitrary-precision integer arithmetic)."""
    mask = (1 << 64) - 1
    m0, m1 = 0xD2E7470EE14C6C93, 0xCA5A826395121157
    w0, w1 = 0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B
    out = np.empty((len(ids), n_draws))
    for i, agent in enumerate(ids):
        for b in range((n_draws + 3) // 4):
            c = [int(agent) & mask, quarter, mechanism, b]
            k = [int(key0), int(key1)]
            for r in range(10):
                if r > 0:
                    k = [(k[0] + w0) & mask, (k[1] + w1) & mask]
                p0 = m0 * c[0]
                p1 = m1 * c[2]
                c = [
                    (p1 >> 64) ^ c[1] ^ k[0],
                    p1 & mask,
                    (p0 >> 64) ^ c[3] ^ k[1],
                    p0 & mask,
                ]
            for j in range(4):
                if 4 * b + j < n_draws:
                    out[i, 4 * b + j] = (c[j] >> 11) * _INV53
    return out
