"""Shared pieces of the command line: one-line errors (``error: ...`` on stderr, status 2)."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click


def fail(msg: str) -> NoReturn:
    """Print ``error: msg`` on stderr and exit with status 2 (bad input)."""
    click.echo(f"error: {msg}", err=True)
    sys.exit(2)


class OneLineErrors(click.Command):
    """Usage errors (a non-number, an unknown option) as one line ``error: ...``, status 2."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.UsageError as e:
            fail(" ".join(e.format_message().split()))
