"""``abm validate SCENARIO``: the calibration targets, the accounting identities and the
stylized facts of long runs (docs/model.md §10), one row per check; exit status 1 when a calibration
target or an accounting identity fails."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from abm.analysis.validate import validate
from abm.cli import options
from abm.cli.errors import OneLineErrors, reported
from abm.io import write_text_atomic
from abm.io.progress import progress_bar
from abm.scenario import load_scenario


@click.command("validate", cls=OneLineErrors)
@click.argument("scenario")
@options.runs(10, "Members (seeds spawned from --seed).", show_default=True)
@options.seed(1, "Root seed.", name="seed", show_default=True)
@options.quarters(
    "Recorded quarters per run (>= 40).",
    minimum=40,
    message="must be at least {min} for the band-pass filter (got {value})",
    default=200,
    show_default=True,
)
@options.scale("Persons per talent agent (default: the scenario's).")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the table as CSV.",
)
@options.no_progress()
def validate_cmd(
    scenario: str,
    runs: int,
    seed: int,
    quarters: int,
    scale: float | None,
    csv_path: Path | None,
    no_progress: bool,
) -> None:
    """Check SCENARIO against the calibration targets and the stylized facts (docs/model.md §10).

    Prints one row per check; exits 1 when a calibration target or an accounting identity
    fails (stylized facts are reported, not enforced)."""
    with reported():
        sc = load_scenario(scenario)
    with progress_bar(runs, f"validate {sc.name}", "run", enabled=not no_progress) as bar:
        report = validate(
            sc, runs=runs, seed=seed, quarters=quarters, scale=scale, progress=bar.update
        )
    click.echo(report.to_text())
    if csv_path is not None:
        write_text_atomic(csv_path, report.to_frame().to_csv(index=False))
    sys.exit(0 if report.ok else 1)
