"""Progress on stderr: a tqdm bar on a terminal, a plain line per 10% otherwise.

A progress bar redraws itself with carriage returns; written to a log file or a pipe (a batch
job's output, ``2> log``) that is a pile of half lines. :func:`progress_bar` shows tqdm's bar only
when the stream is a terminal and otherwise prints one plain line each time another tenth of the
work is done (``ensemble: 30% (3 of 10 members) 12 s``), plus one at the end.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from tqdm import tqdm


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # closed, or not a real stream
        return False


class PlainProgress:
    """The part of tqdm's interface the commands use, printing a plain line per 10%.

    Parameters
    ----------
    total : int
        Units of work.
    desc : str
        What is being done (the start of each line).
    unit : str
        The unit's name (``member``, ``q``); an ``s`` is added for more than one.
    initial : int
        Units already done (a resumed ensemble).
    file : text stream
        Where the lines go (default: stderr).
    """

    def __init__(
        self,
        total: int,
        desc: str = "",
        unit: str = "it",
        initial: int = 0,
        file: IO[str] | None = None,
    ) -> None:
        self.total = max(int(total), 0)
        self.desc = desc
        self.unit = unit
        self.n = int(initial)
        self.file = file
        self.postfix: dict[str, Any] = {}
        self._t0 = time.monotonic()
        self._tenth = self._tenths()
        self._closed = False
        self._printed = self.n

    def _tenths(self) -> int:
        return 10 * self.n // self.total if self.total else 0

    def _line(self) -> str:
        pct = 100 * self.n // self.total if self.total else 100
        unit = self.unit if self.total == 1 else f"{self.unit}s"
        extra = "".join(f", {k} {v}" for k, v in self.postfix.items())
        secs = time.monotonic() - self._t0
        head = f"{self.desc}: " if self.desc else ""
        return f"{head}{pct}% ({self.n} of {self.total} {unit}{extra}) {secs:.0f} s"

    def _print(self) -> None:
        self._printed = self.n
        print(self._line(), file=self.file or sys.stderr, flush=True)

    def update(self, n: int = 1) -> None:
        """``n`` more units done; prints a line when another tenth is complete."""
        self.n += int(n)
        tenth = self._tenths()
        if tenth > self._tenth:
            self._tenth = tenth
            self._print()

    def set_postfix(self, **kwargs: Any) -> None:
        """Values shown at the end of the next line (``failed=2``)."""
        self.postfix.update(kwargs)

    def close(self) -> None:
        """End: the last line, unless the work was complete and already reported."""
        if self._closed:
            return
        self._closed = True
        if self.n != self._printed:
            self._print()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Silent(PlainProgress):
    """A progress bar that shows nothing (``--no-progress``)."""

    def _print(self) -> None:
        return None


def progress_bar(
    total: int,
    desc: str = "",
    unit: str = "it",
    *,
    enabled: bool = True,
    initial: int = 0,
    file: IO[str] | None = None,
) -> Any:
    """A progress display on ``file`` (default stderr): tqdm's bar on a terminal, a plain line
    per 10% otherwise, nothing when not ``enabled``.

    Returns
    -------
    tqdm or PlainProgress
        Both have ``update(n)``, ``set_postfix(**kw)``, ``close()`` and are context managers.
    """
    stream = file or sys.stderr
    if not enabled:
        return _Silent(total, desc, unit, initial, stream)
    if _is_terminal(stream):
        return tqdm(
            total=total,
            initial=initial,
            desc=desc,
            unit=unit,
            file=stream,
            dynamic_ncols=True,
        )
    return PlainProgress(total, desc, unit, initial, stream)
