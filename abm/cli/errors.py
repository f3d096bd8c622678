"""The one error formatter of the command line: bad input is one line ``error: ...`` on stderr
with exit status 2 (nothing run, nothing written); an interrupted ensemble exits 130 saying how
to resume; an ensemble that could not be completed exits 1."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from abm import AccountingError
from abm.analysis.errors import CompareError, SensitivityInputError
from abm.ensemble import EnsembleError, EnsembleInputError, EnsembleInterrupted
from abm.scenario import ScenarioError

#: Exit status of bad input.
EXIT_INPUT = 2
#: Exit status of an interruption (Ctrl-C, or SIGTERM from a batch system).
EXIT_INTERRUPTED = 130


class InputError(ValueError):
    """Bad input found by a command itself; ``param`` names the argument of the Python
    function at fault (``"runs"``), ``detail`` is the message without it."""

    def __init__(self, detail: str, param: str | None = None) -> None:
        super().__init__(f"{param}: {detail}" if param else detail)
        self.param = param
        self.detail = detail


#: Exceptions that mean: the input was wrong (exit status 2).
INPUT_ERRORS: tuple[type[Exception], ...] = (
    ScenarioError,
    CompareError,
    SensitivityInputError,
    EnsembleInputError,
    InputError,
)


def one_line(text: object) -> str:
    """``text`` with every run of white space (newlines too) as one space."""
    return " ".join(str(text).split())


def fail(msg: str) -> NoReturn:
    """Print ``error: msg`` (on one line) on stderr and exit with status 2 (bad input)."""
    click.echo(f"error: {one_line(msg)}", err=True)
    sys.exit(EXIT_INPUT)


class OneLineErrors(click.Command):
    """Usage errors (a non-number, an unknown option) as one line ``error: ...``, status 2."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.UsageError as e:
            fail(e.format_message())


def _resume_hint(e: EnsembleInterrupted) -> str:
    return (
        f"interrupted: {e.done} of {e.total} members saved in {e.parts_dir}; run the same "
        "command with --resume to continue"
    )


@contextmanager
def reported(
    *,
    interrupted: Callable[[KeyboardInterrupt], str] | None = None,
    options: Mapping[str, str] | None = None,
) -> Iterator[None]:
    """Run a command's work and turn its errors into what the command line promises.

    Parameters
    ----------
    interrupted : callable, optional
        The message of an interruption; default: for an ensemble, how to resume it (other
        interruptions propagate).
    options : mapping, optional
        Argument names of the Python function (``"runs"``) -> their option (``"--runs"``), for
        an :class:`InputError` that names its argument.
    """
    try:
        yield
    except KeyboardInterrupt as e:
        if interrupted is None and not isinstance(e, EnsembleInterrupted):
            raise
        click.echo((interrupted or _resume_hint)(e), err=True)  # type: ignore[arg-type]
        sys.exit(EXIT_INTERRUPTED)
    except InputError as e:
        if options and e.param in options:
            fail(f"option '{options[e.param]}': {e.detail}")
        fail(e.detail)
    except INPUT_ERRORS as e:
        fail(str(e))
    except AccountingError as e:
        fail(f"accounting identity failed: {e}")
    except EnsembleError as e:  # e.g. the scheduler went away; the shards are kept
        click.echo(f"error: {e}", err=True)
        sys.exit(1)
