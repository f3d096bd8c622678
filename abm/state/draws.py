"""Bulk draws of a mechanism's numpy stream made ahead of their use, on a helper thread.

Some of a quarter's numpy draws are large and run on one core: the innovation jumps are one Beta
variate per firm, 28-35 ms of a 1:1 quarter; the matching's service order and looks, 13 ms.
numpy releases the interpreter's lock while it fills an array from a distribution with scalar
parameters, so such a draw can run on a helper thread while the model's own thread works on
something else. The best time for it is a stretch where
that thread works alone: the kernels that run on all threads would share their cores with it.
So a mechanism *queues* its draw early (:meth:`DrawsAhead.ahead`), a mechanism with a long
single-threaded stretch marks it (:meth:`DrawsAhead.serial`: the listing of the vacancy rows
for the matching's own draws, the first-come-first-served matching for the jumps) and the
queued draws start there, and the owner takes its values when it needs them
(:meth:`DrawsAhead.take`; a draw never started is made then, on the calling thread).

Each stream belongs to one mechanism (docs/model.md §8) and makes the same calls in the same
order on the same ``numpy.random.Generator`` either way: the values are the same bits, only the
moment they are computed changes. A stream with a draw queued must not be used otherwise until
the draw is taken.

Keyed draws (:meth:`DrawsAhead.ahead_keyed`, :meth:`DrawsAhead.take_keyed`) use no stream: the
per-agent uniforms of (seed, agent id, quarter, mechanism) that ``kernels.philox`` computes from
counters, through a kernel compiled with ``nogil=True``. They are the same numbers whenever they
are computed, as long as what they read (which agents, their ids) has not changed: the immigration
draws of the agents abroad, made while the model's thread rations the goods market and books its
sales (``abm.mechanisms.migration.draw_ahead``), the talent programmes' shocks of the high-skill
people abroad, made while it registers the entrants' agents
(``abm.policy.talent_attraction.draw_ahead``), and migration's retirement and emigration
lotteries over all talent rows, made while it draws the investment plans
(``abm.mechanisms.migration.draw_lotteries_ahead``). Nothing may write the talent ids,
``abroad`` or ``skill`` between their queue (the lotteries': after the labour market) and
migration.

Runs use the helper only with ``threads > 1`` (1:10 and finer by default): a one-thread run
stays on one core. The helper is one thread per process, shared by the models in it. A forked
child has no copy of the parent's threads, so it makes a helper of its own; a draw that was
running on the parent's helper at the fork never finishes in the child, and taking it there
raises (a model copied in the middle of a quarter cannot continue). When the helper cannot take
work (the interpreter is shutting down), the queued draws are made in place when taken. On
Python 3.12 and later, forking a process whose helper thread exists warns
(``DeprecationWarning``: a fork of a process with threads), as for any threaded process.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import weakref
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


#: every DrawsAhead of the process, so that a forked child can fail the draws it cannot finish
_instances: weakref.WeakSet[DrawsAhead] = weakref.WeakSet()


def _forget_helper() -> None:
    """In a forked child: the parent's helper thread does not exist there, so make a new one;
    a draw that was running on it fails when taken, instead of waiting for ever."""
    global _executor, _lock, _jobs
    _executor = None
    _lock = threading.Lock()
    _jobs = _Jobs()  # the parent's jobs never end here
    for draws in list(_instances):
        for stream, (key, future) in list(draws._started.items()):
            if not future.done():
                failed: Future = Future()
                failed.set_exception(
                    RuntimeError(
                        f"stream {stream!r}: the process was forked while its draw {key} ran on "
                        "the parent's helper thread; a model copied in the middle of a quarter "
                        "cannot continue"
                    )
                )
                draws._started[stream] = (key, failed)


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
        self._queued: dict[str, tuple[tuple[Any, ...], Callable[[], Any]]] = {}
        self._started: dict[str, tuple[tuple[Any, ...], Future]] = {}
        _instances.add(self)

    def ahead(
        self, stream: str, key: tuple[Any, ...], draw: Callable[[np.random.Generator], Any]
    ) -> None:
        """Queue ``draw(generator)`` of ``stream``: it starts in the next :meth:`serial`
        stretch (when enabled)."""
        if self.enabled:
            self._queue(stream, key, functools.partial(draw, self._streams[stream]))

    def ahead_keyed(self, name: str, key: tuple[Any, ...], compute: Callable[[], Any]) -> None:
        """Queue ``compute()``, keyed draws that use no stream (module docstring), under
        ``name`` (not a stream's name): it starts in the next :meth:`serial` stretch."""
        self._keyed_name(name)
        if self.enabled:
            self._queue(name, key, compute)

    def _keyed_name(self, name: str) -> None:
        if name in self._streams:
            raise ValueError(f"keyed draws {name!r}: that is a stream's name, use ahead/take")

    def _queue(self, name: str, key: tuple[Any, ...], compute: Callable[[], Any]) -> None:
        if name in self._queued or name in self._started:
            what = "stream" if name in self._streams else "keyed draws"
            raise RuntimeError(
                f"{what} {name!r}: a draw is queued already (a quarter that stopped before "
                "taking it cannot be continued)"
            )
        self._queued[name] = (key, compute)

    @contextlib.contextmanager
    def serial(self, *streams: str) -> Iterator[None]:
        """A stretch where the model's thread works alone: the queued draws of ``streams`` (all
        queued draws when none is named) start on the helper, in the order they were queued.

        Name the streams when the stretch is short and a draw queued earlier is needed only
        later (the helper runs one draw at a time). What runs inside should release the
        interpreter's lock (a kernel compiled with ``nogil=True``), or be Python long enough for
        the helper to get the lock at a switch (up to ``sys.getswitchinterval()``, 5 ms: Mesa's
        bookkeeping of a 1:1 quarter's entrants and exits) and start its draw: so when the helper
        is idle, the stretch's block begins once its first draw runs (waiting for that without
        the lock, at most ``START_WAIT``; microseconds on an idle helper). A draw the helper
        cannot take (the interpreter is shutting down) stays queued and is made in place when
        taken."""
        idle = not self.busy
        first: threading.Event | None = None
        for stream in [s for s in self._queued if not streams or s in streams]:
            key, compute = self._queued[stream]
            event = threading.Event() if first is None else None
            _jobs.add()
            try:
                future = _helper().submit(functools.partial(_job, event, compute))
            except RuntimeError:  # cannot schedule new futures after (interpreter) shutdown
                _jobs.end()
                break
            first = first or event
            self._started[stream] = (key, future)
            del self._queued[stream]
        if idle and first is not None:
            # the helper needs the interpreter's lock to start its draw; Python on this thread
            # gives it up only every sys.getswitchinterval() (5 ms): wait, without the lock,
            # until the draw has started (a few microseconds on an idle helper)
            first.wait(START_WAIT)
        yield

    def take(
        self, stream: str, key: tuple[Any, ...], draw: Callable[[np.random.Generator], T]
    ) -> T:
        """The values of ``draw`` for ``stream``: those queued (with the same ``key``), made now
        if their draw has not started."""
        return self._take(stream, key, functools.partial(draw, self._streams[stream]))

    def take_keyed(self, name: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """The values of ``compute()`` queued under ``name`` by :meth:`ahead_keyed` (with the
        same ``key``), computed now if they have not started."""
        self._keyed_name(name)
        return self._take(name, key, compute)

    def drop_keyed(self, name: str) -> None:
        """Forget the keyed draws queued under ``name``, if any (their owner found it needs none
        this time); a draw the helper has started is waited for first."""
        self._keyed_name(name)
        self._queued.pop(name, None)
        if (started := self._started.pop(name, None)) is not None:
            started[1].exception()  # waits; its values, or its error, are not wanted: an error
            # of draws nobody uses changes nothing (the owner makes its draws in place if needed)

    def _take(self, name: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        if (queued := self._queued.pop(name, None)) is not None:
            _same(name, queued[0], key)
            return queued[1]()
        if (started := self._started.pop(name, None)) is not None:
            result = started[1].result()  # waited for even on a mismatch: the stream is free
            _same(name, started[0], key)
            return result
        return compute()

    @property
    def busy(self) -> bool:
        """Whether a draw is on the helper, started there and not yet ended (this model's or
        another's of the process: the helper is shared): a kernel started on all of numba's
        threads now would share a core with it (``EconomyState.free_threads``)."""
        return _jobs.waiting > 0

    @property
    def pending(self) -> tuple[str, ...]:
        """Streams and keyed draws with a draw queued or started and not yet taken."""
        return (*self._queued, *self._started)


#: the longest a serial stretch waits for its first draw to start on an idle helper (seconds)
START_WAIT = 0.05


class _Jobs:
    """The helper's jobs of every model of the process, submitted and not yet ended."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.waiting = 0

    def add(self) -> None:
        with self._lock:
            self.waiting += 1

    def end(self) -> None:
        with self._lock:
            self.waiting -= 1


_jobs = _Jobs()


def _job(event: threading.Event | None, compute: Callable[[], T]) -> T:
    """``compute()`` on the helper: ``event``, if any, tells the thread that submitted it that
    it has started."""
    try:
        if event is not None:
            event.set()
        return compute()
    finally:
        _jobs.end()


def _same(stream: str, queued: tuple[Any, ...], asked: tuple[Any, ...]) -> None:
    if queued != asked:
        raise RuntimeError(
            f"stream {stream!r}: the draw queued was {queued}, the mechanism asked for {asked}"
        )
