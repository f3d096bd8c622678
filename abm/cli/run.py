"""``abm run SCENARIO``: simulate one scenario and write a CF-style NetCDF file, then print a
short summary (GDP growth, industry share and R&D intensity against the 2030 targets)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numba
import numpy as np
import xarray as xr
from tqdm import tqdm

from abm import EconomyModel
from abm.analysis.outcomes import TARGET_YEAR, TARGETS
from abm.cli import options
from abm.cli.errors import OneLineErrors, fail, reported
from abm.io import write_netcdf
from abm.recording import snapshot_dataset
from abm.scenario import load_scenario


@click.command("run", cls=OneLineErrors)
@click.argument("scenario")
@options.seed(1, "Member seed.", name="seed", show_default=True)
@options.quarters("Recorded quarters after the burn-in (default: the scenario's, 60 = 2026-2040).")
@options.scale("Persons per talent agent (default: the scenario's; 1 = the whole country).")
@options.output_file(None, "NetCDF file (default outputs/SCENARIO_seedN.nc).")
@options.threads(
    "numba threads for the parallel kernels (the results are the same bits for any count)."
)
@options.no_progress()
@options.no_checks()
def run_cmd(
    scenario: str,
    seed: int,
    quarters: int | None,
    scale: float | None,
    output: Path | None,
    threads: int,
    no_progress: bool,
    no_checks: bool,
) -> None:
    """Run SCENARIO (a shipped name or a path to a TOML file) and write its outputs."""
    with reported():
        sc = load_scenario(scenario)
        out = output or Path("outputs") / f"{sc.name}_seed{seed}.nc"
        if out.suffix not in (".nc", ".nc4"):
            fail(f"option '-o': output file must end in .nc (got {out})")
        if threads > numba.config.NUMBA_NUM_THREADS:
            fail(
                f"option '--threads': at most numba's {numba.config.NUMBA_NUM_THREADS} threads "
                f"(set NUMBA_NUM_THREADS for more; got {threads})"
            )
        model = EconomyModel(
            sc,
            seed,
            scale=scale,
            quarters=quarters,
            check_accounts=not no_checks,
            threads=threads,
        )
        with tqdm(
            total=model.quarters,  # the burn-in ran in EconomyModel()
            desc=f"{sc.name} seed {seed}",
            unit="q",
            disable=no_progress,
            file=sys.stderr,
        ) as bar:
            model.run(progress=bar.update)
    ds = model.to_dataset()
    write_netcdf(ds, out, snapshot_dataset(model))
    click.echo(summary(ds))
    click.echo(f"wrote {out}")


def summary(ds: xr.Dataset) -> str:
    """A few lines: GDP growth, industry share and R&D intensity in 2030 and at the end."""
    years = ds["time"].dt.year.values
    real = ds["gdp_real"].values
    lines = [
        f"scenario {ds.attrs.get('scenario')}, seed {ds.attrs.get('seed')}, {len(years)} quarters"
    ]
    first = real[:4].sum() if len(real) >= 4 else real.sum() * 4 / max(len(real), 1)
    target = {t.outcome: t.percent for t in TARGETS}

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
            f"(target {target['industry_share']}); R&D intensity {rd:.2%} "
            f"(target {target['rd_intensity']})"
        )

    for y in sorted({TARGET_YEAR, int(years[-1])}):
        s = at(y)
        if s:
            lines.append(s)
    return "\n".join(lines)
