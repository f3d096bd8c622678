"""``abm scenarios``: the shipped scenarios with their descriptions."""

from __future__ import annotations

import click

from abm.scenario import ScenarioError, load_scenario, shipped_scenarios


@click.command("scenarios")
def scenarios_cmd() -> None:
    """List the shipped scenarios with their descriptions."""
    for name, path in shipped_scenarios().items():
        try:
            sc = load_scenario(path)
            click.echo(f"{name:18s} {sc.description}")
        except ScenarioError as e:  # pragma: no cover - shipped files are tested
            click.echo(f"{name:18s} (invalid: {e})")
