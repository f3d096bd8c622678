"""R&D support and the R&D rule, firm by firm: the tax credit, the user cost and planned R&D.

The kernels compute ``abm.policy.rd_tax_credit.credit``, ``abm.mechanisms.innovation.
update_user_cost`` and ``plan_rd`` (whose docstrings give the rules and the sources of their
parameters) with the same operations in the same order as the numpy code they replaced, so the
same bits: numba's ``log``, ``exp`` and ``pow`` are libm's, which numpy's float64 loops call on a
CPU without AVX-512, as here, and :func:`np_scalar_power` takes numpy's shortcuts for the
exponents -1, 0.5 and 2, as numpy 2.4 does (``tests/kernels/test_rd.py`` holds them to the numpy
code, and would fail on a numpy that takes other shortcuts). Division by zero gives inf or NaN,
as in numpy (``error_model="numpy"``).

Threads: ``plan_rd_firms`` (two logarithms, an exponential and a power per firm) runs in fixed
chunks of firms, on numba's threads in ``plan_rd_firms_parallel``; every firm's result is its
own, so it is the same whatever the thread count. The other two are a few multiplications per
firm, bound by memory, on one thread. ``*_py`` are the plain-Python twins.
"""

import math

import numba
import numpy as np

from kernels.market import _renamed

CHUNK = 1 << 12  #: firms per chunk (fixed: never the thread count)


@numba.njit(cache=True, error_model="numpy", inline="always")
def np_scalar_power(x, e):
    """``x ** e`` as numpy computes it for a float64 array and a scalar exponent: its shortcuts
    for ``e`` of -1 (a division), 0.5 (a square root) and 2 (a product), libm's ``pow`` else."""
    if e == -1.0:
        return 1.0 / x
    if e == 0.5:
        return math.sqrt(x)
    if e == 2.0:
        return x * x
    return x**e


@numba.njit(cache=True, error_model="numpy", inline="always")
def np_max0(x):
    """``np.maximum(x, 0.0)``: NaN stays NaN and -0.0 gives +0.0 (Python's ``max(x, 0.0)``
    keeps the sign of a -0.0 first argument)."""
    return np_max(x, 0.0)


@numba.njit(cache=True, inline="always")
def np_max(a, b):
    """``np.maximum(a, b)`` of two floats (NaN from either side; ``b`` when equal)."""
    return a if a > b or a != a else b


@numba.njit(cache=True, inline="always")
def np_min(a, b):
    """``np.minimum(a, b)`` of two floats (NaN from either side; ``b`` when equal)."""
    return a if a < b or a != a else b


@numba.njit(cache=True, error_model="numpy")
def rd_credit(rd_wages, weight, age, eligible, rates, starter_age):
    """The R&D tax credit per firm agent, euros a quarter (``abm.policy.rd_tax_credit``).

    With annual R&D wages per real firm ``W_i = 4 rd_wages_i / n_i`` (``n_i`` the agent's
    weight), first-bracket rate ``r_1 = rate_starter`` for firms younger than ``starter_age``
    quarters and ``rate_first`` otherwise, each times ``scale``: the credit is
    ``n_i (min(r_1, 1) min(W_i, B) + min(rate_second scale, 1) max(W_i - B, 0)) / 4`` for the
    firms with ``eligible[i]`` and 0 for the others. ``rates`` is (rate_starter, rate_first,
    rate_second, scale, bracket B).
    """
    starter, first, second, scale, bracket = rates
    r2 = min(second * scale, 1.0)
    out = np.empty(rd_wages.shape[0])
    for i in range(rd_wages.shape[0]):
        if not eligible[i]:
            out[i] = 0.0
            continue
        w = rd_wages[i] / weight[i] * 4
        r1 = (starter if age[i] < starter_age else first) * scale
        annual = min(r1, 1.0) * min(w, bracket) + r2 * np_max0(w - bracket)
        out[i] = annual / 4 * weight[i]
    return out


@numba.njit(cache=True, error_model="numpy")
def user_cost(credit, grants, box_benefit, box_weight, rd):
    """Each firm's effective R&D subsidy rate: ``clip(S_i / max(R_i, 1e-9), 0, 0.9)`` with the
    support ``S_i = credit_i + grants_i + box_weight box_i`` and R&D ``R_i`` (0 where R&D is 0)."""
    out = np.empty(rd.shape[0])
    for i in range(rd.shape[0]):
        support = credit[i] + grants[i] + box_weight * box_benefit[i]
        rate = support / max(rd[i], 1e-9) if rd[i] > 0 else 0.0
        out[i] = min(max(rate, 0.0), 0.9)
    return out


@numba.njit(cache=True, error_model="numpy", inline="always")
def _plan_chunk(c, subsidy, opportunity, sector, rd_nu, rd_ratio, sales, eps_l, lam, ratio, tgt):
    for i in range(c * CHUNK, min((c + 1) * CHUNK, subsidy.shape[0])):
        ucost = min(max(1 - subsidy[i], 0.05), 1.0) / opportunity[sector[i]]
        target = max(rd_nu[i] * np_scalar_power(ucost, -eps_l), 1e-9)
        cur = max(rd_ratio[i], 1e-9)
        r = math.exp((1 - lam) * math.log(cur) + lam * math.log(target))
        ratio[i] = r
        tgt[i] = r * np_max0(sales[i])


def plan_rd_impl(subsidy, opportunity, sector, rd_nu, rd_ratio, sales, eps_l, lam):
    """The driver of :func:`plan_rd_firms` (a ``prange`` loop: a plain range when compiled
    without ``parallel``)."""
    n = subsidy.shape[0]
    ratio, tgt = np.empty(n), np.empty(n)
    for c in numba.prange((n + CHUNK - 1) // CHUNK):
        _plan_chunk(c, subsidy, opportunity, sector, rd_nu, rd_ratio, sales, eps_l, lam, ratio, tgt)
    return ratio, tgt


plan_rd_firms = numba.njit(cache=True, error_model="numpy")(_renamed(plan_rd_impl, "plan_rd_firms"))
plan_rd_firms.__doc__ = """Next quarter's R&D-to-sales ratio and planned R&D of every firm.

The user cost ``u_i = clip(1 - s_i, 0.05, 1) / O_s`` (subsidy rate ``s_i``, the opportunity
``O_s`` of the firm's sector), the target ratio ``T_i = max(nu_i u_i^(-eps_l), 1e-9)``, and the
ratio moves part way in logs: ``rho_i' = exp((1 - lam) log max(rho_i, 1e-9) + lam log T_i)``;
planned R&D is ``rho_i' max(sales_i, 0)``. Returns (ratios, planned R&D), new arrays.
"""
plan_rd_firms_parallel = numba.njit(cache=True, error_model="numpy", parallel=True)(
    _renamed(plan_rd_impl, "plan_rd_firms_parallel")
)
plan_rd_firms_parallel.__doc__ = ":func:`plan_rd_firms` with its chunks on numba's threads."


# ----------------------------------------------------------------------------- twins
def np_scalar_power_py(x: float, e: float) -> float:
    """Plain-Python twin of :func:`np_scalar_power`."""
    shortcuts = {-1.0: lambda v: 1.0 / v, 0.5: math.sqrt, 2.0: lambda v: v * v}
    return shortcuts[e](x) if e in shortcuts else x**e


def np_max0_py(x: float) -> float:
    """Plain-Python twin of :func:`np_max0`."""
    return x if x > 0.0 or x != x else 0.0


def rd_credit_py(rd_wages, weight, age, eligible, rates, starter_age):
    """Plain-Python twin of :func:`rd_credit`."""
    starter, first, second, scale, bracket = rates
    out = np.zeros(len(rd_wages))
    for i in range(len(rd_wages)):
        if eligible[i]:
            w = rd_wages[i] / weight[i] * 4
            r1 = (starter if age[i] < starter_age else first) * scale
            annual = min(r1, 1.0) * min(w, bracket) + min(second * scale, 1.0) * np_max0_py(
                w - bracket
            )
            out[i] = annual / 4 * weight[i]
    return out


def user_cost_py(credit, grants, box_benefit, box_weight, rd):
    """Plain-Python twin of :func:`user_cost`."""
    out = np.zeros(len(rd))
    for i in range(len(rd)):
        if rd[i] > 0:
            rate = (credit[i] + grants[i] + box_weight * box_benefit[i]) / max(rd[i], 1e-9)
            out[i] = min(max(rate, 0.0), 0.9)
    return out


def plan_rd_firms_py(subsidy, opportunity, sector, rd_nu, rd_ratio, sales, eps_l, lam):
    """Plain-Python twin of :func:`plan_rd_firms`."""
    ratio, tgt = np.zeros(len(subsidy)), np.zeros(len(subsidy))
    for i in range(len(subsidy)):
        ucost = min(max(1 - subsidy[i], 0.05), 1.0) / opportunity[sector[i]]
        target = max(rd_nu[i] * np_scalar_power_py(ucost, -eps_l), 1e-9)
        cur = max(rd_ratio[i], 1e-9)
        ratio[i] = math.exp((1 - lam) * math.log(cur) + lam * math.log(target))
        tgt[i] = ratio[i] * np_max0_py(sales[i])
    return ratio, tgt
