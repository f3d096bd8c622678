"""The numpy-baseline worker (``tests/numpy_baseline.py``) that tests comparing numpy's bits use:
its numpy runs the C library's float64 ``log`` and ``exp``, whatever the CPU."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location(
    "numpy_baseline", Path(__file__).with_name("numpy_baseline.py")
)
nb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nb)


def _numpy_log_exp(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    return np.log(x), np.exp(-x), nb.numpy_dispatches_above_baseline()


def _fails() -> None:
    raise ValueError("on purpose")


def _exits() -> None:
    raise SystemExit(3)  # a BaseException, as pytest's skip and fail are


def _noisy(x: int) -> int:
    import os

    os.write(1, b"written to file descriptor 1\n")  # as C code or a subprocess would
    print("printed")
    return x + 1


def test_the_worker_computes_numpy_at_its_baseline():
    x = np.random.default_rng(3).uniform(1e-3, 50.0, 20_000)
    worker = nb.BaselineWorker()
    try:
        log, exp, above = worker.call(_numpy_log_exp, x)
        assert not above
        # at its baseline numpy's float64 loops call the C library, as math does
        assert (
            log.view(np.uint64).tolist()
            == np.array([math.log(v) for v in x]).view(np.uint64).tolist()
        )
        assert (
            exp.view(np.uint64).tolist()
            == np.array([math.exp(-v) for v in x]).view(np.uint64).tolist()
        )
        with pytest.raises(RuntimeError, match="on purpose"):
            worker.call(_fails)
        assert worker.call(_numpy_log_exp, x[:3])[0].shape == (3,)  # it serves on after a failure
        with pytest.raises(RuntimeError, match="SystemExit"):
            worker.call(_exits)
        assert worker.call(_noisy, 41) == 42  # output of a job never reaches the results
    finally:
        worker.close()
    assert worker.proc.returncode == 0
