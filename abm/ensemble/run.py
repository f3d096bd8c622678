"""Running an ensemble: the driver that submits members to dask (a bounded number in flight,
each with dask's own ``retries``), writes each finished member as its shard as it arrives,
resumes an interrupted ensemble, and assembles the final file."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import netCDF4
from distributed import Client, Future, as_completed
from tqdm import tqdm

from abm.ensemble import worker
from abm.ensemble.assembly import assemble
from abm.ensemble.cluster import CONNECT_TIMEOUT, ClusterSpec, connect
from abm.ensemble.plan import Design, Plan, make_plan, seed_text
from abm.ensemble.results import (
    EnsembleError,
    EnsembleInputError,
    EnsembleInterrupted,
    EnsembleResult,
    MemberFailure,
)
from abm.ensemble.shards import (
    MANIFEST,
    clean_temporaries,
    expected_vars,
    kept_shards,
    local_writes,
    write_manifest,
    write_shard,
)
from abm.io.netcdf import write_netcdf
from abm.scenario import Scenario

logger = logging.getLogger("abm.ensemble")


def _peak_rss() -> int:
    """Peak resident memory of this process, bytes: ``VmHWM`` of /proc/self/status on Linux
    (``ru_maxrss`` also counts the parent's memory when the process was started by fork+exec)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _complete(output: Path, eid: str) -> bool:
    """Whether ``output`` is the finished file of this ensemble with no failed member."""
    if not output.is_file():
        return False
    try:
        with netCDF4.Dataset(output) as nc:
            return nc.getncattr("ensemble_id") == eid and int(nc.getncattr("members_failed")) == 0
    except Exception:  # noqa: BLE001 - unreadable: not complete
        return False


def _one_line(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]


def _check_parts(plan: Plan, parts: Path, resume: bool, note: Callable[[str], None]) -> None:
    """Refuse shards of another ensemble (or any shards without ``resume``)."""
    manifest = parts / MANIFEST
    n_shards = sum(1 for _ in parts.glob("*.nc")) if parts.is_dir() else 0
    if parts.exists() and (n_shards or (resume and manifest.exists())):
        if not resume:
            raise EnsembleInputError(
                f"{parts} already holds {n_shards} shard(s) of an earlier ensemble; pass "
                "--resume to continue it, or remove the folder"
            )
        try:
            old = json.loads(manifest.read_text())
        except (OSError, ValueError):
            raise EnsembleInputError(
                f"--resume: {manifest} is missing or unreadable; remove {parts} to start afresh"
            ) from None
        if old.get("ensemble_id") != plan.ensemble_id():
            config = plan.config()
            diff = [k for k in config if old.get("config", {}).get(k) != config[k]]
            raise EnsembleInputError(
                f"--resume: {parts} belongs to a different ensemble (differs in: "
                f"{', '.join(diff) or 'model version'}); use the same scenarios and options, or "
                "another output file"
            )
        clean_temporaries(parts)
    elif resume:
        note(f"nothing to resume in {parts}; starting the ensemble")
        if parts.is_dir():
            clean_temporaries(parts)


@dataclass
class _Stream:
    """Members submitted to a cluster and written as they finish."""

    client: Client
    plan: Plan
    eid: str
    parts: Path
    threads: int
    retries: int
    bar: Any
    failures: list[MemberFailure] = field(default_factory=list)
    computed: int = 0
    nthreads: int = 0
    _checked: float = -1e9
    _inflight: dict[str, tuple[int, int]] = field(default_factory=dict)

    def capacity(self) -> int:
        """Members in flight: two per worker thread (and at least four), so workers never
        wait while finished members pile up nowhere."""
        now = time.monotonic()
        if now - self._checked > 2.0:
            self.nthreads = sum(self.client.nthreads().values())
            self._checked = now
        return max(2 * self.nthreads + 2, 4)

    def submit(self, todo: deque[tuple[int, int]], done: Any, token: str) -> None:
        """Submit members until :meth:`capacity` are in flight."""
        cap = self.capacity()
        while todo and len(self._inflight) < cap:
            i, r = todo.popleft()
            fut = self.client.submit(
                worker.run_member,
                self.plan.task(i, r, self.threads),
                key=f"abm-member-{token}-{i}-{r}",
                retries=self.retries,
            )
            self._inflight[fut.key] = (i, r)
            done.add(fut)

    def _result(self, fut: Future) -> tuple[Any, BaseException | None]:
        if fut.status == "finished":
            try:
                return fut.result(timeout=60), None
            except Exception as e:  # noqa: BLE001 - lost between done and fetched
                return None, e
        if fut.status == "cancelled" and self.client.status not in ("running", "connecting"):
            raise EnsembleError(
                "lost the dask scheduler; the shards written so far are kept in "
                f"{self.parts}: run again with --resume"
            )
        try:
            return None, fut.exception(timeout=30)
        except Exception as e:  # noqa: BLE001 - e.g. CancelledError
            return None, e

    def finished(self, fut: Future) -> None:
        """Write a finished member's shard, or record its failure after its retries."""
        i, r = self._inflight.pop(fut.key)
        result, exc = self._result(fut)
        fut.release()
        plan = self.plan
        if result is not None:
            write_shard(result[0], result[1], plan, i, r, self.eid, self.parts)
            self.computed += 1
        else:
            k = plan.member_of(r)
            self.failures.append(
                MemberFailure(
                    plan.names[i],
                    r,
                    k,
                    seed_text(plan.root_seed, k),
                    plan.parameters(r),
                    self.retries + 1,
                    _one_line(exc),
                )
            )
            self.bar.set_postfix(failed=len(self.failures))
        self.bar.update(1)


def _compute(
    plan: Plan,
    spec: ClusterSpec,
    todo: deque[tuple[int, int]],
    reused: int,
    parts: Path,
    output: Path,
    retries: int,
    progress: bool,
) -> tuple[_Stream, float]:
    """Run the members ``todo`` on the cluster; returns the stream and its compute seconds."""
    with connect(spec, str(plan.scenarios[0].source_file or plan.names[0])) as cl:
        # nothing is written before the cluster is reached (bad input leaves no files)
        parts.mkdir(parents=True, exist_ok=True)
        write_manifest(parts, plan.ensemble_id(), plan.config())
        clean_temporaries(output.parent, prefix=f".{output.name}.")
        cl.register_plugin(
            worker.WorkerSetup(plan.scenarios[0], spec.threads), name=worker.WorkerSetup.name
        )
        bar = tqdm(
            total=plan.total,
            initial=reused,
            unit="member",
            desc="ensemble",
            disable=not progress,
            file=sys.stderr,
            dynamic_ncols=True,
        )
        bar.set_postfix(failed=0)
        stream = _Stream(cl, plan, plan.ensemble_id(), parts, spec.threads, retries, bar)
        done = as_completed(loop=cl.loop)
        token = uuid.uuid4().hex[:8]
        try:
            t0 = time.perf_counter()
            stream.submit(todo, done, token)
            for fut in done:
                stream.finished(fut)
                stream.submit(todo, done, token)
            return stream, time.perf_counter() - t0  # before the cluster closes
        except KeyboardInterrupt:
            bar.close()
            with contextlib.suppress(Exception):
                cl.cancel(list(done.futures))
            raise EnsembleInterrupted(reused + stream.computed, plan.total, parts) from None
        finally:
            bar.close()


def run_ensemble(
    scenarios: Sequence[str | os.PathLike[str] | Scenario] | str,
    runs: int = 1,
    *,
    root_seed: int = 1,
    output: str | os.PathLike[str] | None = None,
    quarters: int | None = None,
    scale: float | None = None,
    check_accounts: bool = True,
    sweep: Mapping[str, Sequence[float]] | Sequence[str] | None = None,
    sample: Literal["lhs", "sobol"] | None = None,
    samples: int | None = None,
    calc_second_order: bool = True,
    design: Design | None = None,
    workers: int | None = None,
    threads: int = 1,
    scheduler: str | None = None,
    client: Client | None = None,
    connect_timeout: float = CONNECT_TIMEOUT,
    cluster: Literal["local", "slurm", "pbs"] = "local",
    jobs: int = 1,
    cores: int | None = None,
    memory: str | None = None,
    walltime: str = "01:00:00",
    queue: str | None = None,
    account: str | None = None,
    interface: str | None = None,
    resume: bool = False,
    retries: int = 2,
    keep_parts: bool = False,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> EnsembleResult:
    """Run an ensemble of members on dask and write one NetCDF file.

    Parameters
    ----------
    scenarios : sequence of str, path or Scenario (or one of them)
        Shipped scenario names or TOML paths; names must be unique.
    runs : int
        Member seeds per scenario (and per parameter point); >= 1.
    root_seed : int
        Member k runs with ``numpy.random.SeedSequence(root_seed).spawn(runs)[k]``.
    output : path, optional
        The final ``.nc`` file (default ``outputs/ensemble_<scenarios>.nc``); shards go to
        ``<output>.parts/`` and are removed when every member is written (unless
        ``keep_parts``).
    quarters, scale : optional
        Recorded quarters and persons per talent agent for every member (default: each
        scenario's); ``check_accounts`` runs the stock-flow checks (an accounting failure is a
        member failure).
    sweep : mapping or sequence of str, optional
        Grid over parameters: ``{"rd.sigma": [0.5, 1.0]}`` or
        ``["rd.sigma=0.5,1", "labour.quit_rate=0.01:0.03:3"]``; the grid is the cartesian
        product. Keys as in :mod:`abm.scenario.overrides` (``section.name[element]`` varies one
        sector or skill; ``section.name`` alone sets every element of a list to the value).
    sample, samples, calc_second_order : optional
        ``"lhs"`` (SALib latin) or ``"sobol"`` (SALib Saltelli; ``samples`` a power of 2,
        ``samples * (2D + 2)`` points, or ``(D + 2)`` without second order) over the union of
        the scenarios' ``[uncertain]`` ranges; sampling seed = ``root_seed % 2**32``.
    design : Design, optional
        Parameter points given by the caller (``abm sensitivity`` passes its sample).
        Every parameter point runs ``runs`` member seeds (the same seeds at every point).
    workers, threads : int, optional
        Local cluster: worker processes (default: cores // threads) running one member each,
        with ``threads`` numba threads per worker (``NUMBA_NUM_THREADS`` is set for them).
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:8786``); fails after
        ``connect_timeout`` seconds if unreachable. ``client``: an existing Client instead.
    cluster, jobs, cores, memory, walltime, queue, account, interface : optional
        ``"slurm"`` or ``"pbs"``: a dask-jobqueue cluster of ``jobs`` jobs, each with ``cores``
        cores and ``memory`` (see :func:`abm.ensemble.jobqueue_kwargs`).
    resume : bool
        Continue an interrupted ensemble with the same settings: valid shards are kept,
        missing or corrupt ones (cannot be read, variables missing, wrong metadata) redone.
    retries : int
        Extra attempts dask makes for a member that raises; then it is reported in
        ``failures`` and in the file's ``failures`` attribute while the others complete. dask
        reschedules the members of a worker that dies.
    progress : bool
        Show a tqdm progress bar on stderr (members done, failed, time left).
    log : callable, optional
        Receives one-line notes (resume, warm-up); default: the ``abm.ensemble`` logger.

    Returns
    -------
    EnsembleResult
        The path, counts, failures and timings; ``.open()`` gives a lazy xarray Dataset.

    Raises
    ------
    EnsembleInputError
        Bad input, before any member runs and without writing a final file.
    EnsembleInterrupted
        Ctrl-C: the shards written so far stay in ``<output>.parts/`` for ``resume=True``.
    EnsembleError
        The scheduler went away mid-run (shards kept).
    """
    t_start = time.perf_counter()
    note = log or logger.info
    if retries < 0:
        raise EnsembleInputError(f"option '--retries': must be >= 0 (got {retries})")
    spec = ClusterSpec(
        cluster=cluster, workers=workers, threads=threads, scheduler=scheduler, client=client,
        connect_timeout=connect_timeout, jobs=jobs, cores=cores, memory=memory,
        walltime=walltime, queue=queue, account=account, interface=interface,
    )  # fmt: skip
    spec.check()
    plan = make_plan(
        scenarios, runs, root_seed, quarters, scale, check_accounts, sweep=sweep, sample=sample,
        samples=samples, calc_second_order=calc_second_order, design=design,
    )  # fmt: skip
    out = Path(output or Path("outputs") / ("ensemble_" + "_".join(plan.names)[:80] + ".nc"))
    if out.suffix not in (".nc", ".nc4"):
        raise EnsembleInputError(f"option '-o': output file must end in .nc (got {out})")
    if out.exists() and out.is_dir():
        raise EnsembleInputError(f"option '-o': {out} is a folder")
    parts = out.with_name(out.name + ".parts")
    eid = plan.ensemble_id()

    if resume and not parts.exists() and _complete(out, eid):
        note(f"{out} is already complete; nothing to do")
        return EnsembleResult(out, plan.names, plan.realizations, plan.total, 0, plan.total, [],
                              time.perf_counter() - t_start, 0.0, 0, _peak_rss())  # fmt: skip
    _check_parts(plan, parts, resume, note)

    # warm-up: numba cache built once, in the driver, before any worker starts
    template = worker.warm_model(plan.scenarios[0]).to_dataset()
    with tempfile.TemporaryDirectory() as tmp, local_writes():  # first write's imports
        write_netcdf(template, Path(tmp) / "warm-up.nc")
    done: set[tuple[int, int]] = set()
    if resume and parts.exists():
        done = kept_shards(plan, parts, eid, expected_vars(template), note)
    todo = deque((i, r) for i, r in plan.order() if (i, r) not in done)
    computed, failures, nthreads, seconds = 0, [], 0, 0.0
    if todo:
        stream, seconds = _compute(plan, spec, todo, len(done), parts, out, retries, progress)
        computed, failures, nthreads = stream.computed, stream.failures, stream.nthreads
    try:
        assemble(plan, template, parts, out, failures, eid)
    except KeyboardInterrupt:
        raise EnsembleInterrupted(len(done) + computed, plan.total, parts) from None
    kept: Path | None = parts
    if not failures and not keep_parts:
        shutil.rmtree(parts, ignore_errors=True)
        kept = None
    return EnsembleResult(
        out, plan.names, plan.realizations, plan.total, computed, len(done), failures,
        time.perf_counter() - t_start, seconds if computed else 0.0, nthreads, _peak_rss(), kept,
    )  # fmt: skip
