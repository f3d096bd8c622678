"""``abm report SCENARIO SCENARIO [...]``: compare scenarios and write one self-contained HTML
report; and :func:`report`, the Python function behind it.

:func:`report` runs the comparison (:func:`abm.compare.compare`), optionally the sensitivity
analysis of the first two scenarios (:func:`abm.sensitivity.sensitivity`) and the validation of
the first (:func:`abm.validate.validate`), then renders the page
(:func:`abm.render.report.make_report`). Exit status: 0 report written; 2 bad input (one line
``error: ...`` on stderr, no report written).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from abm.analysis.inputs import is_ensemble_file
from abm.analysis.literature import arms, run_literature
from abm.analysis.outcome_names import parse_outcome
from abm.analysis.outcomes import split_year
from abm.analysis.sensitivity import DEFAULT_OUTCOMES
from abm.analysis.series import recorded_years
from abm.analysis.validate import validate
from abm.cli import options
from abm.cli.compare import compare
from abm.cli.errors import InputError, OneLineErrors, reported
from abm.cli.sensitivity import sensitivity
from abm.render.report import make_report
from abm.scenario import Scenario, load_scenario

#: Arguments of :func:`report` and the options that set them.
OPTIONS = {
    "runs": "--runs",
    "root_seed": "--seed",
    "output": "-o",
    "sensitivity_samples": "--sensitivity-samples",
    "sensitivity_method": "--sensitivity-method",
    "sensitivity_outcomes": "--sensitivity-outcome",
    "validate_runs": "--validate-runs",
    "validate_quarters": "--validate-quarters",
    "literature_runs": "--literature-runs",
    "quarters": "--quarters",
    "scale": "--scale",
    "workers": "--workers",
}


class ReportInputError(InputError):
    """Bad input to :func:`report`: a one-line message naming the argument.

    Attributes
    ----------
    param : str or None
        The argument of :func:`report` at fault (``"runs"``, ``"output"``, ...), or None when
        the fault is in the scenarios as a whole.
    detail : str
        The message without the argument's name.
    """


def report(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    runs: int = 40,
    root_seed: int = 1,
    output: str | os.PathLike[str] = "report.html",
    sensitivity_samples: int = 0,
    sensitivity_method: str = "morris",
    validate_runs: int = 0,
    quarters: int | None = None,
    scale: float | None = None,
    workers: int | None = None,
    *,
    validate_quarters: int = 200,
    sensitivity_outcomes: Sequence[str] | None = None,
    title: str | None = None,
    progress: bool = False,
    literature_runs: int = 0,
) -> Path:
    """Compare scenarios, optionally analyse sensitivity and validate, and write the report.

    Parameters
    ----------
    inputs : str, path-like or sequence of them
        Scenarios (shipped names or TOML files; the first is the reference), passed to
        :func:`abm.compare.compare`. An ensemble file (``.nc``) is passed through as well.
    runs : int
        Members per scenario (>= 1).
    root_seed : int
        Root seed of the comparison, the sensitivity analysis and the validation (>= 0).
    output : str or path-like
        The HTML file (``.html`` or ``.htm``). The comparison's and sensitivity analysis'
        tables and figures are kept next to it in ``<stem>_files/compare`` and
        ``<stem>_files/sensitivity``.
    sensitivity_samples : int
        Sample size of the sensitivity analysis of the first two scenarios
        (:func:`abm.sensitivity.sensitivity`; Morris trajectories, or Sobol base samples, a
        power of 2); 0 skips it. Its outcomes are differences "second minus first", the sign of
        the comparison's paired differences.
    sensitivity_method : {"morris", "sobol"}
        Sensitivity method.
    validate_runs : int
        Runs of :func:`abm.validate.validate` for the first scenario; 0 skips it.
    quarters : int, optional
        Recorded quarters of the comparison and sensitivity runs (default: the scenarios').
    scale : float, optional
        Persons per talent agent (default: the scenarios'); also used by the validation.
    workers : int, optional
        Local worker processes for the ensembles (default: one per core).
    validate_quarters : int
        Recorded quarters of each validation run (>= 40 for the band-pass filter).
    sensitivity_outcomes : sequence of str, optional
        Outcomes of the sensitivity analysis (``MEASURE_YEAR`` or ``MEASURE_total``, see
        docs/sensitivity.md). Default: :data:`abm.sensitivity.DEFAULT_OUTCOMES`, with a year
        the runs do not reach (``--quarters`` shorter than 2026-2040) replaced by the last
        complete recorded year.
    title : str, optional
        Page title.
    progress : bool
        Show progress bars on stderr where the underlying function supports them.
    literature_runs : int
        Members per experiment arm of the literature table (each policy channel against its
        published figure, as ``abm validate --literature``); 0 skips it.

    Returns
    -------
    pathlib.Path
        The written report.

    Raises
    ------
    ReportInputError
        For a bad argument (checked before anything runs).
    abm.scenario.ScenarioError
        For an unknown scenario or a malformed scenario file.
    """
    out = Path(output)
    items = [str(inputs)] if isinstance(inputs, str | os.PathLike) else [str(i) for i in inputs]
    _check_args(
        items,
        runs,
        root_seed,
        out,
        sensitivity_samples,
        sensitivity_method,
        validate_runs,
        quarters,
        scale,
        workers,
        validate_quarters,
    )
    if literature_runs < 0:
        raise ReportInputError(_SKIP.format(value=literature_runs), "literature_runs")
    loaded: dict[str, Scenario] = {}
    for item in items:
        if not is_ensemble_file(item):
            sc = load_scenario(item)
            if sc.name in loaded:
                raise ReportInputError(f"scenario '{sc.name}' is given twice", "inputs")
            loaded[sc.name] = sc
    scenario_items = [i for i in items if not is_ensemble_file(i)]
    if sensitivity_samples > 0 and len(scenario_items) < 2 and len(items) == len(scenario_items):
        raise ReportInputError(
            "the sensitivity analysis compares the first two scenarios; name at least two",
            "sensitivity_samples",
        )
    outcomes = list(sensitivity_outcomes or ())
    if sensitivity_samples > 0 and loaded:
        outcomes = _check_sensitivity_outcomes(next(iter(loaded.values())), quarters, outcomes)
    files = out.parent / f"{out.stem}_files"
    common = {
        "root_seed": root_seed,
        "quarters": quarters,
        "scale": scale,
        "workers": workers,
        "progress": progress,
    }
    cr = compare(items, runs=runs, outdir=files / "compare", **common)
    sr = None
    if sensitivity_samples > 0:
        # differences "challenger - reference", as in the comparison table
        b, a = scenario_items[:2] if len(scenario_items) >= 2 else cr.scenarios[:2]
        sr = sensitivity(
            a,
            b,
            method=sensitivity_method,  # type: ignore[arg-type]
            outcomes=outcomes or None,
            samples=sensitivity_samples,
            outdir=files / "sensitivity",
            **common,
        )
    vr = None
    if validate_runs > 0:
        first = next(iter(loaded.values()), None) or cr.scenarios[0]
        name = first if isinstance(first, str) else first.name
        with tqdm(
            total=validate_runs,
            desc=f"validate {name}",
            unit="run",
            disable=not progress,
            file=sys.stderr,
        ) as bar:
            vr = validate(
                first,
                runs=validate_runs,
                seed=root_seed,
                quarters=validate_quarters,
                scale=scale,
                progress=bar.update,
            )
    lr = None
    if literature_runs > 0:
        with tqdm(
            total=literature_runs * len(arms()),
            desc="literature table",
            unit="run",
            disable=not progress,
            file=sys.stderr,
        ) as bar:
            lr = run_literature(
                literature_runs, root_seed, scale, workers=workers, progress=bar.update
            )
    return make_report(cr, sr, vr, out, title, scenarios=loaded, literature=lr)


def _check_sensitivity_outcomes(
    scenario: Scenario, quarters: int | None, outcomes: list[str]
) -> list[str]:
    """Check the sensitivity outcomes against the recorded years before anything runs.

    Without outcomes: the defaults, with years the runs do not reach replaced by the last
    complete recorded year (so a short ``quarters`` still gives an analysis)."""
    q = quarters if quarters is not None else scenario.run.quarters
    start = scenario.run.start_year
    years = recorded_years(start, q)
    if not outcomes:
        last_full = start + q // 4 - 1 if q >= 4 else start
        for name in DEFAULT_OUTCOMES:
            base, year = split_year(name)
            outcomes.append(name if year is None or int(year) in years else f"{base}_{last_full}")
        outcomes = list(dict.fromkeys(outcomes))
    for name in outcomes:
        try:
            parse_outcome(name, years)
        except ValueError as e:
            raise ReportInputError(str(e), "sensitivity_outcomes") from None
    return outcomes


def _check_args(
    items: list[str],
    runs: int,
    root_seed: int,
    out: Path,
    sensitivity_samples: int,
    sensitivity_method: str,
    validate_runs: int,
    quarters: int | None,
    scale: float | None,
    workers: int | None,
    validate_quarters: int,
) -> None:
    if not items:
        raise ReportInputError(
            "no scenario given; name at least two (the first is the reference), see `abm scenarios`"
        )
    if len(items) < 2 and not is_ensemble_file(items[0]):
        raise ReportInputError(
            f"only one scenario ('{items[0]}'); name at least two to compare (the first is "
            "the reference)"
        )
    checks: list[tuple[bool, str, str]] = [
        (runs >= 1, "runs", f"must be at least 1 (got {runs})"),
        (root_seed >= 0, "root_seed", f"must be a non-negative integer (got {root_seed})"),
        (
            sensitivity_samples >= 0,
            "sensitivity_samples",
            f"must be 0 (skip) or positive (got {sensitivity_samples})",
        ),
        (
            sensitivity_method in ("morris", "sobol"),
            "sensitivity_method",
            f"unknown method '{sensitivity_method}'; allowed: morris, sobol",
        ),
        (
            sensitivity_method != "sobol"
            or sensitivity_samples <= 0
            or not sensitivity_samples & (sensitivity_samples - 1),
            "sensitivity_samples",
            f"Sobol (Saltelli) sampling needs a power of 2 (got {sensitivity_samples})",
        ),
        (
            validate_runs >= 0,
            "validate_runs",
            f"must be 0 (skip) or positive (got {validate_runs})",
        ),
        (
            validate_runs == 0 or validate_quarters >= 40,
            "validate_quarters",
            f"must be at least 40 for the band-pass filter (got {validate_quarters})",
        ),
        (quarters is None or quarters >= 1, "quarters", f"must be at least 1 (got {quarters})"),
        (
            scale is None or scale >= 1,
            "scale",
            f"must be at least 1 person per agent (got {scale})",
        ),
        (workers is None or workers >= 1, "workers", f"must be at least 1 (got {workers})"),
        (
            out.suffix.lower() in (".html", ".htm"),
            "output",
            f"file must end in .html (got {out})",
        ),
        (not out.is_dir(), "output", f"{out} is a folder; give a file name ending in .html"),
    ]
    for ok, param, msg in checks:
        if not ok:
            raise ReportInputError(msg, param)


_SKIP = "must be 0 (skip) or positive (got {value})"


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
@options.runs(40, "Members per scenario.", show_default=True, metavar="N")
@options.seed(metavar="ROOT", show_default=True)
@click.option(
    "--sensitivity-samples",
    type=options.IntAtLeast(0, _SKIP),
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
    type=options.IntAtLeast(0, _SKIP),
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
    "--literature-runs",
    type=options.IntAtLeast(0, _SKIP),
    default=0,
    show_default=True,
    metavar="N",
    help="Add the literature table (each policy channel against its published figure, as "
    "`abm validate --literature`) with N members per experiment (0: skip).",
)
@options.quarters(
    "Recorded quarters of the comparison runs (default: the scenarios', 60 = 2026-2040).",
    metavar="N",
)
@options.scale("Persons per talent agent (default: the scenarios').", metavar="S")
@options.workers(metavar="K")
@click.option("--title", default=None, help="Title of the report.")
@options.no_progress("Do not show progress bars.")
def report_cmd(
    scenarios: tuple[str, ...],
    sensitivity_outcomes: tuple[str, ...],
    no_progress: bool,
    **options: Any,
) -> None:
    """Compare SCENARIOs (shipped names or TOML files; the first is the reference) and write
    one self-contained HTML report: the question and the 2030 targets, the scenarios'
    settings, the comparison and targets tables and figures, and optionally a sensitivity
    analysis of the first two scenarios, the validation of the first and the literature table.
    Open it in any browser, offline.

    Exit status: 0 report written, 2 bad input (nothing written).
    """
    # every other option is an argument of report()
    with reported(options=OPTIONS):
        path = report(
            list(scenarios),
            sensitivity_outcomes=list(sensitivity_outcomes) or None,
            progress=not no_progress,
            **options,
        )
    click.echo(f"wrote {path}")
