"""Talent kernels (``kernels.talent``, ``kernels.migration``) against their plain-Python twins,
on random populations and edge cases (no agents, no firms, everyone abroad or employed,
probabilities 0 and 1), with the staff counts kept in step."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from kernels import migration, talent
from kernels.events import lottery_rows

K0, K1, Q = np.uint64(0x1234ABCD5678EF01), np.uint64(7), 10_012
HIGH = 2


def population(seed: int, n: int, n_firms: int, abroad_share=0.13, employed_share=0.8):
    """Talent arrays (compact dtypes, ids with holes), wages and the consistent staff counts."""
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(np.arange(1, 2 * n + 2), n, replace=False)).astype(np.int32)
    skill = rng.integers(0, 3, n).astype(np.int8)
    abroad = (rng.random(n) < abroad_share).astype(np.int8)
    employed = (rng.random(n) < employed_share) & (abroad == 0) & (n_firms > 0)
    employer = np.where(employed, rng.integers(0, max(n_firms, 1), n), -1).astype(np.int32)
    experience = rng.integers(-1, 8, n).astype(np.int8)
    reservation = rng.uniform(5e3, 2e4, n).astype(np.float32)
    wages = rng.uniform(8e3, 3e4, (n_firms, 3))
    sector = rng.integers(0, 8, n_firms).astype(np.int64)
    staff = talent.count_staff(employer, skill, n_firms, 3)
    return {
        "ids": ids,
        "abroad": abroad,
        "job": [employer, skill, experience, reservation, wages, sector, 0.8, staff],
    }


def copies(pop):
    out = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in pop.items()}
    out["job"] = [x.copy() if isinstance(x, np.ndarray) else x for x in pop["job"]]
    return out


def assert_same(a, b):
    np.testing.assert_array_equal(a["abroad"], b["abroad"])
    for x, y in zip(a["job"], b["job"], strict=True):
        np.testing.assert_array_equal(x, y)
    employer, skill, _, _, wages, _, _, staff = a["job"]
    np.testing.assert_array_equal(staff, talent.count_staff(employer, skill, wages.shape[0], 3))


CASES = [(0, 0, 5), (1, 1, 1), (2, 300, 0), (3, 2000, 40), (4, 5000, 300)]


@pytest.mark.parametrize(("seed", "n", "n_firms"), CASES)
def test_counts_and_census_equal_twins(seed, n, n_firms):
    pop = population(seed, n, n_firms)
    employer, skill = pop["job"][0], pop["job"][1]
    np.testing.assert_array_equal(
        talent.count_staff(employer, skill, n_firms, 3),
        talent.count_staff_py(employer, skill, n_firms, 3),
    )
    a = talent.census(pop["abroad"], employer, skill, 3)
    b = talent.census_py(pop["abroad"], employer, skill, 3)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    marks = np.random.default_rng(seed).integers(-1, 6, n).astype(np.int32)  # 5: out of range
    got = talent.marked_residents(marks, pop["abroad"], 5)
    np.testing.assert_array_equal(got, talent.marked_residents_py(marks, pop["abroad"], 5))
    home = pop["abroad"] == 0
    np.testing.assert_array_equal(got, [0] + [np.sum((marks == m) & home) for m in range(1, 5)])


@pytest.mark.parametrize("n", [0, 1, 511, 512, 513, 1536, 5000])
def test_marked_residents_sparse_marks_at_block_edges(n):
    """Rare marks (the model's case: blocks without one are skipped) at the edges of the
    kernel's blocks of 512 and in the tail after the last whole block."""
    rng = np.random.default_rng(n)
    marks = np.zeros(n, np.int32)
    abroad = (rng.random(n) < 0.2).astype(np.int8)
    spots = [i for i in (0, 510, 511, 512, 1023, 1024, 1535, 4607, 4608, n - 1) if 0 <= i < n]
    for j, i in enumerate(spots):
        marks[i] = (-1, 1, 2, 3, 7)[j % 5]  # -1 and 7: outside the range, not counted
    got = talent.marked_residents(marks, abroad, 4)
    np.testing.assert_array_equal(got, talent.marked_residents_py(marks, abroad, 4))
    home = abroad == 0
    np.testing.assert_array_equal(got, [0] + [np.sum((marks == m) & home) for m in range(1, 4)])
    # the marks of those abroad are cleared, in place (as numpy's masks did)
    want = marks.copy()
    n_want = int(np.sum((want != 0) & (abroad == 1)))
    want[(want != 0) & (abroad == 1)] = 0
    twin = marks.copy()
    n_twin = talent.clear_marks_abroad_py(twin, abroad)
    n_got = talent.clear_marks_abroad(marks, abroad)
    np.testing.assert_array_equal(marks, want)
    np.testing.assert_array_equal(twin, want)
    assert n_got == n_twin == n_want


@pytest.mark.parametrize(("seed", "n", "n_firms"), CASES)
def test_separate_and_hire_equal_twins(seed, n, n_firms):
    pop = population(seed, n, n_firms)
    rng = np.random.default_rng(seed)
    employed = np.flatnonzero(pop["job"][0] >= 0)
    rows = (
        np.sort(rng.choice(employed, employed.size // 3, replace=False))
        if employed.size
        else employed
    )
    a, b = copies(pop), copies(pop)
    talent.separate(rows.astype(np.int64), *a["job"])
    talent.separate_py(rows, *b["job"])
    assert_same(a, b)
    if n_firms:
        free = np.flatnonzero(a["job"][0] < 0)[:50].astype(np.int64)
        firms = rng.integers(0, n_firms, free.size).astype(np.int64)
        for x, f in ((a, talent.hire), (b, talent.hire_py)):
            employer, skill, experience, _, _, sector, _, staff = x["job"]
            f(free, firms, employer, skill, experience, sector, staff)
        assert_same(a, b)


@pytest.mark.parametrize(("seed", "n", "n_firms"), CASES)
@pytest.mark.parametrize("share", [0.0, 0.1, 1.0])
def test_layoffs_equal_twin(seed, n, n_firms, share):
    pop = population(seed, n, n_firms)
    rng = np.random.default_rng(seed + 1)
    p_fire = np.where(rng.random((n_firms, 3)) < share, rng.random((n_firms, 3)), 0.0)
    if n_firms:
        p_fire[0] = 1.0  # everyone of firm 0 goes
    a, b = copies(pop), copies(pop)
    na = talent.layoffs(a["ids"], a["abroad"], *a["job"], p_fire, K0, K1, Q, 8)
    nb = talent.layoffs_py(b["ids"], b["abroad"], *b["job"], p_fire, int(K0), int(K1), Q, 8)
    assert na == nb
    assert_same(a, b)
    if n_firms:
        assert a["job"][-1][0].sum() == 0
    # the flags of shedding firms given (as plan_firms returns them): the same layoffs
    c = copies(pop)
    sheds = np.concatenate([[0], (p_fire > 0).any(axis=1)]).astype(np.uint8)
    nc = talent.layoffs(c["ids"], c["abroad"], *c["job"], p_fire, K0, K1, Q, 8, 1, sheds)
    assert nc == na
    assert_same(a, c)


@pytest.mark.parametrize(("seed", "n", "n_firms"), CASES)
@pytest.mark.parametrize(("quit_p", "search_p"), [(0.0, 0.0), (0.01, 0.55), (0.7, 1.0)])
def test_quits_and_search_equal_twin(seed, n, n_firms, quit_p, search_p):
    pop = population(seed, n, n_firms)
    floor = np.array([6e3, 9e3, 1.4e4])
    a, b = copies(pop), copies(pop)
    sa, qa = talent.quits_and_search(
        a["ids"], a["abroad"], *a["job"], floor, 0.97, quit_p, search_p, K0, K1, Q, 1, 10
    )
    sb, qb = talent.quits_and_search_py(
        b["ids"], b["abroad"], *b["job"], floor, 0.97, quit_p, search_p, int(K0), int(K1), Q, 1, 10
    )
    assert qa == qb
    np.testing.assert_array_equal(sa, sb)
    assert_same(a, b)
    if search_p == 1.0:  # every unemployed resident searches
        unemployed = np.flatnonzero((a["abroad"] == 0) & (a["job"][0] < 0))
        np.testing.assert_array_equal(sa, unemployed)


@pytest.mark.parametrize(("seed", "n", "n_firms"), CASES)
@pytest.mark.parametrize(
    ("retire_p", "p0", "p_imm"), [(0.0, 0.0, 0.0), (0.0055, 0.003, 0.03), (0.3, 0.4, 1.0)]
)
def test_migrate_equals_twin(seed, n, n_firms, retire_p, p0, p_imm):
    pop = population(seed, n, n_firms)
    away = np.flatnonzero(pop["abroad"] == 1).astype(np.int64)
    p_away = np.full(away.size, p_imm)
    args = (retire_p, p0, np.array([1.1e4, 1.6e4, 2.6e4]), 4.0, 0.1, away, p_away)
    args += (np.array([7e3, 1e4, 1.5e4]), HIGH)
    a, b = copies(pop), copies(pop)
    ra = migration.migrate(a["ids"], a["abroad"], *a["job"], *args, K0, K1, Q, 3, 2, 4)
    rb = migration.migrate_py(b["ids"], b["abroad"], *b["job"], *args, int(K0), int(K1), Q, 3, 2, 4)
    np.testing.assert_array_equal(ra[0], rb[0])
    assert ra[1:5] == rb[1:5]
    np.testing.assert_array_equal(ra[5], rb[5])
    assert_same(a, b)
    # the two lotteries made ahead (abm.mechanisms.migration.draw_lotteries_ahead): the same
    c = copies(pop)
    bounds = ((3, retire_p), (2, 2 * p0))
    ahead = tuple(lottery_rows(c["ids"], K0, K1, Q, m, bound) for m, bound in bounds)
    rc = migration.migrate(c["ids"], c["abroad"], *c["job"], *args, K0, K1, Q, 3, 2, 4,
                           lotteries=ahead)  # fmt: skip
    np.testing.assert_array_equal(rc[0], ra[0])
    assert rc[1:5] == ra[1:5]
    np.testing.assert_array_equal(rc[5], ra[5])
    assert_same(c, a)
    if p_imm == 1.0:
        assert ra[3] == away.size and (a["abroad"][away] == 0).all()
    # residents change by the movers (retirees leave the population afterwards)
    home_before = np.bincount(pop["job"][1][pop["abroad"] == 0], minlength=3)
    home_after = np.bincount(a["job"][1][a["abroad"] == 0], minlength=3)
    retired = np.bincount(a["job"][1][ra[0]], minlength=3)
    np.testing.assert_array_equal(home_after - retired - home_before, ra[5])


@pytest.mark.parametrize(("seed", "n", "n_firms"), CASES[1:])
def test_exit_remap_equals_twin(seed, n, n_firms):
    pop = population(seed, n, n_firms)
    rng = np.random.default_rng(seed + 2)
    keep = rng.random(n_firms) > 0.2
    mapping = np.full(n_firms, -1, np.int64)
    mapping[keep] = np.arange(keep.sum())
    a, b = copies(pop), copies(pop)
    assert talent.exit_remap(mapping, *a["job"]) == talent.exit_remap_py(mapping, *b["job"])
    for x, y in zip(a["job"], b["job"], strict=True):
        np.testing.assert_array_equal(x, y)
    employer = a["job"][0]
    assert employer.max(initial=-1) < keep.sum()
    assert (a["job"][-1][~keep] == 0).all()  # nobody left at an exiting firm


@pytest.mark.parametrize(("seed", "n", "n_firms"), [(7, 3000, 50), (8, 70_000, 900)])
def test_two_threads_give_the_same_bits(seed, n, n_firms):
    """Every step on numba's threads (fixed chunks) equals the serial step bit for bit."""
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one numba thread on this machine")
    pop = population(seed, n, n_firms)
    rng = np.random.default_rng(seed)
    p_fire = np.where(rng.random((n_firms, 3)) < 0.2, rng.random((n_firms, 3)), 0.0)
    floor = np.array([6e3, 9e3, 1.4e4])
    mapping = np.where(rng.random(n_firms) > 0.1, 0, -1)
    mapping[mapping == 0] = np.arange((mapping == 0).sum())
    away = np.flatnonzero(pop["abroad"] == 1).astype(np.int64)
    mig = (0.05, 0.02, np.array([1.1e4, 1.6e4, 2.6e4]), 4.0, 0.1, away, np.full(away.size, 0.2))
    mig += (np.array([7e3, 1e4, 1.5e4]), HIGH, K0, K1, Q, 3, 2, 4)
    results = []
    for threads in (1, 2):
        x = copies(pop)
        r = [talent.layoffs(x["ids"], x["abroad"], *x["job"], p_fire, K0, K1, Q, 8, threads)]
        r.append(
            talent.quits_and_search(
                x["ids"], x["abroad"], *x["job"], floor, 0.97, 0.05, 0.55, K0, K1, Q, 1, 10, threads
            )
        )
        r.append(migration.migrate(x["ids"], x["abroad"], *x["job"], *mig, threads))
        r.append(talent.exit_remap(mapping, *x["job"], threads=threads))
        results.append((r, x))
    (ra, a), (rb, b) = results
    assert ra[0] == rb[0] and ra[3] == rb[3]
    np.testing.assert_array_equal(ra[1][0], rb[1][0])
    np.testing.assert_array_equal(ra[2][0], rb[2][0])
    assert ra[2][1:5] == rb[2][1:5]
    np.testing.assert_array_equal(a["abroad"], b["abroad"])
    for x, y in zip(a["job"], b["job"], strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(("seed", "n"), [(0, 0), (1, 1), (2, 500), (3, 40_000)])
def test_immigration_draws_equal_twin_and_numpy(seed, n):
    """The rows abroad and who comes home by the base rate: the numbers of the numpy code it
    replaced (``EconomyState.shocks`` of the rows abroad against the bound of their skill)."""

    from kernels.philox import philox_uniforms

    pop = population(seed, n, 10, abroad_share=0.3)
    skill = pop["job"][1]
    bound = np.array([0.02, 0.3, 0.9])
    args = (pop["ids"], pop["abroad"], skill, bound, K0, K1, Q, 4)
    rows, arriving = migration.immigration_draws(*args)
    want_rows = np.flatnonzero(pop["abroad"] == 1)
    np.testing.assert_array_equal(rows, want_rows)
    u = philox_uniforms(K0, K1, pop["ids"][want_rows], Q, 4, 1)[:, 0]
    np.testing.assert_array_equal(arriving, u < bound[skill[want_rows]])
    twin = migration.immigration_draws_py(*args)
    np.testing.assert_array_equal(rows, twin[0])
    np.testing.assert_array_equal(arriving, twin[1])
    # the same split in two: the uniforms drawn ahead, then compared with the bounds
    where = (pop["ids"], pop["abroad"], skill)
    rows_u, uniforms = migration.abroad_uniforms(*where, -1, K0, K1, Q, 4)
    np.testing.assert_array_equal(rows_u, want_rows)
    np.testing.assert_array_equal(uniforms, u)
    twin_u = migration.abroad_uniforms_py(*where, -1, K0, K1, Q, 4)
    np.testing.assert_array_equal(twin_u[0], rows_u)
    np.testing.assert_array_equal(twin_u[1], uniforms)
    np.testing.assert_array_equal(migration.arrivals(rows_u, uniforms, skill, bound), arriving)
    # of one skill only: the same uniforms, of the rows of that skill
    for level in range(3):
        rows_k, u_k = migration.abroad_uniforms(*where, level, K0, K1, Q, 4)
        of_level = skill[want_rows] == level
        np.testing.assert_array_equal(rows_k, want_rows[of_level])
        np.testing.assert_array_equal(u_k, u[of_level])
        twin_k = migration.abroad_uniforms_py(*where, level, K0, K1, Q, 4)
        np.testing.assert_array_equal(twin_k[0], rows_k)
        np.testing.assert_array_equal(twin_k[1], u_k)


UNEMPLOYED_CASES = [(0, 0, 0.8), (1, 1, 0.0), (2, 3000, 0.8), (3, 40_000, 0.9), (4, 20_000, 0.0)]


@pytest.mark.parametrize(("seed", "n", "employed_share"), UNEMPLOYED_CASES)
def test_unemployed_rows_threaded_equal_numpy(seed, n, employed_share):
    """The passes (a count per chunk, then each chunk's rows), serial and threaded, list the
    unemployed residents in row order: the rows numpy finds."""
    from kernels import passes

    pop = population(seed, n, 10, abroad_share=0.3, employed_share=employed_share)
    employer = pop["job"][0]
    want = np.flatnonzero((pop["abroad"] == 0) & (employer < 0))
    got = passes.unemployed_parallel(pop["abroad"], employer)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(passes.unemployed(pop["abroad"], employer), want)
    for threads in (1, 2):
        np.testing.assert_array_equal(
            passes.unemployed_rows(pop["abroad"], employer, threads), want
        )


@pytest.mark.parametrize("pattern", ["chunk_ends", "none", "all", "sparse"])
def test_unemployed_chunks_store_only_their_own_rows(pattern):
    """Each chunk stores its rows at its own offset, from its flags eight at a time: compiled
    with bounds checks and run last chunk first, no chunk writes past its own slots (the next
    chunk's first row would be overwritten) with the unemployed at the chunks' edges, nowhere,
    everywhere or rare."""
    from kernels import passes

    c = passes.CHUNK
    n = 3 * c + 5
    employer = np.zeros(n, np.int32)
    abroad = np.zeros(n, np.int8)
    if pattern == "chunk_ends":
        employer[[0, c - 1, c, 2 * c - 1, 3 * c, n - 1]] = -1
    elif pattern == "all":
        employer[:] = -1
        abroad[c : c + 3] = 1  # abroad: not unemployed residents
    elif pattern == "sparse":
        employer[np.random.default_rng(0).choice(n, 40, replace=False)] = -1
    nc = (n + c - 1) // c
    counts = np.zeros(nc, np.int64)
    listed = _bounds_checked(passes._list_unemployed)
    for k in range(nc):
        passes._count_unemployed(k, abroad, employer, counts)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    out = np.full(start[-1], -7, np.int64)
    for k in reversed(range(nc)):
        listed(k, abroad, employer, start, out, np.empty(c, np.uint8))
    np.testing.assert_array_equal(out, np.flatnonzero((abroad == 0) & (employer < 0)))


@functools.cache
def _bounds_checked(kernel):
    """``kernel`` compiled again with numba's bounds checks (an IndexError for any access out of
    range), not cached on disk."""
    import numba

    return numba.njit(boundscheck=True)(kernel.py_func)


@pytest.mark.parametrize(("abroad_share", "employed_share"), [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0),
                                                              (0.3, 0.8)])  # fmt: skip
def test_chunks_abroad_store_only_their_own_rows(abroad_share, employed_share, monkeypatch):
    """``immigration_draws``'s and ``abroad_uniforms``'s chunks store their rows abroad and draws
    only in their own places: each chunk compiled with bounds checks (the listing they share too)
    and run last chunk first (a chunk writing past its places would overwrite the next chunk's
    first row), with nobody, everybody or some abroad, around a chunk's size, of all skills and
    of one."""
    from kernels.passes import CHUNK

    monkeypatch.setattr(migration, "_list_abroad", _bounds_checked(migration._list_abroad))
    draw = _bounds_checked(migration._draw_abroad)
    uniforms_of = _bounds_checked(migration._uniforms_abroad)
    for n in (0, 1, 7, CHUNK + 1, 2 * CHUNK + 3):
        pop = population(n, n, 10, abroad_share=abroad_share, employed_share=employed_share)
        skill = pop["job"][1]
        bound = np.array([0.2, 0.5, 0.9])
        nc = (n + CHUNK - 1) // CHUNK
        counts = np.zeros(nc, np.int64)
        for k in range(nc):
            migration._count_abroad(k, pop["abroad"], counts, skill, -1)
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        rows = np.full(start[-1], -7, np.int64)
        arriving = np.zeros(start[-1], np.bool_)
        key = (np.uint64(K0), np.uint64(K1), np.uint64(Q), np.uint64(4))
        for k in reversed(range(nc)):
            buffers = (np.empty(CHUNK, np.uint8), np.empty(CHUNK, np.int64), np.empty(CHUNK))
            draw(k, pop["ids"], pop["abroad"], skill, bound, key, start, rows, arriving, buffers)
        args = (pop["ids"], pop["abroad"], skill, bound, K0, K1, Q, 4)
        want = migration.immigration_draws(*args)
        np.testing.assert_array_equal(rows, np.flatnonzero(pop["abroad"] == 1))
        np.testing.assert_array_equal(rows, want[0])
        np.testing.assert_array_equal(arriving, want[1])
        for level in (-1, 2):
            for k in range(nc):
                migration._count_abroad(k, pop["abroad"], counts, skill, level)
            start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
            rows = np.full(start[-1], -7, np.int64)
            u = np.full(start[-1], -1.0)
            for k in reversed(range(nc)):
                buffers = (np.empty(CHUNK, np.uint8), np.empty(CHUNK, np.int64))
                uniforms_of(
                    k, pop["ids"], pop["abroad"], key, start, rows, u, buffers, skill, level
                )
            want = migration.abroad_uniforms_py(
                pop["ids"], pop["abroad"], skill, level, K0, K1, Q, 4
            )
            np.testing.assert_array_equal(rows, want[0])
            np.testing.assert_array_equal(u, want[1])
