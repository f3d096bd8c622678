"""Shared fixtures: small, fast runs of the shipped scenarios, the system tools some tests use
(``ncdump``, ``cdo``, ``ncra``, ``chromium``), and one dask scheduler with two workers for each
test process (the tests whose subject is not the local cluster itself run their ensembles on
it, instead of each starting and stopping a cluster of fresh worker processes).

The suite runs on pytest-xdist workers (pyproject's addopts): one per usable core, at most four
(:func:`pytest_xdist_auto_num_workers`), each test file on one worker, so a worker that needs
the scheduler starts its own. Before the workers start, the controller fills numba's cache in a
subprocess (:func:`pytest_sessionstart`): numba's cache index is not safe for processes that
compile the same kernels at once (numba #4807), which workers on a cold cache (CI) would do."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import psutil
import pytest

from abm import EconomyModel

_spec = importlib.util.spec_from_file_location(
    "numpy_baseline", os.path.join(os.path.dirname(__file__), "numpy_baseline.py")
)
numpy_baseline_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(numpy_baseline_module)

# A suite started in the background of a non-interactive shell (``nohup``, ``cmd &``) inherits
# SIGINT ignored, and so would every ``abm`` process a test starts: the interrupt tests then see
# no Ctrl-C at all. The tests are about how the code answers Ctrl-C, so they get Python's own
# handler whatever the caller's disposition (children then start with the default action).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: the most test workers ``-n auto`` starts (each holds models, and some a dask cluster)
MAX_TEST_WORKERS = 4


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per core this process may use (its affinity, which a container's
    CPU set limits; xdist's own count is the machine's physical cores), at most four."""
    return max(1, min(MAX_TEST_WORKERS, len(os.sched_getaffinity(0))))


def pytest_sessionstart(session: pytest.Session) -> None:
    """On the controller of a run on several workers, before they start: fill numba's cache with
    the kernels of a one-quarter run, on one thread and on two (``abm.ensemble.worker.warm_up``,
    under its per-host lock), in a subprocess, so the controller starts no numba threads."""
    config = session.config
    if hasattr(config, "workerinput") or config.getoption("numprocesses", None) in (None, 0):
        return
    code = (
        "from abm.ensemble.worker import warm_up\n"
        "warm_up('diffuse', threads=1)\n"
        "warm_up('diffuse', threads=2)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=900)


SMALL_SCALE = 1000.0  # persons per talent agent: ~12k agents, fast enough for unit tests

#: Debian package of each system tool a test may use (``.ci/run`` installs them all).
TOOL_PACKAGES = {
    "ncdump": "netcdf-bin",
    "cdo": "cdo",
    "ncra": "nco",
    "ncks": "nco",
    "chromium": "chromium",
}


def find_tool(name: str) -> str:
    """The path of system tool ``name``; a test without it is skipped with the reason and the
    Debian package to install, except on CI (``CI`` set), where ``.ci/run`` installs every tool
    and a missing one fails the test."""
    exe = shutil.which(name)
    if exe is None:
        package = TOOL_PACKAGES.get(name, name)
        msg = f"{name} is not installed (Debian: apt-get install -y {package})"
        if os.environ.get("CI"):
            pytest.fail(f"{msg}; CI installs it in .ci/run")
        pytest.skip(msg)
    return exe


@pytest.fixture
def system_tool() -> Callable[[str], str]:
    """``system_tool("ncdump")``: the tool's path, or skip the test (see :func:`find_tool`)."""
    return find_tool


@pytest.fixture(scope="session")
def numpy_baseline() -> Iterator[Callable]:
    """``numpy_baseline(fn, *args)``: ``fn(*args)`` as numpy computes it at its baseline, for
    tests that compare numpy's bits with a kernel's or with frozen files
    (``tests/numpy_baseline.py``): here when numpy runs no SIMD loop above its baseline on this
    CPU, else in a worker process with them disabled (``fn`` a module-level function of a test
    file, its arguments and result picklable). ``ABM_TEST_BASELINE_WORKER=1`` uses the worker
    on any CPU."""
    use_worker = os.environ.get("ABM_TEST_BASELINE_WORKER") == "1"
    if not (use_worker or numpy_baseline_module.numpy_dispatches_above_baseline()):
        yield lambda fn, *args: fn(*args)
        return
    worker = numpy_baseline_module.BaselineWorker()
    try:
        yield worker.call
    finally:
        worker.close()


@pytest.fixture(scope="session")
def diffuse_run() -> EconomyModel:
    """`diffuse`, seed 1, default burn-in, 6 recorded quarters at a small scale."""
    return EconomyModel("diffuse", seed=1, scale=SMALL_SCALE, quarters=6).run()


def kill_tree(proc: subprocess.Popen) -> None:
    """Stop a subprocess started with start_new_session=True and everything it spawned."""
    try:
        kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        kids = []
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    _, alive = psutil.wait_procs(kids, timeout=10)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()


@pytest.fixture(scope="session")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a ``dask scheduler`` with ``dask worker --nworkers 2`` (one thread each),
    subprocesses on loopback for the whole session; stopped at its end.

    Members computed on it equal members computed on a local cluster and in-process
    (``tests/abm/test_ensemble.py`` checks both); tests of the local cluster's own behaviour
    (its workers, Ctrl-C, SIGTERM, killed workers or drivers) start their own."""
    from distributed import Client

    tmp = tmp_path_factory.mktemp("dask")
    sfile = tmp / "scheduler.json"
    logs = [(tmp / "scheduler.log").open("w"), (tmp / "worker.log").open("w")]
    # Idle, the scheduler, the worker command (its two nannies) and the two workers used about a
    # tenth of a core for the whole session: the workers' statistical profiler samples every
    # 10 ms, every event loop ticks every 20 ms, the memory and system monitors poll several
    # times a second. None of this changes what a member computes; so slowed, a seventh of it.
    quiet = {
        "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",
        "DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL": "1s",
        "DASK_DISTRIBUTED__WORKER__MEMORY__MONITOR_INTERVAL": "1s",
        "DASK_DISTRIBUTED__ADMIN__SYSTEM_MONITOR__INTERVAL": "2s",
    }
    common = {"cwd": tmp, "start_new_session": True, "stdout": subprocess.DEVNULL,
              "env": {**os.environ, **quiet}}  # fmt: skip
    sched = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", "0", "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
         "--scheduler-file", str(sfile)],
        stderr=logs[0],
        **common,
    )  # fmt: skip
    procs = [sched]
    try:
        deadline = time.monotonic() + 30
        while not sfile.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(sfile.read_text())["address"]
        workers = [sys.executable, "-m", "distributed.cli.dask_worker", address,
                   "--nworkers", "2", "--nthreads", "1", "--host", "127.0.0.1",
                   "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]  # fmt: skip
        procs.append(subprocess.Popen(workers, stderr=logs[1], **common))
        with Client(address, timeout=10) as c:
            c.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for p in reversed(procs):
            kill_tree(p)
        for f in logs:
            f.close()


@pytest.fixture(scope="session")
def stop_tree() -> Callable[[subprocess.Popen], None]:
    """``stop_tree(proc)``: stop a subprocess and its children (see :func:`kill_tree`)."""
    return kill_tree
