"""Run test functions with numpy's SIMD loops pinned to its baseline, in a worker process.

numpy picks a loop per CPU when it starts. Above its baseline (numpy 2: ``X86_V2``) it has SIMD
loops for AVX2 (``X86_V3``) and AVX-512 (``X86_V4`` and up): with AVX-512, float64 ``log``,
``exp`` and ``power`` run numpy's own code, whose results differ from the C library's in the
last bit of about one value in a thousand; with AVX2, float64 ``tanh`` and float32 ``exp`` and
``log`` differ, and the default sort orders ties differently. The contract of the tests that
hold a kernel to the numpy code it replaced, or compare analysis tables with frozen files to
the last digit, is numpy at its baseline (the AMD machine that froze them ran numpy there: its
virtual CPU did not show numpy all of ``X86_V3``). ``tests/conftest.py``'s ``numpy_baseline``
fixture runs such functions in a worker process here whenever the test process's numpy
dispatches to features above its baseline (on most x86-64 CPUs), and in the test process
otherwise.

The worker (``python tests/numpy_baseline.py``) starts with ``NPY_DISABLE_CPU_FEATURES`` set
to every feature numpy dispatches to (as ``tests/reference/generate.py`` does for the model
runs), reads pickled jobs ``(file, function name, args)`` from stdin, and writes the pickled
``(ok, result or traceback)`` to its own copy of stdout (file descriptor 1 itself goes to
stderr, so a job's output cannot reach the results), one job at a time, until stdin closes. A
worker that dies is started again for the next call; a call that takes longer than
``TIMEOUT`` seconds stops the worker and fails.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import select
import struct
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

TIMEOUT = 600.0  #: seconds a job may take before the worker is stopped


def _umath() -> Any:
    try:
        import numpy._core._multiarray_umath as mu  # numpy 2
    except ImportError:  # numpy 1.26
        import numpy.core._multiarray_umath as mu
    return mu


def numpy_dispatches_above_baseline() -> bool:
    """Whether this process's numpy runs SIMD loops above its baseline on this CPU."""
    mu = _umath()
    return any(mu.__cpu_features__.get(f, False) for f in mu.__cpu_dispatch__)


def pinned_env() -> dict[str, str]:
    """This process's environment with numpy's dispatched features disabled."""
    mu = _umath()
    env = dict(os.environ)
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(mu.__cpu_dispatch__)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


def _send(stream: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    head = stream.read(8)
    if len(head) < 8:
        raise EOFError
    (size,) = struct.unpack("<Q", head)
    return pickle.loads(stream.read(size))


class BaselineWorker:
    """A worker process whose numpy runs at its baseline; ``call(fn, *args)`` runs ``fn`` (a
    module-level function of a test file) there and returns its result."""

    def __init__(self) -> None:
        self.proc = self._start()

    @staticmethod
    def _start() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=pinned_env(),
            cwd=Path(__file__).resolve().parents[1],
        )

    def call(self, fn: Callable, *args: Any) -> Any:
        if self.proc.poll() is not None:  # died in an earlier call: a fresh one
            self.proc = self._start()
        try:
            _send(self.proc.stdin, (fn.__code__.co_filename, fn.__name__, args))
            ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
            if not ready:
                self.proc.kill()
                self.proc.wait(10)
                raise RuntimeError(f"{fn.__name__} took over {TIMEOUT:.0f} s in the worker")
            ok, value = _receive(self.proc.stdout)
        except (EOFError, BrokenPipeError):
            raise RuntimeError(f"the numpy-baseline worker died running {fn.__name__}") from None
        if not ok:
            raise RuntimeError(f"{fn.__name__} failed in the numpy-baseline worker:\n{value}")
        return value

    def close(self) -> None:
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def _serve() -> None:
    """The worker's loop (see the module docstring)."""
    if numpy_dispatches_above_baseline():  # the variable was not honoured: never compare
        sys.exit("numpy-baseline worker: NPY_DISABLE_CPU_FEATURES left features enabled")
    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    modules: dict[str, Any] = {}
    stdin = sys.stdin.buffer
    results = os.fdopen(os.dup(1), "wb")  # the results' own copy of stdout
    os.dup2(2, 1)  # what a job writes to stdout, from Python or C, goes to stderr
    sys.stdout = sys.stderr
    while True:
        try:
            file, name, args = _receive(stdin)
        except EOFError:
            return
        try:
            if file not in modules:
                mod_name = f"_numpy_baseline_{len(modules)}"
                spec = importlib.util.spec_from_file_location(mod_name, file)
                mod = importlib.util.module_from_spec(spec)
                sys.modules[mod_name] = mod  # results of its classes can be pickled
                spec.loader.exec_module(mod)
                modules[file] = mod
            _send(results, (True, getattr(modules[file], name)(*args)))
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: BLE001 - pytest's skip and fail too: reported, served on
            _send(results, (False, traceback.format_exc()))


if __name__ == "__main__":
    _serve()
