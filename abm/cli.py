"""The ``abm`` command line.

``abm run SCENARIO`` simulates one scenario and writes a CF-style NetCDF file;
``abm scenarios`` lists the shipped scenarios. Errors in the input end with a one-line message
naming the file and the key, exit status 2, and no output file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np

from abm.cli_common import fail as _fail
from abm.scenario import ScenarioError, load_scenario, shipped_scenarios


@click.group()
@click.version_option(package_name="focus-abm")
def main() -> None:
    """Agent-based model of focused versus diffuse industrial policy (the Netherlands)."""


@main.command("scenarios")
def scenarios_cmd() -> None:
    """List the shipped scenarios with their descriptions."""
    for name, path in shipped_scenarios().items():
        try:
            sc = load_scenario(path)
            click.echo(f"{name:18s} {sc.description}")
        except ScenarioError as e:  # pragma: no cover - shipped files are tested
            click.echo(f"{name:18s} (invalid: {e})")


@main.command("run")
@click.argument("scenario")
@click.option("--seed", type=int, default=1, show_default=True, help="Member seed.")
@click.option(
    "--quarters",
    type=int,
    default=None,
    help="Recorded quarters after the burn-in (default: the scenario's, 60 = 2026-2040).",
)
@click.option(
    "--scale",
    type=float,
    default=None,
    help="Persons per talent agent (default: the scenario's; 1 = the whole country).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="NetCDF file (default outputs/SCENARIO_seedN.nc).",
)
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
@click.option("--no-checks", is_flag=True, help="Skip the stock-flow accounting checks (faster).")
def run_cmd(
    scenario: str,
    seed: int,
    quarters: int | None,
    scale: float | None,
    output: Path | None,
    no_progress: bool,
    no_checks: bool,
) -> None:
    """Run SCENARIO (a shipped name or a path to a TOML file) and write its outputs."""
    from tqdm import tqdm

    from abm.accounts import AccountingError
    from abm.model import EconomyModel
    from abm.output import snapshot_dataset, write_netcdf

    if quarters is not None and quarters < 1:
        _fail(f"option '--quarters': must be at least 1 (got {quarters})")
    if scale is not None and scale < 1:
        _fail(f"option '--scale': must be at least 1 person per agent (got {scale})")
    if seed < 0:
        _fail(f"option '--seed': must be a non-negative integer (got {seed})")
    try:
        sc = load_scenario(scenario)
    except ScenarioError as e:
        _fail(str(e))
    out = output or Path("outputs") / f"{sc.name}_seed{seed}.nc"
    if out.suffix not in (".nc", ".nc4"):
        _fail(f"option '-o': output file must end in .nc (got {out})")
    model = EconomyModel(sc, seed, scale=scale, quarters=quarters, check_accounts=not no_checks)
    total = model.burn_in + model.quarters
    with tqdm(
        total=total, desc=f"{sc.name} seed {seed}", unit="q", disable=no_progress, file=sys.stderr
    ) as bar:
        try:
            model.run(progress=bar.update)
        except AccountingError as e:
            bar.close()
            _fail(f"accounting identity failed: {e}")
    ds = model.to_dataset()
    write_netcdf(ds, out, snapshot_dataset(model))
    click.echo(summary(ds))
    click.echo(f"wrote {out}")


@main.command("validate")
@click.argument("scenario")
@click.option(
    "--runs", type=int, default=10, show_default=True, help="Members (seeds spawned from --seed)."
)
@click.option("--seed", type=int, default=1, show_default=True, help="Root seed.")
@click.option(
    "--quarters",
    type=int,
    default=200,
    show_default=True,
    help="Recorded quarters per run (>= 40).",
)
@click.option(
    "--scale", type=float, default=None, help="Persons per talent agent (default: the scenario's)."
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the table as CSV.",
)
@click.option("--no-progress", is_flag=True, help="Do not show the progress bar.")
def validate_cmd(
    scenario: str,
    runs: int,
    seed: int,
    quarters: int,
    scale: float | None,
    csv_path: Path | None,
    no_progress: bool,
) -> None:
    """Check SCENARIO against the calibration targets and the stylized facts (DESIGN §7).

    Prints one row per check; exits 1 when a calibration target or an accounting identity
    fails (stylized facts are reported, not enforced)."""
    from tqdm import tqdm

    from abm.validate import validate

    if runs < 1:
        _fail(f"option '--runs': must be at least 1 (got {runs})")
    if quarters < 40:
        _fail(f"option '--quarters': must be at least 40 for the band-pass filter (got {quarters})")
    try:
        sc = load_scenario(scenario)
    except ScenarioError as e:
        _fail(str(e))
    with tqdm(
        total=runs, desc=f"validate {sc.name}", unit="run", disable=no_progress, file=sys.stderr
    ) as bar:
        report = validate(
            sc, runs=runs, seed=seed, quarters=quarters, scale=scale, progress=bar.update
        )
    click.echo(report.to_text())
    if csv_path is not None:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        report.to_frame().to_csv(csv_path, index=False)
    sys.exit(0 if report.ok else 1)


def summary(ds) -> str:  # noqa: ANN001 - xarray.Dataset
    """A few lines: GDP growth, industry share and R&D intensity in 2030 and at the end."""
    years = ds["time"].dt.year.values
    real = ds["gdp_real"].values
    lines = [
        f"scenario {ds.attrs.get('scenario')}, seed {ds.attrs.get('seed')}, {len(years)} quarters"
    ]
    first = real[:4].sum() if len(real) >= 4 else real.sum() * 4 / max(len(real), 1)

    def at(year: int) -> str:
        m = years == year
        if not m.any():
            return ""
        gdp = ds["gdp"].values[m].sum() * 4 / m.sum()
        r = real[m].sum() * 4 / m.sum()
        span = max(year - int(years[0]), 1)
        g = (r / first) ** (1 / span) - 1 if year > years[0] else float("nan")
        ind = float(np.mean(ds["industry_share"].values[m]))
        rd = float(np.mean(ds["rd_intensity"].values[m]))
        growth = f"{g:+.2%}/yr real since {int(years[0])}" if np.isfinite(g) else "first year"
        return (
            f"  {year}: GDP EUR {gdp / 1e9:,.0f} bn ({growth}); industry share {ind:.1%} "
            f"(target 15%); R&D intensity {rd:.2%} (target 3%)"
        )

    for y in sorted({2030, int(years[-1])}):
        s = at(y)
        if s:
            lines.append(s)
    return "\n".join(lines)


def _register() -> None:
    """Commands that live in their own modules (they import heavy libraries lazily)."""
    from abm.compare_cli import compare_cmd
    from abm.ensemble_cli import ensemble_cmd
    from abm.report_cli import report_cmd
    from abm.sensitivity_cli import sensitivity_cmd

    main.add_command(ensemble_cmd, "ensemble")
    main.add_command(compare_cmd, "compare")
    main.add_command(sensitivity_cmd, "sensitivity")
    main.add_command(report_cmd, "report")


_register()


if __name__ == "__main__":  # pragma: no cover
    main()
