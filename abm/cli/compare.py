"""``abm compare A B [C ...]``: compare scenarios with confidence intervals (issue #5), and the
Python functions behind it, :func:`compare` and :func:`compare_dataset`.

:func:`compare` runs one ensemble of all the scenarios (so they share member seeds: common
random numbers, DESIGN §5-§6), or reads ensemble NetCDF files, then the analysis of
:mod:`abm.analysis.compare` computes the key outcomes at 2030 and at the end year (means and 90%
intervals across members; paired differences against the **first** scenario with bootstrap 90%
intervals, the unpaired interval, and the probability of beating it; the 2030 targets), and
finally the tables, ``comparison.md`` and the figures are written to ``outdir``::

    from abm.compare import compare
    res = compare(["diffuse", "focused", "laissez_faire"], runs=40, root_seed=1)
    res.table.query("outcome == 'gdp_real' and year == 2030")

The command prints the comparison as Markdown and ends with one line listing the files written.
Exit status: 0 done, 2 bad input (one line ``error: ...`` on stderr, nothing run), 130
interrupted (the ensemble's finished members are kept: run the same command with
``--resume``), 1 the ensemble could not be completed.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
import xarray as xr

from abm.analysis.compare import analyse, check_n_boot, check_outcomes
from abm.analysis.dose import dose_response, sweep_coordinate
from abm.analysis.errors import CompareError
from abm.analysis.inputs import is_ensemble_file, open_ensembles
from abm.analysis.outcomes import KEY_OUTCOMES
from abm.analysis.results import CompareResult
from abm.analysis.series import member_ok
from abm.cli import options
from abm.cli.errors import OneLineErrors, fail, reported
from abm.ensemble import run_ensemble
from abm.io import write_netcdf, write_text_atomic
from abm.render.compare_figures import make_figures
from abm.render.dose_figures import dose_figure, dose_markdown
from abm.render.markdown import compare_summary, to_markdown
from abm.scenario import load_scenario
from abm.scenario.overrides import reraise_as

logger = logging.getLogger("abm.compare")

#: The tables a comparison writes, by file name.
TABLE_FILES = ("comparison.md", "comparison.csv", "targets.csv", "value_added_by_sector.csv")


def compare_dataset(
    ds: xr.Dataset,
    outdir: str | os.PathLike[str] = "outputs/compare",
    *,
    outcomes: Sequence[str] | None = None,
    n_boot: int = 2000,
    boot_seed: int | None = None,
    figures: bool = True,
    ensemble: str | os.PathLike[str] | None = None,
    notes: Sequence[str] = (),
) -> CompareResult:
    """Compare the scenarios of an ensemble dataset and write the tables and figures.

    The analysis is :func:`abm.analysis.compare.analyse` (``outcomes``, ``n_boot``,
    ``boot_seed``, ``ensemble``, ``notes`` as there); then ``comparison.csv``,
    ``targets.csv``, ``value_added_by_sector.csv``, the figures (``figures=True``) and
    ``comparison.md`` are written to ``outdir`` (created).

    Returns
    -------
    CompareResult
    """
    res = analyse(
        ds, outcomes=outcomes, n_boot=n_boot, boot_seed=boot_seed, ensemble=ensemble, notes=notes
    )
    res.outdir = Path(outdir)
    res.outdir.mkdir(parents=True, exist_ok=True)
    for name, df in (
        ("comparison.csv", res.table),
        ("targets.csv", res.targets),
        ("value_added_by_sector.csv", res.sectors),
    ):
        write_text_atomic(res.outdir / name, df.to_csv(index=False))
    if figures:
        res.figures = make_figures(ds, res, res.sectors, ok=member_ok(ds), outdir=res.outdir)
    write_text_atomic(res.outdir / "comparison.md", to_markdown(res))
    return res


def _check_run(
    runs: int, root_seed: int, quarters: int | None, scale: float | None, workers: int | None
) -> None:
    checks = [
        (runs < 1, f"option '--runs': must be at least 1 (got {runs})"),
        (root_seed < 0, f"option '--seed': must be a non-negative integer (got {root_seed})"),
        (
            quarters is not None and quarters < 4,
            f"option '--quarters': must be at least 4 (one complete year; got {quarters})",
        ),
        (
            scale is not None and scale < 1,
            f"option '--scale': must be at least 1 person per agent (got {scale})",
        ),
        (
            workers is not None and workers < 1,
            f"option '--workers': must be at least 1 (got {workers})",
        ),
    ]
    for bad, msg in checks:
        if bad:
            raise CompareError(msg)


def _run(
    inputs: list[str],
    runs: int,
    root_seed: int,
    outdir: Path,
    quarters: int | None,
    scale: float | None,
    workers: int | None,
    progress: bool,
    resume: bool,
    note: Callable[[str], None],
    sweep: Sequence[str] = (),
) -> tuple[xr.Dataset, Path]:
    """Check the scenarios and options, run one ensemble of them, open it."""
    _check_run(runs, root_seed, quarters, scale, workers)
    if len(inputs) < 2:
        raise CompareError(
            f"only one scenario ({inputs[0]}); a comparison needs at least two scenarios"
        )
    with reraise_as(CompareError):
        scenarios = [load_scenario(x) for x in inputs]
    dup = sorted(n for n, c in Counter(s.name for s in scenarios).items() if c > 1)
    if dup:
        raise CompareError(f"scenario(s) {', '.join(dup)} given more than once")
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / "ensemble.nc"
    res = run_ensemble(
        scenarios,
        runs,
        root_seed=root_seed,
        output=path,
        quarters=quarters,
        scale=scale,
        workers=workers,
        resume=resume,
        progress=progress,
        log=note,
        sweep=list(sweep) or None,
    )
    for f in res.failures:
        note(f"member failed and is skipped: {f.describe()}")
    note(
        f"ensemble: {res.members} members in {res.seconds:.1f} s "
        f"({res.members_per_minute:.1f} members/min on {res.workers} worker(s)); wrote {path}"
    )
    return xr.open_dataset(path), path


def compare(
    inputs: Sequence[str | os.PathLike[str]],
    runs: int = 40,
    root_seed: int = 1,
    outdir: str | os.PathLike[str] = "outputs/compare",
    quarters: int | None = None,
    scale: float | None = None,
    workers: int | None = None,
    outcomes: Sequence[str] | None = None,
    n_boot: int = 2000,
    progress: bool = True,
    *,
    boot_seed: int | None = None,
    resume: bool = False,
    figures: bool = True,
    log: Callable[[str], None] | None = None,
    sweep: Sequence[str] = (),
) -> CompareResult:
    """Compare scenarios (run as one ensemble) or ensemble files, with confidence intervals.

    Parameters
    ----------
    inputs : sequence of str or path
        Either scenario names / TOML paths (at least two; they are run as one ensemble with
        :func:`abm.ensemble.run_ensemble`, sharing member seeds, written to
        ``outdir/ensemble.nc``) or ensemble NetCDF files (``.nc``/``.nc4``; several are merged
        along ``scenario`` and must come from one model version, root seed and set of member
        seeds). The first scenario is the reference of the paired differences.
    runs : int
        Members per scenario (>= 1); ignored for files.
    root_seed : int
        Member k runs with ``SeedSequence(root_seed).spawn(runs)[k]``; ignored for files.
    outdir : path
        Folder for the ensemble, the tables and the figures (created).
    quarters, scale, workers : optional
        Recorded quarters (>= 4), persons per talent agent and local dask workers for the
        ensemble (defaults: the scenarios' and one worker per core); ignored for files.
    outcomes : sequence of str, optional
        Restrict the table to these key outcomes (:data:`abm.compare.OUTCOMES`); default all.
    n_boot : int
        Bootstrap resamples (>= 100).
    progress : bool
        Show the ensemble's progress bar (stderr).
    boot_seed : int, optional
        Seed of the bootstrap (default: the ensemble's root seed).
    resume : bool
        Continue an interrupted ensemble in ``outdir/ensemble.nc.parts``.
    figures : bool
        Draw the figures (:func:`abm.render.compare_figures.make_figures`).
    log : callable, optional
        Receives one-line notes (default: the ``abm.compare`` logger).
    sweep : sequence of str
        One ``KEY=V1,V2,...`` sweep (e.g. ``reallocation=0,0.5,1``, the dose of focus): the
        ensemble runs every value, ``dose_response.csv``/``.md``/``.png`` give each outcome's
        paired difference from the reference against the value
        (:func:`abm.analysis.dose.dose_response`), and the usual tables compare the scenarios at
        the first value.

    Returns
    -------
    CompareResult
        Tables, figure paths, the ensemble file and provenance (``provenance["notes"]``: what
        was skipped or left undefined; ``provenance["members_skipped"]`` by scenario).

    Raises
    ------
    CompareError
        Bad input (unknown scenario, ``runs < 1``, incompatible files, unknown outcome), before
        any member runs.
    abm.ensemble.EnsembleInputError, abm.ensemble.EnsembleError
        From the ensemble (e.g. bad ``workers``; scheduler lost).
    """
    t0 = time.perf_counter()
    note = log or logger.info
    inputs = [str(x) for x in inputs]
    out = Path(outdir)
    selected = check_outcomes(outcomes)
    check_n_boot(n_boot)
    if boot_seed is not None and boot_seed < 0:
        raise CompareError(f"option '--boot-seed': must be >= 0 (got {boot_seed})")
    if not inputs:
        raise CompareError("no scenario given; name at least two scenarios or ensemble files")
    is_file = [is_ensemble_file(x) for x in inputs]
    if any(is_file) and not all(is_file):
        files = ", ".join(x for x, f in zip(inputs, is_file, strict=True) if f)
        raise CompareError(
            f"cannot mix ensemble files ({files}) with scenario names; give only scenarios "
            "(run together) or only ensemble files"
        )
    notes: list[str] = []
    if sweep and all(is_file):
        raise CompareError("option '--sweep' applies when running scenarios, not to files")
    if len(sweep) > 1:
        raise CompareError("a dose-response takes one --sweep (one parameter)")
    if all(is_file):
        ds = open_ensembles([Path(x) for x in inputs])
        ensemble: Path | None = Path(inputs[0]) if len(inputs) == 1 else None
        if len(inputs) > 1:
            ensemble = write_netcdf(ds, out / "ensemble.nc")
            notes.append(
                f"merged {len(inputs)} ensemble files into {ensemble}: " + ", ".join(inputs)
            )
        source = "ensemble file(s): " + ", ".join(inputs)
    else:
        ds, ensemble = _run(
            inputs, runs, root_seed, out, quarters, scale, workers, progress, resume, note, sweep
        )
        source = "ensemble run by abm compare"
    dose_info: dict[str, Any] | None = None
    full = ds
    if sweep:
        coord = sweep_coordinate(ds)
        seed = boot_seed if boot_seed is not None else root_seed
        dose = dose_response(ds, selected, n_boot, seed)
        out.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out / "dose_response.csv", dose.to_csv(index=False))
        write_text_atomic(out / "dose_response.md", dose_markdown(dose))
        values = sorted({float(v) for v in ds[coord].values})
        dose_info = {
            "parameter": str(dose.parameter.iloc[0]) if len(dose) else coord,
            "values": values,
            "reference": str(dose.reference.iloc[0]) if len(dose) else "",
            "files": [str(out / "dose_response.csv"), str(out / "dose_response.md")],
        }
        if figures:
            dose_info["files"].append(str(dose_figure(dose, out / "dose_response.png")))
        ds = ds.isel(realization=np.flatnonzero(ds[coord].values == values[0]))
        notes.append(
            f"swept {dose_info['parameter']} over {values}: the tables compare the scenarios at "
            f"{values[0]:g}; dose_response.* give every value"
        )
    try:
        res = compare_dataset(
            ds,
            out,
            outcomes=selected,
            n_boot=n_boot,
            boot_seed=boot_seed,
            figures=figures,
            ensemble=ensemble,
            notes=notes,
        )
    finally:
        full.close()
    if dose_info is not None:
        res.provenance["dose_response"] = dose_info
    res.provenance["source"] = source
    res.provenance["inputs"] = inputs
    res.provenance["ensemble_written"] = not (all(is_file) and len(inputs) == 1)
    res.provenance["seconds"] = round(time.perf_counter() - t0, 2)
    write_text_atomic(out / "comparison.md", to_markdown(res))
    return res


def written_files(result: CompareResult) -> list[Path]:
    """The files a comparison wrote, in a stable order (ensemble, tables, figures)."""
    out = []
    if result.ensemble is not None and result.provenance.get("ensemble_written", False):
        out.append(result.ensemble)
    if result.outdir is not None:
        out.extend(result.outdir / name for name in TABLE_FILES)
    out.extend(result.figures.values())
    out.extend(Path(f) for f in result.provenance.get("dose_response", {}).get("files", []))
    return out


@click.command("compare", cls=OneLineErrors)
@click.argument("inputs", nargs=-1, metavar="A B [C ...]")
@options.runs(None, "Members per scenario, sharing seeds across scenarios  [default: 40].")
@options.seed(None, "Root seed: member k gets SeedSequence(ROOT).spawn(runs)[k]  [default: 1].")
@options.outdir("outputs/compare", "Folder for the ensemble, tables and figures.")
@options.workers()
@options.quarters(
    "Recorded quarters (default: the scenarios', 60 = 2026-2040).",
    minimum=4,
    message="must be at least {min} (one complete year; got {value})",
)
@options.scale()
@options.outcomes(
    "Restrict the table to this outcome (repeatable): " + ", ".join(KEY_OUTCOMES) + "."
)
@click.option(
    "--n-boot",
    type=options.IntAtLeast(100),
    default=2000,
    show_default=True,
    help="Bootstrap resamples (>= 100).",
)
@click.option(
    "--boot-seed",
    type=options.IntAtLeast(0, "must be >= {min} (got {value})"),
    default=None,
    help="Bootstrap seed (default: the root seed).",
)
@options.resume("Continue an interrupted ensemble in OUTDIR/ensemble.nc.parts.")
@click.option(
    "--sweep",
    "sweep",
    multiple=True,
    metavar="KEY=V1,V2,...",
    help="Run every value of one parameter (e.g. reallocation=0,0.5,1, the dose of focus) and "
    "write the dose-response: each outcome's paired difference from the reference against the "
    "value (dose_response.csv, .md, .png). The reference is the scenario the dose leaves alone.",
)
@click.option("--no-figures", is_flag=True, help="Do not draw the figures.")
@options.no_progress()
def compare_cmd(
    inputs: tuple[str, ...],
    outcomes: tuple[str, ...],
    no_figures: bool,
    no_progress: bool,
    **options: Any,
) -> None:
    """Compare scenarios A B [C ...] (names or TOML files) run as one ensemble, or ensemble
    NetCDF files (.nc), with confidence intervals.

    Every scenario runs the same member seeds (common random numbers); differences are taken
    against the first scenario, member by member, with bootstrap 90% intervals. Writes
    OUTDIR/ensemble.nc, comparison.md, comparison.csv, targets.csv, value_added_by_sector.csv
    and the figures (PNG).
    """
    # every other option is an argument of compare()
    if len(inputs) < 2 and not (len(inputs) == 1 and is_ensemble_file(inputs[0])):
        fail(
            "give at least two scenarios (names or TOML files) or ensemble files (.nc); "
            "see `abm scenarios`"
        )
    if inputs and all(is_ensemble_file(x) for x in inputs):
        run_options = {
            "runs": "--runs",
            "root_seed": "--seed",
            "quarters": "--quarters",
            "scale": "--scale",
            "workers": "--workers",
        }
        given = [o for k, o in run_options.items() if options[k] is not None]
        given += ["--resume"] if options["resume"] else []
        if given:
            fail(
                f"option(s) {', '.join(given)} apply when running scenarios, not to ensemble "
                "files (they were fixed when the files were made)"
            )
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if options["runs"] is None:
        options["runs"] = 40
    if options["root_seed"] is None:
        options["root_seed"] = 1
    with reported():
        res = compare(
            list(inputs),
            outcomes=list(outcomes) or None,
            progress=not no_progress,
            figures=not no_figures,
            log=lambda m: click.echo(m, err=True),
            **options,
        )
    p = res.provenance
    click.echo(compare_summary(res))
    click.echo("")
    if "dose_response" in p:
        click.echo(Path(p["dose_response"]["files"][1]).read_text())
    used = ", ".join(f"{s} {n}" for s, n in p["members_used"].items())
    click.echo(f"members used: {used}; comparison took {p['seconds']:.1f} s")
    click.echo("wrote " + ", ".join(str(f) for f in written_files(res)))
