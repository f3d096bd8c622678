"""Firm-level kernels (``kernels.firms``), vacancy rows (``kernels.labour.vacancy_rows``) and
row removal (``kernels.rows``) against their plain-Python twins and numpy."""

from __future__ import annotations

import numpy as np
import pytest

from kernels.firms import (
    exit_decisions,
    exit_decisions_py,
    payroll,
    payroll_py,
    staff_by_skill,
    wage_premiums,
    wage_premiums_py,
)
from kernels.labour import vacancy_row_count, vacancy_rows, vacancy_rows_py
from kernels.rows import copy_without_rows, copy_without_rows_py, drop_rows, drop_rows_py


@pytest.mark.parametrize("skills", [1, 3, 4])
@pytest.mark.parametrize("n", [0, 1, 999])
def test_staff_by_skill_are_the_column_sums(n, skills):
    staff = np.random.default_rng(n + skills).integers(0, 1000, (n, skills))
    got = staff_by_skill(staff)
    np.testing.assert_array_equal(got, staff.sum(axis=0))
    assert got.dtype == np.int64


@pytest.mark.parametrize("n", [0, 1, 17, 5000])
@pytest.mark.parametrize(("skills", "runs"), [(3, False), (3, True), (2, True), (4, False)])
def test_payroll_equals_twin_and_numpy(n, skills, runs):
    """Three skills (the model's: their sums in registers) and others, firms in runs of one
    sector or not: the bits of the numpy expressions."""
    rng = np.random.default_rng(n)
    staff = rng.integers(0, 40, (n, skills))
    wages = rng.uniform(5e3, 3e4, (n, skills))
    sector = rng.integers(0, 8, n)
    if runs:
        sector = np.sort(sector)
    a = payroll(staff, wages, 20.0, sector, 8)
    b = payroll_py(staff, wages, 20.0, sector, 8)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-12)
    # the numpy expressions the model used before, bit for bit (the frozen references)
    empl = staff.astype(float) * 20.0
    np.testing.assert_array_equal(a[0], empl.sum(axis=1))
    np.testing.assert_array_equal(a[1], (empl * wages).sum(axis=1))
    np.testing.assert_array_equal(a[2], empl.sum(axis=0))
    np.testing.assert_array_equal(a[3], (empl * wages).sum(axis=0))
    np.testing.assert_array_equal(a[4], np.bincount(sector, weights=empl.sum(axis=1), minlength=8))
    bill_s = np.bincount(sector, weights=(empl * wages).sum(axis=1), minlength=8)
    np.testing.assert_array_equal(a[5], bill_s)
    assert abs(a[1].sum() - a[3].sum()) <= 1e-9 * max(a[1].sum(), 1.0)


@pytest.mark.parametrize("n", [0, 1, 30, 4000])
def test_vacancy_rows_equal_twin(n):
    rng = np.random.default_rng(n)
    vac = rng.integers(0, 4, (n, 3)) * (rng.random((n, 3)) < 0.3)
    high_tech = np.minimum(rng.integers(0, 3, n), vac[:, 2])
    wages = rng.uniform(5e3, 3e4, (n, 3))
    a = vacancy_rows(vac, high_tech, wages, 2)
    b = vacancy_rows_py(vac, high_tech, wages, 2)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
        assert x.dtype == y.dtype
    v_firm, _, _, openings, _ = a
    assert openings.sum() == vac.sum() and (openings > 0).all()
    # the count the matching sizes its draws by, before the rows are listed
    assert vacancy_row_count(vac, high_tech, 2) == len(b[0]) == v_firm.size
    for x, y in zip(vacancy_rows(vac, high_tech, wages, 2, v_firm.size), a, strict=True):
        np.testing.assert_array_equal(x, y)  # the count given by the caller
    np.testing.assert_array_equal(np.bincount(v_firm, weights=openings, minlength=n), vac.sum(1))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.float32, np.float64, np.int64])
@pytest.mark.parametrize(("n", "m"), [(0, 0), (1, 1), (5, 0), (100, 1), (1000, 37), (1000, 1000)])
def test_drop_rows_equals_twin(dtype, n, m):
    rng = np.random.default_rng(n + m)
    buf = np.concatenate([rng.integers(0, 100, n), np.full(10, 77)]).astype(dtype)  # spare room
    rows = np.sort(rng.choice(n, m, replace=False)).astype(np.int64)
    a, b = buf.copy(), buf.copy()
    ka, kb = drop_rows(a, n, rows), drop_rows_py(b, n, rows)
    assert ka == kb == n - m
    np.testing.assert_array_equal(a[:ka], b[:kb])
    np.testing.assert_array_equal(a[:ka], np.delete(buf[:n], rows))
    np.testing.assert_array_equal(a[n:], buf[n:])  # the spare room is left alone


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.float64, np.int64])
@pytest.mark.parametrize(("n", "m"), [(0, 0), (1, 1), (5, 0), (100, 1), (1000, 37), (1000, 1000)])
def test_copy_without_rows_equals_twin_and_leaves_the_source_alone(dtype, n, m):
    rng = np.random.default_rng(n + 3 * m)
    src = rng.integers(0, 100, n + 5).astype(dtype)
    rows = np.sort(rng.choice(n, m, replace=False)).astype(np.int64)
    a, b = np.full(n + 8, 55, dtype), np.full(n + 8, 55, dtype)
    before = src.copy()
    ka, kb = copy_without_rows(src, n, rows, a), copy_without_rows_py(src, n, rows, b)
    assert ka == kb == n - m
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a[:ka], np.delete(src[:n], rows))
    assert (a[ka:] == 55).all()  # beyond the kept rows: untouched
    np.testing.assert_array_equal(src, before)


@pytest.mark.parametrize("n", [0, 1, 50, 4000])
def test_group_weighted_mean_equals_twin_and_numpy(n):
    from kernels.firms import group_weighted_mean, group_weighted_mean_py

    rng = np.random.default_rng(n)
    x, w = rng.lognormal(0, 1, n), rng.uniform(0, 5, n) * (rng.random(n) < 0.8)
    groups = rng.integers(0, 7, n)  # group 7 is empty
    got = group_weighted_mean(x, w, groups, 8, 1e-9)
    np.testing.assert_allclose(got, group_weighted_mean_py(x, w, groups, 8, 1e-9), rtol=1e-13)
    num = np.bincount(groups, weights=x * (w + 1e-9), minlength=8)  # the numpy code it replaced
    den = np.bincount(groups, weights=w + 1e-9, minlength=8)
    np.testing.assert_array_equal(got, np.divide(num, den, out=np.zeros(8), where=den > 0))
    assert got[7] == 0.0


@pytest.mark.parametrize("n", [0, 1, 500])
def test_wage_matrix_equals_twin_and_numpy(n):
    from kernels.firms import wage_matrix, wage_matrix_py

    rng = np.random.default_rng(n)
    skill_wage, premium = rng.uniform(8e3, 3e4, 3), rng.uniform(0.8, 1.3, 8)
    sector, omega = rng.integers(0, 8, n), rng.uniform(0.7, 2.0, n)
    got = wage_matrix(skill_wage, premium, sector, omega)
    np.testing.assert_array_equal(got, skill_wage[None, :] * (premium[sector] * omega)[:, None])
    np.testing.assert_array_equal(got, wage_matrix_py(skill_wage, premium, sector, omega))
    assert got.shape == (n, 3)


def test_copy_without_rows_drops_whole_rows_of_a_matrix():
    """The staff counts (firms x skills) lose the exiting firms' rows as a boolean mask would."""
    rng = np.random.default_rng(3)
    staff = rng.integers(0, 50, (1000, 3))
    rows = np.sort(rng.choice(1000, 37, replace=False)).astype(np.int64)
    keep = np.ones(1000, dtype=bool)
    keep[rows] = False
    out = np.empty((963, 3), dtype=staff.dtype)
    assert copy_without_rows(staff, 1000, rows, out) == 963
    np.testing.assert_array_equal(out, staff[keep])


@pytest.mark.parametrize("n", [0, 1, 7, 3000])
def test_wage_premiums_equal_the_numpy_code_bit_for_bit(n):
    """Unfilled shares, premiums and open vacancies: the numpy expressions the matching used
    before (np.bincount, np.clip, np.average's pairwise sums), bit for bit."""
    rng = np.random.default_rng(n)
    rows = 3 * n
    v_firm = (
        np.sort(rng.integers(0, max(n, 1), rows)).astype(np.int64) if n else np.zeros(0, np.int64)
    )
    openings = rng.integers(0, 5, rows).astype(np.int64)
    filled = np.minimum(openings, rng.integers(0, 4, rows)).astype(np.int64)
    premium = rng.uniform(0.6, 2.1, n)  # some outside [0.7, 2.0]: the clip acts
    staff = rng.integers(0, 30, (n, 3)).astype(np.int64)
    args = (v_firm, openings, filled, premium, staff, 0.2, 1.03, 0.1)
    got = wage_premiums(*args)
    want = wage_premiums_py(*args)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[2] == want[2]
    if n >= 7:
        weights = staff.sum(axis=1)
        assert abs(np.average(got[1], weights=weights) - 1.0) < 1e-12  # the mean premium is 1
        assert ((got[0] > 0) & (got[0] <= 1)).any()
    args0 = (v_firm, openings, filled, premium, np.zeros((n, 3), np.int64), 0.2, 1.03, 0.1)
    np.testing.assert_array_equal(wage_premiums(*args0)[1], wage_premiums_py(*args0)[1])


@pytest.mark.parametrize(("n", "keep_floor"), [(0, 2), (1, 0), (40, 3), (6000, 2), (6000, 700)])
def test_exit_decisions_equal_the_numpy_code(n, keep_floor):
    """Insolvent or long-marginal firms older than the patience exit, unless their sector would
    fall below its floor: the rows, counts, quarters and renumbering of the numpy code."""
    rng = np.random.default_rng(n + keep_floor)
    sector = rng.integers(0, 8, n).astype(np.int64)
    cash = rng.normal(1e5, 2e5, n)
    inventory, price = rng.uniform(0, 1e4, n), rng.uniform(0.8, 1.2, n)
    capital, loans = rng.uniform(0, 1e5, n), rng.uniform(0, 4e5, n)
    share = rng.uniform(0, 2.0 / max(n, 1) * 8, n)
    age = rng.integers(0, 20, n).astype(np.int64)
    low_q = rng.integers(0, 8, n).astype(np.int64)
    n_s = np.bincount(sector, minlength=8)
    tie = rng.random(n) < 0.1  # shares exactly at the floor: not low (the rule is '<')
    share[tie] = 0.3 / np.maximum(n_s[sector[tie]], 1)
    args = (sector, cash, inventory, price, capital, loans, share, age, low_q, 1.01, 8, 0.3, 6,
            keep_floor)  # fmt: skip
    got = exit_decisions(*args)
    want = exit_decisions_py(*args)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.int64
    low_q2, exits, rows, mapping = got
    assert exits.sum() == rows.size and (mapping[rows] == -1).all()
    if n == 6000:
        assert (rows.size > 0) == (keep_floor < 700)  # a high floor keeps every sector whole
        assert ((low_q2 == 0) | (low_q2 == low_q + 1)).all() and (low_q2 == 0).any()
        assert (low_q2[tie] == 0).all()
