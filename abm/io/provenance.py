"""Provenance in one place: the model version and git commit, library versions, the time and
command line (or Python call) of a run, its seeds, the calibration it ran with, and the CF global
attributes of a run's file (docs/outputs.md lists them)."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np

#: Libraries whose behaviour can change a run's outputs (recorded in every NetCDF file).
RUN_LIBRARIES: tuple[str, ...] = (
    "numpy",
    "numba",
    "mesa",
    "xarray",
    "netCDF4",
    "dask",
    "pandas",
    "scipy",
    "SALib",
)
#: Documents of the repository a file's ``references`` attribute names.
REFERENCES = (
    "docs/outputs.md (this file's format, units and attributes); docs/model.md (equations, "
    "parameters and their sources); docs/ensembles.md (seeds, ensembles); "
    "abm/calibration/netherlands.toml (each calibration value with its source)"
)
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
#: How a member's seed is made (``abm ensemble`` member k, or ``abm run --member``).
MEMBER_SEED_SCHEME = (
    "numpy.random.SeedSequence(root_seed, spawn_key=(member,)) == "
    "numpy.random.SeedSequence(root_seed).spawn(runs)[member]: member k of `abm ensemble --seed "
    "root_seed`, rerun alone with `abm run SCENARIO --root-seed root_seed --member k`"
)
_ROOT = Path(__file__).resolve().parents[2]
_PYPROJECT = _ROOT / "pyproject.toml"
#: The command line that is running, when a command of ``abm`` set it (see
#: :func:`set_command_line`); None from Python.
_COMMAND: list[str] | None = None


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


def set_command_line(argv: Sequence[str] | None) -> None:
    """Record the ``abm`` command that is running (``["abm", "run", "diffuse", ...]``), for the
    ``history`` attribute of the files it writes; None forgets it."""
    global _COMMAND
    _COMMAND = list(argv) if argv is not None else None


def _script() -> str:
    """What Python is running: a script's name, ``-c``, ``-m module`` or the interactive
    prompt."""
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 in ("", "-"):
        return "interactive Python"
    if argv0 == "-c":
        return "python -c"
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and getattr(spec, "name", None):
        return f"python -m {spec.name}"
    return f"python {Path(argv0).name}"


def command_line(call: str | None = None) -> str:
    """What made a file, for its ``history``: the ``abm`` command line when a command runs
    (``abm run diffuse --seed 2``), else ``Python (how): call`` with the Python call that
    made it (``abm.EconomyModel('diffuse', seed=1, ...).to_dataset()``)."""
    if _COMMAND is not None:
        return shlex.join(_COMMAND)
    how = _script()
    return f"{how}: {call}" if call else how


def history(call: str | None = None) -> str:
    """A CF ``history`` line: the time, the program and what ran (:func:`command_line`)."""
    return f"{now_iso()} focus-abm {model_version()}: {command_line(call)}"


@functools.cache
def git_commit(root: str | os.PathLike[str] = _ROOT) -> tuple[str, bool] | None:
    """The commit of the source tree the package runs from, and whether files tracked by git
    differ from it; None when it is not a git checkout (an installed wheel) or git is missing."""
    root = Path(root)
    if not (root / ".git").exists():
        return None
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}

    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=5,
            env=env,
            check=True,
        )
        return out.stdout.strip()

    try:
        sha = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return (sha, dirty) if sha else None


def code_attrs() -> dict[str, Any]:
    """``model_version`` and, from a git checkout, ``git_commit`` (the full hash) and
    ``git_modified`` (1 when tracked files differ from the commit, else 0)."""
    out: dict[str, Any] = {"model_version": model_version()}
    commit = git_commit()
    if commit is not None:
        out["git_commit"] = commit[0]
        out["git_modified"] = np.int8(commit[1])
    return out


def calibration_toml(cal: Mapping[str, Any]) -> str:
    """The resolved calibration (``"section.name" -> value``, as ``Scenario.calibration()``
    gives it) as TOML text, one table per section, in the order of the calibration file."""
    import tomli_w

    tables: dict[str, dict[str, Any]] = {}
    for key, value in cal.items():
        section, _, name = key.partition(".")
        arr = np.asarray(value, dtype=float)
        tables.setdefault(section, {})[name] = arr.tolist() if arr.ndim else float(arr)
    head = (
        "# The calibration this run used: abm/calibration/netherlands.toml with the scenario's\n"
        "# [parameters] (and any sweep or sample values) applied; sources are in that file.\n"
    )
    return head + tomli_w.dumps(tables)


def _file_sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unreadable"


def calibration_attrs(run: Any) -> dict[str, Any]:
    """``calibration_toml`` (every value the run used) and ``calibration_file_sha256`` (of the
    calibration file that was read)."""
    from abm.calibration import CALIBRATION_FILE

    cal = getattr(run, "cal", None)
    if cal is None:
        cal = run.scenario.calibration()
    return {
        "calibration_toml": calibration_toml(cal),
        "calibration_file_sha256": _file_sha256(Path(CALIBRATION_FILE)),
    }


def run_call(run: Any) -> str:
    """The Python call that makes ``run``'s dataset, for a ``history`` written from Python."""
    sc = run.scenario
    seed = seed_attrs(getattr(run, "seed_sequence", None), run.seed)
    if "member" in seed:
        seed_arg = (
            f"numpy.random.SeedSequence({int(seed['root_seed'])}, "
            f"spawn_key=({int(seed['member'])},))"
        )
    else:
        seed_arg = str(seed.get("seed"))
    quarters = getattr(run, "quarters", None)
    return (
        f"abm.EconomyModel({sc.name!r}, seed={seed_arg}, quarters={quarters}, "
        f"scale={float(run.scale):g}).run().to_dataset()"
    )


#: The largest seed a NetCDF integer attribute (int64) holds.
INT64_MAX = 2**63 - 1


def seed_attrs(seed_sequence: Any, seed: Any = None) -> dict[str, Any]:
    """How a run was seeded, as integers: ``seed`` for a plain run
    (``numpy.random.SeedSequence(seed)``), ``root_seed`` and ``member`` for member ``member`` of
    an ensemble (``SeedSequence(root_seed, spawn_key=(member,))``), with ``seed_scheme`` saying
    which in words."""
    if seed_sequence is None:
        return {"seed": np.int64(int(seed)), "seed_scheme": "numpy.random.SeedSequence(seed)"}
    key = tuple(int(k) for k in seed_sequence.spawn_key)
    entropy = seed_sequence.entropy
    if not isinstance(entropy, int | np.integer):  # a pool of entropy words: not reproducible
        return {"seed": str(entropy), "seed_scheme": "numpy.random.SeedSequence(entropy)"}
    if int(entropy) > INT64_MAX:  # fresh entropy (seed=None): 128 bits, kept as decimal text
        return {
            "seed" if not key else "root_seed": str(int(entropy)),
            **({"spawn_key": json.dumps(list(key))} if key else {}),
            "seed_scheme": "numpy.random.SeedSequence(int(seed)): fresh entropy, 128 bits, "
            "stored as decimal text (NetCDF integers have 64)",
        }
    if not key:
        return {"seed": np.int64(entropy), "seed_scheme": "numpy.random.SeedSequence(seed)"}
    if len(key) == 1:
        return {
            "root_seed": np.int64(entropy),
            "member": np.int64(key[0]),
            "seed_scheme": MEMBER_SEED_SCHEME,
        }
    return {
        "root_seed": np.int64(entropy),
        "spawn_key": json.dumps(list(key)),
        "seed_scheme": "numpy.random.SeedSequence(root_seed, spawn_key=spawn_key)",
    }


def provenance_attrs(run: RunInfo) -> dict[str, Any]:
    """CF global attributes and provenance (docs/outputs.md): what made the file (code version
    and git commit, libraries, the command or Python call), with which inputs (the resolved
    scenario and calibration as TOML text) and seeds (integers); dicts as JSON text, booleans as
    0/1."""
    now = now_iso()
    sc = run.scenario
    return {
        "Conventions": "CF-1.11",
        "title": f"focus-abm run of scenario '{sc.name}'",
        "institution": "focus-abm open research tool (agent-based model of Dutch industrial policy)",
        "source": f"focus-abm {model_version()} (Mesa agent-based macroeconomic model with numba kernels)",
        "history": f"{now} focus-abm {model_version()}: {command_line(run_call(run))}",
        "references": REFERENCES,
        "comment": CURRENCY_COMMENT,
        **code_attrs(),
        "scenario": sc.name,
        "scenario_toml": sc.to_toml(),
        **calibration_attrs(run),
        **seed_attrs(getattr(run, "seed_sequence", None), run.seed),
        "scale": float(run.scale),
        "burn_in_quarters": np.int64(run.burn_in),
        "library_versions": json.dumps(library_versions()),
        "accounting_checks": int(bool(run.check_accounts_enabled)),
        "date_created": now,
    }


#: The global ``comment`` on money (UDUNITS has no currency).
CURRENCY_COMMENT = (
    "Money is in euros of the real economy (units = 'EUR'; UDUNITS has no currency unit, so CF "
    "checkers flag it: a documented choice, see docs/outputs.md); flows are sums over each "
    "quarter (cell_methods = 'time: sum'), wages and productivity euros per person per quarter."
)
