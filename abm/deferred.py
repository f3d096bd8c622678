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

:func:`import_with_stand_ins` is lighter: one module gets a stand-in for a package it imports,
which imports the real one when the module first reads a name of it; nobody else sees it.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.abc
import importlib.util
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
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


def import_deferring_init(
    package: str, submodules: Sequence[str], stand_ins: Mapping[str, Sequence[str]] | None = None
) -> list[ModuleType]:
    """Import ``package.<submodule>`` for each of ``submodules`` without running the package's
    ``__init__`` (if the package is not imported already); it runs when a name of the package
    is first read, or another of its modules is first imported. ``stand_ins`` maps a submodule
    to the packages it gets stand-ins for (:func:`import_with_stand_ins`)."""
    stand_ins = stand_ins or {}

    def load(m: str) -> ModuleType:
        name = f"{package}.{m}"
        if m in stand_ins:
            return import_with_stand_ins(name, stand_ins[m])
        return importlib.import_module(name)

    spec = None if package in sys.modules else importlib.util.find_spec(package)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return [load(m) for m in submodules]
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
        imported = [load(m) for m in submodules]
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
    """A module that stands for package ``name`` in one module's namespace: its first
    attribute read imports the real package (a plain import) and reads it there."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attr)


def import_with_stand_ins(fullname: str, packages: Sequence[str]) -> ModuleType:
    """Import module ``fullname`` with its own ``import`` statements of ``packages`` (those not
    imported yet) answered by stand-ins that import the real package when first read.

    For a module that imports a heavy package at its top and uses it only in functions:
    ``mesa.datacollection`` imports pandas for the data frames of ``get_*_dataframe``. The
    stand-ins live in that module's namespace only: the module runs with an ``__import__`` of
    its own (its ``__builtins__``), ``sys.modules`` never holds a stand-in, and every other
    module and thread imports the packages as usual. A module imported already is returned as
    it is.
    """
    if fullname in sys.modules:
        return sys.modules[fullname]
    spec = importlib.util.find_spec(fullname)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
    real_import = builtins.__import__
    stand_ins = {p: _StandIn(p) for p in packages}

    def __import__(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A001, N807
        if level == 0 and not fromlist and name in stand_ins and name not in sys.modules:
            return stand_ins[name]
        return real_import(name, globals, locals, fromlist, level)

    module = importlib.util.module_from_spec(spec)
    module.__builtins__ = {**vars(builtins), "__import__": __import__}  # type: ignore[attr-defined]
    sys.modules[fullname] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:  # as a failed import leaves it
        if sys.modules.get(fullname) is module:
            del sys.modules[fullname]
        raise
    parent, _, child = fullname.rpartition(".")
    if parent:  # as the import system binds a submodule in its parent
        setattr(sys.modules[parent], child, module)
    return module
