"""``abm dashboard [SCENARIO]``: the model in the browser, served on 127.0.0.1 and offline
(docs/dashboard.md). Prints the page's address and serves until Ctrl-C."""

from __future__ import annotations

import click

from abm.cli import options
from abm.cli.errors import OneLineErrors, fail, reported
from abm.dashboard.controls import NO_COMPARISON, DashboardError
from abm.dashboard.server import HOST, serve


@click.command("dashboard", cls=OneLineErrors)
@click.argument("scenario", default="focused")
@click.option(
    "--port",
    type=options.IntAtLeast(0, "must be in 0..65535 (got {value})", 65535),
    default=8765,
    show_default=True,
    help=f"Port on {HOST} (0: any free port; the address is printed).",
)
@options.seed(1, "Seed of the first run (the page can change it).", name="seed", show_default=True)
@click.option(
    "--compare",
    default=NO_COMPARISON,
    metavar="SCENARIO",
    help="Run a second scenario with the same seed beside the first (the page can change it).",
)
@options.scale("Persons per talent agent (default: the scenario's).")
@options.quarters("Recorded quarters (default: the scenario's, 60 = 2026-2040).")
def dashboard_cmd(
    scenario: str,
    port: int,
    seed: int,
    compare: str,
    scale: float | None,
    quarters: int | None,
) -> None:
    """Serve a dashboard of SCENARIO (default focused) on localhost: controls, play/step/reset,
    plots that update as the model steps, and an optional second scenario beside it."""

    def announce(address: str) -> None:
        click.echo(f"abm dashboard: {scenario}, seed {seed} at {address}  (Ctrl-C stops)")

    with reported():
        try:
            serve(scenario, seed, port, compare, scale, quarters, announce=announce)
        except DashboardError as e:
            fail(str(e))
        except KeyboardInterrupt:  # uvicorn shut down cleanly, then passed Ctrl-C on
            click.echo("abm dashboard: stopped", err=True)
