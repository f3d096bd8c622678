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

The names of this package load their module when first used (:func:`abm.lazy.exports`): the
command line imports the ensemble's errors without dask, distributed and zarr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from abm.lazy import exports

if TYPE_CHECKING:
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

__getattr__, __dir__ = exports(
    __name__,
    {
        "BLOCK": "abm.ensemble.assembly",
        "CONNECT_TIMEOUT": "abm.ensemble.cluster",
        "ClusterSpec": "abm.ensemble.cluster",
        "job_script": "abm.ensemble.cluster",
        "jobqueue_kwargs": "abm.ensemble.cluster",
        "lifetime_options": "abm.ensemble.cluster",
        "make_jobqueue_cluster": "abm.ensemble.cluster",
        "SEED_SCHEME": "abm.ensemble.plan",
        "Design": "abm.ensemble.plan",
        "Plan": "abm.ensemble.plan",
        "make_plan": "abm.ensemble.plan",
        "member_seed": "abm.ensemble.plan",
        "EXIT_FAILED_MEMBERS": "abm.ensemble.results",
        "EnsembleError": "abm.ensemble.results",
        "EnsembleInputError": "abm.ensemble.results",
        "EnsembleInterrupted": "abm.ensemble.results",
        "EnsembleResult": "abm.ensemble.results",
        "MemberFailure": "abm.ensemble.results",
        "run_ensemble": "abm.ensemble.run",
        "validate_shard": "abm.ensemble.shards",
        "main": "abm.ensemble.worker",
        "warm_up": "abm.ensemble.worker",
        "coordinate_name": "abm.scenario.overrides",
    },
)
