"""Compatibility re-export (one release): the names live in :mod:`abm.state.sectors`."""

from __future__ import annotations

from abm.state.sectors import *  # noqa: F403
from abm.state.sectors import __all__  # noqa: F401
