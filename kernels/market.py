"""The goods market firm by firm: prices before it opens, settlement after it has rationed.

``expect_and_price`` fuses ``abm.mechanisms.expectations`` (expected demand, mark-ups, unit
costs and prices).

``settle_firms`` fuses the numpy expressions that follow the rationing (cash, depreciation and
capital, inventories, value added, the sector totals, each firm's unserved demand) and the
replicator update of market shares (sector price indices, competitiveness, shares). It computes
the same operations in the same order as the numpy code it replaces, so the same bits: sector
totals added firm after firm (as ``np.bincount``), whole-economy totals summed pairwise (as
``ndarray.sum``, ``kernels.production.np_sum``), and divisions by zero as numpy makes them
(``error_model="numpy"``: inf or nan, never an exception).

Threads: none. The firm-by-firm work runs in fixed chunks of firms; a threaded copy
(``settle_firms_parallel``, the chunks on numba's threads, the sector totals on one) was slower
than this kernel on two threads on the Zen 5 machines of the tenth and eleventh sessions
(docs/performance.md) and was removed. ``settle_firms_py`` is the plain-Python twin that
``tests/kernels/test_market.py`` holds it to.
"""

# numba caches this module's kernels with compiled copies of kernels.production.np_sum, keyed on
# this file alone: change this file whenever np_sum changes (pairwise, leaves of 128, 8 lanes).

import numba
import numpy as np

from kernels.production import np_sum

CHUNK = 1 << 12  #: firms per chunk (fixed: never the thread count)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _books_chunk(
    c, sold, price, output, interm, orders, cash, capital, inventory, delta_q, keep_q, p_inv,
    new_cash, dep, new_capital, sold_real, new_inventory, inv_change, va, nominal,
):  # fmt: skip
    for i in range(c * CHUNK, min((c + 1) * CHUNK, sold.shape[0])):
        new_cash[i] = cash[i] + sold[i] - interm[i] - orders[i]
        dep[i] = capital[i] * delta_q * p_inv
        new_capital[i] = capital[i] * keep_q + orders[i] / p_inv
        sr = sold[i] / price[i]
        sold_real[i] = sr
        x = inventory[i] - sr
        new_inventory[i] = x if x > 0.0 else 0.0
        inv_change[i] = (output[i] - sr) * price[i]
        va[i] = output[i] * price[i] - interm[i]
        nominal[i] = output[i] * price[i]


@numba.njit(cache=True, error_model="numpy", inline="always")
def _unserved_chunk(c, sector, share, sold, demand, share_tot, unserved):
    for i in range(c * CHUNK, min((c + 1) * CHUNK, sold.shape[0])):
        s = sector[i]
        t = share_tot[s]
        alloc = share[i] / (t if t > 1e-300 else 1e-300) * demand[s]
        u = (alloc - sold[i]) / alloc if alloc > 0 else 0.0
        unserved[i] = min(max(u, 0.0), 1.0)  # np.clip(u, 0, 1)


@numba.njit(cache=True, error_model="numpy", inline="always")
def _compete_chunk(c, sector, price, unserved, price_index, price_weight, unfilled_weight, e):
    for i in range(c * CHUNK, min((c + 1) * CHUNK, price.shape[0])):
        e[i] = -(price_weight * price[i] / price_index[sector[i]] + unfilled_weight * unserved[i])


@numba.njit(cache=True, error_model="numpy", inline="always")
def _share_chunk(c, sector, share, e, ebar, chi, new):
    for i in range(c * CHUNK, min((c + 1) * CHUNK, share.shape[0])):
        s = sector[i]
        x = share[i] * (1 + chi * (e[i] - ebar[s]) / np.abs(ebar[s]))
        new[i] = x if x > 0.0 else 0.0  # np.maximum(x, 0); a nan (a zero-share firm in a
        # sector of zero mean competitiveness) becomes 0 here, nan in numpy, and either way
        # the firm's normalised share is 0


@numba.njit(cache=True, error_model="numpy", inline="always")
def _normalise_chunk(c, sector, new, tot, out):
    for i in range(c * CHUNK, min((c + 1) * CHUNK, new.shape[0])):
        t = tot[sector[i]]
        out[i] = new[i] / t if t > 0 else 0.0


@numba.njit(cache=True, error_model="numpy")
def _sector_totals(sector, va, orders, output, nominal, rd, share, n_s):
    """Firm-by-firm sector sums, as ``np.bincount(sector, weights=x, minlength=n_s)``."""
    out = np.zeros((6, n_s))
    cur = -1  # a run of one sector's firms sums in registers, stored when the sector changes
    t0 = t1 = t2 = t3 = t4 = t5 = 0.0
    for i in range(sector.shape[0]):
        s = sector[i]
        if s != cur:
            if cur >= 0:
                out[0, cur], out[1, cur], out[2, cur] = t0, t1, t2
                out[3, cur], out[4, cur], out[5, cur] = t3, t4, t5
            cur = s
            t0, t1, t2, t3, t4, t5 = (
                out[0, s],
                out[1, s],
                out[2, s],
                out[3, s],
                out[4, s],
                out[5, s],
            )
        t0 += va[i]
        t1 += orders[i]
        t2 += output[i]
        t3 += nominal[i]
        t4 += rd[i]
        t5 += share[i]
    if cur >= 0:
        out[0, cur], out[1, cur], out[2, cur] = t0, t1, t2
        out[3, cur], out[4, cur], out[5, cur] = t3, t4, t5
    return out


@numba.njit(cache=True, error_model="numpy")
def _weighted_means(sector, x, w, n_s, floor):
    """``weighted_mean(x, max(w, floor), sector)`` (``floor`` 0: the weights as they are)."""
    num = np.zeros(n_s)
    den = np.zeros(n_s)
    cur = -1  # a run of one sector's firms sums in registers
    a = 0.0
    b = 0.0
    for i in range(sector.shape[0]):
        s = sector[i]
        if s != cur:
            if cur >= 0:
                num[cur] = a
                den[cur] = b
            cur = s
            a = num[s]
            b = den[s]
        wi = w[i] if w[i] > floor else floor  # np.maximum(w, floor)
        if floor == 0.0:
            wi = w[i]
        a += x[i] * wi
        b += wi
    if cur >= 0:
        num[cur] = a
        den[cur] = b
    out = np.zeros(n_s)
    for s in range(n_s):
        if den[s] > 0:
            out[s] = num[s] / den[s]
    return out


@numba.njit(cache=True, error_model="numpy")
def _sums_of(sector, x, n_s):
    out = np.zeros(n_s)
    cur = -1  # a run of one sector's firms sums in a register
    a = 0.0
    for i in range(sector.shape[0]):
        s = sector[i]
        if s != cur:
            if cur >= 0:
                out[cur] = a
            cur = s
            a = out[s]
        a += x[i]
    if cur >= 0:
        out[cur] = a
    return out


def settle_firms_impl(
    sector, sold, price, output, interm, orders, cash, capital, inventory, rd, share,
    demand, delta_q, p_inv, price_weight, unfilled_weight, chi,
):  # fmt: skip
    """The driver of :func:`settle_firms`; its chunk loops are ``prange`` (a plain range when
    compiled without ``parallel``)."""
    n = sold.shape[0]
    n_s = demand.shape[0]
    nc = (n + CHUNK - 1) // CHUNK
    new_cash, dep, new_capital = np.empty(n), np.empty(n), np.empty(n)
    sold_real, new_inventory, inv_change = np.empty(n), np.empty(n), np.empty(n)
    va, nominal = np.empty(n), np.empty(n)
    keep_q = 1 - delta_q
    for c in numba.prange(nc):
        _books_chunk(
            c, sold, price, output, interm, orders, cash, capital, inventory, delta_q, keep_q,
            p_inv, new_cash, dep, new_capital, sold_real, new_inventory, inv_change, va, nominal,
        )  # fmt: skip
    totals = _sector_totals(sector, va, orders, output, nominal, rd, share, n_s)
    unserved = np.empty(n)
    for c in numba.prange(nc):
        _unserved_chunk(c, sector, share, sold, demand, totals[5], unserved)
    price_index = _weighted_means(sector, price, output, n_s, 1e-12)
    e = np.empty(n)
    for c in numba.prange(nc):
        _compete_chunk(c, sector, price, unserved, price_index, price_weight, unfilled_weight, e)
    ebar = _weighted_means(sector, e, share, n_s, 0.0)
    new = np.empty(n)
    for c in numba.prange(nc):
        _share_chunk(c, sector, share, e, ebar, chi, new)
    tot = _sums_of(sector, new, n_s)
    new_share = np.empty(n)
    for c in numba.prange(nc):
        _normalise_chunk(c, sector, new, tot, new_share)
    return (
        new_cash, dep, new_capital, sold_real, new_inventory, np_sum(inv_change), va,
        totals[0].copy(), totals[1].copy(), totals[2].copy(), totals[3].copy(), np_sum(rd),
        totals[4].copy(), unserved, price_index, new_share,
    )  # fmt: skip


@numba.njit(cache=True, error_model="numpy", inline="always")
def _price_chunk(
    c, sector, sales_real, unserved, expected, share, share_prev, markup, productivity, wages,
    growth, markup0, skill_mix, interm_cost, rd_cost, weight, upsilon, new_expected,
    new_markup, price,
):  # fmt: skip
    n_k = wages.shape[1]
    for i in range(c * CHUNK, min((c + 1) * CHUNK, sector.shape[0])):
        s = sector[i]
        gap = 1.0 - unserved[i]
        seen = sales_real[i] / (gap if gap > 1e-9 else 1e-9)  # np.maximum(1e-9, 1 - unserved)
        x = expected[i] + weight * (seen * (1 + growth[s]) - expected[i])
        new_expected[i] = x if x > 0.0 else 0.0
        rel = (share[i] - share_prev[i]) / share_prev[i] if share_prev[i] > 0 else 0.0
        mu = markup[i] * (1 + upsilon * min(max(rel, -0.5), 0.5))
        mu = min(max(mu, 0.5 * markup0[s]), 2.0 * markup0[s] + 0.05)
        new_markup[i] = mu
        lc = 0.0  # numpy's sum of the row of (mix * wages): from 0.0, skill by skill
        for k in range(n_k):
            lc += skill_mix[s, k] * wages[i, k]
        price[i] = (1 + mu) * (lc / productivity[i] + interm_cost[s] + rd_cost[s])


@numba.njit(cache=True, error_model="numpy")
def expect_and_price(
    sector, sales_real, unserved, expected, share, share_prev, markup, productivity, wages,
    growth, markup0, skill_mix, interm_cost, rd_cost, weight, upsilon,
):  # fmt: skip
    """Expected demand, mark-ups and prices of every firm (``abm.mechanisms.expectations``).

    For firm ``i`` of sector ``s``: expected demand ``max(e_i + alpha (d_i (1 + g_s) - e_i), 0)``
    with ``d_i = real sales / max(1e-9, 1 - unserved_i)``; mark-up ``mu_i (1 + upsilon
    clip(r_i, -1/2, 1/2))`` with ``r_i`` the relative change of its market share (0 without a
    previous share), bounded to ``[mu0_s / 2, 2 mu0_s + 0.05]``; price ``(1 + mu_i) (sum_k
    mix[s, k] w_ik / a_i + c_s + rd_s)``, ``c_s`` the sector's intermediate cost per unit and
    ``rd_s`` its non-personnel R&D cost per unit. Returns (expected, markup, price): new arrays,
    the same bits as the numpy expressions they replace.
    """
    n = sector.shape[0]
    new_expected, new_markup, price = np.empty(n), np.empty(n), np.empty(n)
    for c in range((n + CHUNK - 1) // CHUNK):
        _price_chunk(
            c, sector, sales_real, unserved, expected, share, share_prev, markup, productivity,
            wages, growth, markup0, skill_mix, interm_cost, rd_cost, weight, upsilon,
            new_expected, new_markup, price,
        )  # fmt: skip
    return new_expected, new_markup, price


@numba.njit(cache=True, error_model="numpy", parallel=True)
def expect_and_price_parallel(
    sector, sales_real, unserved, expected, share, share_prev, markup, productivity, wages,
    growth, markup0, skill_mix, interm_cost, rd_cost, weight, upsilon,
):  # fmt: skip
    """:func:`expect_and_price` with its chunks on numba's threads (the same result)."""
    n = sector.shape[0]
    new_expected, new_markup, price = np.empty(n), np.empty(n), np.empty(n)
    for c in numba.prange((n + CHUNK - 1) // CHUNK):
        _price_chunk(
            c, sector, sales_real, unserved, expected, share, share_prev, markup, productivity,
            wages, growth, markup0, skill_mix, interm_cost, rd_cost, weight, upsilon,
            new_expected, new_markup, price,
        )  # fmt: skip
    return new_expected, new_markup, price


def expect_and_price_py(
    sector, sales_real, unserved, expected, share, share_prev, markup, productivity, wages,
    growth, markup0, skill_mix, interm_cost, rd_cost, weight, upsilon,
):  # fmt: skip
    """Plain-Python twin of :func:`expect_and_price`."""
    n = len(sector)
    new_expected, new_markup, price = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        s = int(sector[i])
        seen = sales_real[i] / max(1e-9, 1.0 - unserved[i])
        new_expected[i] = max(expected[i] + weight * (seen * (1 + growth[s]) - expected[i]), 0.0)
        rel = (share[i] - share_prev[i]) / share_prev[i] if share_prev[i] > 0 else 0.0
        mu = markup[i] * (1 + upsilon * min(max(rel, -0.5), 0.5))
        new_markup[i] = min(max(mu, 0.5 * markup0[s]), 2.0 * markup0[s] + 0.05)
        unit = sum(float(skill_mix[s, k]) * float(wages[i, k]) for k in range(wages.shape[1]))
        price[i] = (1 + new_markup[i]) * (unit / productivity[i] + interm_cost[s] + rd_cost[s])
    return new_expected, new_markup, price


def _renamed(fn, name):
    """A copy of ``fn`` under another name: numba's cache names its files after the function,
    so the serial and the threaded compilation of one driver each keep their own."""
    out = type(fn)(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    out.__qualname__ = name
    out.__module__ = fn.__module__
    return out


settle_firms = numba.njit(cache=True, error_model="numpy", nogil=True)(
    _renamed(settle_firms_impl, "settle_firms")
)
settle_firms.__doc__ = """The goods market's books, firm by firm, after rationing; market shares.

For firm ``i`` of sector ``s`` that sold ``X_i`` euros at price ``p_i`` (output ``Q_i``,
intermediate purchases ``M_i``, investment orders ``I_i``):

- cash ``C_i + X_i - M_i - I_i``; depreciation ``K_i delta p_I``; capital
  ``K_i (1 - delta) + I_i / p_I``; real sales ``x_i = X_i / p_i``; inventories
  ``max(inventory_i - x_i, 0)``; the inventory change ``sum_i (Q_i - x_i) p_i``; value added
  ``Q_i p_i - M_i``;
- sector totals of value added, orders, real and nominal output and R&D, and total R&D;
- unserved demand ``clip((a_i - X_i) / a_i, 0, 1)`` with ``a_i = f_i / max(F_s, 1e-300) D_s``
  the firm's part of its sector's demand ``D_s`` by market share ``f_i`` (``F_s`` the sector's);
- sector price indices ``P_s``, the output-weighted (``max(Q_i, 1e-12)``) mean price;
  competitiveness ``E_i = -(omega_p p_i / P_s + omega_u unserved_i)`` and its share-weighted
  sector mean ``Ebar_s``; replicator shares ``f_i' = max(f_i (1 + chi (E_i - Ebar_s) / |Ebar_s|),
  0)`` normalised within the sector.

Returns (cash, depreciation, capital, real sales, inventories, inventory change, value added,
value added by sector, orders by sector, real output by sector, nominal output by sector, total
R&D, R&D by sector, unserved, price indices, shares): new arrays, the inputs are not written.
Compiled with ``nogil=True``: the immigration uniforms run beside it on the draws' helper
thread (``abm.state.draws``).
"""


def settle_firms_py(
    sector, sold, price, output, interm, orders, cash, capital, inventory, rd, share,
    demand, delta_q, p_inv, price_weight, unfilled_weight, chi,
):  # fmt: skip
    """Plain-Python twin of :func:`settle_firms`: each firm's equations in a loop, the sums
    with numpy's own functions."""
    n, n_s = len(sold), len(demand)
    out = {k: np.zeros(n) for k in ("cash", "dep", "cap", "sr", "inv", "va", "u", "e", "f")}
    by = {k: np.zeros(n_s) for k in ("va", "orders", "real", "nominal", "rd", "share")}
    for i in range(n):
        s = int(sector[i])
        out["cash"][i] = cash[i] + sold[i] - interm[i] - orders[i]
        out["dep"][i] = capital[i] * delta_q * p_inv
        out["cap"][i] = capital[i] * (1 - delta_q) + orders[i] / p_inv
        out["sr"][i] = sold[i] / price[i]
        out["inv"][i] = max(inventory[i] - out["sr"][i], 0.0)
        out["va"][i] = output[i] * price[i] - interm[i]
        for k, v in (("va", out["va"][i]), ("orders", orders[i]), ("real", output[i])):
            by[k][s] += v
        by["nominal"][s] += output[i] * price[i]
        by["rd"][s] += rd[i]
        by["share"][s] += share[i]
    inv_change = np.sum((np.asarray(output) - out["sr"]) * price)
    for i in range(n):
        s = int(sector[i])
        alloc = share[i] / max(by["share"][s], 1e-300) * demand[s]
        out["u"][i] = min(max((alloc - sold[i]) / alloc, 0.0), 1.0) if alloc > 0 else 0.0

    def mean_by_sector(x, w):
        num, den = np.zeros(n_s), np.zeros(n_s)
        for i in range(n):
            num[int(sector[i])] += x[i] * w[i]
            den[int(sector[i])] += w[i]
        return np.array([a / b if b > 0 else 0.0 for a, b in zip(num, den, strict=True)])

    with np.errstate(divide="ignore", invalid="ignore"):
        pidx = mean_by_sector(price, np.maximum(output, 1e-12))
        for i in range(n):
            p_rel = price_weight * price[i] / pidx[int(sector[i])]
            out["e"][i] = -(p_rel + unfilled_weight * out["u"][i])
        ebar = mean_by_sector(out["e"], share)
        for i in range(n):
            b = ebar[int(sector[i])]
            out["f"][i] = max(share[i] * (1 + chi * (out["e"][i] - b) / abs(b)), 0.0)
    tot = np.zeros(n_s)
    for i in range(n):
        tot[int(sector[i])] += out["f"][i]
    new_share = np.array(
        [out["f"][i] / tot[int(sector[i])] if tot[int(sector[i])] > 0 else 0.0 for i in range(n)]
    )
    return (
        out["cash"], out["dep"], out["cap"], out["sr"], out["inv"], inv_change, out["va"],
        by["va"], by["orders"], by["real"], by["nominal"], np.sum(rd), by["rd"], out["u"], pidx,
        new_share,
    )  # fmt: skip
