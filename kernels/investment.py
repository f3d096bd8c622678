"""Investment demand of every firm in two compiled passes (``abm.mechanisms.investment``).

The rules and their sources are in the docstring of ``abm.mechanisms.investment``; these
kernels compute them for all firms at once, in the order numpy did, so the bits are the same:

- :func:`investment_wanted`: trend demand ``T' = T + w (e - T)``, desired capital ``K* = T' (1
  + g_s) / (kappa_s u*) x crowd_s`` (times ``boost`` in the sector ``boost_sector``: defence
  orders announced), the gap ``K* - (1 - delta) K``, the lumpy order ``want = gap`` when ``gap >
  2 theta U K`` (``U`` the firm's keyed uniform, as ``EconomyState.shocks``) and 0 otherwise,
  replacement ``delta K`` and the net expansion of energy-intensive firms ``max(want - delta K,
  0)``, summed by sector in firm order (``np.bincount``'s sums);
- :func:`investment_orders`: with the sector's grid scale ``c_s`` (from those sums), energy-
  intensive firms want ``min(want, delta K) + c_s net``; the order ``o = want p_I``, the
  funding request ``max(max(o + lambda wage bill - cash, 0), phi o)``, and the expansion the
  grid carries by sector, ``sum c_s net``.

``np.maximum``/``np.minimum`` are :func:`kernels.rd.np_max0`, ``np_max`` and ``np_min``:
NaN from either side, and the second argument when the two are equal (as numpy's vector loops,
which matters only for the sign of a zero).
"""

from __future__ import annotations

import numba
import numpy as np

from kernels.events import own_uniform
from kernels.rd import np_max, np_max0, np_min


@numba.njit(cache=True, error_model="numpy", nogil=True)
def investment_wanted(
    sector, sales_trend, expected, capital, keys, trend_weight, demand_growth, kappa, util,
    factor, boost_sector, boost, delta_q, threshold2, energy, key0, key1, quarter, mechanism,
):  # fmt: skip
    """First pass (module docstring). ``threshold2`` is ``2 theta``, ``energy[s] > 0`` marks the
    energy-intensive sectors, ``boost_sector`` -1 for none. Compiled with ``nogil=True``: draws
    queued for the helper thread run beside it (``abm.mechanisms.investment.plan``).

    Returns (trend demand, want, replacement, net expansion: float64[n]; net by sector
    float64[S]).
    """
    n = sector.shape[0]
    trend = np.empty(n)
    want = np.empty(n)
    rep = np.empty(n)
    net = np.empty(n)
    growth = np.zeros(kappa.shape[0])
    keep = 1 - delta_q
    q = np.uint64(quarter)
    m = np.uint64(mechanism)
    k0 = np.uint64(key0)
    k1 = np.uint64(key1)
    cur = -1  # a run of one sector's firms sums its growth in a register
    g = 0.0
    for i in range(n):
        s = sector[i]
        if s != cur:
            if cur >= 0:
                growth[cur] = g
            cur = s
            g = growth[s]
        t = sales_trend[i] + trend_weight * (expected[i] - sales_trend[i])
        trend[i] = t
        kstar = t * (1 + demand_growth[s]) / (kappa[s] * util)
        kstar = kstar * factor[s]
        if s == boost_sector:
            kstar = kstar * boost
        gap = kstar - capital[i] * keep
        thr = threshold2 * own_uniform(k0, k1, keys[i], q, m)
        w = gap if gap > thr * capital[i] else 0.0
        want[i] = w
        r = delta_q * capital[i]
        rep[i] = r
        x = np_max0(w - r) * (1.0 if energy[s] > 0 else 0.0)
        net[i] = x
        g += x
    if cur >= 0:
        growth[cur] = g
    return trend, want, rep, net, growth


@numba.njit(cache=True, error_model="numpy")
def investment_orders(
    sector, want, rep, net, energy, grid_scale, p_inv, cash_need, wage_bill, cash, ext_share
):
    """Second pass (module docstring). Returns (order, funding request: float64[n]; expansion the
    grid carries by sector: float64[S])."""
    n = sector.shape[0]
    order = np.empty(n)
    funding = np.empty(n)
    used = np.zeros(grid_scale.shape[0])
    cur = -1  # a run of one sector's firms sums what the grid carries in a register
    u = 0.0
    for i in range(n):
        s = sector[i]
        if s != cur:
            if cur >= 0:
                used[cur] = u
            cur = s
            u = used[s]
        y = net[i] * grid_scale[s]
        w = np_min(want[i], rep[i]) + y if energy[s] > 0 else want[i]
        u += y
        o = w * p_inv
        order[i] = o
        need = o + cash_need * wage_bill[i] - cash[i]
        funding[i] = np_max(np_max0(need), ext_share * o)
    if cur >= 0:
        used[cur] = u
    return order, funding, used


# ----------------------------------------------------------------------------- twins
def investment_wanted_py(
    sector, sales_trend, expected, capital, keys, trend_weight, demand_growth, kappa, util,
    factor, boost_sector, boost, delta_q, threshold2, energy, key0, key1, quarter, mechanism,
):  # fmt: skip
    """Plain-Python twin of :func:`investment_wanted` (the numpy code it replaced)."""
    from kernels.philox import philox_uniforms_py

    sector = np.asarray(sector)
    trend = sales_trend + trend_weight * (expected - sales_trend)
    kstar = trend * (1 + demand_growth[sector]) / (kappa[sector] * util)
    kstar = kstar * factor[sector]
    kstar = np.where(sector == boost_sector, kstar * boost, kstar)
    gap = kstar - capital * (1 - delta_q)
    u = philox_uniforms_py(int(key0), int(key1), keys, int(quarter), int(mechanism), 1)[:, 0]
    want = np.where(gap > threshold2 * u * capital, gap, 0.0)
    rep = delta_q * capital
    net = np.maximum(want - rep, 0.0) * (energy[sector] > 0)
    growth = np.bincount(sector, weights=net, minlength=len(kappa))
    return trend, want, rep, net, growth


def investment_orders_py(
    sector, want, rep, net, energy, grid_scale, p_inv, cash_need, wage_bill, cash, ext_share
):
    """Plain-Python twin of :func:`investment_orders`."""
    sector = np.asarray(sector)
    y = net * grid_scale[sector]
    want = np.where(energy[sector] > 0, np.minimum(want, rep) + y, want)
    used = np.bincount(sector, weights=y, minlength=len(grid_scale))
    order = want * p_inv
    need = order + cash_need * wage_bill - cash
    return order, np.maximum(np.maximum(need, 0.0), ext_share * order), used
