"""Compatibility re-exports (one release): validation lives in :mod:`abm.analysis.validate`."""

from __future__ import annotations

from abm.analysis.validate import Check, ValidationReport, baxter_king, validate

__all__ = ["Check", "ValidationReport", "baxter_king", "validate"]
