"""What runs in a worker process: the numba cache warm-up (under a per-host lock), the worker's
numba threads and allocator, and one member's run."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import math
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numba
import xarray as xr
from distributed.diagnostics.plugin import WorkerPlugin

from abm import EconomyModel
from abm.ensemble.cluster import KEEP_PROFILER_ENV, keep_profiler  # noqa: F401 - re-exported
from abm.ensemble.plan import Task, member_seed
from abm.garbage import collect_garbage
from abm.scenario import Scenario


def warm_up(scenario: str | Scenario = "diffuse", threads: int = 1) -> float:
    """Build (or load) the numba cache: run a one-quarter model at a coarse scale, so every
    kernel is compiled once before dask workers start (with ``threads > 1``, the threaded
    kernels the members will call). Processes on one host take a file lock, so they never
    compile the same cache at once (numba #4807). Returns the seconds it took."""
    t0 = time.perf_counter()
    # and xarray's first use (~0.3 s) out of the first member
    warm_model(scenario, threads).to_dataset()
    return time.perf_counter() - t0


def warm_model(scenario: str | Scenario, threads: int = 1) -> Any:
    """The warm-up run (under the per-host lock); its Dataset is the ensemble's template."""
    lock = Path(tempfile.gettempdir()) / f"abm-numba-warmup-{os.getuid()}.lock"
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            return EconomyModel(
                scenario, 0, quarters=1, scale=4000.0, check_accounts=False, threads=threads,
                threads_from_scale=math.inf,  # the threaded kernels, though the scale is coarse
            ).run()  # fmt: skip
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_MALLOC_TUNED = False


def tune_malloc() -> None:
    """Undo the cost of dask's ``MALLOC_TRIM_THRESHOLD_`` in a worker process.

    dask's nanny sets ``MALLOC_TRIM_THRESHOLD_=65536`` for its workers; any explicit trim
    threshold switches off glibc's dynamic mmap threshold, so every array above 128 KiB is a
    fresh ``mmap`` (and page faults): members ran about 1.8x slower than in a plain process here.
    When the variable is set, raise the thresholds (mmap 32 MiB, trim 64 MiB) with ``mallopt``
    once per process; the local cluster does not set the variable at all."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED or "MALLOC_TRIM_THRESHOLD_" not in os.environ:
        return
    _MALLOC_TUNED = True
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 64 * 2**20)  # M_TRIM_THRESHOLD


def _set_numba_threads(threads: int) -> None:
    if threads > 1:  # before numba starts its pool, as the model does (abm.model)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


def run_member(task: Task) -> tuple[xr.Dataset, dict[str, Any]]:
    """Run one member on a worker; returns its Dataset and timing information."""
    t0 = time.perf_counter()
    tune_malloc()
    _set_numba_threads(task.threads)  # thread-local in numba: set in the thread that runs
    model = EconomyModel(
        task.scenario,
        member_seed(task.root_seed, task.member),
        scale=task.scale,
        quarters=task.quarters,
        check_accounts=task.check_accounts,
        threads=task.threads,
    )
    model.run()
    ds = model.to_dataset()
    info = {
        "seconds": time.perf_counter() - t0,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "numba_threads": model.threads,  # the threads its kernels used (abm.model_args)
        "numba_max_threads": numba.config.NUMBA_NUM_THREADS,
    }
    agents = len(model.talent_pop) + len(model.firm_pop)
    del model
    _collect_dropped(agents)
    return ds, info


#: Agents of the members' models dropped since the worker's last full collection above which
#: it collects. A dropped model is a reference cycle (its agents point to it) that only a full
#: collection frees, and builds run with the collector paused (abm.mesa_core), so a worker held
#: many members' models, arrays and all (eight 1:50 members: 0.26 -> 0.39 GiB); a collection
#: costs about 0.1 s with a worker's heap, as much as a 1:1000 member, so it waits for some
#: 2 million agents' worth of models (about 60 bytes of resident memory each): every member
#: at 1:1, every 8th at 1:50, every 160th at 1:1000.
COLLECT_AFTER_AGENTS = 2_000_000
_dropped = [0]  # agents dropped since the last collection (a race between threads only delays it)


def _collect_dropped(agents: int) -> None:
    """Count a dropped member's agents; collect once they reach :data:`COLLECT_AFTER_AGENTS`."""
    _dropped[0] += agents
    # not while another thread's member runs a quarter with the older objects frozen: they
    # would be out of the collection's reach (abm.garbage); the next member's end tries again
    if _dropped[0] >= COLLECT_AFTER_AGENTS and collect_garbage():
        _dropped[0] = 0


def dask_setup(worker: Any) -> None:
    """Preload of the local cluster's workers (``LocalCluster(preload=[this module])``): they
    ignore SIGINT. Ctrl-C in a terminal goes to every process of its foreground group, the
    workers too, which then died printing tracebacks while the driver was saving the shards;
    the driver stops its workers itself when it is interrupted."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def pin_numba_threads(threads: int) -> None:
    """Give ``NUMBA_NUM_THREADS`` a value where the worker's environment has none: ``threads``
    if numba's thread pool has not started, else the size it started with. numba rereads the
    variable whenever it compiles and raises when it differs from a started pool ("Cannot set
    NUMBA_NUM_THREADS to a different value once the threads have been launched"): a worker
    whose pool started with the machine's core count and was then given ``threads`` failed
    every member that compiled a kernel (a worker that had loaded its kernels from the cache
    and started its pool with numba's default, the core count)."""
    if "NUMBA_NUM_THREADS" in os.environ:
        return
    from numba.np.ufunc import parallel

    started = getattr(parallel, "_is_initialized", True)  # unknown: assume it started
    size = numba.config.NUMBA_NUM_THREADS if started else threads
    os.environ["NUMBA_NUM_THREADS"] = str(size)
    if not started:
        numba.config.reload_config()  # the pool starts with this size, as the variable says


def stop_profiler(worker: Any) -> bool:
    """Stop the worker's per-task statistical profiler; whether it ran.

    Every 10 ms dask's profiler takes the interpreter's lock in the worker and walks the stack
    of the thread that runs the member (``distributed.worker.profile``). One worker, the same
    members with the profiler on and off in alternation: 0.413 against 0.402 s and 0.481
    against 0.427 s a member (medians of 12 and 16; 0.393 s in one process), a member of the
    default size being mostly Python around short kernels (docs/ensembles.md, section 8). What
    a member computes does not depend on it. The local cluster's workers are started with the
    profiler off altogether (``distributed.worker.profile.enabled``, which also keeps the
    sampler of the worker's event loop from being made: :func:`abm.ensemble.cluster
    ._worker_env`); workers started elsewhere (a scheduler address, dask-jobqueue) get this
    through :class:`WorkerSetup`, and keep it off after the ensemble, for their later work too.
    The callbacks are removed, not only stopped: a worker starts its periodic callbacks after
    the plugins it is given when it registers."""
    callbacks = getattr(worker, "periodic_callbacks", None)
    if not isinstance(callbacks, dict):
        return False
    ran = False
    for key in ("profile", "profile-cycle"):
        pc = callbacks.pop(key, None)
        if pc is not None:
            pc.stop()
            ran = True
    return ran


class WorkerSetup(WorkerPlugin):
    """Worker plugin: numba threads, the allocator, no statistical profiler
    (:func:`stop_profiler`) and a (locked) cache warm-up in every worker, including workers that
    join later or are restarted after a crash."""

    idempotent = False
    name = "abm-ensemble-setup"

    def __init__(
        self, scenario: Scenario, threads: int, warm_threads: Sequence[int] | None = None
    ) -> None:
        self.scenario = scenario
        self.threads = threads
        #: ABM_DASK_PROFILER=1 where the ensemble is started (read here, on the driver)
        self.keep_profiler = keep_profiler()
        #: the thread counts of the warm-up runs: those the members will use (1 for members at
        #: scales too coarse for threads, abm.model_args.effective_threads), each warmed once
        self.warm_threads = tuple(sorted(set(warm_threads or (threads,))))

    def setup(self, worker: Any) -> None:
        pin_numba_threads(self.threads)
        if not self.keep_profiler:
            stop_profiler(worker)
        tune_malloc()
        try:
            _set_numba_threads(self.threads)
            for t in self.warm_threads:
                warm_up(self.scenario, t)
        except Exception as e:  # noqa: BLE001 - the members will report a real problem
            logging.getLogger("abm.ensemble").warning("worker warm-up failed: %s", e)

    def teardown(self, worker: Any) -> None:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m abm.ensemble warm-up [SCENARIO]``: build the numba cache on this node (job
    scripts run it once per job before their dask workers start)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "warm-up" or len(args) > 2:
        print("usage: python -m abm.ensemble warm-up [SCENARIO]", file=sys.stderr)
        return 2
    secs = warm_up(args[1] if len(args) > 1 else "diffuse")
    print(f"numba cache ready on {socket.gethostname()} ({secs:.1f} s)")
    return 0
