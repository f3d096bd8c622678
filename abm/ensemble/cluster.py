"""Where an ensemble's members run: a local cluster (one worker process per core), an existing
dask scheduler, or a SLURM/PBS cluster through dask-jobqueue (job scripts that warm the numba
cache once per job and retire workers before the walltime)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import dask
from dask.system import CPU_COUNT
from dask.utils import parse_bytes
from distributed import Client, LocalCluster

from abm.ensemble.results import EnsembleInputError

#: set to 1 (where the ensemble is started) to keep dask's statistical profiler in the workers,
#: for the dashboard's profile page
KEEP_PROFILER_ENV = "ABM_DASK_PROFILER"


def keep_profiler() -> bool:
    """Whether ``ABM_DASK_PROFILER=1`` asks to keep dask's statistical profiler."""
    return os.environ.get(KEEP_PROFILER_ENV) == "1"


#: Default seconds to wait for an existing scheduler before giving up.
CONNECT_TIMEOUT = 5.0


def _jobqueue_cluster(kind: str) -> Any:
    """``SLURMCluster`` or ``PBSCluster``.

    dask-jobqueue is imported here, when a SLURM or PBS cluster is asked for, not at the top of
    the module: importing it replaces the process's SIGINT handler with ``sys.exit()``
    (``dask_jobqueue/runner.py``), so a driver that had imported it would exit with status 0 on
    Ctrl-C instead of stopping with its shards kept (status 130). The handler is put back."""
    handler = signal.getsignal(signal.SIGINT)
    import dask_jobqueue

    with contextlib.suppress(ValueError):  # not the main thread: nothing was replaced
        signal.signal(signal.SIGINT, handler)
    return dask_jobqueue.SLURMCluster if kind == "slurm" else dask_jobqueue.PBSCluster


def _pbs_memory(nbytes: int) -> str:
    """A memory size as PBS writes it (dask-jobqueue's rounding up; see _jobqueue_cluster)."""
    _jobqueue_cluster("pbs")
    from dask_jobqueue.pbs import pbs_format_bytes_ceil

    return str(pbs_format_bytes_ceil(nbytes))


def _walltime_seconds(walltime: str) -> int:
    m = re.fullmatch(r"(?:(\d+)-)?(\d+):(\d{2})(?::(\d{2}))?", walltime.strip())
    if not m:
        raise EnsembleInputError(
            f"option '--walltime': '{walltime}' is not [D-]HH:MM[:SS] (e.g. 04:00:00)"
        )
    d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    if m.group(4) is None:  # HH:MM
        total = d * 86400 + h * 3600 + mi * 60
    else:
        total = d * 86400 + h * 3600 + mi * 60 + s
    if total < 120:
        raise EnsembleInputError(f"option '--walltime': '{walltime}' is under two minutes")
    return total


def lifetime_options(walltime: str) -> list[str]:
    """``dask worker`` options that retire a worker before its job's walltime ends:
    ``--lifetime`` = walltime - 5 min (80% for jobs under 25 min), ``--lifetime-stagger`` 4 min
    (5%), so workers of one job do not all leave at once and their members are rescheduled."""
    w = _walltime_seconds(walltime)
    if w >= 25 * 60:
        life, stagger = w - 300, 240
    else:
        life, stagger = int(w * 0.8), max(int(w * 0.05), 1)
    return ["--lifetime", f"{life}s", "--lifetime-stagger", f"{stagger}s"]


def jobqueue_kwargs(
    kind: Literal["slurm", "pbs"],
    *,
    cores: int,
    memory: str,
    walltime: str = "01:00:00",
    queue: str | None = None,
    account: str | None = None,
    threads: int = 1,
    interface: str | None = None,
    warm_up_scenario: str = "diffuse",
) -> dict[str, Any]:
    """Keyword arguments for ``dask_jobqueue.SLURMCluster`` / ``PBSCluster``.

    One job asks for ``cores`` cores and ``memory`` and runs ``cores // threads`` worker
    processes of one dask thread each (one member at a time) with ``threads`` numba threads;
    workers retire before the walltime (:func:`lifetime_options`); the job script sets
    ``NUMBA_NUM_THREADS`` and warms the numba cache once per job before the workers start.
    """
    if kind not in ("slurm", "pbs"):
        raise EnsembleInputError(
            f"option '--cluster': unknown '{kind}'; allowed: local, slurm, pbs"
        )
    if not isinstance(cores, int) or cores < 1:
        raise EnsembleInputError(f"option '--cores': must be >= 1 (got {cores})")
    if threads < 1 or threads > cores:
        raise EnsembleInputError(
            f"option '--threads': must be between 1 and --cores ({cores}) (got {threads})"
        )
    try:
        nbytes = parse_bytes(memory)
    except (ValueError, TypeError):
        raise EnsembleInputError(
            f"option '--memory': '{memory}' is not a memory size (e.g. 64GB, 120GiB)"
        ) from None
    processes = max(1, cores // threads)
    py = sys.executable
    kw: dict[str, Any] = {
        "cores": processes,  # dask threads per job: one per worker process
        "processes": processes,
        "memory": memory,
        "walltime": walltime.strip(),
        "job_name": "abm-ensemble",
        "worker_extra_args": lifetime_options(walltime),
        "job_script_prologue": [
            f"export NUMBA_NUM_THREADS={threads}",
            "export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1",
            f"{py} -m abm.ensemble warm-up {warm_up_scenario}",
        ],
    }
    if queue:
        kw["queue"] = queue
    if account:
        kw["account"] = account
    if interface:
        kw["interface"] = interface
    if kind == "slurm":
        kw["job_cpu"] = cores
    elif threads > 1:
        kw["resource_spec"] = f"select=1:ncpus={cores}:mem={_pbs_memory(nbytes)}"
    return kw


def job_script(kind: Literal["slurm", "pbs"], **kwargs: Any) -> str:
    """The batch script one worker job would run, without starting a cluster (the scheduler
    address is a placeholder); ``kwargs`` as for :func:`jobqueue_kwargs`."""
    cls = _jobqueue_cluster(kind)
    kw = jobqueue_kwargs(kind, **kwargs)
    return cls.job_cls("tcp://SCHEDULER-ADDRESS:8786", name="abm-ensemble", **kw).job_script()


def make_jobqueue_cluster(
    kind: Literal["slurm", "pbs"],
    *,
    jobs: int = 1,
    scheduler_options: dict[str, Any] | None = None,
    job_cls: Any = None,
    **kwargs: Any,
) -> Any:
    """A dask-jobqueue cluster (not yet scaled) for ``kind``; ``kwargs`` as for
    :func:`jobqueue_kwargs`. :func:`run_ensemble` submits ``jobs`` jobs, checks that the batch
    system accepted them (:func:`submit_jobs`), then calls ``cluster.adapt(minimum_jobs=jobs,
    maximum_jobs=jobs)`` so jobs whose workers retired at their lifetime are replaced."""
    if jobs < 1:
        raise EnsembleInputError(f"option '--jobs': must be >= 1 (got {jobs})")
    cls = _jobqueue_cluster(kind)
    kw = jobqueue_kwargs(kind, **kwargs)
    if job_cls is not None:
        kw["job_cls"] = job_cls
    return cls(scheduler_options=scheduler_options or {}, **kw)


#: The command that submits a batch job, per batch system.
SUBMIT_COMMAND = {"slurm": "sbatch", "pbs": "qsub"}
#: Seconds the batch system has to accept (not start) the first worker jobs.
SUBMIT_TIMEOUT = 60.0


def recording_job_cls(kind: str) -> Any:
    """dask-jobqueue's job class for ``kind``, made to record a failed submission instead of
    raising it inside dask's event loop (where it is only logged and the driver waits forever
    for workers that never come). The failures are in the class's ``failures`` list; a job
    that could not be submitted has no ``job_id``."""
    base = _jobqueue_cluster(kind).job_cls

    class RecordingJob(base):  # type: ignore[misc, valid-type]
        failures: list[str] = []  # noqa: RUF012 - one list per class made here

        async def start(self) -> None:
            try:
                await super().start()
            except Exception as e:  # noqa: BLE001 - reported by submit_jobs
                type(self).failures.append(" ".join(f"{type(e).__name__}: {e}".split())[:400])
                from distributed.deploy.spec import ProcessInterface

                await ProcessInterface.start(self)  # "running" with no job: closes cleanly

    RecordingJob.failures = []
    return RecordingJob


def submit_jobs(cluster: Any, kind: str, jobs: int, timeout: float = SUBMIT_TIMEOUT) -> None:
    """Submit ``jobs`` worker jobs and wait until the batch system has accepted them (each has
    a job id; queued is enough) or refused one.

    Raises
    ------
    EnsembleInputError
        A submission failed (its error in one line), or none was accepted in ``timeout``
        seconds.
    """
    failures = cluster.job_cls.failures
    cluster.scale(jobs=jobs)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if failures:
            raise EnsembleInputError(
                f"option '--cluster {kind}': the batch system refused the worker job "
                f"({failures[0]})"
            )
        submitted = [w for w in list(cluster.workers.values()) if getattr(w, "job_id", None)]
        if len(submitted) >= jobs:
            return
        time.sleep(0.05)
    raise EnsembleInputError(
        f"option '--cluster {kind}': {SUBMIT_COMMAND[kind]} did not accept the worker jobs "
        f"within {timeout:g} s"
    )


def cpu_count() -> int:
    """Cores dask sees on this machine (respects affinity and cgroup limits)."""
    return int(CPU_COUNT)


@contextlib.contextmanager
def _worker_env(threads: int) -> Iterator[None]:
    """Environment of local worker processes, through the nanny's pre-spawn environment:
    ``NUMBA_NUM_THREADS`` = threads, and no ``MALLOC_TRIM_THRESHOLD_`` (see
    :func:`abm.ensemble.worker.tune_malloc`); dask's statistical profiler off unless
    ``ABM_DASK_PROFILER=1`` (:func:`abm.ensemble.worker.stop_profiler`). The nanny also
    writes these into this process's environment; they are restored when the cluster closes."""
    keys = ("NUMBA_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_")
    old = {k: os.environ.get(k) for k in keys}
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # else inherited by the workers
    cfg = {
        "distributed.nanny.pre-spawn-environ.NUMBA_NUM_THREADS": str(threads),
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }
    if not keep_profiler():  # neither of dask's samplers is made (abm.ensemble.worker)
        cfg["distributed.worker.profile.enabled"] = False
    with dask.config.set(cfg):
        try:
            yield
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@dataclass(frozen=True)
class ClusterSpec:
    """Where the members run (see :func:`abm.ensemble.run_ensemble` for each option)."""

    cluster: str = "local"
    workers: int | None = None
    threads: int = 1
    scheduler: str | None = None
    client: Client | None = None
    connect_timeout: float = CONNECT_TIMEOUT
    jobs: int = 1
    cores: int | None = None
    memory: str | None = None
    walltime: str = "01:00:00"
    queue: str | None = None
    account: str | None = None
    interface: str | None = None

    def jobqueue(self) -> dict[str, Any]:
        """The per-job options of a SLURM or PBS cluster."""
        keys = ("cores", "memory", "walltime", "queue", "account", "interface")
        return {k: getattr(self, k) for k in keys}

    def check(self, submitting: bool = True) -> None:
        """Refuse options that do not go together, before anything starts; with
        ``submitting``, also a SLURM or PBS cluster on a machine without ``sbatch``/``qsub``.

        Raises
        ------
        EnsembleInputError
            A bad or incompatible option.
        """
        if self.threads < 1:
            raise EnsembleInputError(f"option '--threads': must be >= 1 (got {self.threads})")
        if self.workers is not None and self.workers < 1:
            raise EnsembleInputError(f"option '--workers': must be >= 1 (got {self.workers})")
        if self.cluster not in ("local", "slurm", "pbs"):
            raise EnsembleInputError(
                f"option '--cluster': unknown '{self.cluster}'; allowed: local, slurm, pbs"
            )
        if self.scheduler and self.cluster != "local":
            raise EnsembleInputError("options '--scheduler' and '--cluster' cannot be combined")
        remote = self.scheduler or self.client is not None or self.cluster != "local"
        if self.workers is not None and remote:
            raise EnsembleInputError("option '--workers' applies to the local cluster only")
        if self.cluster != "local":
            if self.cores is None or self.memory is None:
                raise EnsembleInputError(
                    f"option '--cluster {self.cluster}' needs --cores and --memory (per job), "
                    "e.g. --cores 32 --memory 64GB"
                )
            jobqueue_kwargs(self.cluster, **self.jobqueue(), threads=self.threads)  # type: ignore[arg-type]
            if self.jobs < 1:
                raise EnsembleInputError(f"option '--jobs': must be >= 1 (got {self.jobs})")
            submit = SUBMIT_COMMAND[self.cluster]
            if submitting and shutil.which(submit) is None:
                raise EnsembleInputError(
                    f"option '--cluster {self.cluster}': '{submit}' is not on PATH, so no "
                    "worker job can be submitted; run on a node of the cluster that can submit "
                    "jobs, or use --cluster local (see --print-job-script for the job)"
                )


@contextlib.contextmanager
def _scheduler(address: str, timeout: float) -> Iterator[Client]:
    try:
        c = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise EnsembleInputError(
            f"option '--scheduler': cannot reach a dask scheduler at {address} within "
            f"{timeout:g} s ({type(e).__name__})"
        ) from None
    except ValueError as e:
        raise EnsembleInputError(f"option '--scheduler': bad address {address!r} ({e})") from None
    try:
        yield c
    finally:
        c.close(timeout=10)


@contextlib.contextmanager
def _client_of(cluster: Any, timeout: float) -> Iterator[Client]:
    """A client of ``cluster``; both are closed afterwards."""
    try:
        c = Client(cluster, set_as_default=False)
        try:
            yield c
        finally:
            c.close(timeout=10)
    finally:
        cluster.close(timeout=timeout)


@contextlib.contextmanager
def connect(
    spec: ClusterSpec, warm_scenario: str, member_threads: int | None = None
) -> Iterator[Client]:
    """A client of the cluster ``spec`` names, closed (with the cluster it started) on exit.
    ``member_threads``: the threads the members' kernels will use (``spec.threads``, or 1 at
    scales too coarse for threads), which sizes the default local cluster.

    Raises
    ------
    EnsembleInputError
        The scheduler cannot be reached.
    """
    if spec.client is not None:
        yield spec.client
    elif spec.scheduler:
        with _scheduler(spec.scheduler, spec.connect_timeout) as c:
            yield c
    elif spec.cluster == "local":
        per_worker = member_threads or spec.threads
        n = spec.workers if spec.workers is not None else max(1, cpu_count() // per_worker)
        with _worker_env(spec.threads):
            with _starting("local"):
                lc = LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address="127.0.0.1:0",  # loopback, any free port
                    silence_logs=logging.ERROR,
                    env={"NUMBA_NUM_THREADS": str(spec.threads)},
                    preload=["abm.ensemble.worker"],  # workers ignore Ctrl-C (dask_setup)
                )
            with _client_of(lc, 20) as c:
                yield c
    else:
        kind = spec.cluster
        with contextlib.ExitStack() as stack:
            with _starting(kind):
                jq = make_jobqueue_cluster(
                    kind,  # type: ignore[arg-type]
                    jobs=spec.jobs,
                    threads=spec.threads,
                    warm_up_scenario=warm_scenario,
                    job_cls=recording_job_cls(kind),
                    **spec.jobqueue(),
                )
                stack.callback(_close_quietly, jq, 30)
                submit_jobs(jq, kind, spec.jobs)
                jq.adapt(minimum_jobs=spec.jobs, maximum_jobs=spec.jobs)
                c = Client(jq, set_as_default=False)
            stack.callback(_close_quietly, c, 10)
            yield c


def _close_quietly(thing: Any, timeout: float) -> None:
    """Close a client or cluster; a failure to close (a half-started cluster) is not news."""
    with contextlib.suppress(Exception):
        thing.close(timeout=timeout)


@contextlib.contextmanager
def _starting(kind: str) -> Iterator[None]:
    """Any failure to start a cluster as one :class:`EnsembleInputError` line (exit status 2)."""
    try:
        yield
    except EnsembleInputError:
        raise
    except Exception as e:  # noqa: BLE001 - e.g. a bad --interface, a port in use
        text = " ".join(f"{type(e).__name__}: {e}".split())[:400]
        raise EnsembleInputError(
            f"option '--cluster {kind}': the cluster did not start ({text})"
        ) from None
