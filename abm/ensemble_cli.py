"""``abm ensemble``: run an ensemble of members on dask and write one NetCDF file.

The command object is :data:`ensemble_cmd` (registered in ``abm.cli`` as ``abm ensemble``); it
also runs as ``python -m abm.ensemble_cli``. Exit status: 0 every member written, 2 bad input
(one line ``error: ...`` on stderr, no final file), 3 some members failed after their retries
(the others are written and the failures listed), 130 interrupted (shards kept for --resume),
1 the ensemble could not be completed (e.g. the scheduler went away; shards kept).
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click

from abm.cli_common import OneLineErrors, fail
from abm.ensemble import (
    CONNECT_TIMEOUT,
    EXIT_FAILED_MEMBERS,
    EnsembleError,
    EnsembleInputError,
    EnsembleInterrupted,
    FaultInjection,
    job_script,
    run_ensemble,
)


@click.command("ensemble", cls=OneLineErrors)
@click.argument("scenarios", nargs=-1, metavar="SCENARIO [SCENARIO ...]")
@click.option(
    "--runs",
    default="1",
    metavar="N",
    show_default=True,
    help="Member seeds per scenario (and per parameter point).",
)
@click.option(
    "--seed",
    "root_seed",
    default="1",
    metavar="ROOT",
    show_default=True,
    help="Root seed: member k gets SeedSequence(ROOT).spawn(runs)[k].",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Final NetCDF file (default outputs/ensemble_<scenarios>.nc); shards go to FILE.parts/.",
)
@click.option(
    "--quarters", type=int, default=None, help="Recorded quarters (default: the scenarios')."
)
@click.option(
    "--scale", type=float, default=None, help="Persons per talent agent (default: the scenarios')."
)
@click.option("--no-checks", is_flag=True, help="Skip the stock-flow accounting checks (faster).")
@click.option(
    "--sweep",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="Grid over a calibration parameter (repeatable; the grid is the product). KEY is "
    "'section.name' or 'section.name[sector]'; values V1,V2,... or LOW:HIGH:COUNT.",
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
@click.option(
    "--workers", type=int, default=None, help="Local worker processes (default: cores // threads)."
)
@click.option("--threads", type=int, default=1, show_default=True, help="numba threads per worker.")
@click.option(
    "--scheduler",
    default=None,
    metavar="ADDRESS",
    help="Use an existing dask scheduler (tcp://host:8786).",
)
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
    "--jobs", type=int, default=1, show_default=True, help="slurm/pbs: batch jobs of workers."
)
@click.option("--cores", type=int, default=None, help="slurm/pbs: cores per job.")
@click.option("--memory", default=None, help="slurm/pbs: memory per job (e.g. 64GB).")
@click.option("--walltime", default="01:00:00", show_default=True, help="slurm/pbs: job walltime.")
@click.option("--queue", default=None, help="slurm/pbs: partition or queue.")
@click.option("--account", default=None, help="slurm/pbs: account to charge.")
@click.option("--interface", default=None, help="slurm/pbs: network interface (e.g. ib0).")
@click.option(
    "--print-job-script", is_flag=True, help="slurm/pbs: print a worker job's script and exit."
)
@click.option(
    "--resume", is_flag=True, help="Continue an interrupted ensemble (keeps valid shards)."
)
@click.option(
    "--retries", type=int, default=2, show_default=True, help="Extra attempts for a failing member."
)
@click.option("--keep-parts", is_flag=True, help="Keep FILE.parts/ shards after assembling.")
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
@click.option(
    "--inject-faults",
    default=None,
    hidden=True,
    help="Testing hook (JSON), see abm.ensemble.FaultInjection.",
)
def ensemble_cmd(
    scenarios: tuple[str, ...],
    runs: str,
    root_seed: str,
    output: Path | None,
    quarters: int | None,
    scale: float | None,
    no_checks: bool,
    sweep: tuple[str, ...],
    sample: str | None,
    samples: int | None,
    no_second_order: bool,
    workers: int | None,
    threads: int,
    scheduler: str | None,
    connect_timeout: float,
    cluster: str,
    jobs: int,
    cores: int | None,
    memory: str | None,
    walltime: str,
    queue: str | None,
    account: str | None,
    interface: str | None,
    print_job_script: bool,
    resume: bool,
    retries: int,
    keep_parts: bool,
    no_progress: bool,
    inject_faults: str | None,
) -> None:
    """Run an ensemble of SCENARIO(s) (shipped names or TOML paths) on dask.

    Member k of every scenario runs with the same seed, SeedSequence(ROOT).spawn(runs)[k];
    each finished member is written to FILE.parts/ as it arrives and the final file (dims
    scenario, realization, time, sector, skill, programme) is assembled from the shards.
    Exit status: 0 ok, 2 bad input, 3 some members failed (others written), 130 interrupted.
    """
    try:
        n_runs = _int("--runs", runs)
        seed = _int("--seed", root_seed)
        if cluster not in ("local", "slurm", "pbs"):
            raise EnsembleInputError(
                f"option '--cluster': unknown '{cluster}'; allowed: local, slurm, pbs"
            )
        if sample is not None and sample not in ("lhs", "sobol"):
            raise EnsembleInputError(f"option '--sample': unknown '{sample}'; allowed: lhs, sobol")
        if print_job_script:
            if cluster == "local":
                raise EnsembleInputError("option '--print-job-script' needs --cluster slurm|pbs")
            if cores is None or memory is None:
                raise EnsembleInputError(
                    f"option '--cluster {cluster}' needs --cores and --memory (per job), "
                    "e.g. --cores 32 --memory 64GB"
                )
            click.echo(
                job_script(
                    cluster,  # type: ignore[arg-type]
                    cores=cores,
                    memory=memory,
                    walltime=walltime,
                    queue=queue,
                    account=account,
                    threads=threads,
                    interface=interface,
                    warm_up_scenario=scenarios[0] if scenarios else "diffuse",
                )
            )
            return
        if not scenarios:
            raise EnsembleInputError(
                "no scenario given; name at least one shipped scenario (see `abm scenarios`) "
                "or a TOML file"
            )
        faults = FaultInjection.from_json(inject_faults) if inject_faults else None
    except EnsembleInputError as e:
        fail(str(e))
        return

    logging.getLogger("distributed").setLevel(logging.ERROR)
    previous = signal.getsignal(signal.SIGTERM)
    if previous in (signal.SIG_DFL, None):  # a batch system's SIGTERM: stop like Ctrl-C
        try:
            signal.signal(signal.SIGTERM, _raise_interrupt)
        except ValueError:  # not the main thread
            pass
    try:
        res = run_ensemble(
            list(scenarios),
            n_runs,
            root_seed=seed,
            output=output,
            quarters=quarters,
            scale=scale,
            check_accounts=not no_checks,
            sweep=list(sweep) or None,
            sample=sample,  # type: ignore[arg-type]
            samples=samples,
            calc_second_order=not no_second_order,
            workers=workers,
            threads=threads,
            scheduler=scheduler,
            connect_timeout=connect_timeout,
            cluster=cluster,  # type: ignore[arg-type]
            jobs=jobs,
            cores=cores,
            memory=memory,
            walltime=walltime,
            queue=queue,
            account=account,
            interface=interface,
            resume=resume,
            retries=retries,
            keep_parts=keep_parts,
            progress=not no_progress,
            log=lambda m: click.echo(m, err=True),
            faults=faults,
        )
    except EnsembleInputError as e:
        fail(str(e))
        return
    except EnsembleInterrupted as e:
        click.echo(
            f"interrupted: {e.done} of {e.total} members saved in {e.parts_dir}; run the same "
            "command with --resume to continue",
            err=True,
        )
        sys.exit(130)
    except EnsembleError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    finally:
        if signal.getsignal(signal.SIGTERM) is _raise_interrupt:
            signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)
    click.echo(res.summary())
    if res.failures:
        sys.exit(EXIT_FAILED_MEMBERS)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _int(option: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise EnsembleInputError(f"option '{option}': '{text}' is not a whole number") from None


if __name__ == "__main__":  # pragma: no cover
    ensemble_cmd()
