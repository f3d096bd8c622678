"""The machine a benchmark ran on, for its tables (shared by the ``bench_*.py`` scripts)."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), or what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def child_env(numba_threads: int) -> dict[str, str]:
    """The environment of a benchmark's child process: this one's, with OpenMP, OpenBLAS and
    MKL on one thread, ``numba_threads`` numba threads, and numba's threads waiting without
    spinning unless the user chose otherwise (``OMP_WAIT_POLICY=PASSIVE``, as the model sets
    it: ``abm.model``)."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["NUMBA_NUM_THREADS"] = str(numba_threads)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env
