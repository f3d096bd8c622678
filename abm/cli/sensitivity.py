"""``abm sensitivity A B``: which assumptions decide whether A beats B, and where it flips; and
:func:`sensitivity`, the Python function behind it.

:func:`sensitivity` samples the uncertain parameters (SALib: Morris trajectories, or Saltelli's
extension of the Sobol' sequence), runs A and B at every sample point with the *same* member
seeds (common random numbers; in this process with ``workers=1``, else as one ensemble on dask),
analyses the difference ``A - B`` of each outcome (:mod:`abm.analysis.sensitivity`) and writes
the tables (CSV), the figures (PNG) and the provenance (JSON) to the output folder::

    from abm.sensitivity import sensitivity
    res = sensitivity("focused", "diffuse", method="morris", samples=10)
    res.indices          # mu_star, mu_star_conf, sigma (Morris) or S1, ST (Sobol) per outcome
    res.flip             # the value of each influential parameter at which A stops beating B

Exit status: 0 done, 2 bad input (one line ``error: ...`` on stderr, nothing run), 3 some
members failed (left out of the analysis and listed in ``sensitivity.json``), 130 interrupted
(with dask the finished members are kept: the same command resumes), 1 the dask scheduler went
away.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import click
import numpy as np
import pandas as pd

from abm.analysis.design import MORRIS_LEVELS, analyze_design, sample_design
from abm.analysis.errors import SensitivityInputError
from abm.analysis.flip import flip_table
from abm.analysis.outcomes import MEASURES
from abm.analysis.results import SensitivityResult
from abm.analysis.sensitivity import (
    DEFAULT_OUTCOMES,
    Study,
    paired_differences,
    plan_study,
    point_scenarios,
    provenance,
    resolve_parameters,
)
from abm.cli import options
from abm.cli.errors import OneLineErrors, reported
from abm.ensemble import Design, EnsembleInputError, points
from abm.io import write_text_atomic
from abm.render.markdown import format_table
from abm.render.sensitivity_figures import sensitivity_figures
from abm.scenario import Scenario
from abm.scenario.overrides import reraise_as

logger = logging.getLogger("abm.sensitivity")

#: Exit status when some members failed (the analysis used the others).
EXIT_FAILED_MEMBERS = 3
_LIBRARY = {"morris": "SALib.sample.morris", "sobol": "SALib.sample.sobol (Saltelli)"}


def _run_members(
    study: Study,
    X: np.ndarray,
    pairs: list[tuple[Scenario, Scenario]],
    out: Path,
    workers: int | None,
    scheduler: str | None,
    progress: bool,
    note: Callable[[str], None],
) -> tuple[pd.DataFrame, list[dict[str, object]], Path | None]:
    """Every member of the study (``pairs``: A and B at each point of ``X``): its outcomes (one
    row each), its failures, and the ensemble file when it ran on dask."""
    spec = points.Runs(
        study.outcomes,
        study.runs,
        study.root_seed,
        study.quarters,
        study.scale,
        study.check_accounts,
        progress,
        ("a", "b"),
    )
    if study.in_process:
        return (*points.run_in_process(pairs, spec), None)
    sample = {
        "method": study.method,
        "samples": study.samples,
        "seed": study.seed,
        "problem": study.problem,
        "calc_second_order": 0,
        "points": int(len(X)),
        "library": _LIBRARY[study.method],
    }
    design = Design(
        tuple(p.override for p in study.parameters),
        [[float(v) for v in row] for row in X],
        sample=sample,
    )
    path = out / "ensemble.nc"
    with reraise_as(SensitivityInputError, EnsembleInputError):
        members, failures = points.run_on_dask(
            [study.a, study.b],
            design,
            spec,
            workers=workers,
            scheduler=scheduler,
            output=path,
            log=note,
        )
    return members, failures, path


def sensitivity(
    a: str | os.PathLike[str] | Scenario,
    b: str | os.PathLike[str] | Scenario,
    method: Literal["morris", "sobol"] = "morris",
    samples: int | None = None,
    parameters: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    root_seed: int = 1,
    outdir: str | os.PathLike[str] = "outputs/sensitivity",
    quarters: int | None = None,
    scale: float | None = None,
    workers: int | None = None,
    progress: bool = True,
    *,
    runs: int = 1,
    top: int = 3,
    check_accounts: bool = True,
    scheduler: str | None = None,
    num_levels: int = MORRIS_LEVELS,
    log: Callable[[str], None] | None = None,
) -> SensitivityResult:
    """Sensitivity of the difference ``A - B`` of each outcome to the uncertain parameters.

    Parameters
    ----------
    a, b : str, path or Scenario
        The two scenarios (shipped names or TOML files); outcomes are differences ``a - b``.
    method : {"morris", "sobol"}
        Morris elementary effects (screening) or Sobol first-order and total indices.
    samples : int, optional
        Morris trajectories (default 10; ``samples * (D + 1)`` points) or Sobol base samples
        (a power of 2, default 64; ``samples * (D + 2)`` points).
    parameters : sequence of str, optional
        Keys, or ``KEY=LOW:HIGH`` (see docs/sensitivity.md); default
        :data:`abm.sensitivity.DEFAULT_PARAMETERS`.
    outcomes : sequence of str, optional
        Outcome names ``MEASURE_YEAR`` or ``MEASURE_total``; default
        :data:`abm.sensitivity.DEFAULT_OUTCOMES`.
    root_seed : int
        Member ``k`` of every point runs with ``SeedSequence(root_seed, spawn_key=(k,))``; the
        sampling and bootstrap seed is ``root_seed % 2**32``.
    outdir : path
        Folder for ``indices.csv``, ``flip.csv``, ``samples.csv``, ``members.csv``,
        ``sensitivity.json``, ``indices.png``, ``flip.png`` (and ``ensemble.nc`` with dask).
    quarters, scale : optional
        Recorded quarters and persons per talent agent (default: the scenarios').
    workers : int, optional
        1: run the members one after another in this process; more (default: one per core):
        a local dask cluster through :func:`abm.ensemble.run_ensemble`.
    progress : bool
        Show a progress bar on stderr.
    runs : int
        Member seeds per point; the difference at a point is the mean of the paired
        differences.
    top : int
        Parameters per outcome in the flip table.
    check_accounts : bool
        Run the stock-flow checks in every member (a failing member is left out and reported).
    scheduler : str, optional
        Address of an existing dask scheduler (instead of a local cluster).
    num_levels : int
        Levels of the Morris grid.
    log : callable, optional
        Receives one-line notes (default: the ``abm.sensitivity`` logger).

    Returns
    -------
    SensitivityResult
        Indices, flip table, samples, figures, output folder and provenance.

    Raises
    ------
    SensitivityInputError
        Bad input, before any member runs and without writing files.
    """
    t0 = time.perf_counter()
    note = log or logger.info
    study = plan_study(
        a,
        b,
        method,
        samples,
        parameters,
        outcomes,
        root_seed,
        quarters,
        scale,
        workers,
        runs=runs,
        top=top,
        check_accounts=check_accounts,
        scheduler=scheduler,
        num_levels=num_levels,
    )
    X = sample_design(study.problem, study.method, study.samples, study.seed, num_levels)
    pairs = point_scenarios(study, X)  # every point validated before any member runs
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise SensitivityInputError(f"option '-o': {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    where = "in this process" if study.in_process else "dask"
    note(
        f"{method}: {len(study.parameters)} parameters, {len(X)} points x {runs} run(s) x 2 "
        f"scenarios = {2 * len(X) * runs} members ({where})"
    )
    t_run = time.perf_counter()
    members, failures, ensemble = _run_members(
        study, X, pairs, out, workers, scheduler, progress, note
    )
    run_seconds = time.perf_counter() - t_run
    diffs, npairs = paired_differences(members, study.outcomes, len(X))
    samples_df = pd.DataFrame(X, columns=[p.key for p in study.parameters])
    samples_df.insert(0, "point", np.arange(len(X)))
    for oc in study.outcomes:
        samples_df[oc.name] = diffs[oc.name].to_numpy()
    samples_df["pairs"] = npairs
    ys = {oc.name: samples_df[oc.name].to_numpy() for oc in study.outcomes}
    indices, used = analyze_design(study.problem, study.method, X, ys, study.seed, num_levels)
    defaults = study.defaults()
    flip = flip_table(
        samples_df,
        indices,
        study.parameters,
        study.outcomes,
        top=study.top,
        names=study.names,
        defaults=defaults,
        seed=study.seed,
    )
    figures = sensitivity_figures(
        indices, flip, samples_df, study.outcomes, study.parameters, study.method, study.names, out
    )
    for name, df in (
        ("indices.csv", indices),
        ("flip.csv", flip),
        ("samples.csv", samples_df),
        ("members.csv", members),
    ):
        write_text_atomic(out / name, df.to_csv(index=False))
    prov = provenance(
        study, len(X), used, failures, defaults, str(ensemble) if ensemble else None, run_seconds
    )
    prov["seconds"] = round(time.perf_counter() - t0, 2)
    write_text_atomic(out / "sensitivity.json", json.dumps(prov, indent=1, default=str))
    if failures:
        note(f"{len(failures)} member(s) failed; see {out / 'sensitivity.json'}")
    return SensitivityResult(
        a=study.a.name,
        b=study.b.name,
        method=study.method,
        outcomes=[oc.name for oc in study.outcomes],
        indices=indices,
        flip=flip,
        samples=samples_df,
        figures=figures,
        outdir=out,
        provenance=prov,
    )


def _epilog() -> str:
    lines = [
        "\b",
        "Parameters (the default set, with their ranges; --parameter KEY or KEY=LOW:HIGH):",
        *(f"  {p.key:38s} {p.low:g} - {p.high:g}" for p in resolve_parameters(None)),
        "",
        "Other keys: a calibration number 'section.name', an element 'section.name[sector]', "
        "'chosen:section.name' (a multiplier of the six chosen markets' entries) or "
        "'programme:INSTRUMENT.FIELD' (every programme of the instrument). See "
        "docs/sensitivity.md.",
        "",
        "\b",
        "Outcomes: MEASURE_YEAR, or MEASURE_total for flows; MEASURE one of:",
        *(f"  {m.name:26s} {m.description}" for m in MEASURES.values()),
        f"Default outcomes: {', '.join(DEFAULT_OUTCOMES)}.",
    ]
    return "\n".join(lines)


def _interrupted(outdir: Path) -> Callable[[KeyboardInterrupt], str]:
    return lambda e: (
        "interrupted; run the same command again to continue (finished members are kept in "
        f"{outdir} when running on dask)"
    )


def _print(res: SensitivityResult) -> None:
    p = res.provenance
    click.echo(
        f"{res.method} sensitivity of {res.a} - {res.b}: {len(p['parameters'])} parameters, "
        f"{p['points']} points x {p['runs']} run(s), {p['members']} members in "
        f"{p['seconds']:.0f} s ({p['execution']})"
    )
    cols = (
        ["outcome", "parameter", "rank", "mu_star", "mu_star_conf", "sigma", "mu"]
        if res.method == "morris"
        else ["outcome", "parameter", "rank", "S1", "S1_conf", "ST", "ST_conf"]
    )
    click.echo("\nSensitivity indices of the difference (95% confidence half-widths):")
    click.echo(format_table(res.indices.sort_values(["outcome", "rank"], kind="stable"), cols))
    click.echo(
        f"\nWhen does the answer flip ({res.a} stops beating {res.b}; 90% bootstrap interval):"
    )
    flip_cols = ["outcome", "parameter", "default", "flip_value", "flip_low", "flip_high", "a_wins"]
    click.echo(format_table(res.flip, flip_cols))
    for _, r in res.flip.iterrows():
        click.echo(f"  {r['outcome']} / {r['parameter']}: {r['note']}")
    for name, path in res.figures.items():
        click.echo(f"figure {name}: {path}")
    click.echo(f"wrote {res.outdir}")


@click.command("sensitivity", cls=OneLineErrors, epilog=_epilog())
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option(
    "--method",
    type=click.Choice(["morris", "sobol"]),
    default="morris",
    show_default=True,
    help="Morris elementary effects (screening) or Sobol first-order and total indices.",
)
@click.option(
    "--samples",
    type=options.IntAtLeast(1),
    default=None,
    help="Morris trajectories (default 10; N(D+1) points) or Sobol base samples (a power of "
    "2, default 64; N(D+2) points).",
)
@options.runs(1, "Member seeds per point (averaged).", show_default=True)
@options.seed(1, "Root seed (members, sample).", options.ROOT_SEED, show_default=True)
@options.outdir("outputs/sensitivity", "Folder for the tables, figures and provenance.")
@options.workers("1: run in this process; more: local dask workers (default: one per core).")
@options.scheduler()
@options.quarters()
@options.scale()
@click.option(
    "--parameter",
    "parameters",
    multiple=True,
    metavar="KEY[=LOW:HIGH]",
    help="A parameter to vary (repeatable; default: the set below).",
)
@options.outcomes("An outcome (repeatable; default: gdp_real_2040, rd_intensity_2030).")
@click.option(
    "--top",
    type=options.IntAtLeast(1),
    default=3,
    show_default=True,
    help="Parameters per outcome in the flip table.",
)
@options.no_checks()
@options.no_progress()
def sensitivity_cmd(
    a: str,
    b: str,
    parameters: tuple[str, ...],
    outcomes: tuple[str, ...],
    no_checks: bool,
    no_progress: bool,
    **options: Any,
) -> None:
    """Sensitivity of the difference A - B (shipped scenario names or TOML files) to the
    uncertain parameters, and the value of each influential parameter at which A stops
    beating B.

    Every sample point runs A and B with the same member seeds (common random numbers). Prints
    the indices and the flip table; writes indices.csv, flip.csv, samples.csv, members.csv,
    sensitivity.json, indices.png and flip.png to the output folder.
    """
    # every other option is an argument of sensitivity()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with reported(interrupted=_interrupted(options["outdir"])):
        res = sensitivity(
            a,
            b,
            parameters=list(parameters) or None,
            outcomes=list(outcomes) or None,
            progress=not no_progress,
            check_accounts=not no_checks,
            log=(lambda m: None) if no_progress else (lambda m: click.echo(m, err=True)),
            **options,
        )
    _print(res)
    if res.provenance["failures"]:
        n = len(res.provenance["failures"])
        click.echo(f"{n} member(s) failed, see sensitivity.json", err=True)
        sys.exit(EXIT_FAILED_MEMBERS)
