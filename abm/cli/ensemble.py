"""``abm ensemble SCENARIO [SCENARIO ...]``: run an ensemble of members on dask and write one
NetCDF file.

Exit status: 0 every member written, 2 bad input (one line ``error: ...`` on stderr, no final
file), 3 some members failed after their retries (the others are written and the failures
listed), 130 interrupted (shards kept for --resume), 1 the ensemble could not be completed
(e.g. the scheduler went away; shards kept).
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from abm.cli import options
from abm.cli.errors import OneLineErrors, fail, reported
from abm.ensemble import (
    CONNECT_TIMEOUT,
    EXIT_FAILED_MEMBERS,
    ClusterSpec,
    job_script,
    run_ensemble,
)

_GE = "must be >= {min} (got {value})"
#: The options that say where the members run.
_CLUSTER_OPTIONS = (
    "cluster",
    "workers",
    "threads",
    "scheduler",
    "connect_timeout",
    "jobs",
    "cores",
    "memory",
    "walltime",
    "queue",
    "account",
    "interface",
)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """A batch system's SIGTERM stops the driver like Ctrl-C (the shards are kept)."""
    previous = signal.getsignal(signal.SIGTERM)
    if previous in (signal.SIG_DFL, None):
        try:
            signal.signal(signal.SIGTERM, _raise_interrupt)
        except ValueError:  # not the main thread
            pass
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGTERM) is _raise_interrupt:
            signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)


@click.command("ensemble", cls=OneLineErrors)
@click.argument("scenarios", nargs=-1, metavar="SCENARIO [SCENARIO ...]")
@options.runs(
    1, "Member seeds per scenario (and per parameter point).", metavar="N", show_default=True
)
@options.seed(
    1,
    "Root seed: member k gets SeedSequence(ROOT).spawn(runs)[k].",
    options.ROOT_SEED,
    metavar="ROOT",
    show_default=True,
)
@options.output_file(
    None,
    "Final NetCDF file (default outputs/ensemble_<scenarios>.nc; shards go to FILE.parts/), a "
    "zarr store FILE.zarr (members written in place), or with --layout cdo a folder of one file "
    "per member.",
    dir_okay=True,
)
@options.layout(
    "default: one file, sector/skill/programme as names; cdo: one file per member with integer "
    "codes (flag_values/flag_meanings), which CDO reads."
)
@options.quarters()
@options.scale()
@options.no_checks()
@click.option(
    "--sweep",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="Grid over a parameter (repeatable; the grid is the product). KEY is 'section.name', "
    "'section.name[sector]', 'chosen:section.name' or 'programme:INSTRUMENT.FIELD'; values "
    "V1,V2,... or LOW:HIGH:COUNT.",
)
@click.option(
    "--sample", default=None, metavar="lhs|sobol", help="Sample the scenarios' [uncertain] ranges."
)
@click.option(
    "--samples", type=int, default=None, help="Sample size (Sobol: base N, a power of 2)."
)
@click.option(
    "--no-second-order", is_flag=True, help="Sobol: first and total order only (N(D+2) points)."
)
@options.workers("Local worker processes (default: cores // threads the members use).")
@click.option(
    "--threads",
    type=options.IntAtLeast(1, _GE),
    default=1,
    show_default=True,
    help="numba threads per worker (used by members at --scale 10 and finer).",
)
@options.scheduler("Use an existing dask scheduler (tcp://host:8786).")
@click.option(
    "--connect-timeout",
    type=float,
    default=CONNECT_TIMEOUT,
    show_default=True,
    help="Seconds to reach --scheduler.",
)
@click.option(
    "--cluster",
    default="local",
    show_default=True,
    metavar="local|slurm|pbs",
    help="Where workers run.",
)
@click.option(
    "--jobs",
    type=options.IntAtLeast(1, _GE),
    default=1,
    show_default=True,
    help="slurm/pbs: batch jobs of workers.",
)
@click.option(
    "--cores", type=options.IntAtLeast(1, _GE), default=None, help="slurm/pbs: cores per job."
)
@click.option("--memory", default=None, help="slurm/pbs: memory per job (e.g. 64GB).")
@click.option("--walltime", default="01:00:00", show_default=True, help="slurm/pbs: job walltime.")
@click.option("--queue", default=None, help="slurm/pbs: partition or queue.")
@click.option("--account", default=None, help="slurm/pbs: account to charge.")
@click.option("--interface", default=None, help="slurm/pbs: network interface (e.g. ib0).")
@click.option(
    "--print-job-script", is_flag=True, help="slurm/pbs: print a worker job's script and exit."
)
@options.resume("Continue an interrupted ensemble (keeps valid shards).")
@click.option(
    "--retries",
    type=options.IntAtLeast(0, _GE),
    default=2,
    show_default=True,
    help="Extra attempts for a failing member.",
)
@click.option("--keep-parts", is_flag=True, help="Keep FILE.parts/ shards after assembling.")
@options.no_progress()
def ensemble_cmd(
    scenarios: tuple[str, ...],
    sweep: tuple[str, ...],
    no_checks: bool,
    no_second_order: bool,
    print_job_script: bool,
    no_progress: bool,
    **options: Any,
) -> None:
    """Run an ensemble of SCENARIO(s) (shipped names or TOML paths) on dask.

    Member k of every scenario runs with the same seed, SeedSequence(ROOT).spawn(runs)[k];
    each finished member is written to FILE.parts/ as it arrives and the final file (dims
    scenario, realization, time, sector, skill, programme) is assembled from the shards.
    Exit status: 0 ok, 2 bad input, 3 some members failed (others written), 130 interrupted.
    """
    # every other option is an argument of run_ensemble (and the cluster's of ClusterSpec)
    spec = ClusterSpec(**{k: options[k] for k in _CLUSTER_OPTIONS})
    with reported():
        if spec.cluster not in ("local", "slurm", "pbs"):
            spec.check()
        sample = options["sample"]
        if sample is not None and sample not in ("lhs", "sobol"):
            fail(f"option '--sample': unknown '{sample}'; allowed: lhs, sobol")
        if print_job_script:
            if spec.cluster == "local":
                fail("option '--print-job-script' needs --cluster slurm|pbs")
            spec.check(submitting=False)
            click.echo(
                job_script(
                    spec.cluster,  # type: ignore[arg-type]
                    threads=spec.threads,
                    warm_up_scenario=scenarios[0] if scenarios else "diffuse",
                    **spec.jobqueue(),
                )
            )
            return
        if not scenarios:
            fail(
                "no scenario given; name at least one shipped scenario (see `abm scenarios`) "
                "or a TOML file"
            )
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with reported(), sigterm_interrupts():
        res = run_ensemble(
            list(scenarios),
            sweep=list(sweep) or None,
            check_accounts=not no_checks,
            calc_second_order=not no_second_order,
            progress=not no_progress,
            log=lambda m: click.echo(m, err=True),
            **options,
        )
    click.echo(res.summary())
    if res.failures:
        sys.exit(EXIT_FAILED_MEMBERS)


if __name__ == "__main__":  # pragma: no cover
    ensemble_cmd()
