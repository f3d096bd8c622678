"""Firm-level kernels: the payroll of every firm, skill and sector in one pass.

``payroll`` turns the staff counts (talent agents per firm and skill) into persons and wage
bills per firm, per skill and per sector without the firms-by-skills temporaries and the slow
short-axis reductions of the numpy expression (the same sums in the same order, so the same
bits). The sums, counts, grouping and medians by sector are in ``kernels.sectors``;
``group_weighted_mean`` weighted means by group, ``exit_decisions`` which firms exit,
``wage_premiums`` the unfilled shares and wage premiums after the matching. ``*_py`` are the
plain-Python twins.
"""

import numba
import numpy as np

from kernels.production import np_sum
from kernels.rd import np_max, np_min
from kernels.sectors import sector_counts


@numba.njit(cache=True)
def staff_by_skill(staff):
    """Talent agents employed by skill: the column sums of ``staff`` (int64[n_firms, K]), exact
    (integers); three skills (the model's) sum in registers. 10 us at 1:20 against 61 us for
    numpy's ``ones @ staff`` and 460 us for ``staff.sum(axis=0)``."""
    n, n_k = staff.shape
    out = np.zeros(n_k, dtype=np.int64)
    if n_k == 3:
        a = b = c = 0
        for i in range(n):
            a += staff[i, 0]
            b += staff[i, 1]
            c += staff[i, 2]
        out[0], out[1], out[2] = a, b, c
        return out
    for i in range(n):
        for k in range(n_k):
            out[k] += staff[i, k]
    return out


@numba.njit(cache=True)
def payroll(staff, wages, scale, firm_sector, n_sectors):
    """Persons and wage bills of the quarter.

    With ``e[i, k] = staff[i, k] * scale`` persons of skill ``k`` at firm ``i`` paid
    ``wages[i, k]`` each: returns (persons per firm, bill per firm, persons per skill, bill per
    skill, persons per sector, bill per sector), float64, the firm sums taken over skills in
    skill order and the skill and sector sums over firms in row order.
    """
    n, n_skills = staff.shape
    persons = np.empty(n)
    bill = np.empty(n)
    persons_k = np.zeros(n_skills)
    bill_k = np.zeros(n_skills)
    persons_s = np.zeros(n_sectors)
    bill_s = np.zeros(n_sectors)
    three = n_skills == 3  # the model's skills: their six sums in registers
    p0 = p1 = p2 = b0 = b1 = b2 = 0.0
    cur = -1  # a run of one sector's firms sums in registers (as sector_sums)
    ps = 0.0
    bs = 0.0
    for i in range(n):
        p = 0.0
        b = 0.0
        if three:
            e0 = staff[i, 0] * scale
            e1 = staff[i, 1] * scale
            e2 = staff[i, 2] * scale
            w0 = e0 * wages[i, 0]
            w1 = e1 * wages[i, 1]
            w2 = e2 * wages[i, 2]
            p = ((p + e0) + e1) + e2
            b = ((b + w0) + w1) + w2
            p0 += e0
            p1 += e1
            p2 += e2
            b0 += w0
            b1 += w1
            b2 += w2
        else:
            for k in range(n_skills):
                e = staff[i, k] * scale
                w = e * wages[i, k]
                p += e
                b += w
                persons_k[k] += e
                bill_k[k] += w
        persons[i] = p
        bill[i] = b
        s = firm_sector[i]
        if s != cur:
            if cur >= 0:
                persons_s[cur] = ps
                bill_s[cur] = bs
            cur = s
            ps = persons_s[s]
            bs = bill_s[s]
        ps += p
        bs += b
    if cur >= 0:
        persons_s[cur] = ps
        bill_s[cur] = bs
    if three:
        persons_k[0], persons_k[1], persons_k[2] = p0, p1, p2
        bill_k[0], bill_k[1], bill_k[2] = b0, b1, b2
    return persons, bill, persons_k, bill_k, persons_s, bill_s


def payroll_py(staff, wages, scale, firm_sector, n_sectors):
    """Plain-Python twin of :func:`payroll`."""
    n, n_skills = staff.shape
    persons, bill = np.zeros(n), np.zeros(n)
    persons_k, bill_k = np.zeros(n_skills), np.zeros(n_skills)
    persons_s, bill_s = np.zeros(n_sectors), np.zeros(n_sectors)
    for i in range(n):
        for k in range(n_skills):
            e = float(staff[i, k]) * scale
            persons[i] += e
            bill[i] += e * wages[i, k]
            persons_k[k] += e
            bill_k[k] += e * wages[i, k]
        persons_s[firm_sector[i]] += persons[i]
        bill_s[firm_sector[i]] += bill[i]
    return persons, bill, persons_k, bill_k, persons_s, bill_s


@numba.njit(cache=True, error_model="numpy")
def wage_premiums(v_firm, openings, filled, premium, staff, threshold, bid1, relax):
    """Unfilled shares and next quarter's wage premiums after the matching
    (``abm.mechanisms.labour.match``): with ``o_i`` and ``g_i`` the openings and hires of firm
    ``i`` over its vacancy rows (summed in row order, as ``np.bincount``), ``u_i = (o_i - g_i) /
    o_i`` (0 without openings); the premium ``p_i b`` when ``u_i`` exceeds ``threshold`` (``b =
    1 + bid speed``) and ``p_i - relax (p_i - 1)`` otherwise, clipped to [0.7, 2.0]; then divided
    by its mean weighted by the persons each firm employs (``np.average``: numpy's pairwise sums,
    :func:`kernels.production.np_sum`; 1 without employment). Returns (unfilled float64[n],
    premium float64[n], open vacancies in all: float)."""
    n = premium.shape[0]
    opened = np.zeros(n)
    got = np.zeros(n)
    for j in range(v_firm.shape[0]):
        opened[v_firm[j]] += np.float64(openings[j])
        got[v_firm[j]] += np.float64(filled[j])
    unfilled = np.empty(n)
    prem = np.empty(n)
    emp = np.empty(n)
    weighted = np.empty(n)
    still_open = 0.0  # sums of whole numbers: exact in any order
    for i in range(n):
        o = opened[i]
        d = o - got[i]
        still_open += d
        u = d / o if o > 0 else 0.0
        unfilled[i] = u
        w = premium[i]
        p = w * bid1 if u > threshold else w - relax * (w - 1.0)
        p = np_min(np_max(p, 0.7), 2.0)  # np.clip
        prem[i] = p
        e = 0.0
        for k in range(staff.shape[1]):
            e += np.float64(staff[i, k])
        emp[i] = e
        weighted[i] = p * e
    total = np_sum(emp)
    mean = np_sum(weighted) / total if total > 0 else 1.0
    for i in range(n):
        prem[i] = prem[i] / mean
    return unfilled, prem, still_open


def wage_premiums_py(v_firm, openings, filled, premium, staff, threshold, bid1, relax):
    """Plain-Python twin of :func:`wage_premiums` (the numpy code it replaced)."""
    n = premium.shape[0]
    opened = np.bincount(v_firm, weights=openings, minlength=n)
    got = np.bincount(v_firm, weights=filled, minlength=n)
    unfilled = np.divide(opened - got, opened, out=np.zeros(n), where=opened > 0)
    prem = np.where(unfilled > threshold, premium * bid1, premium - relax * (premium - 1.0))
    prem = np.clip(prem, 0.7, 2.0)
    emp = staff @ np.ones(staff.shape[1])
    mean = float(np.average(prem, weights=emp)) if emp.sum() > 0 else 1.0
    return unfilled, prem / mean, float((opened - got).sum())


@numba.njit(cache=True, error_model="numpy")
def exit_decisions(sector, cash, inventory, price, capital, loans, share, age, low_quarters,
                   p_inv, n_sectors, share_floor, patience, keep_floor):  # fmt: skip
    """Which firms exit (``abm.mechanisms.entry_exit.exit_firms``): net worth ``cash + inventory
    price + capital p_I - loans`` below 0, or a market share below ``share_floor / max(n_s, 1)``
    for ``patience`` quarters running, for firms older than ``patience``; a sector keeps at least
    ``keep_floor`` agents (none of its leavers go when more would leave). Returns (quarters with
    a low share int64[n], exits by sector int64[S], exiting rows int64, the map from old rows to
    kept rows int64[n]: -1 for an exiting firm)."""
    n = sector.shape[0]
    n_s = sector_counts(sector, n_sectors)
    low_q = np.empty(n, dtype=np.int64)
    go = np.zeros(n, dtype=np.bool_)
    leaving = np.zeros(n_sectors, dtype=np.int64)
    for i in range(n):
        s = sector[i]
        worth = cash[i] + inventory[i] * price[i] + capital[i] * p_inv - loans[i]
        q = low_quarters[i] + 1 if share[i] < share_floor / max(n_s[s], 1) else 0
        low_q[i] = q
        g = ((worth < 0) or (q >= patience)) and age[i] > patience
        go[i] = g
        leaving[s] += g
    exits = np.zeros(n_sectors, dtype=np.int64)
    mapping = np.empty(n, dtype=np.int64)
    kept = 0
    for i in range(n):
        s = sector[i]
        if go[i] and n_s[s] - leaving[s] >= keep_floor:
            exits[s] += 1
            mapping[i] = -1
        else:
            mapping[i] = kept
            kept += 1
    rows = np.empty(n - kept, dtype=np.int64)
    j = 0
    for i in range(n):
        if mapping[i] < 0:
            rows[j] = i
            j += 1
    return low_q, exits, rows, mapping


def exit_decisions_py(sector, cash, inventory, price, capital, loans, share, age, low_quarters,
                      p_inv, n_sectors, share_floor, patience, keep_floor):  # fmt: skip
    """Plain-Python twin of :func:`exit_decisions` (the numpy code it replaced)."""
    worth = cash + inventory * price + capital * p_inv - loans
    n_s = np.bincount(sector, minlength=n_sectors)
    low = share < share_floor / np.maximum(n_s[sector], 1)
    low_q = np.where(low, low_quarters + 1, 0).astype(np.int64)
    exit_ = ((worth < 0) | (low_q >= patience)) & (age > patience)
    leaving = np.bincount(sector[exit_], minlength=n_sectors)
    exit_ &= (n_s - leaving >= keep_floor)[sector]
    rows = np.flatnonzero(exit_).astype(np.int64)
    mapping = np.full(len(sector), -1, dtype=np.int64)
    mapping[~exit_] = np.arange(len(sector) - rows.size)
    return low_q, np.bincount(sector[exit_], minlength=n_sectors), rows, mapping


@numba.njit(cache=True)
def group_weighted_mean(x, w, groups, n, shift):
    """Mean of ``x`` weighted by ``w + shift`` within each group ``0..n-1`` (0 for an empty
    group or one of zero weight), as ``np.bincount(groups, (w + shift) x) / np.bincount(groups,
    w + shift)``: the same sums in the same order, so the same bits, in one pass (a run of one
    group's rows sums in registers, as :func:`sector_sums`)."""
    num = np.zeros(n)
    den = np.zeros(n)
    cur = -1
    a = 0.0
    b = 0.0
    for i in range(groups.shape[0]):
        g = groups[i]
        if g != cur:
            if cur >= 0:
                num[cur] = a
                den[cur] = b
            cur = g
            a = num[g]
            b = den[g]
        wi = w[i] + shift
        a += x[i] * wi
        b += wi
    if cur >= 0:
        num[cur] = a
        den[cur] = b
    out = np.zeros(n)
    for g in range(n):
        if den[g] > 0:
            out[g] = num[g] / den[g]
    return out


def group_weighted_mean_py(x, w, groups, n, shift):
    """Plain-Python twin of :func:`group_weighted_mean`."""
    num, den = [0.0] * n, [0.0] * n
    for xi, wi, g in zip(x, w, groups, strict=True):
        num[int(g)] += float(xi) * (float(wi) + shift)
        den[int(g)] += float(wi) + shift
    return np.array([a / b if b > 0 else 0.0 for a, b in zip(num, den, strict=True)])


@numba.njit(cache=True)
def wage_matrix(skill_wage, sector_premium, firm_sector, wage_premium):
    """Wages by firm and skill, ``w[i, k] = W_k (theta_s(i) omega_i)`` (euros per
    person-quarter): the numpy expression ``W[None, :] * (theta[sector] * omega)[:, None]``
    with the same two products, in one pass."""
    n = firm_sector.shape[0]
    n_k = skill_wage.shape[0]
    out = np.empty((n, n_k))
    for i in range(n):
        f = sector_premium[firm_sector[i]] * wage_premium[i]
        for k in range(n_k):
            out[i, k] = skill_wage[k] * f
    return out


def wage_matrix_py(skill_wage, sector_premium, firm_sector, wage_premium):
    """Plain-Python twin of :func:`wage_matrix`."""
    return np.array(
        [
            [float(w) * (sector_premium[s] * o) for w in skill_wage]
            for s, o in zip(firm_sector, wage_premium, strict=True)
        ]
    ).reshape(len(firm_sector), len(skill_wage))
