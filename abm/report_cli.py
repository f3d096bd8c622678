"""``abm report``: compare scenarios and write one self-contained HTML report.

The command object is :data:`report_cmd` (registered in ``abm.cli`` as ``abm report``); it also
runs as ``python -m abm.report_cli``. Exit status: 0 report written; 2 bad input (one line
``error: ...`` on stderr, no report written). The heavy modules (the model, dask, matplotlib)
are imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from abm.cli_common import OneLineErrors, fail

#: Arguments of :func:`abm.report.report` and the options that set them.
_OPTIONS = {
    "runs": "--runs",
    "root_seed": "--seed",
    "output": "-o",
    "sensitivity_samples": "--sensitivity-samples",
    "sensitivity_method": "--sensitivity-method",
    "sensitivity_outcomes": "--sensitivity-outcome",
    "validate_runs": "--validate-runs",
    "validate_quarters": "--validate-quarters",
    "quarters": "--quarters",
    "scale": "--scale",
    "workers": "--workers",
}


@click.command("report", cls=OneLineErrors)
@click.argument("scenarios", nargs=-1, metavar="SCENARIO SCENARIO [SCENARIO ...]")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file; tables and figures are also kept in <name>_files/.",
)
@click.option(
    "--runs", type=int, default=40, show_default=True, metavar="N", help="Members per scenario."
)
@click.option(
    "--seed",
    "root_seed",
    type=int,
    default=1,
    show_default=True,
    metavar="ROOT",
    help="Root seed: member k gets SeedSequence(ROOT).spawn(runs)[k].",
)
@click.option(
    "--sensitivity-samples",
    type=int,
    default=0,
    show_default=True,
    metavar="N",
    help="Sensitivity analysis of the first two scenarios with N samples (0: skip).",
)
@click.option(
    "--sensitivity-method",
    type=click.Choice(["morris", "sobol"]),
    default="morris",
    show_default=True,
    help="Sensitivity method.",
)
@click.option(
    "--sensitivity-outcome",
    "sensitivity_outcomes",
    multiple=True,
    metavar="NAME",
    help="Outcome of the sensitivity analysis, e.g. gdp_real_2040 (repeatable; default: real "
    "GDP in 2040 and R&D intensity in 2030, or the last complete year the runs reach).",
)
@click.option(
    "--validate-runs",
    type=int,
    default=0,
    show_default=True,
    metavar="N",
    help="Validate the first scenario with N long runs, as `abm validate` (0: skip).",
)
@click.option(
    "--validate-quarters",
    type=int,
    default=200,
    show_default=True,
    metavar="N",
    help="Recorded quarters of each validation run (>= 40).",
)
@click.option(
    "--quarters",
    type=int,
    default=None,
    metavar="N",
    help="Recorded quarters of the comparison runs (default: the scenarios', 60 = 2026-2040).",
)
@click.option(
    "--scale",
    type=float,
    default=None,
    metavar="S",
    help="Persons per talent agent (default: the scenarios').",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    metavar="K",
    help="Local worker processes (default: one per core).",
)
@click.option("--title", default=None, help="Title of the report.")
@click.option("--no-progress", is_flag=True, help="Do not show progress bars.")
def report_cmd(
    scenarios: tuple[str, ...],
    output: Path,
    runs: int,
    root_seed: int,
    sensitivity_samples: int,
    sensitivity_method: str,
    sensitivity_outcomes: tuple[str, ...],
    validate_runs: int,
    validate_quarters: int,
    quarters: int | None,
    scale: float | None,
    workers: int | None,
    title: str | None,
    no_progress: bool,
) -> None:
    """Compare SCENARIOs (shipped names or TOML files; the first is the reference) and write
    one self-contained HTML report: the question and the 2030 targets, the scenarios'
    settings, the comparison and targets tables and figures, and optionally a sensitivity
    analysis of the first two scenarios and the validation of the first. Open it in any
    browser, offline.

    Exit status: 0 report written, 2 bad input (nothing written).
    """
    from abm.report import ReportInputError, report
    from abm.scenario import ScenarioError

    try:
        path = report(
            list(scenarios),
            runs=runs,
            root_seed=root_seed,
            output=output,
            sensitivity_samples=sensitivity_samples,
            sensitivity_method=sensitivity_method,
            validate_runs=validate_runs,
            quarters=quarters,
            scale=scale,
            workers=workers,
            validate_quarters=validate_quarters,
            sensitivity_outcomes=list(sensitivity_outcomes) or None,
            title=title,
            progress=not no_progress,
        )
    except ReportInputError as e:
        if e.param in _OPTIONS:
            fail(f"option '{_OPTIONS[e.param]}': {e.detail}")
        fail(e.detail)
        return
    except ScenarioError as e:
        fail(" ".join(str(e).split()))
        return
    except ValueError as e:  # bad input found by compare or sensitivity (e.g. Sobol sizes)
        fail(" ".join(str(e).split()))
        return
    click.echo(f"wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    report_cmd()
