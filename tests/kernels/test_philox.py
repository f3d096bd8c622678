"""The counter-based shock kernel against its twin and against numpy's Philox."""

from __future__ import annotations

import numpy as np
import pytest

from kernels.philox import philox_uniforms, philox_uniforms_py


@pytest.mark.parametrize("n_draws", [1, 3, 4, 9])
def test_kernel_equals_twin(n_draws):
    ids = np.array([1, 2, 17, 2**40 + 3, 999_999], dtype=np.int64)
    k0, k1 = np.uint64(0xDEADBEEF12345678), np.uint64(42)
    a = philox_uniforms(k0, k1, ids, 10_005, 3, n_draws)
    b = philox_uniforms_py(int(k0), int(k1), ids, 10_005, 3, n_draws)
    np.testing.assert_array_equal(a, b)


def test_kernel_equals_numpy_philox_stream():
    ids = np.arange(1, 50, dtype=np.int64)
    key = np.array([123456789, 987654321], dtype=np.uint64)
    out = philox_uniforms(key[0], key[1], ids, 7, 5, 8)
    for i, agent in enumerate(ids):
        for block in range(2):
            ctr = np.array([agent - 1, 7, 5, block], dtype=np.uint64)
            g = np.random.Generator(np.random.Philox(key=key, counter=ctr))
            np.testing.assert_array_equal(g.random(4), out[i, 4 * block : 4 * block + 4])


def test_no_agents():
    assert philox_uniforms(np.uint64(1), np.uint64(2), np.zeros(0, np.int64), 0, 0, 3).shape == (
        0,
        3,
    )


def test_parallel_draws_equal_serial():
    from kernels.philox import philox_uniforms_parallel

    ids = np.arange(1, 3001, dtype=np.int64) * 7
    k0, k1 = np.uint64(11), np.uint64(13)
    for n_draws in (1, 4, 8):
        np.testing.assert_array_equal(
            philox_uniforms(k0, k1, ids, 10_003, 6, n_draws),
            philox_uniforms_parallel(k0, k1, ids, 10_003, 6, n_draws),
        )
