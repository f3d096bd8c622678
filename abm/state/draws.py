"""Bulk draws of a mechanism's numpy stream made ahead of their use, on a helper thread.

Some of a quarter's numpy draws are large and run on one core: the innovation jumps are one Beta
variate per firm, 28-35 ms of a 1:1 quarter. numpy releases the interpreter's lock while it fills
an array from a distribution with scalar parameters, so such a draw can run on a helper thread
while the model's own thread works on something else. The best time for it is a stretch where
that thread works alone: the kernels that run on all threads would share their cores with it.
So a mechanism *queues* its draw early in the quarter (:meth:`DrawsAhead.ahead`), a mechanism
with a long single-threaded stretch marks it (:meth:`DrawsAhead.serial`: the first-come-first-
served matching) and the queued draws start there, and the owner takes its values when it needs
them (:meth:`DrawsAhead.take`; a draw never started is made then, on the calling thread).

Each stream belongs to one mechanism (docs/model.md §8) and makes the same calls in the same
order on the same ``numpy.random.Generator`` either way: the values are the same bits, only the
moment they are computed changes. A stream with a draw queued must not be used otherwise until
the draw is taken.

Runs use the helper only with ``threads > 1`` (1:10 and finer by default): a one-thread run
stays on one core. The helper is one thread per process, shared by the models in it; a process
forked while it runs makes its own (a forked child has no copy of the parent's threads).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _helper() -> ThreadPoolExecutor:
    """The process's helper thread (created on first use)."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="abm-draws")
        return _executor


def _forget_helper() -> None:
    """In a forked child: the parent's helper thread does not exist there, so make a new one."""
    global _executor, _lock
    _executor = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_helper)


class DrawsAhead:
    """Draws queued early, started on the helper thread in a serial stretch, taken by their owner.

    Parameters
    ----------
    streams : mapping of str to numpy.random.Generator
        The model's mechanism streams.
    enabled : bool
        Use the helper thread; when False, :meth:`ahead` and :meth:`serial` do nothing and
        :meth:`take` draws at once, on the calling thread.

    Notes
    -----
    ``key`` names what a draw is (its sizes and parameters): :meth:`take` checks that the draw
    queued for a stream is the one asked for, since a stream consumed by a different draw would
    silently give other numbers than a run without the helper.
    """

    def __init__(self, streams: Mapping[str, np.random.Generator], enabled: bool) -> None:
        self._streams = streams
        self.enabled = bool(enabled)
        self._queued: dict[str, tuple[tuple[Any, ...], Callable[[np.random.Generator], Any]]] = {}
        self._started: dict[str, tuple[tuple[Any, ...], Future]] = {}

    def ahead(
        self, stream: str, key: tuple[Any, ...], draw: Callable[[np.random.Generator], Any]
    ) -> None:
        """Queue ``draw(generator)`` of ``stream``: it starts in the next :meth:`serial`
        stretch (when enabled)."""
        if not self.enabled:
            return
        if stream in self._queued or stream in self._started:
            raise RuntimeError(
                f"stream {stream!r}: a draw is queued already (a quarter that stopped before "
                "taking it cannot be continued)"
            )
        self._queued[stream] = (key, draw)

    @contextlib.contextmanager
    def serial(self) -> Iterator[None]:
        """A stretch where the model's thread works alone: the queued draws start on the helper."""
        queued, self._queued = self._queued, {}
        for stream, (key, draw) in queued.items():
            self._started[stream] = (key, _helper().submit(draw, self._streams[stream]))
        yield

    def take(
        self, stream: str, key: tuple[Any, ...], draw: Callable[[np.random.Generator], T]
    ) -> T:
        """The values of ``draw`` for ``stream``: those queued (with the same ``key``), made now
        if their draw has not started."""
        if (queued := self._queued.pop(stream, None)) is not None:
            started, result = queued[0], queued[1](self._streams[stream])
        elif (pending := self._started.pop(stream, None)) is not None:
            started, result = pending[0], pending[1].result()
        else:
            return draw(self._streams[stream])
        if started != key:
            raise RuntimeError(
                f"stream {stream!r}: the draw queued was {started}, the mechanism asked for {key}"
            )
        return result

    @property
    def pending(self) -> tuple[str, ...]:
        """Streams with a draw queued or started and not yet taken."""
        return (*self._queued, *self._started)
