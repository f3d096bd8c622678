"""``abm validate SCENARIO``: the calibration targets, the accounting identities and the
stylized facts of long runs (docs/model.md §10), one row per check; exit status 1 when a calibration
target or an accounting identity fails. ``abm validate --baseline``: the unchanged-policy path
(``laissez_faire`` and ``diffuse``) against its anchors (docs/validation.md)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from abm.analysis.baseline import BASELINES, baseline_report
from abm.analysis.literature import arms, run_literature
from abm.analysis.validate import validate
from abm.cli import options
from abm.cli.errors import OneLineErrors, reported
from abm.io import write_text_atomic
from abm.io.progress import progress_bar
from abm.scenario import load_scenario


@click.command("validate", cls=OneLineErrors)
@click.argument("scenario", required=False)
@click.option(
    "--baseline",
    is_flag=True,
    help="Check the unchanged-policy path of laissez_faire and diffuse (2026-2040) against its "
    "anchors (inflation, growth, unemployment, industry, R&D, deficit, debt, exports); "
    "--runs members each (default 8).",
)
@click.option(
    "--literature",
    is_flag=True,
    help="Run the controlled experiments behind each published finding (WBSO additionality, "
    "crowding in, the 30% ruling, CPB on defence, Goolsbee, the social return to R&D, "
    "missions) and print the model's figure beside it; --runs members per arm (default 8), "
    "on every core. Exits 1 when a banded row fails.",
)
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
    scenario: str | None,
    baseline: bool,
    literature: bool,
    runs: int,
    seed: int,
    quarters: int,
    scale: float | None,
    csv_path: Path | None,
    no_progress: bool,
) -> None:
    """Check SCENARIO against the calibration targets and the stylized facts (docs/model.md §10).

    Prints one row per check; exits 1 when a calibration target or an accounting identity
    fails (stylized facts are reported, not enforced). With --baseline (no SCENARIO), checks the
    unchanged-policy path against its anchors and exits 1 when one fails."""
    if literature:
        if scenario is not None or baseline:
            raise click.UsageError("--literature runs its own experiments; give no SCENARIO")
        if click.get_current_context().get_parameter_source("runs") == ParameterSource.DEFAULT:
            runs = 8
        _literature(runs, seed, scale, csv_path, no_progress)
        return
    if baseline:
        if scenario is not None:
            raise click.UsageError("--baseline checks laissez_faire and diffuse; give no SCENARIO")
        ctx = click.get_current_context()
        if ctx.get_parameter_source("runs") == ParameterSource.DEFAULT:
            runs = 8
        _baseline(runs, seed, scale, csv_path, no_progress)
        return
    if scenario is None:
        raise click.UsageError("missing argument SCENARIO (or give --baseline)")
    with reported():
        sc = load_scenario(scenario)
    _table(
        runs,
        f"validate {sc.name}",
        lambda tick: validate(
            sc, runs=runs, seed=seed, quarters=quarters, scale=scale, progress=tick
        ),
        csv_path,
        no_progress,
    )


def _table(
    total: int,
    desc: str,
    make: Callable[[Callable[[int], Any]], Any],
    csv_path: Path | None,
    no_progress: bool,
) -> None:
    """Run ``make(progress)`` under a progress display of ``total`` runs, print its table, write
    it as CSV if asked, and exit 0 when every checked row holds, else 1."""
    with progress_bar(total, desc, "run", enabled=not no_progress) as bar:
        report = make(bar.update)
    click.echo(report.to_text())
    if csv_path is not None:
        write_text_atomic(csv_path, report.to_frame().to_csv(index=False))
    sys.exit(0 if report.ok else 1)


def _baseline(
    runs: int, seed: int, scale: float | None, csv_path: Path | None, no_progress: bool
) -> None:
    _table(
        runs * len(BASELINES),
        "validate --baseline",
        lambda tick: baseline_report(runs=runs, seed=seed, scale=scale, progress=tick),
        csv_path,
        no_progress,
    )


def _literature(
    runs: int, seed: int, scale: float | None, csv_path: Path | None, no_progress: bool
) -> None:
    _table(
        runs * len(arms()),
        "validate --literature",
        lambda tick: run_literature(runs, seed, scale, progress=tick),
        csv_path,
        no_progress,
    )
