"""Mesa's ``Model``, ``Agent`` and ``DataCollector``, imported without the rest of Mesa.

``import mesa`` runs Mesa's package ``__init__``, which imports all of Mesa: its spaces and
experimental modules (scipy.spatial, networkx) and its batch runner (tqdm, multiprocessing).
That cost 0.65 s of CPU on the project machine (docs/performance.md, "Start-up"), a third of
the start-up of a run, for parts a run never uses. The model needs three classes from three
small modules, ``mesa.model``, ``mesa.agent`` and ``mesa.datacollection``, which import no other
part of Mesa.

When nothing has imported Mesa yet, :func:`import_deferring_init` imports those three modules
with Mesa's package module in ``sys.modules`` but its ``__init__`` not run yet. The ``__init__``
runs, in that module object, as soon as anything reads a name from ``mesa`` that the three
imports did not set (``mesa.space``, ``mesa.__version__``, ``from mesa import batch_run``) or
imports any other part of Mesa (``import mesa.visualization``: the ``__init__`` runs first, as
in a plain import). So ``import mesa`` anywhere in the process still gives the whole of Mesa,
and ``mesa.Model`` is this :data:`Model`. When Mesa is imported already, nothing is deferred.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

_LOCK = threading.RLock()


class _InitFirst(importlib.abc.MetaPathFinder):
    """Runs a deferred package ``__init__`` before any other module of the package is found."""

    def __init__(self, package: str, run_init: Callable[[], None]) -> None:
        self.prefix = package + "."
        self.run_init = run_init

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.startswith(self.prefix):
            self.run_init()
        return None  # the other finders find the module, as usual


def import_deferring_init(package: str, submodules: Sequence[str]) -> list[ModuleType]:
    """Import ``package.<submodule>`` for each of ``submodules`` without running the package's
    ``__init__`` (if the package is not imported already); it runs when a name of the package
    is first read, or another of its modules is first imported."""
    spec = None if package in sys.modules else importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return [importlib.import_module(f"{package}.{m}") for m in submodules]
    module = importlib.util.module_from_spec(spec)
    guard: _InitFirst | None = None

    def run_init() -> None:
        with _LOCK:
            if vars(module).get("__getattr__") is not __getattr__:
                return  # ran already
            del module.__getattr__
            if guard in sys.meta_path:
                sys.meta_path.remove(guard)
            try:
                spec.loader.exec_module(module)
            except BaseException:
                if sys.modules.get(package) is module:  # as a failed import leaves it
                    del sys.modules[package]
                raise

    def __getattr__(name: str) -> Any:
        run_init()
        return getattr(module, name)

    module.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sys.modules[package] = module
    try:
        imported = [importlib.import_module(f"{package}.{m}") for m in submodules]
    except BaseException:  # an error of Mesa's: leave no half-made package behind
        if sys.modules.get(package) is module:
            del sys.modules[package]
        raise
    guard = _InitFirst(package, run_init)
    sys.meta_path.insert(0, guard)
    return imported


_agent, _collection, _model = import_deferring_init("mesa", ["agent", "datacollection", "model"])
Agent = _agent.Agent
DataCollector = _collection.DataCollector
Model = _model.Model

__all__ = ["Agent", "DataCollector", "Model", "import_deferring_init"]
