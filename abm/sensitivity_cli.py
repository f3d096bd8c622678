"""``abm sensitivity A B``: which assumptions decide whether A beats B, and where it flips.

The command object is :data:`sensitivity_cmd` (registered in ``abm.cli`` as
``abm sensitivity``); it also runs as ``python -m abm.sensitivity_cli``. It prints the
sensitivity indices of the difference ``A - B`` of each outcome and the "when does the answer
flip" table, and writes the tables (CSV), the figures (PNG) and the provenance (JSON) to the
output folder. Exit status: 0 done, 2 bad input (one line ``error: ...`` on stderr, nothing
run), 3 some members failed (left out of the analysis and listed in ``sensitivity.json``),
130 interrupted (with dask the finished members are kept: the same command resumes), 1 the
dask scheduler went away.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click
import pandas as pd

from abm.cli_common import OneLineErrors, fail
from abm.ensemble import EnsembleError
from abm.sensitivity import (
    DEFAULT_OUTCOMES,
    MEASURES,
    SensitivityInputError,
    resolve_parameters,
    sensitivity,
)

#: Exit status when some members failed (the analysis used the others).
EXIT_FAILED_MEMBERS = 3


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "nan" if v != v else f"{v:.4g}"
    return str(v)


def format_table(df: pd.DataFrame, columns: list[str]) -> str:
    """A plain-text table of ``columns`` (numbers to 4 significant digits)."""
    cols = [c for c in columns if c in df.columns]
    if df.empty:
        return "(empty)"
    return df[cols].to_string(index=False, formatters={c: _fmt for c in cols})


def _epilog() -> str:
    params = resolve_parameters(None)
    lines = [
        "\b",
        "Parameters (the default set, with their ranges; --parameter KEY or KEY=LOW:HIGH):",
        *(f"  {p.key:38s} {p.low:g} - {p.high:g}" for p in params),
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


_EPILOG = _epilog()


@click.command("sensitivity", cls=OneLineErrors, epilog=_EPILOG)
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
    type=int,
    default=None,
    help="Morris trajectories (default 10; N(D+1) points) or Sobol base samples (a power of "
    "2, default 64; N(D+2) points).",
)
@click.option(
    "--runs", type=int, default=1, show_default=True, help="Member seeds per point (averaged)."
)
@click.option(
    "--seed",
    "root_seed",
    type=int,
    default=1,
    show_default=True,
    help="Root seed (members, sample).",
)
@click.option(
    "-o",
    "--outdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("outputs/sensitivity"),
    show_default=True,
    help="Folder for the tables, figures and provenance.",
)
@click.option(
    "--workers",
    type=int,
    default=None,
    help="1: run in this process; more: local dask workers (default: one per core).",
)
@click.option(
    "--scheduler", default=None, metavar="ADDRESS", help="Use an existing dask scheduler."
)
@click.option(
    "--quarters", type=int, default=None, help="Recorded quarters (default: the scenarios')."
)
@click.option(
    "--scale", type=float, default=None, help="Persons per talent agent (default: the scenarios')."
)
@click.option(
    "--parameter",
    "parameters",
    multiple=True,
    metavar="KEY[=LOW:HIGH]",
    help="A parameter to vary (repeatable; default: the set below).",
)
@click.option(
    "--outcome",
    "outcomes",
    multiple=True,
    metavar="NAME",
    help="An outcome (repeatable; default: gdp_real_2040, rd_intensity_2030).",
)
@click.option(
    "--top",
    type=int,
    default=3,
    show_default=True,
    help="Parameters per outcome in the flip table.",
)
@click.option("--no-checks", is_flag=True, help="Skip the stock-flow accounting checks (faster).")
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
def sensitivity_cmd(
    a: str,
    b: str,
    method: str,
    samples: int | None,
    runs: int,
    root_seed: int,
    outdir: Path,
    workers: int | None,
    scheduler: str | None,
    quarters: int | None,
    scale: float | None,
    parameters: tuple[str, ...],
    outcomes: tuple[str, ...],
    top: int,
    no_checks: bool,
    no_progress: bool,
) -> None:
    """Sensitivity of the difference A - B (shipped scenario names or TOML files) to the
    uncertain parameters, and the value of each influential parameter at which A stops
    beating B.

    Every sample point runs A and B with the same member seeds (common random numbers). Prints
    the indices and the flip table; writes indices.csv, flip.csv, samples.csv, members.csv,
    sensitivity.json, indices.png and flip.png to the output folder.
    """
    logging.getLogger("distributed").setLevel(logging.ERROR)
    try:
        res = sensitivity(
            a,
            b,
            method=method,  # type: ignore[arg-type]
            samples=samples,
            parameters=list(parameters) or None,
            outcomes=list(outcomes) or None,
            root_seed=root_seed,
            outdir=outdir,
            quarters=quarters,
            scale=scale,
            workers=workers,
            progress=not no_progress,
            runs=runs,
            top=top,
            check_accounts=not no_checks,
            scheduler=scheduler,
            log=(lambda m: None) if no_progress else (lambda m: click.echo(m, err=True)),
        )
    except SensitivityInputError as e:
        fail(str(e))
        return
    except EnsembleError as e:  # e.g. the scheduler went away; finished members are kept
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(
            f"interrupted; run the same command again to continue (finished members are kept "
            f"in {outdir} when running on dask)",
            err=True,
        )
        sys.exit(130)
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
    click.echo(
        format_table(
            res.flip,
            ["outcome", "parameter", "default", "flip_value", "flip_low", "flip_high", "a_wins"],
        )
    )
    for _, r in res.flip.iterrows():
        click.echo(f"  {r['outcome']} / {r['parameter']}: {r['note']}")
    for name, path in res.figures.items():
        click.echo(f"figure {name}: {path}")
    click.echo(f"wrote {res.outdir}")
    if p["failures"]:
        click.echo(f"{len(p['failures'])} member(s) failed, see sensitivity.json", err=True)
        sys.exit(EXIT_FAILED_MEMBERS)


if __name__ == "__main__":  # pragma: no cover
    sensitivity_cmd()
