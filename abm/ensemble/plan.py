"""The plan of an ensemble: its scenarios, member seeds and parameter points (a sweep grid, a
sample of the scenarios' ``[uncertain]`` ranges, or a design given by the caller), checked
before any member runs.

Seeds (DESIGN §6): member ``k`` of an ensemble with root seed ``R`` runs with
``numpy.random.SeedSequence(R).spawn(runs)[k]``, i.e. ``SeedSequence(R, spawn_key=(k,))``, on any
machine and worker count; every scenario and every parameter point uses the same member seeds
(common random numbers). Realization ``r = point * runs + member``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from abm.analysis.design import make_problem, sample_design
from abm.analysis.errors import SensitivityInputError
from abm.ensemble.results import EnsembleInputError
from abm.io.provenance import model_version
from abm.scenario import Scenario, load_scenario
from abm.scenario.overrides import Override, apply_overrides, parse_key, parse_sweep, reraise_as
from abm.scenario.schema import targeted_programmes

SEED_SCHEME = (
    "member k of realization r = point * runs + k runs with "
    "numpy.random.SeedSequence(root_seed).spawn(runs)[k] == "
    "numpy.random.SeedSequence(root_seed, spawn_key=(k,)); every scenario and every parameter "
    "point uses the same member seeds (common random numbers)"
)


def member_seed(root_seed: int, member: int) -> np.random.SeedSequence:
    """The seed of member ``member``: ``SeedSequence(root_seed).spawn(n)[member]`` for any
    ``n > member``, built directly as ``SeedSequence(root_seed, spawn_key=(member,))``."""
    return np.random.SeedSequence(root_seed, spawn_key=(member,))


def seed_text(root_seed: int, member: int) -> str:
    """How a member's seed is written in files and reports."""
    return f"SeedSequence({root_seed}, spawn_key=({member},))"


@dataclass(frozen=True)
class Design:
    """Parameter points every scenario of an ensemble runs at.

    Attributes
    ----------
    overrides : sequence of Override
        Where each column's value goes (:func:`abm.scenario.overrides.parse_key`).
    points : sequence of sequence of float
        One row of values per point.
    sweep : dict
        The grid (key -> values) when the points are one, for the file's ``sweep`` attribute.
    sample : dict
        How the points were drawn, for the file's ``sample`` attribute.
    """

    overrides: tuple[Override, ...]
    points: list[list[float]]
    sweep: dict[str, list[float]] = field(default_factory=dict)
    sample: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
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


@dataclass
class Plan:
    """Every member of an ensemble: scenario ``i`` at realization ``r``."""

    scenarios: list[Scenario]
    names: list[str]
    runs: int
    root_seed: int
    quarters: int
    start_year: int
    scales: list[float]
    check_accounts: bool
    design: Design | None = None

    @property
    def param_labels(self) -> list[str]:
        """The keys of the varied parameters."""
        return [o.key for o in self.design.overrides] if self.design else []

    @property
    def points(self) -> list[list[float]]:
        """The parameter points (none without a design)."""
        return self.design.points if self.design else []

    @property
    def realizations(self) -> int:
        """Realizations per scenario."""
        return max(len(self.points), 1) * self.runs

    @property
    def total(self) -> int:
        """Members in the ensemble."""
        return len(self.scenarios) * self.realizations

    def point_of(self, realization: int) -> int:
        """The parameter point of a realization."""
        return realization // self.runs

    def member_of(self, realization: int) -> int:
        """The member seed index of a realization."""
        return realization % self.runs

    def parameters(self, realization: int) -> dict[str, float]:
        """The parameter values of a realization, by key."""
        if not self.points:
            return {}
        return dict(zip(self.param_labels, self.points[self.point_of(realization)], strict=True))

    def scenario_for(self, i: int, realization: int) -> Scenario:
        """Scenario ``i`` with the realization's parameter point applied."""
        sc = self.scenarios[i]
        if not self.design:
            return sc
        values = self.points[self.point_of(realization)]
        pairs = list(zip(self.design.overrides, values, strict=True))
        if not targeted_programmes(sc) and any(targeted_programmes(o) for o in self.scenarios):
            # the dose of focus applies to the scenarios that have targeted programmes; the
            # others (diffuse, laissez_faire) are what the dose is compared with
            pairs = [(o, v) for o, v in pairs if o.key != "reallocation"]
        return apply_overrides(sc, pairs)

    def task(self, i: int, realization: int, threads: int) -> Task:
        """What a worker needs to run scenario ``i`` at ``realization``."""
        return Task(
            scenario=self.scenario_for(i, realization),
            scenario_index=i,
            realization=realization,
            member=self.member_of(realization),
            root_seed=self.root_seed,
            quarters=self.quarters,
            scale=self.scales[i],
            check_accounts=self.check_accounts,
            threads=threads,
        )

    def order(self) -> Iterator[tuple[int, int]]:
        """(scenario index, realization), realization-major so scenarios advance together."""
        for r in range(self.realizations):
            for i in range(len(self.scenarios)):
                yield i, r

    def config(self) -> dict[str, Any]:
        """Everything that decides the members' outputs (a resume must match it)."""
        return {
            "format": 1,
            "model_version": model_version(),
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
            "sample": self.design.sample if self.design else {},
        }

    def ensemble_id(self) -> str:
        """A short hash of :meth:`config`."""
        text = json.dumps(self.config(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _uncertain_ranges(scenarios: list[Scenario]) -> dict[str, tuple[float, float]]:
    """The union of the scenarios' ``[uncertain]`` ranges (they must agree)."""
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
    return ranges


def sample_points(
    scenarios: list[Scenario], method: str, n: int, seed: int, calc_second_order: bool
) -> Design:
    """Sample the union of the scenarios' ``[uncertain]`` ranges (Latin hypercube or Sobol)."""
    if method not in ("lhs", "sobol"):
        raise EnsembleInputError(
            f"option '--sample': unknown method '{method}'; allowed: lhs, sobol"
        )
    ranges = _uncertain_ranges(scenarios)
    names = sorted(ranges)
    problem = make_problem(names, [ranges[k] for k in names])
    with reraise_as(EnsembleInputError, SensitivityInputError):
        x = sample_design(problem, method, n, seed, calc_second_order=calc_second_order)  # type: ignore[arg-type]
        overrides = tuple(parse_key(k) for k in names)
    sample = {
        "method": method,
        "samples": n,
        "seed": seed,
        "problem": problem,
        "calc_second_order": int(calc_second_order) if method == "sobol" else 0,
        "points": int(len(x)),
        "library": "SALib.sample.sobol (Saltelli)" if method == "sobol" else "SALib.sample.latin",
    }
    return Design(overrides, [[float(v) for v in row] for row in x], sample=sample)


def sweep_grid(sweep: Mapping[str, Sequence[float]] | Sequence[str]) -> Design:
    """The grid (cartesian product) of ``--sweep`` values or a key -> values mapping."""
    with reraise_as(EnsembleInputError):
        if isinstance(sweep, Mapping):
            items = []
            for k, vals in sweep.items():
                o = parse_key(k)
                values = [float(x) for x in vals]
                if not values or not all(math.isfinite(x) for x in values):
                    raise EnsembleInputError(f"sweep '{k}': values must be finite numbers")
                items.append((o, values))
        else:
            items = [parse_sweep(s) for s in sweep]
    grid: dict[str, tuple[Override, list[float]]] = {}
    for o, vals in items:
        if o.key in grid:
            raise EnsembleInputError(f"option '--sweep': parameter '{o.key}' given twice")
        grid[o.key] = (o, vals)
    for o, _ in grid.values():
        if o.kind == "all" and any(p.target == o.target and p is not o for p, _ in grid.values()):
            raise EnsembleInputError(
                f"option '--sweep': '{o.key}' (every element) and one of its elements are both "
                "swept; sweep either the whole key or its elements"
            )
    points = [list(p) for p in itertools.product(*(v for _, v in grid.values()))]
    return Design(
        tuple(o for o, _ in grid.values()), points, sweep={k: v for k, (_, v) in grid.items()}
    )


def _load(scenarios: Sequence[str | os.PathLike[str] | Scenario]) -> list[Scenario]:
    loaded = []
    for s in scenarios:
        with reraise_as(EnsembleInputError):
            loaded.append(s if isinstance(s, Scenario) else load_scenario(s))
    names = [sc.name for sc in loaded]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise EnsembleInputError(
            f"scenario '{dup[0]}' given twice; scenario names in one ensemble must be unique"
        )
    return loaded


def _check(runs: int, root_seed: int, quarters: int | None, scale: float | None) -> None:
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


def make_plan(
    scenarios: Sequence[str | os.PathLike[str] | Scenario] | str | os.PathLike[str] | Scenario,
    runs: int,
    root_seed: int,
    quarters: int | None,
    scale: float | None,
    check_accounts: bool,
    sweep: Mapping[str, Sequence[float]] | Sequence[str] | None = None,
    sample: str | None = None,
    samples: int | None = None,
    calc_second_order: bool = True,
    design: Design | None = None,
) -> Plan:
    """Check the scenarios and options and plan every member (see :func:`run_ensemble`).

    Raises
    ------
    EnsembleInputError
        Bad input; nothing has run or been written.
    """
    if isinstance(scenarios, str | os.PathLike | Scenario):
        scenarios = [scenarios]
    if not scenarios:
        raise EnsembleInputError("no scenario given; name at least one (see `abm scenarios`)")
    _check(runs, root_seed, quarters, scale)
    loaded = _load(scenarios)
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
    if sum(bool(x) for x in (sweep, sample, design)) > 1:
        raise EnsembleInputError(
            "options '--sweep' and '--sample' cannot be combined; use one design per ensemble"
        )
    if sweep:
        design = sweep_grid(sweep)
    elif sample:
        if samples is None or int(samples) < 1:
            raise EnsembleInputError(
                f"option '--samples': give the number of samples (>= 1) for --sample {sample}"
            )
        design = sample_points(
            loaded, sample, int(samples), int(root_seed % 2**32), calc_second_order
        )
    elif samples is not None and design is None:
        raise EnsembleInputError("option '--samples' needs --sample lhs|sobol")
    plan = Plan(
        scenarios=loaded,
        names=[sc.name for sc in loaded],
        runs=int(runs),
        root_seed=int(root_seed),
        quarters=next(iter(qs.values())),
        start_year=next(iter(years.values())),
        scales=[float(scale if scale is not None else sc.run.scale) for sc in loaded],
        check_accounts=check_accounts,
        design=design if design and design.points else None,
    )
    if plan.points:  # the overrides must validate for every scenario (values, shapes)
        for i in range(len(loaded)):
            for r in {0, plan.realizations - 1}:
                with reraise_as(EnsembleInputError):
                    plan.scenario_for(i, r)
    return plan
