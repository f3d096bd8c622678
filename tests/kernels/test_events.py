"""Keyed agent events (``kernels.events``) against their twins, numpy's Philox and the laws of
chance; and common random numbers: removing an agent leaves every other agent's draws alone."""

from __future__ import annotations

import numpy as np
import pytest

from kernels.events import (
    LOTTERY_FLAG,
    acts,
    acts_py,
    event_uniforms,
    event_uniforms_py,
    lottery_rows,
    lottery_rows_parallel,
    lottery_rows_py,
    own_uniform,
    philox4x64_py,
)
from kernels.philox import philox_uniforms

K0, K1 = np.uint64(0xDEADBEEF12345678), np.uint64(42)


def _ids(rng: np.random.Generator, n: int, span: int) -> np.ndarray:
    """``n`` increasing ids out of 1..span (holes where agents left)."""
    return np.sort(rng.choice(np.arange(1, span + 1), n, replace=False)).astype(np.int32)


def test_philox_twin_is_numpys_philox():
    key = np.array([int(K0), int(K1)], dtype=np.uint64)
    ctr = np.array([16, 10_005, 3, 0], dtype=np.uint64)
    g = np.random.Generator(np.random.Philox(key=key, counter=ctr))
    words = g.bit_generator.random_raw(4)
    # numpy increments the counter before its first block
    assert philox4x64_py([17, 10_005, 3, 0], int(K0), int(K1)) == list(words)


@pytest.mark.parametrize("span", [40, 3000, 100_000])
def test_event_uniforms_equal_twin(span):
    rng = np.random.default_rng(span)
    ids = _ids(rng, min(span, 300), span)
    a = event_uniforms(K0, K1, ids, 10_005, 7)
    b = event_uniforms_py(int(K0), int(K1), ids, 10_005, 7)
    np.testing.assert_array_equal(a, b)


def test_event_uniform_is_byte_plus_the_shock_of_the_agent():
    """U = (B + V) / 256: V is the agent's first per-agent uniform (``philox_uniforms``, what
    ``EconomyState.shocks`` draws) and B byte ``id & 31`` of numpy's Philox block at counter
    ``(id >> 5, quarter, mechanism + 2**32, 0)``, shared by 32 ids."""
    import numba

    ids = np.arange(40, 104, dtype=np.int64)  # id >> 5 >= 1: numpy's counter starts one lower

    @numba.njit
    def own(ids):
        return np.array([own_uniform(K0, K1, t, 10_005, 2) for t in ids])

    v = own(ids)
    np.testing.assert_array_equal(v, philox_uniforms(K0, K1, ids, 10_005, 2, 1)[:, 0])
    key = np.array([int(K0), int(K1)], dtype=np.uint64)
    b = np.empty(ids.size)
    for i, t in enumerate(ids):
        ctr = np.array([(t >> 5) - 1, 10_005, 2 + LOTTERY_FLAG, 0], dtype=np.uint64)
        words = np.random.Philox(key=key, counter=ctr).random_raw(4)
        b[i] = words.view(np.uint8)[t & 31]
    u = event_uniforms(K0, K1, ids, 10_005, 2)
    np.testing.assert_array_equal(u, (b + v) / 256)
    assert len(set(b.tolist())) > 32  # bytes, not one per block


def test_acts_decides_as_its_uniform():
    """``acts`` (no memo, V only when the byte allows) agrees with ``U < p`` at every p."""
    import numba

    ids = np.arange(1, 3001, dtype=np.int64)
    u = event_uniforms(K0, K1, ids, 10_005, 6)

    @numba.njit
    def decide(ids, p):
        return np.array([acts(K0, K1, t, 10_005, 6, p) for t in ids])

    for p in (0.0, 0.001, 1 / 256, 0.03, 0.5, 1.0):
        np.testing.assert_array_equal(decide(ids, p), u < p)
        twin = [acts_py(int(K0), int(K1), int(t), 10_005, 6, p) for t in ids[:200]]
        np.testing.assert_array_equal(decide(ids[:200], p), twin)


@pytest.mark.parametrize("bound", [0.0, 1e-9, 1 / 256, 0.0055, 0.01, 0.3, 0.5, 0.51, 0.9, 1.0, 2.0])
@pytest.mark.parametrize("span", [1, 33, 2000])
def test_lottery_rows_equal_twin(bound, span):
    rng = np.random.default_rng(int(bound * 1000) + span)
    ids = _ids(rng, max(1, span * 2 // 3), span)
    a_rows, a_u = lottery_rows(ids, K0, K1, 10_005, 4, bound)
    b_rows, b_u = lottery_rows_py(ids, int(K0), int(K1), 10_005, 4, bound)
    np.testing.assert_array_equal(a_rows, b_rows)
    np.testing.assert_array_equal(a_u, b_u)


def test_lottery_rows_without_agents():
    rows, u = lottery_rows(np.zeros(0, np.int32), K0, K1, 10_005, 4, 0.5)
    assert rows.size == 0 and u.size == 0


def test_lottery_rows_are_the_agents_below_the_bound():
    """The lottery rows are exactly the agents with U < bound, with their U; the parallel
    driver gives the same arrays (fixed chunks)."""
    rng = np.random.default_rng(3)
    ids = _ids(rng, 80_000, 100_000)  # several chunks
    u = event_uniforms(K0, K1, ids, 10_005, 9)
    for bound in (0.003, 0.02, 0.2, 0.7):
        rows, u_rows = lottery_rows(ids, K0, K1, 10_005, 9, bound)
        np.testing.assert_array_equal(rows, np.flatnonzero(u < bound))
        np.testing.assert_array_equal(u_rows, u[rows])
        par_rows, par_u = lottery_rows_parallel(ids, K0, K1, 10_005, 9, bound)
        np.testing.assert_array_equal(par_rows, rows)
        np.testing.assert_array_equal(par_u, u_rows)


@pytest.mark.parametrize("gap", [1, 1.05, 1.5, 3, 40])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_lottery_rows_over_sparse_ids_and_both_paths(gap, dtype):
    """Ids with gaps (agents who left) across several chunks: the bytes-eight-at-a-time path
    (bounds up to one half; its search for a candidate's row bounded by the gaps) and the
    row-by-row path (above) both give exactly the agents with U < bound."""
    rng = np.random.default_rng(int(gap * 100))
    ids = (np.sort(rng.choice(int(70_000 * gap), 70_000, replace=False)) + 5).astype(dtype)
    u = event_uniforms(K0, K1, ids, 10_007, 2)
    for bound in (1e-4, 0.004, 0.05, 0.5, 0.5001, 0.8):
        rows, u_rows = lottery_rows(ids, K0, K1, 10_007, 2, bound)
        np.testing.assert_array_equal(rows, np.flatnonzero(u < bound))
        np.testing.assert_array_equal(u_rows, u[rows])


def test_lottery_rows_over_runs_of_missing_ids_in_bounds():
    """Runs of hundreds of missing ids (a cohort that left) among dense ones, the first and last
    ids gone, a single agent: compiled with numba's bounds checks, the search for each
    candidate's row reads no id out of range and finds the agents with U < bound."""
    import numba

    ids = np.arange(1, 90_001, dtype=np.int64)
    keep = np.ones(ids.size, dtype=bool)
    for lo in (0, 700, 5_000, 32_700, 40_000, 65_500):
        keep[lo : lo + 450] = False
    keep[-300:] = False
    from kernels import events

    # the search is in _lottery_chunk: that (not only the driver) compiled with bounds checks
    chunk = numba.njit(boundscheck=True)(events._lottery_chunk.py_func)
    size = events.ROWS_PER_CHUNK

    @numba.njit(boundscheck=True)
    def checked(ids, k0, k1, quarter, mechanism, bound):  # lottery_rows with the checked chunk
        n = ids.shape[0]
        nc = (n + size - 1) // size
        rows = np.empty(n, dtype=np.int64)
        draws = np.empty(n, dtype=np.float64)
        counts = np.zeros(nc, dtype=np.int64)
        q, m = np.uint64(quarter), np.uint64(mechanism)
        for k in range(nc):
            chunk(k, ids, np.uint64(k0), np.uint64(k1), q, m, bound, rows, draws, counts)
        return events._lottery_gather(rows, draws, counts)

    for these in (ids[keep], ids[keep][::2], ids[1234:1235]):
        u = event_uniforms(K0, K1, these, 10_007, 5)
        for bound in (1 / 256, 0.02, 0.3):
            rows, u_rows = checked(these, K0, K1, 10_007, 5, bound)
            np.testing.assert_array_equal(rows, np.flatnonzero(u < bound))
            np.testing.assert_array_equal(u_rows, u[rows])


def test_a_bound_of_one_or_more_takes_every_row():
    ids = np.arange(3, 5003, dtype=np.int64)
    for bound in (1.0, 2.0, 1e300, np.inf):
        rows, u = lottery_rows(ids, K0, K1, 10_007, 3, bound)
        np.testing.assert_array_equal(rows, np.arange(ids.size))
        np.testing.assert_array_equal(u, event_uniforms(K0, K1, ids, 10_007, 3))


def test_uniforms_are_uniform():
    ids = np.arange(1, 200_001, dtype=np.int32)
    u = event_uniforms(K0, K1, ids, 10_005, 1)
    assert u.min() >= 0.0 and u.max() < 1.0
    counts = np.histogram(u, bins=64, range=(0.0, 1.0))[0]
    expected = ids.size / 64
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 120  # 63 degrees of freedom: p ~ 1e-5
    for p in (0.002, 0.01, 0.55):
        share = float((u < p).mean())
        assert abs(share - p) < 5 * np.sqrt(p * (1 - p) / ids.size)
    # neighbours' uniforms are uncorrelated
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.01


def test_removing_an_agent_leaves_the_others_draws_unchanged():
    rng = np.random.default_rng(5)
    ids = _ids(rng, 5000, 6000)
    gone = 1234
    rest = np.delete(ids, gone)
    for mech in (1, 2, 3, 8):
        u_all = event_uniforms(K0, K1, ids, 10_010, mech)
        u_rest = event_uniforms(K0, K1, rest, 10_010, mech)
        np.testing.assert_array_equal(np.delete(u_all, gone), u_rest)
        for bound in (0.01, 0.6):
            rows_all, _ = lottery_rows(ids, K0, K1, 10_010, mech, bound)
            rows_rest, _ = lottery_rows(rest, K0, K1, 10_010, mech, bound)
            assert set(ids[rows_all].tolist()) - {int(ids[gone])} == set(rest[rows_rest].tolist())


def test_draws_differ_by_quarter_mechanism_and_key():
    ids = np.arange(1, 1001, dtype=np.int32)
    u = event_uniforms(K0, K1, ids, 10_005, 1)
    assert not np.array_equal(u, event_uniforms(K0, K1, ids, 10_006, 1))
    assert not np.array_equal(u, event_uniforms(K0, K1, ids, 10_005, 2))
    assert not np.array_equal(u, event_uniforms(K0, np.uint64(43), ids, 10_005, 1))
