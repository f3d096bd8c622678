"""The grant scores (``kernels.policy``) against the numpy code they replaced (bit for bit: the
frozen references; numpy at its baseline, the ``numpy_baseline`` fixture), their plain-Python
twin, their threaded version, and the inverse error function against scipy's normal quantiles."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy.special import ndtri

from kernels.philox import philox_uniforms
from kernels.policy import (
    CHUNK,
    erfinv,
    erfinv_py,
    grant_scores,
    grant_scores_parallel,
    grant_scores_py,
)

KEY0, KEY1 = np.uint64(0x1234_5678_9ABC_DEF0), np.uint64(0x0FED_CBA9_8765_4321)


def _erfinv_numpy(y):
    """``abm.policy.grant.erfinv`` before the kernel (Giles 2012, vectorised)."""
    w = -np.log((1.0 - y) * (1.0 + y))
    small = w < 5.0
    ws = w - 2.5
    p1 = 2.81022636e-08
    for cc in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
               -0.00417768164, 0.246640727, 1.50140941):  # fmt: skip
        p1 = cc + p1 * ws
    wl = np.sqrt(np.maximum(w, 5.0)) - 3.0
    p2 = -0.000200214257
    for cc in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
               0.00943887047, 1.00167406, 2.83297682):  # fmt: skip
        p2 = cc + p2 * wl
    return np.where(small, p1, p2) * y


def _scores_numpy(productivity, sector, mean_a, ask, keys, quarter, m, noise_sd):
    """The numpy code of ``abm.policy.grant.award`` before the kernel."""
    rel = np.log(productivity / np.maximum(mean_a[sector], 1e-12))
    z = philox_uniforms(KEY0, KEY1, keys, quarter, m, 1)[:, 0]
    noise = np.sqrt(2.0) * _erfinv_numpy(2 * np.clip(z, 1e-12, 1 - 1e-12) - 1)
    return np.where(ask > 0, rel + noise_sd * noise, -np.inf)


def _inputs(n, seed):
    rng = np.random.default_rng(seed)
    sector = rng.integers(0, 7, n).astype(np.int64)
    mean_a = rng.uniform(0.5, 2.0, 7)
    mean_a[3] = 0.0  # a sector without output: the floor of 1e-12
    productivity = rng.lognormal(0.0, 0.4, n)
    ask = rng.uniform(0, 1e5, n) * (rng.random(n) < 0.6)  # many firms ask nothing
    keys = rng.permutation(10 * n + 1)[:n].astype(np.int64)
    return productivity, sector, mean_a, ask, keys


@pytest.mark.parametrize("n", [0, 1, CHUNK - 1, CHUNK + 1, 3 * CHUNK + 5])
@pytest.mark.parametrize("noise_sd", [0.0, 0.6])
def test_grant_scores_equal_the_numpy_code_bit_for_bit(n, noise_sd, numpy_baseline):
    productivity, sector, mean_a, ask, keys = _inputs(n, n)
    numpy_args = (productivity, sector, mean_a, ask, keys, 10_004, 9, noise_sd)
    want = numpy_baseline(_scores_numpy, *numpy_args)  # numpy's bits at its baseline
    got = grant_scores(productivity, sector, mean_a, ask, keys, KEY0, KEY1, 10_004, 9, noise_sd)
    np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))
    assert np.isneginf(got[~(ask > 0)]).all() and np.isfinite(got[ask > 0]).all()


def test_grant_scores_equal_their_twin():
    productivity, sector, mean_a, ask, keys = _inputs(300, 1)
    args = (productivity, sector, mean_a, ask, keys, KEY0, KEY1, 10_020, 9, 0.6)
    np.testing.assert_array_equal(grant_scores(*args), grant_scores_py(*args))


def test_two_threads_give_the_same_scores():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread here")
    productivity, sector, mean_a, ask, keys = _inputs(5 * CHUNK + 17, 2)
    args = (productivity, sector, mean_a, ask, keys, KEY0, KEY1, 10_001, 9, 0.6)
    numba.set_num_threads(2)
    try:
        par = grant_scores_parallel(*args)
    finally:
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(par.view(np.uint64), grant_scores(*args).view(np.uint64))


def test_erfinv_inverts_the_error_function_to_its_stated_accuracy(numpy_baseline):
    z = np.linspace(1e-6, 1 - 1e-6, 20001)
    got = np.array([erfinv(2 * x - 1) for x in z])
    assert np.max(np.abs(np.sqrt(2.0) * got - ndtri(z))) < 2e-5
    assert all(erfinv_py(2 * x - 1) == g for x, g in zip(z[::97], got[::97], strict=True))
    np.testing.assert_array_equal(got, numpy_baseline(_erfinv_numpy, 2 * z - 1))
