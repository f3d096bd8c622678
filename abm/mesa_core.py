"""Mesa's ``Model``, ``Agent`` and ``DataCollector``, imported without the rest of Mesa.

``import mesa`` runs Mesa's package ``__init__``, which imports all of Mesa: its spaces and
experimental modules (scipy.spatial, networkx) and its batch runner (tqdm, multiprocessing).
That cost 0.65 s of CPU on the project machine (docs/performance.md, "Start-up"), a third of
the start-up of a run, for parts a run never uses. The model needs three classes from three
small modules: ``mesa.model``, ``mesa.agent`` and ``mesa.datacollection``.

When nothing has imported Mesa yet, :func:`defer_package_init` puts Mesa's package module into
``sys.modules`` without running its ``__init__``; the three modules then import from it as
usual. The ``__init__`` runs, in the same module object, the first time anything reads a name
from ``mesa`` that those imports did not set (``mesa.space``, ``mesa.batch_run``,
``mesa.__version__``, ``from mesa import DataCollector``). So ``import mesa`` anywhere in the
process still gives the whole of Mesa, and ``mesa.Model`` is this :data:`Model`. When Mesa is
imported already, nothing is deferred.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from typing import Any

_LOCK = threading.RLock()


def defer_package_init(name: str) -> None:
    """Put package ``name`` into ``sys.modules`` with its ``__init__`` not run yet (if it is not
    imported already); the first read of a name its submodules did not set runs it."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not a package: its import stays as it is
    package = importlib.util.module_from_spec(spec)

    def __getattr__(attr: str) -> Any:
        with _LOCK:
            if vars(package).get("__getattr__") is __getattr__:  # not run yet
                del package.__getattr__
                try:
                    spec.loader.exec_module(package)
                except BaseException:
                    if sys.modules.get(name) is package:  # as a failed import leaves it
                        del sys.modules[name]
                    raise
        return getattr(package, attr)

    package.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sys.modules[name] = package


defer_package_init("mesa")

from mesa.agent import Agent  # noqa: E402
from mesa.datacollection import DataCollector  # noqa: E402
from mesa.model import Model  # noqa: E402

__all__ = ["Agent", "DataCollector", "Model", "defer_package_init"]
