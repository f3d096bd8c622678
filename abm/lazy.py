"""Names of a package that import their module when first used (PEP 562).

A package ``__init__`` that re-exports the names of its modules imports all of them, and their
libraries, whenever any one of its modules is imported: ``import abm.recording.record`` (what a
quarter records, needed by every run) used to import xarray and pandas through
``abm.recording.dataset``. A package that lists its names with :func:`exports` instead keeps
``from abm.recording import records_to_dataset`` working and imports ``abm.recording.dataset``
only then::

    __getattr__, __dir__ = exports(__name__, {"records_to_dataset": "abm.recording.dataset"})

The package also imports the names under ``if TYPE_CHECKING:``, for type checkers and readers.
Its submodules, which an eager ``__init__`` had imported, are imported when first read as
attributes too (``abm.ensemble.points`` after ``import abm.ensemble``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Mapping
from typing import Any


def exports(
    package: str, names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``, whose ``names`` (name -> the
    module that defines it) are imported when first read and then kept in the package."""

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            setattr(sys.modules[package], name, value)  # the next read does not come here
            return value
        if not name.startswith("__") and importlib.util.find_spec(f"{package}.{name}"):
            return importlib.import_module(f"{package}.{name}")  # sets the attribute
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
