"""``abm compare``: compare scenarios with confidence intervals (issue #5).

The command object is :data:`compare_cmd` (registered in ``abm.cli`` as ``abm compare``); it
also runs as ``python -m abm.compare_cli``. It prints the comparison as Markdown (key outcomes,
the 2030 targets, notes) and ends with one line listing the files written. Exit status: 0 done,
2 bad input (one line ``error: ...`` on stderr, nothing run), 130 interrupted (the ensemble's
finished members are kept: run the same command with ``--resume``), 1 the ensemble could not
be completed.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from abm.cli_common import OneLineErrors, fail
from abm.compare import (
    OUTCOMES,
    TARGET_YEAR,
    CompareError,
    compare,
    table_markdown,
    targets_markdown,
)


@click.command("compare", cls=OneLineErrors)
@click.argument("inputs", nargs=-1, metavar="A B [C ...]")
@click.option(
    "--runs",
    type=int,
    default=None,
    help="Members per scenario, sharing seeds across scenarios  [default: 40].",
)
@click.option(
    "--seed",
    "root_seed",
    type=int,
    default=None,
    help="Root seed: member k gets SeedSequence(ROOT).spawn(runs)[k]  [default: 1].",
)
@click.option(
    "-o",
    "--outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("outputs/compare"),
    show_default=True,
    help="Folder for the ensemble, tables and figures.",
)
@click.option(
    "--workers", type=int, default=None, help="Local worker processes (default: one per core)."
)
@click.option(
    "--quarters",
    type=int,
    default=None,
    help="Recorded quarters (default: the scenarios', 60 = 2026-2040).",
)
@click.option(
    "--scale", type=float, default=None, help="Persons per talent agent (default: the scenarios')."
)
@click.option(
    "--outcome",
    "outcomes",
    multiple=True,
    metavar="NAME",
    help="Restrict the table to this outcome (repeatable): " + ", ".join(OUTCOMES) + ".",
)
@click.option(
    "--n-boot", type=int, default=2000, show_default=True, help="Bootstrap resamples (>= 100)."
)
@click.option(
    "--boot-seed", type=int, default=None, help="Bootstrap seed (default: the root seed)."
)
@click.option(
    "--resume", is_flag=True, help="Continue an interrupted ensemble in OUTDIR/ensemble.nc.parts."
)
@click.option("--no-figures", is_flag=True, help="Do not draw the figures.")
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
def compare_cmd(
    inputs: tuple[str, ...],
    runs: int | None,
    root_seed: int | None,
    outdir: Path,
    workers: int | None,
    quarters: int | None,
    scale: float | None,
    outcomes: tuple[str, ...],
    n_boot: int,
    boot_seed: int | None,
    resume: bool,
    no_figures: bool,
    no_progress: bool,
) -> None:
    """Compare scenarios A B [C ...] (names or TOML files) run as one ensemble, or ensemble
    NetCDF files (.nc), with confidence intervals.

    Every scenario runs the same member seeds (common random numbers); differences are taken
    against the first scenario, member by member, with bootstrap 90% intervals. Writes
    OUTDIR/ensemble.nc, comparison.md, comparison.csv, targets.csv, value_added_by_sector.csv
    and the figures (PNG).
    """
    from abm.compare import _is_file, written_files
    from abm.ensemble import EnsembleError, EnsembleInputError, EnsembleInterrupted

    if len(inputs) < 2 and not (len(inputs) == 1 and _is_file(inputs[0])):
        fail(
            "give at least two scenarios (names or TOML files) or ensemble files (.nc); "
            "see `abm scenarios`"
        )
    if inputs and all(_is_file(x) for x in inputs):
        given = [
            f"--{k}"
            for k, v in (
                ("runs", runs),
                ("seed", root_seed),
                ("quarters", quarters),
                ("scale", scale),
                ("workers", workers),
            )
            if v is not None
        ] + (["--resume"] if resume else [])
        if given:
            fail(
                f"option(s) {', '.join(given)} apply when running scenarios, not to ensemble "
                "files (they were fixed when the files were made)"
            )
    logging.getLogger("distributed").setLevel(logging.ERROR)
    try:
        res = compare(
            list(inputs),
            runs=40 if runs is None else runs,
            root_seed=1 if root_seed is None else root_seed,
            outdir=outdir,
            quarters=quarters,
            scale=scale,
            workers=workers,
            outcomes=list(outcomes) or None,
            n_boot=n_boot,
            progress=not no_progress,
            boot_seed=boot_seed,
            resume=resume,
            figures=not no_figures,
            log=lambda m: click.echo(m, err=True),
        )
    except (CompareError, EnsembleInputError) as e:
        fail(" ".join(str(e).split()))
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
    p = res.provenance
    click.echo(f"## Key outcomes (reference: {res.scenarios[0]})\n")
    click.echo(table_markdown(res))
    click.echo(f"\n## Targets in {TARGET_YEAR}\n")
    click.echo(targets_markdown(res))
    if p.get("notes"):
        click.echo("")
        for n in p["notes"]:
            click.echo(f"note: {n}")
    click.echo("")
    used = ", ".join(f"{s} {n}" for s, n in p["members_used"].items())
    click.echo(f"members used: {used}; comparison took {p['seconds']:.1f} s")
    click.echo("wrote " + ", ".join(str(f) for f in written_files(res)))


if __name__ == "__main__":  # pragma: no cover
    compare_cmd()
