"""The options the commands share, declared once: ``--runs``, ``--seed``, ``--quarters``,
``--scale``, ``--workers``, ``--scheduler``, ``--outcome``, ``--no-checks``, ``--no-progress``, and
the number ranges they accept (``click.IntRange``/``click.FloatRange`` whose failure is the
one-line ``option '--x': must be ...``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

#: Messages of the seed ranges.
NON_NEGATIVE = "must be a non-negative integer (got {value})"
ROOT_SEED = "the root seed must be an integer in [0, 2**63) (got {value})"
#: Message of the scale range.
PER_AGENT = "must be at least 1 person per agent (got {value})"


class OptionError(click.BadParameter):
    """A value outside its option's range: ``option '--runs': must be at least 1 (got 0)``."""

    def format_message(self) -> str:
        name = self.param.opts[-1] if self.param is not None and self.param.opts else "value"
        return f"option '{name}': {self.message}"


class _Bounded:
    """A range whose failure says what is allowed, in the command's own words."""

    message: str

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = self._number.convert(value, param, ctx)  # type: ignore[attr-defined]
        if isinstance(number, float) and not math.isfinite(number):
            raise OptionError(f"must be a finite number (got {number})", ctx=ctx, param=param)
        low, high = self.min, self.max  # type: ignore[attr-defined]
        if (low is not None and number < low) or (high is not None and number > high):
            raise OptionError(self.message.format(value=number, min=low), ctx=ctx, param=param)
        return number


class IntAtLeast(_Bounded, click.IntRange):
    """Whole numbers from ``minimum`` (up to ``maximum``)."""

    _number = click.INT

    def __init__(
        self,
        minimum: int,
        message: str = "must be at least {min} (got {value})",
        maximum: int | None = None,
    ) -> None:
        super().__init__(min=minimum, max=maximum)
        self.message = message


class FloatAtLeast(_Bounded, click.FloatRange):
    """Numbers from ``minimum``."""

    _number = click.FLOAT

    def __init__(self, minimum: float, message: str = "must be at least {min} (got {value})"):
        super().__init__(min=minimum)
        self.message = message


def runs(default: int | None, help: str, **kw: Any) -> Decorator:
    """``--runs N``: members per scenario (at least 1)."""
    return click.option("--runs", type=IntAtLeast(1), default=default, help=help, **kw)


def seed(
    default: int | None = 1,
    help: str = "Root seed: member k gets SeedSequence(ROOT).spawn(runs)[k].",
    message: str = NON_NEGATIVE,
    name: str = "root_seed",
    **kw: Any,
) -> Decorator:
    """``--seed ROOT`` (non-negative)."""
    bound = IntAtLeast(0, message, 2**63 - 1 if message == ROOT_SEED else None)
    return click.option("--seed", name, type=bound, default=default, help=help, **kw)


def quarters(
    help: str = "Recorded quarters (default: the scenarios').",
    minimum: int = 1,
    message: str = "must be at least {min} (got {value})",
    **kw: Any,
) -> Decorator:
    """``--quarters N``: recorded quarters after the burn-in."""
    return click.option("--quarters", type=IntAtLeast(minimum, message), help=help, **kw)


def scale(
    help: str = "Persons per talent agent (default: the scenarios').", **kw: Any
) -> Decorator:
    """``--scale S``: persons per talent agent (at least 1)."""
    return click.option("--scale", type=FloatAtLeast(1.0, PER_AGENT), help=help, **kw)


def workers(help: str = "Local worker processes (default: one per core).", **kw: Any) -> Decorator:
    """``--workers K``: local dask worker processes (at least 1)."""
    return click.option("--workers", type=IntAtLeast(1), default=None, help=help, **kw)


def threads(help: str, **kw: Any) -> Decorator:
    """``--threads N``: numba threads for the model's parallel kernels (at least 1)."""
    return click.option(
        "--threads", type=IntAtLeast(1), default=1, show_default=True, help=help, **kw
    )


def scheduler(help: str = "Use an existing dask scheduler.", **kw: Any) -> Decorator:
    """``--scheduler ADDRESS``: an existing dask scheduler."""
    return click.option("--scheduler", default=None, metavar="ADDRESS", help=help, **kw)


def outcomes(help: str) -> Decorator:
    """``--outcome NAME`` (repeatable)."""
    return click.option("--outcome", "outcomes", multiple=True, metavar="NAME", help=help)


def outdir(default: str, help: str) -> Decorator:
    """``-o/--outdir FOLDER``."""
    return click.option(
        "-o",
        "--outdir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(default),
        show_default=True,
        help=help,
    )


def output_file(default: Path | None, help: str, dir_okay: bool = False, **kw: Any) -> Decorator:
    """``-o/--output FILE`` (``dir_okay``: or a folder, such as a zarr store)."""
    return click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=dir_okay, path_type=Path),
        default=default,
        help=help,
        **kw,
    )


def no_checks() -> Decorator:
    """``--no-checks``: skip the stock-flow checks."""
    return click.option(
        "--no-checks", is_flag=True, help="Skip the stock-flow accounting checks (faster)."
    )


def no_progress(help: str = "Do not show the progress bar.") -> Decorator:
    """``--no-progress``."""
    return click.option("--no-progress", is_flag=True, help=help)


def resume(help: str) -> Decorator:
    """``--resume``: continue an interrupted ensemble."""
    return click.option("--resume", is_flag=True, help=help)


def layout(help: str) -> Decorator:
    """``--layout default|cdo``: string coordinates, or integer codes CDO reads."""
    return click.option(
        "--layout",
        type=click.Choice(["default", "cdo"]),
        default="default",
        show_default=True,
        help=help,
    )
