"""Provenance in one place: the model version, library versions, the time and command line of a
run, and the CF global attributes of a run's file."""

from __future__ import annotations

import datetime as _dt
import json
import platform
import sys
import tomllib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

#: Libraries whose behaviour can change a run's outputs (recorded in every NetCDF file).
RUN_LIBRARIES: tuple[str, ...] = ("numpy", "numba", "mesa", "xarray", "netCDF4", "dask", "pandas")
#: Libraries a report lists (where it was made).
REPORT_LIBRARIES: tuple[str, ...] = (
    "focus-abm",
    "numpy",
    "pandas",
    "xarray",
    "numba",
    "mesa",
    "scipy",
    "SALib",
    "matplotlib",
    "dask",
    "netCDF4",
)
_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


class RunInfo(Protocol):
    """What provenance needs to know about a run (an ``EconomyModel`` has all of it)."""

    scenario: Any
    seed: Any
    scale: float
    burn_in: int
    check_accounts_enabled: bool


def model_version() -> str:
    """The installed focus-abm version (the source tree's ``pyproject.toml`` when not
    installed)."""
    try:
        return metadata.version("focus-abm")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        try:
            with _PYPROJECT.open("rb") as fh:
                return str(tomllib.load(fh)["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def package_version(name: str, missing: str = "not installed") -> str:
    """The installed version of a distribution (``missing`` when it is not installed)."""
    if name == "focus-abm":
        return model_version()
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return missing


def library_versions(
    libraries: Sequence[str] = RUN_LIBRARIES, *, with_platform: bool = False
) -> dict[str, str]:
    """Versions of Python (and the platform) and of ``libraries``."""
    out = {"python": platform.python_version()}
    if with_platform:
        out["platform"] = platform.platform(terse=True)
    out.update({lib: package_version(lib) for lib in libraries})
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
