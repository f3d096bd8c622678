"""Provenance in one place: the model version, library versions and CF global attributes."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol


class RunInfo(Protocol):
    """What provenance needs to know about a run (an ``EconomyModel`` has all of it)."""

    scenario: Any
    seed: Any
    scale: float
    burn_in: int
    check_accounts_enabled: bool


def model_version() -> str:
    """The installed focus-abm version (the source tree's when not installed)."""
    try:
        return metadata.version("focus-abm")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        from abm import __version__

        return __version__


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries whose behaviour can change the outputs."""
    out = {"python": platform.python_version()}
    for lib in ("numpy", "numba", "mesa", "xarray", "netCDF4", "dask", "pandas"):
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def now_iso() -> str:
    """The current UTC time to the second, ISO 8601."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def command_line() -> str:
    """The command that is running, with the program's path shortened to its name."""
    return " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))


def provenance_attrs(run: RunInfo) -> dict[str, Any]:
    """CF global attributes and provenance (DESIGN §4): dicts as JSON text, booleans as 0/1."""
    now = now_iso()
    sc = run.scenario
    return {
        "Conventions": "CF-1.11",
        "title": f"focus-abm run of scenario '{sc.name}'",
        "institution": "focus-abm open research tool (agent-based model of Dutch industrial policy)",
        "source": f"focus-abm {model_version()} (Mesa agent-based macroeconomic model with numba kernels)",
        "history": f"{now} created by: {command_line()}",
        "references": "docs/model.md; DESIGN.md; calibration sources in abm/calibration/netherlands.toml",
        "comment": "Money in euros of the real economy (UDUNITS has no currency unit); flows per quarter.",
        "model_version": model_version(),
        "scenario": sc.name,
        "scenario_toml": sc.to_toml(),
        "seed": str(run.seed),
        "scale": float(run.scale),
        "burn_in_quarters": int(run.burn_in),
        "library_versions": json.dumps(library_versions()),
        "accounting_checks": int(bool(run.check_accounts_enabled)),
        "date_created": now,
    }
