"""Scenarios at parameter points, run for their outcomes: one member at a time in this process,
or all of them as one ensemble (with its retries, failure reports and resume). Both give one
row per member with its point, member seed index, role and outcome values; the numbers are
the same either way.

Member ``k`` of every point and scenario runs with ``SeedSequence(root_seed, spawn_key=(k,))``
(common random numbers). The ``scenario`` column labels a scenario at a point ``name@point``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from tqdm import tqdm

from abm import EconomyModel
from abm.analysis.outcome_names import Outcome
from abm.ensemble.plan import Design, member_seed
from abm.ensemble.run import run_ensemble
from abm.scenario import Scenario


def run_outcomes(
    scenario: Scenario | str,
    seed: int | np.random.SeedSequence,
    outcomes: Sequence[Outcome],
    *,
    quarters: int | None = None,
    scale: float | None = None,
    check_accounts: bool = True,
) -> dict[str, float]:
    """Run one member in this process and return its outcomes (NaN for a year not recorded)."""
    ds = (
        EconomyModel(scenario, seed, quarters=quarters, scale=scale, check_accounts=check_accounts)
        .run()
        .to_dataset()
    )
    years = set(ds["time"].dt.year.values.tolist())
    return {
        oc.name: float(oc.value(ds)) if oc.year is None or oc.year in years else float("nan")
        for oc in outcomes
    }


@dataclass(frozen=True)
class Runs:
    """What every member of the points runs and reports.

    Attributes
    ----------
    outcomes : sequence of Outcome
        The outcomes of each member.
    runs : int
        Member seeds per point.
    root_seed : int
        Member ``k`` runs with ``SeedSequence(root_seed, spawn_key=(k,))``.
    quarters : int
        Recorded quarters.
    scale : float or None
        Persons per talent agent (None: the scenarios').
    check_accounts : bool
        Run the stock-flow checks.
    progress : bool
        Show a progress bar on stderr.
    roles : sequence of str
        The role of each scenario at a point (``a``, ``b``).
    """

    outcomes: Sequence[Outcome]
    runs: int
    root_seed: int
    quarters: int
    scale: float | None
    check_accounts: bool
    progress: bool
    roles: Sequence[str]


def _label(scenario: Scenario, point: int) -> str:
    return f"{scenario.name}@{point}"


def run_in_process(
    points: Sequence[Sequence[Scenario]], spec: Runs
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Run every member one after another: ``points[p]`` are the scenarios (one per role) at
    point ``p``. A member that raises is recorded and its outcomes are NaN."""
    outcomes, runs = spec.outcomes, spec.runs
    rows, failures = [], []
    total = sum(len(p) for p in points) * runs
    with tqdm(
        total=total,
        unit="member",
        desc="sensitivity",
        disable=not spec.progress,
        file=sys.stderr,
        dynamic_ncols=True,
    ) as bar:
        for p, scs in enumerate(points):
            for k in range(runs):
                for role, sc in zip(spec.roles, scs, strict=True):
                    try:
                        vals = run_outcomes(
                            sc,
                            member_seed(spec.root_seed, k),
                            outcomes,
                            quarters=spec.quarters,
                            scale=spec.scale,
                            check_accounts=spec.check_accounts,
                        )
                    except Exception as e:  # noqa: BLE001 - reported, the others go on
                        vals = {oc.name: float("nan") for oc in outcomes}
                        error = f"{type(e).__name__}: {' '.join(str(e).split())}"[:500]
                        failures.append(
                            {"scenario": _label(sc, p), "point": p, "member": k, "error": error}
                        )
                    rows.append(
                        {"point": p, "member": k, "role": role, "scenario": _label(sc, p), **vals}
                    )
                    bar.update(1)
    return pd.DataFrame(rows), failures


def run_on_dask(
    scenarios: Sequence[Scenario],
    design: Design,
    spec: Runs,
    *,
    workers: int | None,
    scheduler: str | None,
    output: Path,
    log: Callable[[str], None],
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Run every member as one ensemble of ``scenarios`` at the design's points (resumed when
    ``output``'s shards are there) and read the outcomes from its file.

    Raises
    ------
    abm.ensemble.EnsembleInputError
        Bad input (e.g. the scheduler cannot be reached).
    """
    outcomes, runs = spec.outcomes, spec.runs
    res = run_ensemble(
        scenarios,
        runs=runs,
        root_seed=spec.root_seed,
        output=output,
        quarters=spec.quarters,
        scale=spec.scale,
        check_accounts=spec.check_accounts,
        design=design,
        workers=workers,
        scheduler=scheduler,
        resume=True,
        progress=spec.progress,
        log=log,
    )
    role = {sc.name: r for sc, r in zip(scenarios, spec.roles, strict=True)}
    failures = [
        {
            "scenario": f"{f.scenario}@{f.realization // runs}",
            "point": f.realization // runs,
            "member": f.member,
            "error": f.error,
        }
        for f in res.failures
    ]
    with xr.open_dataset(res.path) as ds:
        member, point = ds["member"].values, ds["point"].values
        values = {
            oc.name: oc.value(ds).transpose("scenario", "realization").values for oc in outcomes
        }
        names = [str(s) for s in ds["scenario"].values]
    rows = [
        {
            "point": int(point[r]),
            "member": int(member[r]),
            "role": role[name],
            "scenario": f"{name}@{int(point[r])}",
            **{oc.name: float(values[oc.name][i, r]) for oc in outcomes},
        }
        for i, name in enumerate(names)
        for r in range(len(member))
    ]
    members = pd.DataFrame(rows).sort_values(["point", "member", "role"], ignore_index=True)
    return members, failures
