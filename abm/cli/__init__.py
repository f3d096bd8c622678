"""The ``abm`` command line: one module per command (``run``, ``scenarios``, ``validate``,
``ensemble``, ``compare``, ``sensitivity``, ``report``, ``dashboard``), the options they share
(:mod:`abm.cli.options`) and the one error formatter (:mod:`abm.cli.errors`). Errors in the
input end with a one-line message naming the file and the key, exit status 2, and no output
file.
"""

from __future__ import annotations

import importlib

import click

#: Each command and the module that defines it (as ``<name>_cmd``). The group imports a
#: command's module when the command runs, not all of them at start: importing every command's
#: libraries (dask, matplotlib, SALib, scipy.stats, jinja2) made ``abm scenarios`` take 3.4 s
#: instead of 1.8 s and ``abm run --help`` 3.0 s instead of 2.5 s (best of five, measured on
#: the 2-core CI machine); ``abm --help`` lists them all and so imports them all.
COMMANDS: dict[str, str] = {
    "scenarios": "abm.cli.scenarios",
    "run": "abm.cli.run",
    "validate": "abm.cli.validate",
    "ensemble": "abm.cli.ensemble",
    "compare": "abm.cli.compare",
    "sensitivity": "abm.cli.sensitivity",
    "report": "abm.cli.report",
    "dashboard": "abm.cli.dashboard",
}


class _Commands(click.Group):
    """The ``abm`` group: its commands come from :data:`COMMANDS`, imported when needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name])
        return getattr(module, f"{cmd_name}_cmd")


@click.group(cls=_Commands)
@click.version_option(package_name="focus-abm")
def main() -> None:
    """Agent-based model of focused versus diffuse industrial policy (the Netherlands)."""


__all__ = ["COMMANDS", "main"]
