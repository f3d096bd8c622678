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

from abm.ensemble import worker
from abm.ensemble.assembly import CDO_INDEX, _skeleton, assemble, export_members
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
from abm.ensemble.store import (
    ZarrSink,
    create_store,
    finish_store,
    store_complete,
    written_members,
)
from abm.io.netcdf import write_netcdf
from abm.io.progress import progress_bar
from abm.model_args import effective_threads
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


def _output(output: Any, plan: Plan, layout: str) -> tuple[Path, str]:
    """The output path and its kind: ``netcdf`` (one file), ``zarr`` (a store) or ``cdo`` (a
    folder of one file per member).

    Raises
    ------
    EnsembleInputError
        A path that does not fit the layout.
    """
    if layout not in ("default", "cdo"):
        raise EnsembleInputError(f"option '--layout': unknown '{layout}'; allowed: default, cdo")
    stem = "ensemble_" + "_".join(plan.names)[:80]
    if layout == "cdo":
        out = Path(output or Path("outputs") / f"{stem}_cdo")
        if out.suffix in (".nc", ".nc4", ".zarr") or (out.exists() and not out.is_dir()):
            raise EnsembleInputError(
                f"option '-o': with --layout cdo the output is a folder of one file per member "
                f"(got {out}); e.g. -o {out.with_suffix('')}_cdo"
            )
        return out, "cdo"
    out = Path(output or Path("outputs") / f"{stem}.nc")
    if out.suffix == ".zarr":
        if out.exists() and not out.is_dir():
            raise EnsembleInputError(f"option '-o': {out} exists and is not a zarr store")
        return out, "zarr"
    if out.suffix not in (".nc", ".nc4"):
        raise EnsembleInputError(
            f"option '-o': output file must end in .nc, or .zarr for a zarr store (got {out})"
        )
    if out.exists() and out.is_dir():
        raise EnsembleInputError(f"option '-o': {out} is a folder")
    return out, "netcdf"


def _complete(output: Path, eid: str, kind: str = "netcdf") -> bool:
    """Whether ``output`` is the finished file (or ``cdo`` folder) of this ensemble with no
    failed member."""
    if kind == "cdo":
        try:
            index = json.loads((output / CDO_INDEX).read_text())
        except (OSError, ValueError):
            return False
        return index.get("ensemble_id") == eid and index.get("members_failed") == 0
    if not output.is_file():
        return False
    try:
        with netCDF4.Dataset(output) as nc:
            return nc.getncattr("ensemble_id") == eid and int(nc.getncattr("members_failed")) == 0
    except Exception:  # noqa: BLE001 - unreadable: not complete
        return False


def _saved(parts: Path) -> int:
    """Members saved as shards (a shard is complete or absent: written under a temporary name)."""
    return sum(1 for _ in parts.glob("*.nc")) if parts.is_dir() else 0


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


class _ShardSink:
    """Writes each finished member as its shard in ``FILE.parts/``."""

    def __init__(self, plan: Plan, eid: str, parts: Path, output: Path) -> None:
        self.plan, self.eid, self.parts, self.output = plan, eid, parts, output
        self.where = parts

    def prepare(self) -> None:
        """Once the cluster is up: the shard folder and its manifest."""
        self.parts.mkdir(parents=True, exist_ok=True)
        write_manifest(self.parts, self.eid, self.plan.config())
        clean_temporaries(self.output.parent, prefix=f".{self.output.name}.")

    def write(self, ds: Any, info: Mapping[str, Any], i: int, r: int) -> None:
        """One member's shard."""
        write_shard(ds, dict(info), self.plan, i, r, self.eid, self.parts)

    def saved(self) -> int:
        """Members saved so far."""
        return _saved(self.parts)


class _ZarrSink(ZarrSink):
    """Writes each finished member into the zarr store in place."""

    def __init__(self, plan: Plan, eid: str, path: Path, template: Any, create: bool) -> None:
        self.skeleton, self.coord_names, _ = _skeleton(plan, template, [], eid)
        super().__init__(path, plan, template, [str(p) for p in self.skeleton["programme"].values])
        self.template, self.create = template, create
        self.where = path

    def prepare(self) -> None:
        """Once the cluster is up: the store with its dimensions (unless resuming it)."""
        if self.create:
            create_store(self.path, self.plan, self.template, self.skeleton, self.coord_names)


@dataclass
class _Stream:
    """Members submitted to a cluster and written as they finish."""

    client: Client
    plan: Plan
    sink: Any
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
                "lost the dask scheduler; the members written so far are kept in "
                f"{self.sink.where}: run again with --resume"
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
            self.sink.write(result[0], result[1], i, r)
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
    sink: Any,
    retries: int,
    progress: bool,
) -> tuple[_Stream, float]:
    """Run the members ``todo`` on the cluster; returns the stream and its compute seconds."""
    warm = [effective_threads(spec.threads, s) for s in plan.scales]  # what members will use
    with connect(spec, str(plan.scenarios[0].source_file or plan.names[0]), max(warm)) as cl:
        sink.prepare()  # nothing is written before the cluster is up (bad input: no files)
        cl.register_plugin(worker.WorkerSetup(plan.scenarios[0], spec.threads, warm))
        bar = progress_bar(plan.total, "ensemble", "member", enabled=progress, initial=reused)
        bar.set_postfix(failed=0)
        stream = _Stream(cl, plan, sink, spec.threads, retries, bar)
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
            raise EnsembleInterrupted(sink.saved(), plan.total, sink.where) from None
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
    layout: str = "default",
) -> EnsembleResult:
    """Run an ensemble of members on dask and write one NetCDF file (or a zarr store, or one
    file per member).

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
        ``keep_parts``). A path ending in ``.zarr`` is a zarr store the members are written
        into in place, as they finish (no shards; ``resume`` continues it). With
        ``layout="cdo"``, a folder (default ``outputs/ensemble_<scenarios>_cdo``) of one file
        per member.
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
        Local cluster: worker processes (default: cores // the threads members use) running
        one member each, with ``threads`` numba threads per worker (``NUMBA_NUM_THREADS``).
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
    layout : {"default", "cdo"}
        ``"cdo"``: one NetCDF file per member with integer ``sector``/``skill``/``programme``
        codes that CDO reads (:func:`abm.io.netcdf.cdo_layout`), plus ``ensemble.json``.

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
    out, kind = _output(output, plan, layout)
    parts = out.with_name(out.name + ".parts")
    eid = plan.ensemble_id()

    complete = store_complete(out, eid) if kind == "zarr" else _complete(out, eid, kind)
    if resume and not parts.exists() and complete:
        note(f"{out} is already complete; nothing to do")
        return EnsembleResult(out, plan.names, plan.realizations, plan.total, 0, plan.total, [],
                              time.perf_counter() - t_start, 0.0, 0, _peak_rss())  # fmt: skip
    if kind == "zarr":
        if out.exists() and not resume:
            raise EnsembleInputError(
                f"{out} already holds an ensemble store; pass --resume to continue it, or remove it"
            )
    else:
        _check_parts(plan, parts, resume, note)
    if kind == "cdo" and out.is_dir() and any(out.glob("*.nc")) and not resume:
        raise EnsembleInputError(
            f"option '-o': {out} already holds member files; pass --resume to continue that "
            "ensemble, or choose another folder"
        )

    # warm-up: numba cache built once, in the driver, before any worker starts
    template = worker.warm_model(plan.scenarios[0]).to_dataset()
    with tempfile.TemporaryDirectory() as tmp, local_writes():  # first write's imports
        write_netcdf(template, Path(tmp) / "warm-up.nc")
    done: set[tuple[int, int]] = set()
    if kind == "zarr":
        if resume and out.exists():
            done = written_members(out, plan, eid)
            note(f"resuming: {len(done)} of {plan.total} members kept in {out}")
        sink: Any = _ZarrSink(plan, eid, out, template, create=not out.exists())
    else:
        if resume and parts.exists():
            done = kept_shards(plan, parts, eid, expected_vars(template), note)
        sink = _ShardSink(plan, eid, parts, out)
    todo = deque((i, r) for i, r in plan.order() if (i, r) not in done)
    computed, failures, nthreads, seconds = 0, [], 0, 0.0
    if todo:
        stream, seconds = _compute(plan, spec, todo, len(done), sink, retries, progress)
        computed, failures, nthreads = stream.computed, stream.failures, stream.nthreads
    try:
        if kind == "zarr":
            finish_store(out, failures)
        elif kind == "cdo":
            export_members(plan, parts, out, failures, eid)
        else:
            assemble(plan, template, parts, out, failures, eid)
    except KeyboardInterrupt:
        raise EnsembleInterrupted(sink.saved(), plan.total, sink.where) from None
    if kind == "zarr":
        return EnsembleResult(
            out, plan.names, plan.realizations, plan.total, computed, len(done), failures,
            time.perf_counter() - t_start, seconds if computed else 0.0, nthreads, _peak_rss(),
        )  # fmt: skip
    kept: Path | None = parts
    if not failures and not keep_parts:
        shutil.rmtree(parts, ignore_errors=True)
        kept = None
    return EnsembleResult(
        out, plan.names, plan.realizations, plan.total, computed, len(done), failures,
        time.perf_counter() - t_start, seconds if computed else 0.0, nthreads, _peak_rss(), kept,
    )  # fmt: skip
