"""Capital-market kernels: where investors place new money and which firms it funds.

Two steps run each quarter. :func:`allocate_investors` splits every investor's new money over the
domestic sectors and "abroad" with a logit rule (return net of perceived risk, plus a home bias).
:func:`fund_requests` then hands each sector's private pot, topped up by the public co-investment
fund where it matches private money, to the firms of that sector in order of their prospects.

Both kernels are compiled with ``numba.njit(cache=True)``; ``allocate_investors_py`` and
``fund_requests_py`` are plain-Python twins with the same signatures and results. Inputs are not
validated: the preconditions in the docstrings are the caller's responsibility.
"""

import math

import numba
import numpy as np

from kernels.market import _renamed
from kernels.rd import np_max0, np_min
from kernels.sort import sort_descending

# ---------------------------------------------------------------------------------------------
# Investor allocation
# ---------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def allocate_investors(
    funds, home_bias, is_foreign, expected_return, risk, world_return, beta, risk_aversion
):
    """Split each investor's new money over the domestic sectors and abroad (logit).

    An investor compares the ``S`` domestic sectors with one outside option, "abroad". The
    attraction of a domestic sector is its expected return net of a risk penalty (the risk
    investors perceive; public co-investment lowers it upstream), the attraction of abroad is the
    world return. Investors spread their money with a multinomial logit: the sharper the return
    sensitivity ``beta``, the more money chases the best option; with ``beta = 0`` money is spread
    evenly. Home bias is a utility bonus for the investor's own home: domestic investors add it to
    every domestic sector, foreign investors add it to abroad.

    Equations, for investor ``i`` and domestic sector ``s``::

        u_is = beta * (r_s - lambda * risk_s) + home_bias_i * (1 - is_foreign_i)
        u_iA = beta * r_world                 + home_bias_i * is_foreign_i
        share_ik = exp(u_ik - max_k u_ik) / sum_k exp(u_ik - max_k u_ik)    (k in 0..S-1, A)
        alloc[i, k] = funds_i * share_ik

    Parameters
    ----------
    funds : float64[m]
        New money each investor places this quarter, ``>= 0``.
    home_bias : float64[m]
        Utility bonus of the investor's home (domestic sectors for a domestic investor, abroad
        for a foreign one). Finite.
    is_foreign : int64[m]
        1 for a foreign investor, 0 for a domestic one.
    expected_return : float64[S]
        Expected return of each domestic sector. Finite.
    risk : float64[S]
        Risk the investors see in each sector. Finite.
    world_return : float
        Return abroad. Finite.
    beta : float
        Return sensitivity of the logit, ``>= 0``.
    risk_aversion : float
        Risk penalty ``lambda`` per unit of risk, ``>= 0``.

    Returns
    -------
    alloc : float64[m, S + 1]
        Money investor ``i`` places in sector ``s`` (columns ``0..S-1``) and abroad (column
        ``S``). Every row sums to ``funds_i`` up to rounding; all entries are ``>= 0``.

    Notes
    -----
    Preconditions (not checked): the arrays of length ``m`` agree, the arrays of length ``S``
    agree, all values are finite. The softmax subtracts the row maximum, so large utilities do
    not overflow.
    """
    m = funds.shape[0]
    n_sectors = expected_return.shape[0]
    alloc = np.empty((m, n_sectors + 1), dtype=np.float64)
    base = np.empty(n_sectors + 1, dtype=np.float64)
    for s in range(n_sectors):
        base[s] = beta * (expected_return[s] - risk_aversion * risk[s])
    base[n_sectors] = beta * world_return
    utility = np.empty(n_sectors + 1, dtype=np.float64)
    for i in range(m):
        domestic_bonus = home_bias[i] if is_foreign[i] == 0 else 0.0
        abroad_bonus = home_bias[i] if is_foreign[i] != 0 else 0.0
        for s in range(n_sectors):
            utility[s] = base[s] + domestic_bonus
        utility[n_sectors] = base[n_sectors] + abroad_bonus
        top = utility[0]
        for k in range(1, n_sectors + 1):
            if utility[k] > top:
                top = utility[k]
        total = 0.0
        for k in range(n_sectors + 1):
            utility[k] = np.exp(utility[k] - top)
            total += utility[k]
        scale = funds[i] / total
        for k in range(n_sectors + 1):
            alloc[i, k] = utility[k] * scale
    return alloc


def allocate_investors_py(
    funds: np.ndarray,
    home_bias: np.ndarray,
    is_foreign: np.ndarray,
    expected_return: np.ndarray,
    risk: np.ndarray,
    world_return: float,
    beta: float,
    risk_aversion: float,
) -> np.ndarray:
    """Plain-Python twin of :func:`allocate_investors` (same signature, same result)."""
    m = len(funds)
    n_sectors = len(expected_return)
    abroad = n_sectors
    alloc = np.empty((m, n_sectors + 1), dtype=np.float64)
    for i in range(m):
        foreign = is_foreign[i] != 0
        utility = [0.0] * (n_sectors + 1)
        for s in range(n_sectors):
            utility[s] = beta * (expected_return[s] - risk_aversion * risk[s])
            if not foreign:
                utility[s] += home_bias[i]
        utility[abroad] = beta * world_return
        if foreign:
            utility[abroad] += home_bias[i]
        top = max(utility)
        weight = [math.exp(u - top) for u in utility]
        total = sum(weight)
        for k in range(n_sectors + 1):
            alloc[i, k] = weight[k] * (funds[i] / total)
    return alloc


# ---------------------------------------------------------------------------------------------
# Funding firms' requests
# ---------------------------------------------------------------------------------------------


def fund_requests(firm_sector, request, prospect, sector_private, match_ratio, sector_public):
    """Fund firms' outside-funding requests from sector money, best prospects first.

    Investors have put ``sector_private[s]`` of private money in sector ``s``; in targeted
    sectors the public co-investment fund adds ``match_ratio[s]`` euros per private euro, up to
    its remaining budget ``sector_public[s]``. Firms queue across all sectors in descending order
    of ``prospect`` (ties: lower index first) and each takes what it asks for from its own
    sector's money while that lasts, so the best prospects are funded in full and the queue's
    tail in part or not at all. A firm's request is split so that private plus matched public
    money covers it; private money not placed at home is returned as ``private_left`` (the
    model sends it abroad).

    Equations, firm ``i`` of sector ``s`` in queue order::

        offer_i   = min(request_i * match_s / (1 + match_s), public_left_s)
        private_i = min(request_i - offer_i, private_left_s)
        public_i  = min(offer_i, match_s * private_i)
        private_left_s -= private_i;  public_left_s -= public_i

    Parameters
    ----------
    firm_sector : int64[n]
        Sector of each firm, in ``[0, S)``.
    request : float64[n]
        Outside funding each firm asks for, ``>= 0``.
    prospect : float64[n]
        Ranking score; higher is served first. Finite (no NaN).
    sector_private : float64[S]
        Private money investors allocated to each sector, ``>= 0``.
    match_ratio : float64[S]
        Public euros per private euro in targeted sectors (0 elsewhere), ``>= 0``, finite.
    sector_public : float64[S]
        Remaining budget of the co-investment fund in each sector, ``>= 0``.

    Returns
    -------
    private : float64[n]
        Private money each firm receives.
    public : float64[n]
        Public co-investment each firm receives.
    private_left : float64[S]
        Private money of each sector not placed with firms.
    public_left : float64[S]
        Public budget of each sector left unused.

    Notes
    -----
    Invariants: per sector ``sum(private) + private_left == sector_private`` and
    ``sum(public) + public_left == sector_public`` up to rounding; ``private + public <=
    request`` up to rounding; everything ``>= 0``.

    A firm touches only its own sector's money, so the global queue is equivalent to one queue
    per sector in the same relative order; the kernels exploit this (results are bit-identical
    to the global queue of the twin): :func:`funding_queue` groups the firms by sector (stable)
    and orders each sector's by a stable radix sort, once for any number of rounds of requests
    with the same prospects (``abm.mechanisms.finance`` has three); :func:`fund_queue` serves
    one round, skipping firms with ``request == 0`` (they would get nothing and change nothing),
    and a sector's queue stops once its private money is exhausted (later firms would get
    ``min(., 0) = 0``). This function is the two in turn.

    Preconditions (not checked): array lengths agree, values finite and in range.
    """
    queue, start = funding_queue(firm_sector, prospect, request, sector_private.shape[0])
    return fund_queue(queue, start, request, sector_private, match_ratio, sector_public)


#: askers of one sector from which :func:`funding_queue` sorts the sector as two halves
SPLIT_SORT_FROM = 16_384


def _funding_queue_impl(firm_sector, prospect, request, n_sectors, split_from=SPLIT_SORT_FROM):
    """The queue of :func:`fund_requests`: (``queue`` int64[m], ``start`` int64[n_sectors +
    1]), the ``m`` firms that ask (``request > 0``) by sector, sector ``s``'s
    ``queue[start[s]:start[s + 1]]`` in descending order of ``prospect`` (``-0.0`` ranks as
    ``0.0``; ties: lower index first), by a stable radix sort a sector (a large one as two
    merged halves: below; ``kernels.sort``, whose cached copies here follow this file's
    changes only). It serves any later round whose askers are among these
    (``abm.mechanisms.finance``: what is left of the same requests).

    The askers are grouped without a data-dependent branch: sector ``s`` owns its askers' slots
    plus one spare, and every firm is written to its sector's next slot, which only an asker
    takes (a run of one sector's firms keeps that slot in a register).

    A sector of at least ``split_from`` askers (0: none) is sorted as two halves, which one
    pass then merges, ties to the first half (its firms' indices are the lower): the same
    queue. At 1:1 most firms are in one sector; two halves sort faster than the whole (9.0
    against 10.4 ms a quarter on one thread) and, in the threaded kernel, at once (6.9 ms on
    two threads)."""
    n = firm_sector.shape[0]
    n_asking = np.zeros(n_sectors, dtype=np.int64)
    cur = -1
    c = 0
    for i in range(n):
        s = firm_sector[i]
        if s != cur:
            if cur >= 0:
                n_asking[cur] = c
            cur = s
            c = n_asking[s]
        c += request[i] > 0.0
    if cur >= 0:
        n_asking[cur] = c
    slot = np.zeros(n_sectors + 1, dtype=np.int64)
    start = np.zeros(n_sectors + 1, dtype=np.int64)
    for s in range(n_sectors):
        slot[s + 1] = slot[s] + n_asking[s] + 1
        start[s + 1] = start[s] + n_asking[s]
    fill = slot[:n_sectors].copy()
    firm = np.empty(slot[n_sectors], dtype=np.int64)
    score = np.empty(slot[n_sectors], dtype=np.float64)
    cur = -1
    t = 0
    for i in range(n):
        s = firm_sector[i]
        if s != cur:
            if cur >= 0:
                fill[cur] = t
            cur = s
            t = fill[s]
        firm[t] = i
        x = prospect[i]
        score[t] = 0.0 if x == 0.0 else x  # -0.0 ranks as 0.0
        t += request[i] > 0.0
    keys = score.view(np.int64)
    # the sorts: a sector, or half of a large one, each (a prange loop: a plain range when
    # compiled without ``parallel``); each writes only its own keys, scratch and ranks
    part_lo = np.empty(2 * n_sectors, dtype=np.int64)
    part_m = np.zeros(2 * n_sectors, dtype=np.int64)
    for s in range(n_sectors):
        m = n_asking[s]
        half = m // 2 if split_from > 0 and m >= split_from else m
        part_lo[s] = slot[s]  # first halves, then second halves: with two threads' equal
        part_m[s] = half  # static chunks (omp), a sector's halves go to different threads
        part_lo[n_sectors + s] = slot[s] + half
        part_m[n_sectors + s] = m - half
    ranked = np.empty(slot[n_sectors], dtype=np.int64)
    rank_key = np.empty(slot[n_sectors], dtype=np.int64)  # the sorted keys, for the merge
    for p in numba.prange(2 * n_sectors):
        lo = part_lo[p]
        m = part_m[p]
        if m == 0:
            continue
        order = np.empty(m, dtype=np.int64)
        key_tmp = np.empty(m, dtype=np.int64)
        order_tmp = np.empty(m, dtype=np.int64)
        done = sort_descending(keys[lo : lo + m], order, key_tmp, order_tmp)
        for q in range(m):
            ranked[lo + q] = firm[lo + order[q]]
            rank_key[lo + q] = done[q]
    queue = np.empty(start[n_sectors], dtype=np.int64)
    for s in numba.prange(n_sectors):
        a, a_end = part_lo[s], part_lo[s] + part_m[s]
        b, b_end = part_lo[n_sectors + s], part_lo[n_sectors + s] + part_m[n_sectors + s]
        out = start[s]
        while a < a_end and b < b_end:  # descending prospects; ties: the first half's
            if rank_key[a] <= rank_key[b]:
                queue[out] = ranked[a]
                a += 1
            else:
                queue[out] = ranked[b]
                b += 1
            out += 1
        for t in range(a, a_end):
            queue[out] = ranked[t]
            out += 1
        for t in range(b, b_end):
            queue[out] = ranked[t]
            out += 1
    return queue, start


funding_queue = numba.njit(cache=True)(_renamed(_funding_queue_impl, "funding_queue"))
funding_queue.__doc__ = _funding_queue_impl.__doc__
funding_queue_parallel = numba.njit(cache=True, parallel=True)(
    _renamed(_funding_queue_impl, "funding_queue_parallel")
)
funding_queue_parallel.__doc__ = """:func:`funding_queue` with the sorts on numba's threads (a
sector or half of one each; the same queue)."""


@numba.njit(cache=True)
def fund_queue(queue, start, request, sector_private, match_ratio, sector_public):
    """One round of :func:`fund_requests` over the queue of :func:`funding_queue` (its
    equations; the firms with ``request == 0`` skipped). A firm outside the queue must ask
    nothing. Returns (private, public, private_left, public_left): new arrays."""
    n = request.shape[0]
    n_sectors = sector_private.shape[0]
    private = np.zeros(n, dtype=np.float64)
    public = np.zeros(n, dtype=np.float64)
    private_left = sector_private.copy()
    public_left = sector_public.copy()
    for s in range(n_sectors):
        left = private_left[s]
        if left <= 0.0:
            continue
        ratio = match_ratio[s]
        budget = public_left[s]
        for q in range(start[s], start[s + 1]):
            i = queue[q]
            r = request[i]
            if not r > 0.0:
                continue  # asks nothing: would get nothing and change nothing
            cap = min(r * ratio / (1.0 + ratio), budget)
            p = min(r - cap, left)
            g = min(cap, ratio * p)
            private[i] = p
            public[i] = g
            left = left - p
            budget = budget - g
            if left <= 0.0:
                break  # later firms of this sector would get min(., 0) = 0
        private_left[s] = left
        public_left[s] = budget
    return private, public, private_left, public_left


@numba.njit(cache=True, error_model="numpy")
def book_funding(loans, equity, equity_g, equity_r, cash, order, priv, pub, fpriv, loan_share):
    """The firms' books after the funding rounds (``abm.mechanisms.finance``), firm by firm, the
    bits of its numpy code: loans ``L + l p``, equity ``E + (1 - l) p + g + f``, public equity
    ``E_g + g``, foreign equity ``E_r + f``, deposits ``C + p + g + f`` (summed left to right)
    for domestic private money ``p`` (the loan share ``l`` of it lent), public co-investment
    ``g`` and foreign money ``f``; then the investment order cut to the deposits,
    ``min(order, max(C', 0))`` (numpy's NaN and equal-value rules, ``kernels.rd``). Returns
    (loans, equity, public equity, foreign equity, deposits, order): new arrays."""
    n = loans.shape[0]
    keep = 1 - loan_share
    out_l, out_e, out_g = np.empty(n), np.empty(n), np.empty(n)
    out_r, out_c, out_o = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        p = priv[i]
        g = pub[i]
        f = fpriv[i]
        out_l[i] = loans[i] + loan_share * p
        out_e[i] = equity[i] + keep * p + g + f
        out_g[i] = equity_g[i] + g
        out_r[i] = equity_r[i] + f
        c = cash[i] + p + g + f
        out_c[i] = c
        out_o[i] = np_min(order[i], np_max0(c))
    return out_l, out_e, out_g, out_r, out_c, out_o


def book_funding_py(loans, equity, equity_g, equity_r, cash, order, priv, pub, fpriv, loan_share):
    """Plain-Python twin of :func:`book_funding` (the numpy code it replaced)."""
    new_cash = cash + priv + pub + fpriv
    return (
        loans + loan_share * priv, equity + (1 - loan_share) * priv + pub + fpriv,
        equity_g + pub, equity_r + fpriv, new_cash, np.minimum(order, np.maximum(new_cash, 0.0)),
    )  # fmt: skip


def fund_requests_py(
    firm_sector: np.ndarray,
    request: np.ndarray,
    prospect: np.ndarray,
    sector_private: np.ndarray,
    match_ratio: np.ndarray,
    sector_public: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain-Python twin of :func:`fund_requests` (same signature, same result)."""
    n = len(firm_sector)
    private = np.zeros(n, dtype=np.float64)
    public = np.zeros(n, dtype=np.float64)
    private_left = np.array(sector_private, dtype=np.float64)
    public_left = np.array(sector_public, dtype=np.float64)
    queue = np.argsort(-np.asarray(prospect, dtype=np.float64), kind="mergesort")
    for i in queue:
        s = firm_sector[i]
        # the public fund offers its match while it has money; private money covers the rest
        offer = min(request[i] * match_ratio[s] / (1.0 + match_ratio[s]), public_left[s])
        private[i] = min(request[i] - offer, private_left[s])
        public[i] = min(offer, match_ratio[s] * private[i])
        private_left[s] -= private[i]
        public_left[s] -= public[i]
    return private, public, private_left, public_left
