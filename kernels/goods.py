"""Goods-market allocation kernel.

``allocate_demand`` is the compiled kernel; ``allocate_demand_py`` is its plain-Python twin with the
same signature and the same results, written as loops that follow the rationing rule round by round.
"""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def allocate_demand(firm_sector, share, capacity, demand, max_rounds):
    """Ration sector demand among firms in proportion to market shares, capped by capacity.

    Serves the goods market: each sector's demand (euros) goes to the sector's domestic firms in
    proportion to their market-share weights (e.g. replicator-dynamics shares), no firm selling
    more than it can still supply this quarter; what a capped firm cannot take is redistributed to
    the others ("water filling"), and what no domestic firm can supply is left unserved (the model
    sends it to imports). Per sector ``s``, with leftover ``L_s = demand[s]`` and open firms
    ``A_s = {i : firm_sector[i] = s, sold_i < capacity[i]}`` (initially those with capacity > 0),
    each round gives firm ``i`` in ``A_s`` the offer ``o_i = (w_i / sum_{j in A_s} w_j) * L_s``
    with ``w_i = share[i]`` (or ``w_i = 1`` when every share in ``A_s`` is 0), sells
    ``x_i = min(o_i, capacity[i] - sold_i)``, closes the firms whose offer reached their remaining
    capacity, and sets ``L_s <- L_s - sum_i x_i``. A sector stops when ``L_s <= 1e-12 * demand[s]``,
    when ``A_s`` is empty, or after ``max_rounds`` rounds; then ``unserved[s] = max(L_s, 0)``.

    Parameters
    ----------
    firm_sector : int64[n]
        Sector of each firm, in ``[0, S)``.
    share : float64[n]
        Market-share weights (>= 0, finite, with finite sector totals); they need not sum to 1
        within a sector.
    capacity : float64[n]
        What each firm can still sell this quarter, euros (>= 0, finite).
    demand : float64[S]
        Demand per sector, euros (>= 0, finite).
    max_rounds : int
        Most redistribution rounds; ``max_rounds <= 0`` sells nothing. Every round either closes a
        firm or hands out the whole leftover up to rounding, so ``n_s + 1`` rounds finish a sector
        of ``n_s`` firms (for amounts above the subnormal range); a few dozen usually do.

    Returns
    -------
    sold : float64[n]
        Sales per firm; ``0 <= sold <= capacity``.
    unserved : float64[S]
        Demand no firm took; ``>= 0``, and per sector ``sum(sold) + unserved == demand`` up to
        rounding (about 1e-12 relative).

    Notes
    -----
    Preconditions (checked by the caller, not here): the shapes and ranges above; an out-of-range
    sector index reads or writes out of bounds in the compiled kernel. Cost is O(n + S) per round:
    sector totals are scatter-added while the firms are visited in index order, and each round
    visits only the firms still open in unfinished sectors (a compacted index list). Inputs are not
    modified; both outputs are freshly allocated.
    """
    n = firm_sector.shape[0]
    n_sectors = demand.shape[0]
    sold = np.zeros(n, dtype=np.float64)
    leftover = np.empty(n_sectors, dtype=np.float64)
    tolerance = np.empty(n_sectors, dtype=np.float64)
    for s in range(n_sectors):
        leftover[s] = demand[s]
        tolerance[s] = 1e-12 * demand[s]

    # Open firms, kept as an index list in increasing order and compacted every round, with the
    # share total and count of the open firms per sector.
    open_firms = np.empty(n, dtype=np.int64)
    share_total = np.zeros(n_sectors, dtype=np.float64)
    open_count = np.zeros(n_sectors, dtype=np.int64)
    n_open = 0
    cur = -1  # a run of one sector's firms sums in registers (as in the rounds below)
    w_total = 0.0
    count = 0
    for i in range(n):
        if capacity[i] > 0.0:
            open_firms[n_open] = i
            n_open += 1
            s = firm_sector[i]
            if s != cur:
                if cur >= 0:
                    share_total[cur] = w_total
                    open_count[cur] = count
                cur = s
                w_total = share_total[s]
                count = open_count[s]
            w_total += share[i]
            count += 1
    if cur >= 0:
        share_total[cur] = w_total
        open_count[cur] = count

    active = np.zeros(n_sectors, dtype=np.bool_)
    round_total = np.zeros(n_sectors, dtype=np.float64)
    round_count = np.zeros(n_sectors, dtype=np.int64)
    given = np.zeros(n_sectors, dtype=np.float64)
    for _ in range(max_rounds):
        any_active = False
        for s in range(n_sectors):
            active[s] = leftover[s] > tolerance[s] and open_count[s] > 0
            any_active = any_active or active[s]
            # This round's totals; the pass below accumulates the next round's.
            round_total[s] = share_total[s]
            round_count[s] = open_count[s]
            given[s] = 0.0
            share_total[s] = 0.0
            open_count[s] = 0
        if not any_active:
            break

        kept = 0
        # The open firms lie in runs of one sector (index order, and firms come sector by
        # sector): a run's sector values sit in registers, and its sums are stored when the
        # sector changes (a sum through memory waits for its last store each firm).
        cur = -1
        act = False
        r_total = 0.0
        r_count = 0
        left = 0.0
        g = 0.0
        w_total = 0.0
        count = 0
        for t in range(n_open):
            i = open_firms[t]
            s = firm_sector[i]
            if s != cur:
                if cur >= 0:
                    given[cur] = g
                    share_total[cur] = w_total
                    open_count[cur] = count
                cur = s
                act = active[s]
                r_total = round_total[s]
                r_count = round_count[s]
                left = leftover[s]
                g = given[s]
                w_total = share_total[s]
                count = open_count[s]
            if not act:
                # The sector is done for good (its leftover never changes again): drop the firm.
                continue
            w = share[i]
            cap = capacity[i]
            before = sold[i]
            if r_total > 0.0:
                offer = (w / r_total) * left
            else:
                offer = left / r_count
            room = cap - before
            # Written without branches on `closes` (unpredictable); all loads are done above.
            closes = offer >= room
            g += room if closes else offer
            sold[i] = cap if closes else before + offer
            open_firms[kept] = i
            kept += not closes
            w_total += 0.0 if closes else w
            count += not closes
        if cur >= 0:
            given[cur] = g
            share_total[cur] = w_total
            open_count[cur] = count
        n_open = kept

        for s in range(n_sectors):
            if active[s]:
                leftover[s] -= given[s]

    unserved = np.empty(n_sectors, dtype=np.float64)
    for s in range(n_sectors):
        unserved[s] = leftover[s] if leftover[s] > 0.0 else 0.0
    return sold, unserved


def allocate_demand_py(
    firm_sector: np.ndarray,
    share: np.ndarray,
    capacity: np.ndarray,
    demand: np.ndarray,
    max_rounds: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Plain-Python twin of :func:`allocate_demand` (same signature, same results).

    Round by round: per sector, total the weights of the firms that still have capacity; offer each
    such firm the sector's leftover times its weight over that total (equal weights when all those
    shares are 0); a firm sells its offer or, if the offer reaches its remaining capacity, all it
    has left and closes; the sector's leftover falls by what was sold. See :func:`allocate_demand`
    for the parameters, stopping rule and preconditions.
    """
    n = len(firm_sector)
    n_sectors = len(demand)
    sold = [0.0] * n
    is_open = [float(capacity[i]) > 0.0 for i in range(n)]
    leftover = [float(d) for d in demand]
    tolerance = [1e-12 * float(d) for d in demand]

    for _ in range(max_rounds):
        # Weight totals and counts of the open firms per sector.
        share_total = [0.0] * n_sectors
        open_count = [0] * n_sectors
        for i in range(n):
            if is_open[i]:
                share_total[firm_sector[i]] += float(share[i])
                open_count[firm_sector[i]] += 1

        active = [leftover[s] > tolerance[s] and open_count[s] > 0 for s in range(n_sectors)]
        if not any(active):
            break

        # Offers proportional to weight, capped at the remaining capacity.
        given = [0.0] * n_sectors
        for i in range(n):
            s = int(firm_sector[i])
            if not (is_open[i] and active[s]):
                continue
            if share_total[s] > 0.0:
                offer = (float(share[i]) / share_total[s]) * leftover[s]
            else:
                offer = leftover[s] / open_count[s]
            room = float(capacity[i]) - sold[i]
            if offer >= room:
                sold[i] = float(capacity[i])
                given[s] += room
                is_open[i] = False
            else:
                sold[i] += offer
                given[s] += offer

        for s in range(n_sectors):
            if active[s]:
                leftover[s] -= given[s]

    unserved = [x if x > 0.0 else 0.0 for x in leftover]
    return np.array(sold, dtype=np.float64), np.array(unserved, dtype=np.float64)
