"""Python's cyclic garbage collector inside the model's quarters.

``old_objects_frozen`` keeps the collector away from a model's long-lived objects while a
quarter runs (``EconomyModel.step``), and ``collect_garbage`` makes a full collection when no
quarter is running, for the ensemble worker and the dashboard, which free the models they drop.
The build pauses the collector (``abm.mesa_core.collector_paused``). Mesa is not imported here.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

__all__ = ["FULL_COLLECTION_EVERY", "collect_garbage", "old_objects_frozen"]

#: quarters run with the older objects frozen (by all models of the process) after which the
#: next one ends with a full collection: the collections inside a frozen quarter never start a
#: full one (``gc.freeze`` sets the collector's counts back to zero), so without this a program
#: that steps models would keep every model it dropped until it collected itself
FULL_COLLECTION_EVERY = 64

_freeze_lock = threading.Lock()
_freeze = {"depth": 0, "quarters": 0}  # quarters inside old_objects_frozen now; since a collection


@contextlib.contextmanager
def old_objects_frozen() -> Iterator[None]:
    """Python's cyclic garbage collector leaves the objects made before the block alone inside
    it: ``gc.freeze()`` on entry and ``gc.unfreeze()`` on exit (both constant-time).

    A model's quarter keeps its long-lived objects, the firm agents and Mesa's references to
    them (1.6 million at 1:1), and makes some 10,000 new ones at 1:1; a full collection went
    through all of them every dozen quarters or so, 165-180 ms inside a 1:1 quarter of about
    600 ms (docs/performance.md, "Fifteenth session"). Inside the block the collections go
    through the objects made since it began, so they stay young-sized. Blocks of several
    threads (models stepped at once) share one freeze: the first to enter freezes, the last to
    leave unfreezes. Nothing is done when the collector is off or the program has frozen
    objects itself. A full collection ends every :data:`FULL_COLLECTION_EVERY`-th block of the
    process (a cost of about 165 ms at 1:1, 2.6 ms a quarter), which frees the models a program
    dropped (reference cycles: their agents point to them) as the collector's own full
    collections did; :func:`collect_garbage` collects at once when no block is running.
    """
    with _freeze_lock:
        if _freeze["depth"] == 0 and (not gc.isenabled() or gc.get_freeze_count() > 0):
            active = False
        else:
            active = True
            if _freeze["depth"] == 0:
                gc.freeze()
            _freeze["depth"] += 1
    if not active:
        yield
        return
    try:
        yield
    finally:
        with _freeze_lock:
            _freeze["depth"] -= 1
            due = False
            if _freeze["depth"] == 0:
                gc.unfreeze()
                _freeze["quarters"] += 1
                due = _freeze["quarters"] >= FULL_COLLECTION_EVERY
        if due:
            collect_garbage()


def collect_garbage() -> bool:
    """A full collection (``gc.collect()``) when no quarter runs with the older objects frozen
    (:func:`old_objects_frozen`, in any thread): the frozen objects would be out of its reach.
    Returns whether it collected."""
    with _freeze_lock:
        if _freeze["depth"] > 0:
            return False
        _freeze["quarters"] = 0
        gc.collect()
        return True
