"""Ensembles on dask: many members of one or more scenarios, streamed to NetCDF shards.

A *member* is one run of one scenario with one member seed (and, in a sweep, one point of
parameter values). :func:`run_ensemble` runs every member on a dask cluster (a local one with one
worker process per core by default, an existing scheduler, or a SLURM/PBS cluster through
dask-jobqueue), writes each finished member as its own NetCDF shard next to the target
(``FILE.parts/``) as it arrives, and assembles the final file from the shards, one block of
members at a time, so the driver's memory stays bounded whatever the member count::

    from abm.ensemble import run_ensemble
    res = run_ensemble(["diffuse", "laissez_faire"], runs=50, root_seed=1, output="outputs/e.nc")
    ds = res.open()                   # lazy (dask-backed) xarray Dataset
    ds["gdp_real"].sel(scenario="diffuse").mean("realization")

Seeds (DESIGN §6): member ``k`` of an ensemble with root seed ``R`` runs with
``numpy.random.SeedSequence(R).spawn(runs)[k]``, i.e. ``SeedSequence(R, spawn_key=(k,))``, on any
machine and worker count; every scenario (and every parameter point) uses the same member seeds
(common random numbers). A member's output is a function of (scenario, parameters, member seed).

Final file layout: dimensions ``scenario``, ``realization``, ``time``, ``sector``, ``skill``,
``programme`` (the union over the scenarios, zero where a scenario has no such programme) and
``nv``; ``realization`` is the CF coordinate (``standard_name = "realization"``); along it, the
coordinates ``member`` (the seed's spawn key) and, in sweeps, ``point`` and one ``param_*``
coordinate per varied parameter (``rd.sigma`` -> ``param_rd__sigma``). Realization
``r = point * runs + member``. ``member_ok(scenario, realization)`` is 1 for a member written and
0 for one that failed (its values are NaN, the fill value). Provenance (root seed, runs,
scenarios, sweep or sample design, failures) is in the global attributes as numbers or JSON text.

Nothing is lost: shards are written atomically, ``resume=True`` keeps the valid shards of an
interrupted ensemble and redoes missing or corrupt ones; a member that raises is retried
(``retries``) and then reported (scenario, realization, seed, error) while the others complete;
dask reschedules the members of a worker that dies.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import itertools
import json
import logging
import math
import os
import re
import resource
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from distributed.diagnostics.plugin import WorkerPlugin

from abm.scenario import Scenario, ScenarioError, load_scenario

if TYPE_CHECKING:
    import xarray as xr
    from distributed import Client

logger = logging.getLogger("abm.ensemble")

#: Realizations per chunk of the final file (and per block read from shards when assembling).
BLOCK = 64
#: Default seconds to wait for an existing scheduler before giving up.
CONNECT_TIMEOUT = 5.0
#: Exit status of ``abm ensemble`` when some members failed (the others are written).
EXIT_FAILED_MEMBERS = 3
SEED_SCHEME = (
    "member k of realization r = point * runs + k runs with "
    "numpy.random.SeedSequence(root_seed).spawn(runs)[k] == "
    "numpy.random.SeedSequence(root_seed, spawn_key=(k,)); every scenario and every parameter "
    "point uses the same member seeds (common random numbers)"
)
_MANIFEST = "ensemble.json"
_SHARD_RE = re.compile(r"^s(\d+)_r(\d+)_[A-Za-z0-9_.-]*\.nc$")


# ----------------------------------------------------------------------------- errors, results
class EnsembleError(RuntimeError):
    """The ensemble could not be completed (for example: the scheduler went away)."""


class EnsembleInputError(EnsembleError, ValueError):
    """Bad input (scenario, option, sweep, address); raised before any member runs."""


class EnsembleInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM in the command): the shards written so far are kept for ``resume``.

    Attributes
    ----------
    done : int
        Members with a valid shard on disk.
    total : int
        Members in the ensemble.
    parts_dir : pathlib.Path
        The shard folder (``FILE.parts``).
    """

    def __init__(self, done: int, total: int, parts_dir: Path) -> None:
        super().__init__(f"interrupted: {done} of {total} members saved in {parts_dir}")
        self.done, self.total, self.parts_dir = done, total, parts_dir


class InjectedFailure(RuntimeError):
    """Raised inside a member by :class:`FaultInjection` (a testing hook)."""


@dataclass(frozen=True)
class FaultInjection:
    """Testing hook: make chosen members raise, or slow every member down.

    Not for production use; it exists so the tests (and a curious user) can watch the retry and
    failure-reporting machinery work. From the command line it is the hidden option
    ``--inject-faults JSON``, e.g. ``'{"fail_on": [["diffuse", 3], ["focused", 5, 1]]}'``.

    Parameters
    ----------
    fail_on : tuple of (scenario name, realization, attempts)
        Members that raise :class:`InjectedFailure` before running: on their first
        ``attempts`` attempts (so a retry succeeds), or on every attempt if ``attempts`` is
        None (a two-element entry).
    sleep : float
        Seconds every member sleeps before running (to make kill tests deterministic).
    """

    fail_on: tuple[tuple[str, int, int | None], ...] = ()
    sleep: float = 0.0

    def __post_init__(self) -> None:
        entries = []
        for e in self.fail_on:
            if len(e) not in (2, 3):
                raise ValueError(
                    f"fail_on entry {e!r}: expected (scenario, realization[, attempts])"
                )
            n = None if len(e) == 2 or e[2] is None else int(e[2])
            entries.append((str(e[0]), int(e[1]), n))
        object.__setattr__(self, "fail_on", tuple(entries))

    @classmethod
    def from_json(cls, text: str) -> FaultInjection:
        """Parse the ``--inject-faults`` JSON object (keys ``fail_on``, ``sleep``)."""
        try:
            d = json.loads(text)
            if not isinstance(d, dict) or set(d) - {"fail_on", "sleep"}:
                raise ValueError("a JSON object with keys fail_on, sleep")
            return cls(tuple(tuple(e) for e in d.get("fail_on", [])), float(d.get("sleep", 0)))
        except (ValueError, TypeError) as e:
            raise EnsembleInputError(f"option '--inject-faults': not a valid hook ({e})") from None

    def apply(self, scenario: str, realization: int, attempt: int) -> None:
        """Called in the worker before the member runs."""
        if self.sleep > 0:
            time.sleep(self.sleep)
        for s, r, n in self.fail_on:
            if s == scenario and r == realization and (n is None or attempt <= n):
                raise InjectedFailure(
                    f"injected failure (testing hook) for {scenario} realization {realization}, "
                    f"attempt {attempt}"
                )


@dataclass(frozen=True)
class MemberFailure:
    """A member that kept failing after its retries."""

    scenario: str
    realization: int
    member: int
    seed: str
    parameters: dict[str, float]
    attempts: int
    error: str

    def describe(self) -> str:
        """One line for the printed summary."""
        par = "".join(f", {k}={v:g}" for k, v in self.parameters.items())
        return (
            f"{self.scenario} realization {self.realization} (member {self.member}, seed "
            f"{self.seed}{par}) failed {self.attempts} times: {self.error}"
        )


@dataclass
class EnsembleResult:
    """What :func:`run_ensemble` did.

    Attributes
    ----------
    path : pathlib.Path
        The final NetCDF file (written even when some members failed).
    scenarios : list of str
        Scenario names (the ``scenario`` coordinate).
    realizations : int
        Realizations per scenario (parameter points x runs).
    members : int
        Members in total (scenarios x realizations).
    computed : int
        Members run and written in this call.
    reused : int
        Valid shards of an earlier, interrupted run that were kept (``resume``).
    failures : list of MemberFailure
        Members that failed after all retries (their values are NaN, ``member_ok == 0``).
    seconds : float
        Wall time of the whole call.
    compute_seconds : float
        Wall time from the first member submitted to the last member written.
    workers : int
        Worker threads (members running at once) when the members finished.
    driver_peak_memory : int
        Peak resident memory of the driver process, bytes.
    parts_dir : pathlib.Path or None
        The shard folder if it was kept (failures, or ``keep_parts``), else None.
    """

    path: Path
    scenarios: list[str]
    realizations: int
    members: int
    computed: int
    reused: int
    failures: list[MemberFailure]
    seconds: float
    compute_seconds: float
    workers: int
    driver_peak_memory: int
    parts_dir: Path | None = None

    @property
    def ok(self) -> bool:
        """True when every member was written."""
        return not self.failures

    @property
    def members_per_minute(self) -> float:
        """Members computed per minute of compute wall time in this call."""
        return 60.0 * self.computed / self.compute_seconds if self.compute_seconds > 0 else 0.0

    def open(self, **kwargs: Any) -> xr.Dataset:
        """Open the final file lazily (dask-backed, ``chunks={}``); keyword arguments go to
        :func:`xarray.open_dataset`."""
        import xarray as xr

        kwargs.setdefault("chunks", {})
        return xr.open_dataset(self.path, **kwargs)

    def summary(self) -> str:
        """Lines for the command's final report."""
        lines = []
        if self.failures:
            lines.append(f"{len(self.failures)} member(s) failed after retries:")
            lines.extend(f"  {f.describe()}" for f in self.failures)
        ok = self.members - len(self.failures)
        reused = f", {self.reused} kept from an earlier run" if self.reused else ""
        lines.append(
            f"{ok} of {self.members} members written ({len(self.scenarios)} scenario(s) x "
            f"{self.realizations} realizations{reused}); {self.computed} computed in "
            f"{self.compute_seconds:.1f} s: {self.members_per_minute:.1f} members/min on "
            f"{self.workers} worker(s); driver peak memory "
            f"{self.driver_peak_memory / 2**20:.0f} MiB"
        )
        if self.parts_dir is not None:
            hint = " (run again with --resume to retry the failed members)" if self.failures else ""
            lines.append(f"shards kept in {self.parts_dir}{hint}")
        lines.append(f"wrote {self.path}")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- seeds, sweeps
def member_seed(root_seed: int, member: int) -> np.random.SeedSequence:
    """The seed of member ``member``: ``SeedSequence(root_seed).spawn(n)[member]`` for any
    ``n > member``, built directly as ``SeedSequence(root_seed, spawn_key=(member,))``."""
    return np.random.SeedSequence(root_seed, spawn_key=(member,))


def _seed_text(root_seed: int, member: int) -> str:
    return f"SeedSequence({root_seed}, spawn_key=({member},))"


def _element_names(shape: tuple[int, ...]) -> tuple[str, ...] | None:
    from abm.sectors import SECTORS, SKILLS

    if shape == (len(SECTORS),):
        return SECTORS
    if shape == (len(SKILLS),):
        return SKILLS
    return None


def parameter_key(key: str) -> tuple[str, int | None, str]:
    """Check a swept key and split it: ``"rd.sigma"`` -> ``("rd.sigma", None, "rd.sigma")``;
    ``"niches.niche_share[biotech]"`` (or ``[1]``) -> ``("niches.niche_share", 1,
    "niches.niche_share[biotech]")``. A per-sector key without an element sets every sector.

    Raises
    ------
    EnsembleInputError
        Unknown key or element.
    """
    from abm.calibration import load_calibration

    m = re.fullmatch(r"([A-Za-z0-9_]+\.[A-Za-z0-9_]+)(?:\[([A-Za-z0-9_]+)\])?", key.strip())
    if not m:
        raise EnsembleInputError(
            f"parameter '{key}': expected a calibration key 'section.name' or "
            "'section.name[element]' (see abm/calibration/netherlands.toml)"
        )
    base, elem = m.group(1), m.group(2)
    cal = load_calibration()
    if base not in cal:
        raise EnsembleInputError(
            f"parameter '{base}': not a calibration parameter; allowed keys are 'section.name' "
            "entries of abm/calibration/netherlands.toml (e.g. rd.sigma)"
        )
    shape = np.shape(cal[base])
    if elem is None:
        return base, None, base
    if shape == ():
        raise EnsembleInputError(f"parameter '{key}': '{base}' is a number, it has no elements")
    names = _element_names(shape)
    if elem.isdigit() and int(elem) < shape[0]:
        idx = int(elem)
    elif names is not None and elem in names:
        idx = names.index(elem)
    else:
        allowed = ", ".join(names) if names else f"0..{shape[0] - 1}"
        raise EnsembleInputError(f"parameter '{key}': unknown element '{elem}'; allowed: {allowed}")
    label = f"{base}[{names[idx] if names else idx}]"
    return base, idx, label


def parse_sweep(spec: str) -> tuple[str, list[float]]:
    """Parse one ``--sweep`` value: ``key=v1,v2,...`` or ``key=low:high:count`` (evenly spaced,
    both ends included). Returns the canonical key and its values.

    Raises
    ------
    EnsembleInputError
        A malformed spec, an unknown key, a non-number or a non-finite value.
    """
    usage = "expected KEY=V1,V2,... or KEY=LOW:HIGH:COUNT, e.g. rd.sigma=0.5,1,2"
    if "=" not in spec:
        raise EnsembleInputError(f"option '--sweep {spec}': {usage}")
    key, _, rhs = spec.partition("=")
    _, _, label = parameter_key(key)
    rhs = rhs.strip()
    try:
        if ":" in rhs:
            parts = rhs.split(":")
            if len(parts) != 3:
                raise ValueError(rhs)
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
            if n < 1:
                raise ValueError(parts[2])
            values = [float(v) for v in np.linspace(lo, hi, n)]
        else:
            values = [float(v) for v in rhs.split(",")]
    except ValueError:
        raise EnsembleInputError(f"option '--sweep {spec}': {usage}") from None
    if not values or not all(math.isfinite(v) for v in values):
        raise EnsembleInputError(f"option '--sweep {spec}': values must be finite numbers")
    if len(set(values)) != len(values):
        raise EnsembleInputError(f"option '--sweep {spec}': a value is repeated")
    return label, values


def coordinate_name(label: str) -> str:
    """Name of the realization coordinate of a parameter: ``rd.sigma`` -> ``param_rd__sigma``,
    ``niches.niche_share[biotech]`` -> ``param_niches__niche_share__biotech``."""
    return "param_" + re.sub(r"[^A-Za-z0-9_]+", "__", label).strip("_")


def _sample_points(
    scenarios: list[Scenario],
    method: str,
    n: int,
    seed: int,
    calc_second_order: bool,
) -> tuple[list[str], list[list[float]], dict[str, Any]]:
    """Sample the union of the scenarios' ``[uncertain]`` ranges with SALib."""
    ranges: dict[str, tuple[float, float]] = {}
    owner: dict[str, str] = {}
    for sc in scenarios:
        for k, (lo, hi) in sc.uncertain.items():
            if k in ranges and ranges[k] != (lo, hi):
                raise EnsembleInputError(
                    f"option '--sample': scenarios '{owner[k]}' and '{sc.name}' give different "
                    f"[uncertain] ranges for '{k}' ({list(ranges[k])} vs {[lo, hi]})"
                )
            ranges[k], owner[k] = (float(lo), float(hi)), sc.name
    if not ranges:
        names = ", ".join(sc.name for sc in scenarios)
        raise EnsembleInputError(
            f"option '--sample': scenario(s) {names} have no [uncertain] table to sample from; "
            'add one ("section.name" = [low, high]) or use --sweep'
        )
    for k, (lo, hi) in ranges.items():
        if not hi > lo:
            raise EnsembleInputError(f"option '--sample': [uncertain] range of '{k}' is empty")
    names = sorted(ranges)
    problem = {"num_vars": len(names), "names": names, "bounds": [list(ranges[k]) for k in names]}
    if method == "sobol":
        if n < 1 or n & (n - 1):
            lo2 = 1 << max(n.bit_length() - 1, 0)
            raise EnsembleInputError(
                f"option '--samples': Sobol (Saltelli) sampling needs a power of 2 (got {n}; "
                f"try {lo2} or {lo2 * 2})"
            )
        from SALib.sample import sobol

        x = sobol.sample(problem, n, calc_second_order=calc_second_order, seed=seed)
    elif method == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, n, seed=seed)
    else:
        raise EnsembleInputError(
            f"option '--sample': unknown method '{method}'; allowed: lhs, sobol"
        )
    design = {
        "method": method,
        "samples": n,
        "seed": seed,
        "problem": problem,
        "calc_second_order": int(calc_second_order) if method == "sobol" else 0,
        "points": int(len(x)),
        "library": "SALib.sample.sobol (Saltelli)" if method == "sobol" else "SALib.sample.latin",
    }
    return names, [[float(v) for v in row] for row in x], design


# ----------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class _Task:
    """What a worker needs to run one member (small; pickled per submission)."""

    scenario: Scenario
    scenario_index: int
    realization: int
    member: int
    root_seed: int
    quarters: int
    scale: float
    check_accounts: bool
    threads: int
    attempt: int
    faults: FaultInjection | None


@dataclass
class _Plan:
    scenarios: list[Scenario]
    names: list[str]
    runs: int
    root_seed: int
    quarters: int
    start_year: int
    scales: list[float]
    check_accounts: bool
    param_labels: list[str]
    points: list[list[float]]
    sweep: dict[str, list[float]]
    sample: dict[str, Any]
    _bases: list[dict[str, Any]] = field(default_factory=list)
    _keys: list[tuple[str, int | None]] = field(default_factory=list)

    @property
    def realizations(self) -> int:
        return max(len(self.points), 1) * self.runs

    @property
    def total(self) -> int:
        return len(self.scenarios) * self.realizations

    def point_of(self, realization: int) -> int:
        return realization // self.runs

    def member_of(self, realization: int) -> int:
        return realization % self.runs

    def parameters(self, realization: int) -> dict[str, float]:
        if not self.points:
            return {}
        return dict(zip(self.param_labels, self.points[self.point_of(realization)], strict=True))

    def scenario_for(self, i: int, realization: int) -> Scenario:
        """Scenario ``i`` with the realization's parameter point applied."""
        sc = self.scenarios[i]
        if not self.points:
            return sc
        if not self._keys:
            self._keys = [parameter_key(lab)[:2] for lab in self.param_labels]
        if not self._bases:
            self._bases = [s.calibration() for s in self.scenarios]
        over: dict[str, float | list[float]] = {}
        for (base, idx), v in zip(self._keys, self.points[self.point_of(realization)], strict=True):
            cur = self._bases[i][base]
            if np.ndim(cur) == 0:
                over[base] = float(v)
            else:
                arr = np.array(over.get(base, cur), dtype=float)
                if idx is None:
                    arr[:] = v
                else:
                    arr[idx] = v
                over[base] = [float(a) for a in arr]
        return sc.with_parameters(**over)

    def order(self) -> Iterator[tuple[int, int]]:
        """(scenario index, realization), realization-major so scenarios advance together."""
        for r in range(self.realizations):
            for i in range(len(self.scenarios)):
                yield i, r

    def config(self) -> dict[str, Any]:
        from abm.output import _version

        return {
            "format": 1,
            "model_version": _version(),
            "scenarios": [
                {"name": n, "toml": s.to_toml()}
                for n, s in zip(self.names, self.scenarios, strict=True)
            ],
            "runs": self.runs,
            "root_seed": self.root_seed,
            "quarters": self.quarters,
            "start_year": self.start_year,
            "scales": self.scales,
            "check_accounts": int(self.check_accounts),
            "parameters": self.param_labels,
            "points": self.points,
            "sample": self.sample,
        }

    def ensemble_id(self) -> str:
        text = json.dumps(self.config(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _shard_name(i: int, name: str, r: int) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:40]
    return f"s{i:03d}_r{r:07d}_{safe}.nc"


def _plan(
    scenarios: Sequence[str | os.PathLike[str] | Scenario],
    runs: int,
    root_seed: int,
    quarters: int | None,
    scale: float | None,
    check_accounts: bool,
    sweep: Mapping[str, Sequence[float]] | Sequence[str] | None,
    sample: str | None,
    samples: int | None,
    calc_second_order: bool,
) -> _Plan:
    if isinstance(scenarios, str | os.PathLike | Scenario):
        scenarios = [scenarios]
    if not scenarios:
        raise EnsembleInputError("no scenario given; name at least one (see `abm scenarios`)")
    if not isinstance(runs, int | np.integer) or isinstance(runs, bool) or runs < 1:
        raise EnsembleInputError(f"option '--runs': must be a whole number >= 1 (got {runs})")
    if not isinstance(root_seed, int | np.integer) or not 0 <= root_seed < 2**63:
        raise EnsembleInputError(
            f"option '--seed': the root seed must be an integer in [0, 2**63) (got {root_seed})"
        )
    if quarters is not None and (int(quarters) != quarters or quarters < 1):
        raise EnsembleInputError(f"option '--quarters': must be at least 1 (got {quarters})")
    if scale is not None and not (math.isfinite(scale) and scale >= 1):
        raise EnsembleInputError(
            f"option '--scale': must be at least 1 person per agent (got {scale})"
        )
    loaded: list[Scenario] = []
    for s in scenarios:
        if isinstance(s, Scenario):
            loaded.append(s)
            continue
        try:
            loaded.append(load_scenario(s))
        except ScenarioError as e:
            raise EnsembleInputError(str(e)) from None
    names = [sc.name for sc in loaded]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise EnsembleInputError(
            f"scenario '{dup[0]}' given twice; scenario names in one ensemble must be unique"
        )
    qs = {sc.name: int(quarters or sc.run.quarters) for sc in loaded}
    if len(set(qs.values())) > 1:
        raise EnsembleInputError(
            f"scenarios record different numbers of quarters ({qs}); pass --quarters to compare"
        )
    years = {sc.name: sc.run.start_year for sc in loaded}
    if len(set(years.values())) > 1:
        raise EnsembleInputError(
            f"scenarios start in different years ({years}); they cannot share one time axis"
        )
    labels: list[str] = []
    points: list[list[float]] = []
    sweep_dict: dict[str, list[float]] = {}
    design: dict[str, Any] = {}
    if sweep and sample:
        raise EnsembleInputError(
            "options '--sweep' and '--sample' cannot be combined; use one design per ensemble"
        )
    if sweep:
        items = [parse_sweep(s) for s in sweep] if not isinstance(sweep, Mapping) else None
        if items is None:
            items = []
            for k, vals in sweep.items():  # type: ignore[union-attr]
                parse_sweep(f"{k}=0")  # validates the key
                label = parameter_key(k)[2]
                v = [float(x) for x in vals]
                if not v or not all(math.isfinite(x) for x in v):
                    raise EnsembleInputError(f"sweep '{k}': values must be finite numbers")
                items.append((label, v))
        for label, vals in items:
            if label in sweep_dict:
                raise EnsembleInputError(f"option '--sweep': parameter '{label}' given twice")
            sweep_dict[label] = vals
        parsed = {lab: parameter_key(lab) for lab in sweep_dict}
        for lab, (base, idx, _) in parsed.items():
            if idx is None and any(b == base and x != lab for x, (b, _, _) in parsed.items()):
                raise EnsembleInputError(
                    f"option '--sweep': '{lab}' (every element) and one of its elements are both "
                    "swept; sweep either the whole key or its elements"
                )
        labels = list(sweep_dict)
        points = [list(p) for p in itertools.product(*sweep_dict.values())]
    elif sample:
        if samples is None or int(samples) < 1:
            raise EnsembleInputError(
                f"option '--samples': give the number of samples (>= 1) for --sample {sample}"
            )
        labels, points, design = _sample_points(
            loaded, sample, int(samples), int(root_seed % 2**32), calc_second_order
        )
    elif samples is not None:
        raise EnsembleInputError("option '--samples' needs --sample lhs|sobol")
    plan = _Plan(
        scenarios=loaded,
        names=names,
        runs=int(runs),
        root_seed=int(root_seed),
        quarters=next(iter(qs.values())),
        start_year=next(iter(years.values())),
        scales=[float(scale if scale is not None else sc.run.scale) for sc in loaded],
        check_accounts=check_accounts,
        param_labels=labels,
        points=points,
        sweep=sweep_dict,
        sample=design,
    )
    if points:  # the overrides must validate for every scenario (values, shapes)
        for i in range(len(loaded)):
            for r in {0, plan.realizations - 1}:
                try:
                    plan.scenario_for(i, r)
                except ScenarioError as e:
                    raise EnsembleInputError(str(e)) from None
    return plan


# ----------------------------------------------------------------------------- warm-up, worker
def warm_up(scenario: str | Scenario = "diffuse") -> float:
    """Build (or load) the numba cache: run a one-quarter model at a coarse scale, so every
    kernel is compiled once before dask workers start. Processes on one host take a file lock,
    so they never compile the same cache at once (numba #4807). Returns the seconds it took."""
    t0 = time.perf_counter()
    _warm_model(scenario).to_dataset()  # and xarray's first use (~0.3 s) out of the first member
    return time.perf_counter() - t0


def _warm_model(scenario: str | Scenario) -> Any:
    """The warm-up run (under the per-host lock); its Dataset is the ensemble's template."""
    from abm.model import EconomyModel

    lock = Path(tempfile.gettempdir()) / f"abm-numba-warmup-{os.getuid()}.lock"
    with lock.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            return EconomyModel(scenario, 0, quarters=1, scale=4000.0, check_accounts=False).run()
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


_MALLOC_TUNED = False


def _tune_malloc() -> None:
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
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 * 2**20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 64 * 2**20)  # M_TRIM_THRESHOLD


def _set_numba_threads(threads: int) -> None:
    import numba

    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))


def _run_member(task: _Task) -> tuple[Any, dict[str, Any]]:
    """Run one member on a worker; returns its Dataset and timing information."""
    from abm.model import EconomyModel

    t0 = time.perf_counter()
    _tune_malloc()
    _set_numba_threads(task.threads)  # thread-local in numba: set in the thread that runs
    if task.faults is not None:
        task.faults.apply(task.scenario.name, task.realization, task.attempt)
    model = EconomyModel(
        task.scenario,
        member_seed(task.root_seed, task.member),
        scale=task.scale,
        quarters=task.quarters,
        check_accounts=task.check_accounts,
    )
    model.run()
    ds = model.to_dataset()
    import numba

    info = {
        "seconds": time.perf_counter() - t0,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "numba_threads": numba.get_num_threads(),
        "numba_max_threads": numba.config.NUMBA_NUM_THREADS,
    }
    return ds, info


class _WorkerSetup(WorkerPlugin):
    """Worker plugin: numba threads and a (locked) cache warm-up in every worker, including
    workers that join later or are restarted after a crash."""

    idempotent = False
    name = "abm-ensemble-setup"

    def __init__(self, scenario: Scenario, threads: int) -> None:
        self.scenario = scenario
        self.threads = threads

    def setup(self, worker: Any) -> None:
        os.environ.setdefault("NUMBA_NUM_THREADS", str(self.threads))
        _tune_malloc()
        try:
            _set_numba_threads(self.threads)
            warm_up(self.scenario)
        except Exception as e:  # noqa: BLE001 - the members will report a real problem
            logging.getLogger("abm.ensemble").warning("worker warm-up failed: %s", e)

    def teardown(self, worker: Any) -> None:
        return None


# ----------------------------------------------------------------------------- clusters
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
    from dask.utils import parse_bytes

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
        from dask_jobqueue.pbs import pbs_format_bytes_ceil

        kw["resource_spec"] = f"select=1:ncpus={cores}:mem={pbs_format_bytes_ceil(nbytes)}"
    return kw


def job_script(kind: Literal["slurm", "pbs"], **kwargs: Any) -> str:
    """The batch script one worker job would run, without starting a cluster (the scheduler
    address is a placeholder); ``kwargs`` as for :func:`jobqueue_kwargs`."""
    from dask_jobqueue import PBSCluster, SLURMCluster

    cls = SLURMCluster if kind == "slurm" else PBSCluster
    kw = jobqueue_kwargs(kind, **kwargs)
    return cls.job_cls("tcp://SCHEDULER-ADDRESS:8786", name="abm-ensemble", **kw).job_script()


def make_jobqueue_cluster(
    kind: Literal["slurm", "pbs"],
    *,
    jobs: int = 1,
    scheduler_options: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """A dask-jobqueue cluster (not yet scaled) for ``kind``; ``kwargs`` as for
    :func:`jobqueue_kwargs`. :func:`run_ensemble` calls ``cluster.adapt(minimum_jobs=jobs,
    maximum_jobs=jobs)`` so jobs whose workers retired at their lifetime are replaced."""
    from dask_jobqueue import PBSCluster, SLURMCluster

    if jobs < 1:
        raise EnsembleInputError(f"option '--jobs': must be >= 1 (got {jobs})")
    cls = SLURMCluster if kind == "slurm" else PBSCluster
    kw = jobqueue_kwargs(kind, **kwargs)
    return cls(scheduler_options=scheduler_options or {}, **kw)


def _cpu_count() -> int:
    from dask.system import CPU_COUNT

    return int(CPU_COUNT)


@contextlib.contextmanager
def _worker_env(threads: int) -> Iterator[None]:
    """Environment of local worker processes, through the nanny's pre-spawn environment:
    ``NUMBA_NUM_THREADS`` = threads, and no ``MALLOC_TRIM_THRESHOLD_`` (see
    :func:`_tune_malloc`). The nanny also writes these into this process's environment; they are
    restored when the cluster closes."""
    import dask

    keys = ("NUMBA_NUM_THREADS", "MALLOC_TRIM_THRESHOLD_")
    old = {k: os.environ.get(k) for k in keys}
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # else inherited by the workers
    cfg = {
        "distributed.nanny.pre-spawn-environ.NUMBA_NUM_THREADS": str(threads),
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }
    with dask.config.set(cfg):
        try:
            yield
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@contextlib.contextmanager
def _connect(
    *,
    client: Client | None,
    scheduler: str | None,
    cluster: str,
    workers: int | None,
    threads: int,
    connect_timeout: float,
    jobqueue: dict[str, Any],
    warm_scenario: str,
) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    if client is not None:
        yield client
        return
    if scheduler:
        try:
            c = Client(scheduler, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise EnsembleInputError(
                f"option '--scheduler': cannot reach a dask scheduler at {scheduler} within "
                f"{connect_timeout:g} s ({type(e).__name__})"
            ) from None
        except ValueError as e:
            raise EnsembleInputError(
                f"option '--scheduler': bad address {scheduler!r} ({e})"
            ) from None
        try:
            yield c
        finally:
            c.close(timeout=10)
        return
    if cluster == "local":
        n = workers if workers is not None else max(1, _cpu_count() // threads)
        with _worker_env(threads):
            lc = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",  # loopback, any free port
                silence_logs=logging.ERROR,
                env={"NUMBA_NUM_THREADS": str(threads)},
            )
            try:
                c = Client(lc, set_as_default=False)
                try:
                    yield c
                finally:
                    c.close(timeout=10)
            finally:
                lc.close(timeout=20)
        return
    jobs = int(jobqueue.pop("jobs", 1))
    jq = make_jobqueue_cluster(
        cluster,  # type: ignore[arg-type]
        jobs=jobs,
        threads=threads,
        warm_up_scenario=warm_scenario,
        **jobqueue,
    )
    try:
        jq.adapt(minimum_jobs=jobs, maximum_jobs=jobs)
        c = Client(jq, set_as_default=False)
        try:
            yield c
        finally:
            c.close(timeout=10)
    finally:
        jq.close(timeout=30)


# ----------------------------------------------------------------------------- shards
def _expected_vars(template: xr.Dataset) -> dict[str, tuple[str, ...]]:
    """Member variables (those along time, not the shared ``time_bnds``) and their dims."""
    return {
        v: tuple(template[v].dims)
        for v in template.data_vars
        if "time" in template[v].dims and v != "time_bnds" and template[v].dtype.kind == "f"
    }


def validate_shard(path: Path, expect: Mapping[str, Any]) -> str | None:
    """Why a shard cannot be kept (or None if it can): it must open, carry this ensemble's id
    and the member's metadata, and hold every variable with ``quarters`` time steps readable.

    ``expect`` has keys ``ensemble_id``, ``scenario``, ``scenario_index``, ``realization``,
    ``member``, ``quarters`` and ``variables`` (name -> dims)."""
    import netCDF4

    try:
        with netCDF4.Dataset(path) as nc:
            nc.set_auto_mask(False)
            attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
            for k in ("id", "scenario", "scenario_index", "realization", "member"):
                got = attrs.get(f"ensemble_{k}")
                want = expect["ensemble_id" if k == "id" else k]
                if got is None or (str(got) if isinstance(want, str) else int(got)) != want:
                    return f"wrong member metadata (ensemble_{k} = {got!r}, expected {want!r})"
            if nc.dimensions["time"].size != expect["quarters"]:
                return f"{nc.dimensions['time'].size} quarters, expected {expect['quarters']}"
            for v, dims in expect["variables"].items():
                if v not in nc.variables:
                    return f"variable '{v}' missing"
                if tuple(nc.variables[v].dimensions) != tuple(dims):
                    return f"variable '{v}' has dims {nc.variables[v].dimensions}, expected {dims}"
                nc.variables[v][:]  # decompress: a truncated file fails here
            nc.variables["programme"][:]
    except Exception as e:  # noqa: BLE001 - any failure to read means: redo the member
        return f"cannot be read ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
    return None


def _clean_temporaries(folder: Path, prefix: str = ".") -> None:
    for p in folder.glob(f"{prefix}*.tmp"):
        with contextlib.suppress(OSError):
            p.unlink()


# ----------------------------------------------------------------------------- assembly
def _time_axis(plan: _Plan) -> list[_dt.date]:
    return [_dt.date(plan.start_year + q // 4, 3 * (q % 4) + 1, 1) for q in range(plan.quarters)]


def _assemble(
    plan: _Plan,
    template: xr.Dataset,
    parts: Path,
    output: Path,
    failures: list[MemberFailure],
    eid: str,
) -> None:
    """Write the final file from the shards, one block of ``BLOCK`` realizations at a time."""
    import netCDF4
    import xarray as xr

    from abm.output import encoding_for, programme_union, quarter_bounds

    S, M = len(plan.scenarios), plan.realizations
    variables = _expected_vars(template)
    progs = programme_union(plan.scenarios)
    time_vals, bnds = quarter_bounds(_time_axis(plan))
    member = np.array([plan.member_of(r) for r in range(M)], dtype=np.int64)
    coords: dict[str, Any] = {
        "scenario": (
            "scenario",
            np.array(plan.names, dtype=object),
            {"long_name": "scenario compared (shared member seeds: common random numbers)"},
        ),
        "realization": (
            "realization",
            np.arange(M, dtype=np.int64),
            {
                "standard_name": "realization",
                "units": "1",
                "long_name": "ensemble member (realization = point * runs + member)",
            },
        ),
        "member": (
            "realization",
            member,
            {
                "long_name": "member seed index k",
                "units": "1",
                "comment": f"seed = numpy.random.SeedSequence(root_seed={plan.root_seed}, "
                "spawn_key=(member,)) = SeedSequence(root_seed).spawn(runs)[member]",
            },
        ),
        "time": ("time", time_vals, dict(template["time"].attrs)),
        "sector": ("sector", template["sector"].values, dict(template["sector"].attrs)),
        "skill": ("skill", template["skill"].values, dict(template["skill"].attrs)),
        "programme": (
            "programme",
            np.array(progs, dtype=object),
            {"long_name": "government innovation programme (union over the scenarios)"},
        ),
    }
    coord_names = ["member"]
    if plan.points:
        coords["point"] = (
            "realization",
            np.array([plan.point_of(r) for r in range(M)], dtype=np.int64),
            {"long_name": "parameter point index (row of the sweep grid or sample)", "units": "1"},
        )
        coord_names.append("point")
        for j, lab in enumerate(plan.param_labels):
            name = coordinate_name(lab)
            coords[name] = (
                "realization",
                np.array([plan.points[plan.point_of(r)][j] for r in range(M)], dtype=float),
                {"long_name": f"value of the varied parameter {lab}", "parameter": lab},
            )
            coord_names.append(name)
    instruments = dict(
        zip(template["programme"].values, template["programme_instrument"].values, strict=True)
    )
    for sc in plan.scenarios:
        for p, spec in sc.programmes.items():
            instruments.setdefault(p, spec.instrument)
    skeleton = xr.Dataset(
        {
            "time_bnds": (("time", "nv"), bnds, {"long_name": "quarter start and end"}),
            "programme_instrument": (
                "programme",
                np.array([instruments.get(p, "") for p in progs], dtype=object),
                {"long_name": "instrument type of the programme"},
            ),
            "scenario_toml": (
                "scenario",
                np.array([sc.to_toml() for sc in plan.scenarios], dtype=object),
                {"long_name": "the fully resolved scenario as TOML text (before sweep values)"},
            ),
            "scale": (
                "scenario",
                np.array(plan.scales, dtype=float),
                {"long_name": "real persons one talent agent stands for", "units": "1"},
            ),
            "burn_in_quarters": (
                "scenario",
                np.array([sc.run.burn_in for sc in plan.scenarios], dtype=np.int32),
                {"long_name": "unrecorded burn-in quarters before the first recorded quarter"},
            ),
            "member_ok": (
                ("scenario", "realization"),
                np.zeros((S, M), dtype=np.int8),
                {
                    "long_name": "member written (1) or failed after retries (0, values NaN)",
                    "flag_values": np.array([0, 1], dtype=np.int8),
                    "flag_meanings": "failed written",
                    "units": "1",
                },
            ),
        },
        coords=coords,
        attrs=_global_attrs(plan, template, failures, eid),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        enc = encoding_for(skeleton)
        enc["member_ok"] = {"dtype": "int8"}
        for v in ("time", "time_bnds"):  # CF: no fill value on a coordinate or its bounds
            enc[v]["_FillValue"] = None
        with _local_writes():
            skeleton.to_netcdf(tmp, mode="w", format="NETCDF4", engine="netcdf4", encoding=enc)
        failed = {(f.scenario, f.realization) for f in failures}
        ok = np.zeros((S, M), dtype=np.int8)
        with netCDF4.Dataset(tmp, "a") as nc:
            out = {}
            for v, dims in variables.items():
                shape = [nc.dimensions[d].size for d in dims]
                chunks = (1, min(M, BLOCK), *[max(1, s) for s in shape])
                var = nc.createVariable(
                    v,
                    "f8",
                    ("scenario", "realization", *dims),
                    zlib=True,
                    complevel=4,
                    chunksizes=chunks,
                    fill_value=np.nan,
                )
                attrs = {k: a for k, a in template[v].attrs.items() if k != "_FillValue"}
                attrs["coordinates"] = " ".join(coord_names)
                var.setncatts(attrs)
                out[v] = var
            p_index = {p: j for j, p in enumerate(progs)}
            time_checked = False
            for i, name in enumerate(plan.names):
                for r0 in range(0, M, BLOCK):
                    r1 = min(M, r0 + BLOCK)
                    block = {v: np.full((r1 - r0, *out[v].shape[2:]), np.nan) for v in variables}
                    for r in range(r0, r1):
                        if (name, r) in failed:
                            continue
                        path = parts / _shard_name(i, name, r)
                        with netCDF4.Dataset(path) as sh:
                            sh.set_auto_mask(False)
                            if not time_checked:  # the shards' time axis is the file's
                                _check_time(sh, time_vals, path)
                                time_checked = True
                            sp = [str(p) for p in sh.variables["programme"][:]]
                            for v, dims in variables.items():
                                a = np.asarray(sh.variables[v][:], dtype=float)
                                if "programme" in dims:
                                    ax = dims.index("programme")
                                    full = np.zeros((*a.shape[:ax], len(progs), *a.shape[ax + 1 :]))
                                    idx = [p_index[p] for p in sp]
                                    sl = [slice(None)] * a.ndim
                                    sl[ax] = idx  # type: ignore[call-overload]
                                    full[tuple(sl)] = a
                                    a = full
                                block[v][r - r0] = a
                        ok[i, r] = 1
                    for v in variables:
                        out[v][i, r0:r1] = block[v]
            nc.variables["member_ok"][:] = ok
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _check_time(sh: Any, expected: np.ndarray, path: Path) -> None:
    import netCDF4

    t = sh.variables["time"]
    got = netCDF4.num2date(
        t[:], t.units, getattr(t, "calendar", "standard"), only_use_cftime_datetimes=False
    )
    got = np.array([np.datetime64(d.isoformat()) for d in got], dtype="datetime64[ns]")
    if got.shape != expected.shape or not np.array_equal(got, expected):
        raise EnsembleError(
            f"{path}: the member's time axis ({got[0]} ...) differs from the ensemble's "
            f"({expected[0]} ...); this is a bug, please report it"
        )


def _global_attrs(
    plan: _Plan, template: xr.Dataset, failures: list[MemberFailure], eid: str
) -> dict[str, Any]:
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    keep = (
        "Conventions",
        "institution",
        "source",
        "references",
        "comment",
        "model_version",
        "library_versions",
        "accounting_checks",
    )
    attrs = {k: template.attrs[k] for k in keep if k in template.attrs}
    argv = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))
    attrs.update(
        {
            "title": (
                f"focus-abm ensemble: {', '.join(plan.names)}; {plan.realizations} "
                "realizations each"
            ),
            "history": f"{now} created by: {argv}",
            "date_created": now,
            "accounting_checks": int(plan.check_accounts),
            "ensemble_id": eid,
            "root_seed": np.int64(plan.root_seed),
            "runs": np.int64(plan.runs),
            "realizations": np.int64(plan.realizations),
            "members": np.int64(plan.total),
            "members_failed": np.int64(len(failures)),
            "failures": json.dumps(
                [
                    {
                        "scenario": f.scenario,
                        "realization": f.realization,
                        "member": f.member,
                        "seed": f.seed,
                        "parameters": f.parameters,
                        "attempts": f.attempts,
                        "error": f.error,
                    }
                    for f in failures
                ]
            ),
            "seed_scheme": SEED_SCHEME,
            "scenarios": json.dumps(plan.names),
            "quarters": np.int64(plan.quarters),
            "parameters": json.dumps({lab: coordinate_name(lab) for lab in plan.param_labels}),
            "parameter_points": np.int64(len(plan.points)),
            "sweep": json.dumps(plan.sweep),
            "sample": json.dumps(plan.sample),
        }
    )
    return attrs


# ----------------------------------------------------------------------------- the driver
def _peak_rss() -> int:
    """Peak resident memory of this process, bytes: ``VmHWM`` of /proc/self/status on Linux
    (``ru_maxrss`` also counts the parent's memory when the process was started by fork+exec)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


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
    faults: FaultInjection | None = None,
) -> EnsembleResult:
    """Run an ensemble of members on dask and write one NetCDF file.

    Parameters
    ----------
    scenarios : sequence of str, path or Scenario (or one of them)
        Shipped scenario names or TOML paths; names must be unique.
    runs : int
        Member seeds per scenario (and per parameter point in a sweep); >= 1.
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
        Grid over calibration parameters: ``{"rd.sigma": [0.5, 1.0]}`` or
        ``["rd.sigma=0.5,1", "labour.quit_rate=0.01:0.03:3"]``; the grid is the cartesian
        product. A key ``section.name[element]`` varies one sector/skill of a per-sector
        parameter, ``section.name`` alone sets every element to the value.
    sample, samples, calc_second_order : optional
        ``"lhs"`` (SALib latin) or ``"sobol"`` (SALib Saltelli; ``samples`` a power of 2,
        ``samples * (2D + 2)`` points, or ``(D + 2)`` without second order) over the union of
        the scenarios' ``[uncertain]`` ranges; sampling seed = ``root_seed % 2**32``.
        Every parameter point runs ``runs`` member seeds (the same seeds at every point).
    workers, threads : int, optional
        Local cluster: worker processes (default: cores // threads) running one member each,
        with ``threads`` numba threads per worker (``NUMBA_NUM_THREADS`` is set for them).
    scheduler : str, optional
        Address of an existing dask scheduler (``tcp://host:8786``); fails after
        ``connect_timeout`` seconds if unreachable. ``client``: an existing Client instead.
    cluster, jobs, cores, memory, walltime, queue, account, interface : optional
        ``"slurm"`` or ``"pbs"``: a dask-jobqueue cluster of ``jobs`` jobs, each with ``cores``
        cores and ``memory`` (see :func:`jobqueue_kwargs`).
    resume : bool
        Continue an interrupted ensemble with the same settings: valid shards are kept,
        missing or corrupt ones (cannot be read, variables missing, wrong metadata) redone.
    retries : int
        Extra attempts for a member that raises (or whose workers died); then it is reported
        in ``failures`` and in the file's ``failures`` attribute while the others complete.
    progress : bool
        Show a tqdm progress bar on stderr (members done, failed, time left).
    log : callable, optional
        Receives one-line notes (resume, warm-up); default: the ``abm.ensemble`` logger.
    faults : FaultInjection, optional
        Testing hook only (make members fail or sleep).

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
    if threads < 1:
        raise EnsembleInputError(f"option '--threads': must be >= 1 (got {threads})")
    if workers is not None and workers < 1:
        raise EnsembleInputError(f"option '--workers': must be >= 1 (got {workers})")
    if cluster not in ("local", "slurm", "pbs"):
        raise EnsembleInputError(
            f"option '--cluster': unknown '{cluster}'; allowed: local, slurm, pbs"
        )
    if scheduler and cluster != "local":
        raise EnsembleInputError("options '--scheduler' and '--cluster' cannot be combined")
    if workers is not None and (scheduler or client is not None or cluster != "local"):
        raise EnsembleInputError("option '--workers' applies to the local cluster only")
    jq: dict[str, Any] = {}
    if cluster != "local":
        if cores is None or memory is None:
            raise EnsembleInputError(
                f"option '--cluster {cluster}' needs --cores and --memory (per job), "
                "e.g. --cores 32 --memory 64GB"
            )
        jq = {
            "jobs": jobs,
            "cores": cores,
            "memory": memory,
            "walltime": walltime,
            "queue": queue,
            "account": account,
            "interface": interface,
        }
        jobqueue_kwargs(cluster, **{k: v for k, v in jq.items() if k != "jobs"}, threads=threads)
        if jobs < 1:
            raise EnsembleInputError(f"option '--jobs': must be >= 1 (got {jobs})")
    plan = _plan(
        scenarios,
        runs,
        root_seed,
        quarters,
        scale,
        check_accounts,
        sweep,
        sample,
        samples,
        calc_second_order,
    )
    if output is None:
        output = Path("outputs") / ("ensemble_" + "_".join(plan.names)[:80] + ".nc")
    output = Path(output)
    if output.suffix not in (".nc", ".nc4"):
        raise EnsembleInputError(f"option '-o': output file must end in .nc (got {output})")
    if output.exists() and output.is_dir():
        raise EnsembleInputError(f"option '-o': {output} is a folder")
    parts = output.with_name(output.name + ".parts")
    eid = plan.ensemble_id()
    config = plan.config()

    # ---- shards already there
    done: set[tuple[int, int]] = set()
    n_shards = sum(1 for _ in parts.glob("*.nc")) if parts.is_dir() else 0
    if resume and not parts.exists() and _complete(output, eid):
        note(f"{output} is already complete; nothing to do")
        return EnsembleResult(
            path=output,
            scenarios=plan.names,
            realizations=plan.realizations,
            members=plan.total,
            computed=0,
            reused=plan.total,
            failures=[],
            seconds=time.perf_counter() - t_start,
            compute_seconds=0.0,
            workers=0,
            driver_peak_memory=_peak_rss(),
        )
    manifest = parts / _MANIFEST
    if parts.exists() and (n_shards or (resume and manifest.exists())):
        if not resume:
            n = n_shards
            raise EnsembleInputError(
                f"{parts} already holds {n} shard(s) of an earlier ensemble; pass --resume to "
                "continue it, or remove the folder"
            )
        try:
            old = json.loads(manifest.read_text())
        except (OSError, ValueError):
            raise EnsembleInputError(
                f"--resume: {manifest} is missing or unreadable; remove {parts} to start afresh"
            ) from None
        if old.get("ensemble_id") != eid:
            diff = [k for k in config if old.get("config", {}).get(k) != config[k]]
            raise EnsembleInputError(
                f"--resume: {parts} belongs to a different ensemble (differs in: "
                f"{', '.join(diff) or 'model version'}); use the same scenarios and options, or "
                "another output file"
            )
        _clean_temporaries(parts)
    elif resume:
        note(f"nothing to resume in {parts}; starting the ensemble")
        if parts.is_dir():
            _clean_temporaries(parts)

    # ---- warm-up: numba cache built once, in the driver, before any worker starts
    t_w = time.perf_counter()
    template = _warm_model(plan.scenarios[0]).to_dataset()
    with tempfile.TemporaryDirectory() as tmp, _local_writes():  # first write's imports
        from abm.output import write_netcdf

        write_netcdf(template, Path(tmp) / "warm-up.nc")
    logger.debug("numba cache ready (%.1f s)", time.perf_counter() - t_w)
    variables = _expected_vars(template)

    if resume and parts.exists():
        bad = 0
        for i, name in enumerate(plan.names):
            for r in range(plan.realizations):
                path = parts / _shard_name(i, name, r)
                if not path.exists():
                    continue
                why = validate_shard(
                    path,
                    {
                        "ensemble_id": eid,
                        "scenario": name,
                        "scenario_index": i,
                        "realization": r,
                        "member": plan.member_of(r),
                        "quarters": plan.quarters,
                        "variables": variables,
                    },
                )
                if why is None:
                    done.add((i, r))
                else:
                    bad += 1
                    note(f"shard {path.name} {why}: redoing it")
                    path.unlink(missing_ok=True)
        note(
            f"resuming: {len(done)} of {plan.total} members kept"
            + (f", {bad} corrupt shard(s) redone" if bad else "")
        )
    todo = deque((i, r, 1) for i, r in plan.order() if (i, r) not in done)
    failures: list[MemberFailure] = []
    computed = 0
    nthreads = 0
    t_compute = t_end = time.perf_counter()
    bar = None
    if todo:
        from distributed import as_completed
        from tqdm import tqdm

        with _connect(
            client=client,
            scheduler=scheduler,
            cluster=cluster,
            workers=workers,
            threads=threads,
            connect_timeout=connect_timeout,
            jobqueue=dict(jq),
            warm_scenario=str(plan.scenarios[0].source_file or plan.names[0]),
        ) as cl:
            # nothing is written before the cluster is reached (bad input leaves no files)
            parts.mkdir(parents=True, exist_ok=True)
            _write_json(parts / _MANIFEST, {"ensemble_id": eid, "config": config})
            _clean_temporaries(output.parent, prefix=f".{output.name}.")
            cl.register_plugin(_WorkerSetup(plan.scenarios[0], threads), name=_WorkerSetup.name)
            run_token = uuid.uuid4().hex[:8]
            bar = tqdm(
                total=plan.total,
                initial=len(done),
                unit="member",
                desc="ensemble",
                disable=not progress,
                file=sys.stderr,
                dynamic_ncols=True,
            )
            bar.set_postfix(failed=0)
            inflight: dict[str, tuple[int, int, int]] = {}
            ac = as_completed(loop=cl.loop)
            cap_checked = -1e9

            def capacity() -> int:
                nonlocal cap_checked, nthreads
                now = time.monotonic()
                if now - cap_checked > 2.0:
                    nthreads = sum(cl.nthreads().values())
                    cap_checked = now
                return max(2 * nthreads + 2, 4)

            def submit() -> None:
                cap = capacity()
                while todo and len(inflight) < cap:
                    i, r, attempt = todo.popleft()
                    task = _Task(
                        scenario=plan.scenario_for(i, r),
                        scenario_index=i,
                        realization=r,
                        member=plan.member_of(r),
                        root_seed=plan.root_seed,
                        quarters=plan.quarters,
                        scale=plan.scales[i],
                        check_accounts=plan.check_accounts,
                        threads=threads,
                        attempt=attempt,
                        faults=faults,
                    )
                    fut = cl.submit(
                        _run_member, task, key=f"abm-member-{run_token}-{i}-{r}-a{attempt}"
                    )
                    inflight[fut.key] = (i, r, attempt)
                    ac.add(fut)

            try:
                t_compute = time.perf_counter()
                submit()
                for fut in ac:
                    i, r, attempt = inflight.pop(fut.key)
                    result = exc = None
                    if fut.status == "finished":
                        try:
                            result = fut.result(timeout=60)
                        except Exception as e:  # noqa: BLE001 - lost between done and fetched
                            exc = e
                    else:
                        if fut.status == "cancelled" and cl.status not in ("running", "connecting"):
                            raise EnsembleError(
                                "lost the dask scheduler; the shards written so far are kept in "
                                f"{parts}: run again with --resume"
                            )
                        try:
                            exc = fut.exception(timeout=30)
                        except Exception as e:  # noqa: BLE001 - e.g. CancelledError
                            exc = e
                    fut.release()
                    if result is not None:
                        _write_shard(result[0], result[1], plan, i, r, attempt, eid, parts)
                        result = None  # the member's data leaves the driver here
                        computed += 1
                        bar.update(1)
                    elif attempt <= retries:
                        todo.appendleft((i, r, attempt + 1))
                    else:
                        failures.append(
                            MemberFailure(
                                scenario=plan.names[i],
                                realization=r,
                                member=plan.member_of(r),
                                seed=_seed_text(plan.root_seed, plan.member_of(r)),
                                parameters=plan.parameters(r),
                                attempts=attempt,
                                error=_one_line(exc),
                            )
                        )
                        bar.update(1)
                        bar.set_postfix(failed=len(failures))
                    submit()
                t_end = time.perf_counter()  # before the cluster closes
            except KeyboardInterrupt:
                bar.close()
                with contextlib.suppress(Exception):
                    cl.cancel(list(ac.futures))
                raise EnsembleInterrupted(len(done) + computed, plan.total, parts) from None
            finally:
                bar.close()
    compute_seconds = t_end - t_compute

    try:
        _assemble(plan, template, parts, output, failures, eid)
    except KeyboardInterrupt:
        raise EnsembleInterrupted(len(done) + computed, plan.total, parts) from None
    kept: Path | None = parts
    if not failures and not keep_parts:
        shutil.rmtree(parts, ignore_errors=True)
        kept = None
    return EnsembleResult(
        path=output,
        scenarios=plan.names,
        realizations=plan.realizations,
        members=plan.total,
        computed=computed,
        reused=len(done),
        failures=failures,
        seconds=time.perf_counter() - t_start,
        compute_seconds=compute_seconds if computed else 0.0,
        workers=nthreads,
        driver_peak_memory=_peak_rss(),
        parts_dir=kept,
    )


def _complete(output: Path, eid: str) -> bool:
    """Whether ``output`` is the finished file of this ensemble with no failed member."""
    import netCDF4

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


def _write_json(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, path)


def _write_shard(
    ds: Any, info: dict[str, Any], plan: _Plan, i: int, r: int, attempt: int, eid: str, parts: Path
) -> Path:
    from abm.output import write_netcdf

    k = plan.member_of(r)
    ds.attrs.update(
        {
            "seed": _seed_text(plan.root_seed, k),
            "ensemble_id": eid,
            "ensemble_scenario": plan.names[i],
            "ensemble_scenario_index": np.int64(i),
            "ensemble_realization": np.int64(r),
            "ensemble_member": np.int64(k),
            "ensemble_point": np.int64(plan.point_of(r) if plan.points else 0),
            "ensemble_parameters": json.dumps(plan.parameters(r)),
            "ensemble_attempt": np.int64(attempt),
            "ensemble_member_seconds": float(info.get("seconds", 0.0)),
            "ensemble_worker": f"{info.get('host', '?')}:{info.get('pid', '?')}",
            "ensemble_numba_threads": np.int64(info.get("numba_threads", 0)),
            "ensemble_numba_max_threads": np.int64(info.get("numba_max_threads", 0)),
        }
    )
    with _local_writes():
        return write_netcdf(ds, parts / _shard_name(i, plan.names[i], r))


def _local_writes() -> contextlib.AbstractContextManager[Any]:
    """Write files with local locks: with a distributed Client as dask's default scheduler,
    xarray would take a distributed lock (a scheduler round trip) for every variable."""
    import dask

    return dask.config.set(scheduler="synchronous")


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
