"""The calibration data file and its loader.

``netherlands.toml`` holds every calibrated value with its source (a FACTS.md row's address) or
marks it an assumption with a range. :func:`load_calibration` returns a flat mapping
``"section.name" -> value`` (floats, or float arrays for per-sector/per-skill entries) and
:func:`calibration_ranges` the ranges of the entries that have one (used by sweeps).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

CALIBRATION_FILE = Path(__file__).with_name("netherlands.toml")


@cache
def _raw() -> dict[str, dict[str, Any]]:
    with CALIBRATION_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    flat: dict[str, dict[str, Any]] = {}
    for section, entries in data.items():
        for name, entry in entries.items():
            key = f"{section}.{name}"
            if "value" not in entry:
                raise ValueError(f"{CALIBRATION_FILE}: key '{key}' has no value")
            if "source" not in entry and not entry.get("assumption"):
                raise ValueError(
                    f"{CALIBRATION_FILE}: key '{key}' has neither source nor assumption"
                )
            flat[key] = entry
    return flat


def load_calibration() -> dict[str, float | np.ndarray]:
    """Return the calibration as ``{"section.name": value}`` (a fresh copy each call)."""
    out: dict[str, float | np.ndarray] = {}
    for key, entry in _raw().items():
        v = entry["value"]
        out[key] = np.array(v, dtype=float) if isinstance(v, list) else float(v)
    return out


def calibration_entry(key: str) -> dict[str, Any]:
    """The full entry (value, source or assumption, range) of one calibration key."""
    return dict(_raw()[key])


def calibration_keys() -> list[str]:
    """All calibration keys, ``section.name``."""
    return list(_raw())


def calibration_ranges() -> dict[str, tuple[float, float]]:
    """Ranges of the entries that declare one (assumptions to vary in sensitivity runs)."""
    return {k: tuple(e["range"]) for k, e in _raw().items() if "range" in e}
