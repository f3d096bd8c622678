"""Compatibility re-exports (one release): the comparison's figures live in
:mod:`abm.render.compare_figures`, the PNG writer in :mod:`abm.render.figures`."""

from __future__ import annotations

from abm.render.compare_figures import (
    FIGURE_NAMES,
    fan_chart,
    make_figures,
    paired_differences_figure,
    value_added_figure,
)
from abm.render.figures import DPI, save_png

__all__ = [
    "DPI",
    "FIGURE_NAMES",
    "fan_chart",
    "make_figures",
    "paired_differences_figure",
    "save_png",
    "value_added_figure",
]
