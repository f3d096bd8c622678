"""Ensembles on dask: many members of one or more scenarios, streamed to NetCDF shards.

A *member* is one run of one scenario with one member seed (and, with parameter points, one
point of parameter values). :func:`run_ensemble` runs every member on a dask cluster (a local
one with one worker process per core by default, an existing scheduler, or a SLURM/PBS cluster
through dask-jobqueue), writes each finished member as its own NetCDF shard next to the target
(``FILE.parts/``) as it arrives, and assembles the final file from the shards, one block of
members at a time, so the driver's memory stays bounded whatever the member count::

    from abm.ensemble import run_ensemble
    res = run_ensemble(["diffuse", "laissez_faire"], runs=50, root_seed=1, output="outputs/e.nc")
    ds = res.open()                   # lazy (dask-backed) xarray Dataset
    ds["gdp_real"].sel(scenario="diffuse").mean("realization")

The rooms: :mod:`~abm.ensemble.plan` (seeds, sweeps, samples, the members),
:mod:`~abm.ensemble.cluster` (where they run), :mod:`~abm.ensemble.worker` (what runs in a
worker), :mod:`~abm.ensemble.run` (the driver), :mod:`~abm.ensemble.shards` and
:mod:`~abm.ensemble.assembly` (the files), :mod:`~abm.ensemble.points` (scenarios at parameter
points, run for their outcomes).

Nothing is lost: shards are written atomically, ``resume=True`` keeps the valid shards of an
interrupted ensemble and redoes missing or corrupt ones; a member that raises is retried
(``retries``, by dask) and then reported (scenario, realization, seed, error) while the others
complete; dask reschedules the members of a worker that dies.
"""

from __future__ import annotations

from abm.ensemble.assembly import BLOCK
from abm.ensemble.cluster import (
    CONNECT_TIMEOUT,
    ClusterSpec,
    job_script,
    jobqueue_kwargs,
    lifetime_options,
    make_jobqueue_cluster,
)
from abm.ensemble.plan import SEED_SCHEME, Design, Plan, make_plan, member_seed
from abm.ensemble.results import (
    EXIT_FAILED_MEMBERS,
    EnsembleError,
    EnsembleInputError,
    EnsembleInterrupted,
    EnsembleResult,
    MemberFailure,
)
from abm.ensemble.run import run_ensemble
from abm.ensemble.shards import validate_shard
from abm.ensemble.worker import main, warm_up
from abm.scenario.overrides import coordinate_name

__all__ = [
    "BLOCK",
    "CONNECT_TIMEOUT",
    "EXIT_FAILED_MEMBERS",
    "SEED_SCHEME",
    "ClusterSpec",
    "Design",
    "EnsembleError",
    "EnsembleInputError",
    "EnsembleInterrupted",
    "EnsembleResult",
    "MemberFailure",
    "Plan",
    "coordinate_name",
    "job_script",
    "jobqueue_kwargs",
    "lifetime_options",
    "main",
    "make_jobqueue_cluster",
    "make_plan",
    "member_seed",
    "run_ensemble",
    "validate_shard",
    "warm_up",
]
