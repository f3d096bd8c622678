"""Programme kernels: the scores of the competitive R&D grants, firm by firm.

``grant_scores`` computes what ``abm.policy.grant.award`` ranks proposals by, the firm's log
productivity relative to its sector's mean plus normal selection noise from the firm's keyed
uniform, with the same operations in the same order as the numpy code it replaced (so the same
bits: numba's ``log`` and ``sqrt`` are libm's, which numpy's float64 loops call on a CPU without
AVX-512, as here; ``tests/kernels/test_policy.py`` holds them together). It scores only the
firms that propose, where numpy scored every firm and dropped the rest.

Threads: the firms run in fixed chunks, on numba's threads in ``grant_scores_parallel``; every
firm's score is its own, so the result is the same whatever the thread count. ``*_py`` are the
plain-Python twins.
"""

# numba caches this module's kernels with compiled copies of kernels.philox.philox4x64, keyed on
# this file alone: change this file whenever philox4x64 changes (Philox4x64-10, (x >> 11) 2**-53).

import math

import numba
import numpy as np

from kernels.market import _renamed
from kernels.philox import philox4x64, philox_uniforms_py

CHUNK = 1 << 12  #: firms per chunk (fixed: never the thread count)
SQRT2 = math.sqrt(2.0)
_INV53 = 1.0 / 9007199254740992.0
#: Giles (2012), single-precision erfinv: coefficients of the central (w < 5) and tail branches
_P_CENTRAL = (
    2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
)  # fmt: skip
_P_TAIL = (
    -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
    -0.0076224613, 0.00943887047, 1.00167406, 2.83297682,
)  # fmt: skip


@numba.njit(cache=True, error_model="numpy")
def erfinv(y):
    """Inverse error function of ``y`` in (-1, 1) (Giles 2012 single-precision approximation,
    absolute error below 1e-6): ``y P(w)`` with ``w = -log((1 - y)(1 + y))`` and ``P`` a
    polynomial in ``w - 2.5`` for ``w < 5``, in ``sqrt(w) - 3`` beyond (Horner's rule)."""
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        x = w - 2.5
        p = _P_CENTRAL[0]
        for j in range(1, 9):
            p = _P_CENTRAL[j] + p * x
    else:
        x = math.sqrt(max(w, 5.0)) - 3.0
        p = _P_TAIL[0]
        for j in range(1, 9):
            p = _P_TAIL[j] + p * x
    return p * y


@numba.njit(cache=True, error_model="numpy", inline="always")
def _scores_chunk(c, productivity, sector, mean_a, ask, keys, k0, k1, q, m, noise_sd, out):
    for i in range(c * CHUNK, min((c + 1) * CHUNK, productivity.shape[0])):
        if not ask[i] > 0:
            out[i] = -np.inf
            continue
        rel = math.log(productivity[i] / max(mean_a[sector[i]], 1e-12))
        x0, _x1, _x2, _x3 = philox4x64(np.uint64(keys[i]), q, m, np.uint64(0), k0, k1)
        z = (x0 >> np.uint64(11)) * _INV53
        y = 2 * min(max(z, 1e-12), 1 - 1e-12) - 1
        out[i] = rel + noise_sd * (SQRT2 * erfinv(y))


def grant_scores_impl(productivity, sector, mean_a, ask, keys, key0, key1, quarter, m, noise_sd):
    """The driver of :func:`grant_scores` (a ``prange`` loop: a plain range when compiled
    without ``parallel``)."""
    n = productivity.shape[0]
    out = np.empty(n)
    k0, k1 = np.uint64(key0), np.uint64(key1)
    q, mm = np.uint64(quarter), np.uint64(m)
    for c in numba.prange((n + CHUNK - 1) // CHUNK):
        _scores_chunk(c, productivity, sector, mean_a, ask, keys, k0, k1, q, mm, noise_sd, out)
    return out


grant_scores = numba.njit(cache=True, error_model="numpy")(
    _renamed(grant_scores_impl, "grant_scores")
)
grant_scores.__doc__ = """Scores of grant proposals: ``-inf`` for a firm that asks nothing.

Firm ``i`` of sector ``s`` with productivity ``a_i`` and ask ``g_i > 0`` scores
``log(a_i / max(A_s, 1e-12)) + sigma sqrt(2) erfinv(2 clip(u_i, 1e-12, 1 - 1e-12) - 1)``: ``A_s``
is ``mean_a[s]``, ``sigma`` ``noise_sd`` and ``u_i`` the firm's keyed uniform, the first of
counter ``(keys[i], quarter, m)`` (``kernels.philox.philox_uniforms``), so the noise is a
standard normal. Returns float64[n], a new array.
"""
grant_scores_parallel = numba.njit(cache=True, error_model="numpy", parallel=True)(
    _renamed(grant_scores_impl, "grant_scores_parallel")
)
grant_scores_parallel.__doc__ = ":func:`grant_scores` with its chunks on numba's threads."


# ----------------------------------------------------------------------------- twins
def erfinv_py(y: float) -> float:
    """Plain-Python twin of :func:`erfinv`."""
    w = -math.log((1.0 - y) * (1.0 + y))
    coef, x = (_P_CENTRAL, w - 2.5) if w < 5.0 else (_P_TAIL, math.sqrt(max(w, 5.0)) - 3.0)
    p = coef[0]
    for cc in coef[1:]:
        p = cc + p * x
    return p * y


def grant_scores_py(productivity, sector, mean_a, ask, keys, key0, key1, quarter, m, noise_sd):
    """Plain-Python twin of :func:`grant_scores`."""
    u = philox_uniforms_py(int(key0), int(key1), keys, int(quarter), int(m), 1)[:, 0]
    out = np.full(len(productivity), -np.inf)
    for i in range(len(productivity)):
        if ask[i] > 0:
            rel = math.log(productivity[i] / max(mean_a[sector[i]], 1e-12))
            y = 2 * min(max(u[i], 1e-12), 1 - 1e-12) - 1
            out[i] = rel + noise_sd * (SQRT2 * erfinv_py(y))
    return out
