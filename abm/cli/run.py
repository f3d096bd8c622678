"""``abm run SCENARIO``: simulate one scenario and write a CF-style NetCDF file, then print a
short summary (GDP growth, industry share and R&D intensity against the 2030 targets).

``--seed S`` runs with ``numpy.random.SeedSequence(S)``; ``--root-seed R --member K`` runs
member ``K`` (counted from 0, as the ensemble's ``realization``) of ``abm ensemble ... --seed R``,
bit for bit (its seed is ``SeedSequence(R, spawn_key=(K,))``). Either way the file holds one run:
it has no ``realization`` dimension.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import numba
import numpy as np

from abm.cli import options
from abm.cli.errors import OneLineErrors, fail, reported
from abm.io.progress import progress_bar
from abm.model import EconomyModel
from abm.scenario import load_scenario

if TYPE_CHECKING:
    import xarray as xr

#: Root seed of ``abm ensemble`` when ``--seed`` is not given (``--member`` alone uses it).
ENSEMBLE_ROOT_SEED = 1


def run_seed(
    ctx: click.Context, seed: int, root_seed: int | None, member: int | None
) -> tuple[int | np.random.SeedSequence, str, str]:
    """The seed of the run, how the summary says it, and the default file name's tail.

    Raises
    ------
    SystemExit
        ``--seed`` given with ``--root-seed``/``--member``, or ``--root-seed`` without
        ``--member`` (one line ``error: ...``, status 2).
    """
    explicit = ctx.get_parameter_source("seed") not in (
        click.core.ParameterSource.DEFAULT,
        click.core.ParameterSource.DEFAULT_MAP,
    )
    if member is None and root_seed is None:
        return seed, f"seed {seed}", f"seed{seed}"
    if explicit:
        fail(
            "option '--seed' cannot be combined with '--root-seed'/'--member'; --seed S runs "
            "SeedSequence(S), --root-seed R --member K runs member K of an ensemble with root "
            "seed R"
        )
    if member is None:
        fail(
            "option '--root-seed' needs '--member K': the member of the ensemble to run (from 0, "
            "as its realization)"
        )
    root = ENSEMBLE_ROOT_SEED if root_seed is None else root_seed
    ss = np.random.SeedSequence(root, spawn_key=(member,))
    return ss, f"root seed {root}, member {member}", f"root{root}_member{member}"


@click.command("run", cls=OneLineErrors)
@click.argument("scenario")
@options.seed(
    1, "Seed: the run uses numpy.random.SeedSequence(SEED).", name="seed", show_default=True
)
@click.option(
    "--root-seed",
    type=options.IntAtLeast(0, options.ROOT_SEED, 2**63 - 1),
    default=None,
    metavar="R",
    help="With --member: the root seed of the ensemble (`abm ensemble --seed R`; default 1).",
)
@click.option(
    "--member",
    type=options.IntAtLeast(0, options.NON_NEGATIVE),
    default=None,
    metavar="K",
    help="Run member K (from 0, as `realization`) of `abm ensemble ... --seed R`, bit for bit: "
    "seed SeedSequence(R, spawn_key=(K,)).",
)
@options.quarters("Recorded quarters after the burn-in (default: the scenario's, 60 = 2026-2040).")
@options.scale("Persons per talent agent (default: the scenario's; 1 = the whole country).")
@options.output_file(
    None, "NetCDF file (default outputs/SCENARIO_seedS.nc, or ..._rootR_memberK.nc)."
)
@options.layout(
    "default: sector, skill and programme as names; cdo: as integer codes with "
    "flag_values/flag_meanings, which CDO reads."
)
@options.threads(
    "numba threads for the parallel kernels, used at --scale 10 and finer (the results are the "
    "same bits for any count)."
)
@options.no_progress()
@options.no_checks()
@click.pass_context
def run_cmd(
    ctx: click.Context,
    scenario: str,
    seed: int,
    root_seed: int | None,
    member: int | None,
    quarters: int | None,
    scale: float | None,
    output: Path | None,
    layout: str,
    threads: int,
    no_progress: bool,
    no_checks: bool,
) -> None:
    """Run SCENARIO (a shipped name or a path to a TOML file) and write its outputs."""
    with reported():
        sc = load_scenario(scenario)
        the_seed, said, tail = run_seed(ctx, seed, root_seed, member)
        out = output or Path("outputs") / f"{sc.name}_{tail}.nc"
        if out.suffix not in (".nc", ".nc4"):
            fail(f"option '-o': output file must end in .nc (got {out})")
        if threads > numba.config.NUMBA_NUM_THREADS:
            fail(
                f"option '--threads': at most numba's {numba.config.NUMBA_NUM_THREADS} threads "
                f"(set NUMBA_NUM_THREADS for more; got {threads})"
            )
        model = EconomyModel(
            sc,
            the_seed,
            scale=scale,
            quarters=quarters,
            check_accounts=not no_checks,
            threads=threads,
        )
        # the burn-in ran in EconomyModel(); the bar counts recorded quarters
        with progress_bar(
            model.quarters, f"{sc.name} {said}", "quarter", enabled=not no_progress
        ) as bar:
            model.run(progress=bar.update)
    # the file's libraries (xarray, netCDF4) are imported after the run, not before it starts
    from abm.io.netcdf import write_netcdf
    from abm.recording.dataset import snapshot_dataset

    ds = model.to_dataset()
    write_netcdf(ds, out, snapshot_dataset(model), layout=layout)
    click.echo(summary(ds, said))
    click.echo(f"wrote {out}")


def summary(ds: xr.Dataset, seed: str | None = None) -> str:
    """A few lines: GDP growth, industry share and R&D intensity in 2030 and at the end."""
    from abm.analysis.outcomes import TARGET_YEAR, TARGETS

    years = ds["time"].dt.year.values
    real = ds["gdp_real"].values
    said = seed or f"seed {ds.attrs.get('seed')}"
    lines = [f"scenario {ds.attrs.get('scenario')}, {said}, {len(years)} quarters"]
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
