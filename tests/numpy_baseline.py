"""Run test functions with numpy's SIMD loops pinned to its baseline, in a worker process.

numpy picks a loop per CPU when it starts: on a CPU with AVX-512 (numpy's ``X86_V4`` and
above), float64 ``log``, ``exp`` and ``power`` run numpy's own SIMD code, whose results differ
from the C library's in the last bit of about one value in a thousand; on a CPU without it
(the AMD machines that froze the tables and references) they are the C library's. Tests that
hold a kernel to the numpy code it replaced, or compare analysis tables with frozen files to the
last digit, compare bits that numpy computed at its baseline. ``tests/conftest.py``'s
``numpy_baseline`` fixture runs such functions here when the test process's numpy dispatches
to features above its baseline, and in the test process otherwise.

The worker (``python tests/numpy_baseline.py``) starts with ``NPY_DISABLE_CPU_FEATURES`` set
to every feature numpy dispatches to (as ``tests/reference/generate.py`` does for the model
runs), reads pickled jobs ``(file, function name, args)`` from stdin, and writes the pickled
``(ok, result or traceback)`` to stdout, one job at a time, until stdin closes.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import struct
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO


def numpy_dispatches_above_baseline() -> bool:
    """Whether this process's numpy runs SIMD loops above its baseline on this CPU."""
    import numpy._core._multiarray_umath as mu

    return any(mu.__cpu_features__.get(f, False) for f in mu.__cpu_dispatch__)


def pinned_env() -> dict[str, str]:
    """This process's environment with numpy's dispatched features disabled."""
    import numpy._core._multiarray_umath as mu

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
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=pinned_env(),
            cwd=Path(__file__).resolve().parents[1],
        )

    def call(self, fn: Callable, *args: Any) -> Any:
        _send(self.proc.stdin, (fn.__code__.co_filename, fn.__name__, args))
        try:
            ok, value = _receive(self.proc.stdout)
        except EOFError:
            raise RuntimeError(f"the numpy-baseline worker died running {fn.__name__}") from None
        if not ok:
            raise RuntimeError(f"{fn.__name__} failed in the numpy-baseline worker:\n{value}")
        return value

    def close(self) -> None:
        self.proc.stdin.close()
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
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a job's prints must not corrupt the results stream
    while True:
        try:
            file, name, args = _receive(stdin)
        except EOFError:
            return
        try:
            if file not in modules:
                spec = importlib.util.spec_from_file_location(f"_baseline_{len(modules)}", file)
                mod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(mod)
                modules[file] = mod
            _send(stdout, (True, getattr(modules[file], name)(*args)))
        except Exception:  # noqa: BLE001 - reported to the test that asked
            _send(stdout, (False, traceback.format_exc()))


if __name__ == "__main__":
    _serve()
