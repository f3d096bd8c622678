"""Import a few modules of a package without running the package's ``__init__`` yet.

Some packages' ``__init__`` imports all of the package, and a run needs only a few small
modules of it: Mesa's ``__init__`` imports its spaces, experimental modules and batch runner
(scipy.spatial, networkx, tqdm) for the model's ``Model``, ``Agent`` and ``DataCollector``
(:mod:`abm.mesa_core`); and numba's first kernel load checks that BLAS is there by importing
``scipy.linalg.cython_blas``, which runs ``scipy/linalg/__init__.py`` (it clones numpy's
namespace for the array API, which loads ``numpy.f2py`` and ``numpy.testing``). Together
0.9 s of CPU of a run's start-up on the project machine (docs/performance.md, "Start-up").

:func:`import_deferring_init` imports such modules with the package's module in
``sys.modules`` but its ``__init__`` not run yet. The ``__init__`` runs, in that module object,
as soon as anything reads a name from the package that those imports did not set
(``mesa.space``, ``mesa.__version__``, ``from scipy.linalg import solve``, ``dir(mesa)``) or
imports any other module of the package (``import mesa.visualization``: the ``__init__`` runs
first, as in a plain import). So the package is whole for everyone who uses it, and its
modules import in the order of a plain import. A package that is imported already is left as
it is. Another thread that reads the package while its ``__init__`` runs waits for it; unlike a
plain import, which detects the case, two threads that first touch the package at the same
moment, one reading a name and one importing another of its modules, could wait for each other
(in abm only the dashboard reads Mesa after the deferral, from its main thread, and the analyses
import scipy at module level).

:func:`stand_in` is lighter: the modules imported in its block get a stand-in for a package
that imports the real one when they first read a name of it, and nobody else sees it.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any


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
    parent, _, child = package.rpartition(".")
    guard: _InitFirst | None = None
    lock = threading.RLock()
    state = ["deferred"]  # then "running", then "done"

    def run_init() -> None:
        with lock:  # another thread that reads the package meanwhile waits here
            if state[0] != "deferred":
                return  # done, or running in this thread (the __init__ reads its own names)
            state[0] = "running"
            if guard in sys.meta_path:
                sys.meta_path.remove(guard)
            try:
                spec.loader.exec_module(module)
            except BaseException:
                if sys.modules.get(package) is module:  # as a failed import leaves it
                    del sys.modules[package]
                raise
            finally:
                state[0] = "done"
                for name, hook in (("__getattr__", __getattr__), ("__dir__", __dir__)):
                    if vars(module).get(name) is hook:  # not one the package defines itself
                        delattr(module, name)

    def __getattr__(name: str) -> Any:
        run_init()
        if state[0] == "running":  # the __init__ itself, part way: as in a plain import
            raise AttributeError(f"partially initialized module {package!r} has no {name!r}")
        return getattr(module, name)

    def __dir__() -> list[str]:
        run_init()
        return sorted(vars(module))

    module.__getattr__ = __getattr__  # type: ignore[attr-defined]
    module.__dir__ = __dir__  # type: ignore[method-assign]
    sys.modules[package] = module
    if parent:  # as the import system binds a submodule in its parent
        setattr(sys.modules[parent], child, module)
    try:
        imported = [importlib.import_module(f"{package}.{m}") for m in submodules]
    except BaseException:  # the package's own error: leave no half-made package behind
        if sys.modules.get(package) is module:
            del sys.modules[package]
        raise
    guard = _InitFirst(package, run_init)
    sys.meta_path.insert(0, guard)
    return imported


def scipy_blas_for_numba() -> None:
    """Import what numba's BLAS check imports, ``scipy.linalg.cython_blas`` and
    ``cython_lapack``, with ``scipy.linalg``'s ``__init__`` deferred; call it before the first
    kernel is loaded or compiled (after that, or without scipy, it does nothing)."""
    if "scipy.linalg" not in sys.modules and importlib.util.find_spec("scipy") is not None:
        import_deferring_init("scipy.linalg", ["cython_blas", "cython_lapack"])


class _StandIn(ModuleType):
    """What ``import <name>`` gives while :func:`stand_in` is active: a module whose first
    attribute read imports the real one (a plain import) and reads it there."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # probes (copy, pickle, inspect) find nothing here
            raise AttributeError(attr)
        name = self.__name__
        if sys.modules.get(name) is self:  # read during the imports it stands in for
            del sys.modules[name]
        return getattr(importlib.import_module(name), attr)


@contextlib.contextmanager
def stand_in(package: str) -> Iterator[None]:
    """Modules imported inside the block that ``import package`` get a stand-in for it, which
    imports the real ``package`` when they first read one of its names; ``sys.modules`` holds
    the stand-in during the block only, so everyone else imports ``package`` as usual, and no
    other thread can be kept waiting by it (unlike a deferred ``__init__``). Nothing changes
    when ``package`` is imported already or is not installed.

    For a module that imports ``package`` at its top and uses it only in functions:
    ``mesa.datacollection`` imports pandas for the data frames of ``get_*_dataframe``.
    """
    if package in sys.modules or importlib.util.find_spec(package) is None:
        yield
        return
    module = _StandIn(package)
    sys.modules[package] = module
    try:
        yield
    finally:
        if sys.modules.get(package) is module:
            del sys.modules[package]
