"""Compatibility re-exports (one release): the result objects live in
:mod:`abm.analysis.results`."""

from __future__ import annotations

from abm.analysis.results import CompareResult, SensitivityResult

__all__ = ["CompareResult", "SensitivityResult"]
