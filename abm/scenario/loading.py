"""Reading scenario files: shipped names or paths, ``extends`` chains, schema versions, validation.

Every file of an ``extends`` chain may say which scenario schema it is written for with a
top-level ``schema = N`` (absent means 1); the loader checks it file by file against
:data:`SCHEMA_VERSION` before anything else. An issue that changes the schema in a way old files
notice bumps :data:`SCHEMA_VERSION` and adds a line to :data:`SCHEMA_CHANGES` saying what changed
and how to update a file; a file of an older version then fails with that advice.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from abm.calibration import calibration_keys, load_calibration
from abm.calibration.domains import outside
from abm.scenario.instruments import INSTRUMENT_SPECS, instrument_fields
from abm.scenario.schema import Scenario, ScenarioError
from abm.sectors import INSTRUMENTS

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"

#: The scenario schema version this code reads and writes (a file's top-level ``schema`` key).
SCHEMA_VERSION: int = 2

#: Schema version -> what changed in it and how to update a file written for the version before
#: (a file without ``schema`` is version 1). Bumping :data:`SCHEMA_VERSION` adds one entry, and
#: one to :data:`SCHEMA_AFFECTS` that tells whether a file's meaning changes.
SCHEMA_CHANGES: dict[int, str] = {
    1: "each programme table takes only its own instrument's fields (a field of another "
    "instrument, formerly ignored, is an error): delete such fields",
    2: "a programme without budget_growth now follows the projected nominal GDP path "
    "(macro.projected_nominal_growth) instead of a flat budget: write budget_growth = 0.0 "
    "where a flat nominal budget is meant",
}


def _budget_without_growth(data: dict[str, Any]) -> bool:
    progs = data.get("programmes")
    if not isinstance(progs, dict):
        return False
    return any(
        isinstance(p, dict)
        and ("budget" in p or "instrument" in p)
        and "budget_growth" not in p
        and "budget_path" not in p
        for p in progs.values()
    )


#: Schema version -> whether the change of that version alters what a file written for an older
#: version means; an older file that no change affects loads as it is (it means the same).
SCHEMA_AFFECTS: dict[int, Any] = {
    1: lambda data: True,
    2: _budget_without_growth,
}


def shipped_scenarios() -> dict[str, Path]:
    """Names and paths of the scenarios shipped in ``scenarios/``."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml"))}


def _resolve_path(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    s = str(name_or_path)
    if s.endswith(".toml") or "/" in s or "\\" in s:
        p = Path(s)
        if not p.is_absolute() and relative_to is not None and not p.exists():
            p = relative_to / p
        if not p.exists():
            raise ScenarioError(f"{s}: scenario file not found")
        return p.resolve()
    shipped = shipped_scenarios()
    if s not in shipped:
        raise ScenarioError(
            f"unknown scenario '{s}'; shipped scenarios: {', '.join(shipped) or '(none)'}"
            " (or give a path to a .toml file)"
        )
    return shipped[s]


def non_finite(data: Any, prefix: str = "") -> tuple[str, Any] | None:
    """The first key (dotted, list items as ``key[i]``) whose value is a non-finite number
    (``inf``, ``-inf``, ``nan``, which TOML allows), with that value; None if there is none."""
    if isinstance(data, dict):
        for k, v in data.items():
            found = non_finite(v, f"{prefix}.{k}" if prefix else str(k))
            if found is not None:
                return found
    elif isinstance(data, list | tuple):
        for i, v in enumerate(data):
            found = non_finite(v, f"{prefix}[{i}]")
            if found is not None:
                return found
    elif isinstance(data, float | np.floating) and not np.isfinite(data):
        return prefix, data
    return None


def check_finite(data: dict[str, Any], source: str | Path) -> None:
    """Refuse ``inf`` and ``nan`` anywhere in a scenario's data.

    Raises
    ------
    ScenarioError
        Naming ``source`` and the key: ``file: key 'programmes.c.budget': must be a finite
        number (got inf)``.
    """
    found = non_finite(data)
    if found is not None:
        key, value = found
        raise ScenarioError(
            f"{source}: key '{key}': must be a finite number (got {value!r}); inf and nan are "
            "not allowed in a scenario"
        )


def _read_toml(path: Path) -> dict[str, Any]:
    """One scenario file's tables, checked: well-formed TOML, not empty, finite numbers."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: malformed TOML: {e}") from None
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{path}: not a UTF-8 text file ({e.reason})") from None
    except OSError as e:
        raise ScenarioError(f"{path}: cannot be read ({e.strerror or e})") from None
    if not {k for k in data if k != "schema"}:
        raise ScenarioError(
            f"{path}: the scenario file is empty; write at least one setting, e.g. "
            'extends = "diffuse" (see docs/scenarios.md)'
        )
    check_finite(data, path)
    return data


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = dict(parent)
    for k, v in child.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _schema_version(value: Any, source: str | Path, data: dict[str, Any] | None = None) -> int:
    """The checked ``schema`` of one file (``None``: the key is absent, which means 1).

    An older file is an error only when a later version's change alters what it means
    (:data:`SCHEMA_AFFECTS`, given the file's own ``data``).
    """
    current = SCHEMA_VERSION
    head = f"{source}: key 'schema'"
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ScenarioError(
            f"{head}: must be an integer, the scenario schema version; allowed: {current} "
            f"(got {value!r})"
        )
    version = 1 if value is None else value
    if version < 1:
        raise ScenarioError(f"{head}: must be at least 1; allowed: {current} (got {version})")
    if version > current:
        raise ScenarioError(
            f"{head}: version {version} is newer than this focus-abm reads (at most {current}); "
            f"update focus-abm, or write the file for schema = {current}"
        )
    later = range(max(version, 1) + 1, current + 1)
    if version < current and data is not None:
        if not any(SCHEMA_AFFECTS.get(v, lambda d: True)(data) for v in later):
            return current
    if version < current:
        what = "absent, which means version 1," if value is None else f"version {version}"
        steps = "; ".join(
            f"version {v}: {SCHEMA_CHANGES.get(v, 'see CHANGELOG.md')}"
            for v in range(version + 1, current + 1)
        )
        raise ScenarioError(
            f"{head}: {what} is older than the current version {current}; to update the file, "
            f"{steps}; then set schema = {current}"
        )
    return version


def _check_inherited_instruments(
    path: Path, parent_path: Path, parent: dict[str, Any], child: dict[str, Any]
) -> None:
    """A child's table for an inherited programme may not change that programme's instrument."""
    theirs, ours = parent.get("programmes"), child.get("programmes")
    if not (isinstance(theirs, dict) and isinstance(ours, dict)):
        return
    for name, table in ours.items():
        old = theirs.get(name)
        if not (isinstance(table, dict) and isinstance(old, dict)):
            continue
        if "instrument" in old and table.get("instrument", old["instrument"]) != old["instrument"]:
            raise ScenarioError(
                f"{path}: key 'programmes.{name}.instrument': {table['instrument']!r} differs "
                f"from the inherited {old['instrument']!r} (from {parent_path}); a programme "
                "keeps its instrument: give the new one another name (and `enabled = false` to "
                "drop the inherited one)"
            )


def _load_raw(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError(f"{chain[-1]}: key 'extends': cycle {cycle}")
    data = _read_toml(path)
    if "schema_version" in data:
        raise ScenarioError(
            f"{path}: key 'schema_version': unknown key; the schema version is written "
            f"schema = {SCHEMA_VERSION}"
        )
    schema = data.pop("schema", None)
    data["schema_version"] = _schema_version(schema, path, data)
    parent_name = data.get("extends")
    if parent_name is None:
        return data
    if not isinstance(parent_name, str):
        raise ScenarioError(f"{path}: key 'extends': must be a scenario name or path (a string)")
    try:
        parent_path = _resolve_path(parent_name, relative_to=path.parent)
    except ScenarioError as e:
        raise ScenarioError(f"{path}: key 'extends': {e}") from None
    parent = _load_raw(parent_path, (*chain, path))
    parent.pop("name", None)
    parent.pop("description", None)
    _check_inherited_instruments(path, parent_path, parent, data)
    return _merge(parent, data)


def _foreign_field(instrument: str, key: str) -> str:
    """Why ``key`` is not allowed in a programme of ``instrument``, with the allowed fields."""
    allowed = ", ".join(instrument_fields(instrument))
    owners = [name for name, cls in INSTRUMENT_SPECS.items() if key in cls.model_fields]
    if owners:
        return (
            f"a field of {', '.join(owners)}, not of {instrument}; {instrument} allows: {allowed}"
        )
    return f"unknown key; {instrument} allows: {allowed}"


def _format_error(source: str, err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = list(e["loc"])
        # inside a programme table the third element is the discriminator tag (its instrument)
        instrument = str(loc.pop(2)) if len(loc) >= 3 and loc[0] == "programmes" else None
        key = ".".join(str(x) for x in loc if not str(x).startswith("literal["))
        kind, msg = e["type"], e["msg"]
        inp = e.get("input")
        if not loc and kind == "value_error" and msg.startswith("Value error, key '"):
            parts.append(msg.removeprefix("Value error, "))  # a whole-scenario check names its key
            continue
        if kind == "union_tag_not_found":
            key += ".instrument"
            msg = f"Field required; allowed: {', '.join(INSTRUMENTS)}"
        elif kind == "union_tag_invalid":
            key += ".instrument"
            tag = inp.get("instrument") if isinstance(inp, dict) else inp
            allowed = ", ".join(repr(i) for i in INSTRUMENTS[:-1])
            msg = f"Input should be {allowed} or {INSTRUMENTS[-1]!r} (got {tag!r})"
        elif kind == "model_attributes_type" and len(loc) == 2 and loc[0] == "programmes":
            msg = f"must be a table of the programme's settings (got {inp!r})"
        elif kind == "extra_forbidden":
            msg = (
                _foreign_field(instrument, str(loc[-1]))
                if instrument is not None and len(loc) == 3
                else "unknown key"
            )
        elif "input" in e and kind != "missing" and not isinstance(inp, dict):
            msg += f" (got {inp!r})"
        parts.append(f"key '{key}': {msg}")
    return f"{source}: " + "; ".join(parts)


def validate_data(data: dict[str, Any], source: str) -> Scenario:
    """Validate resolved scenario data (``extends`` already merged) into a :class:`Scenario`.

    Parameters
    ----------
    data : dict
        The scenario's tables and keys; a top-level ``schema`` is checked like a file's.
    source : str
        The file (or a description of the origin) named in error messages.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With a one-line message naming ``source`` and the offending key.
    """
    check_finite(data, source)
    if "schema" in data:
        rest = {k: v for k, v in data.items() if k != "schema"}
        data = {**rest, "schema_version": _schema_version(data["schema"], source, rest)}
    try:
        sc = Scenario.model_validate({**data, "source_file": source})
    except ValidationError as e:
        raise ScenarioError(_format_error(source, e)) from None
    keys = set(calibration_keys())
    cal = load_calibration()
    for table in ("parameters", "uncertain"):
        for k, v in getattr(sc, table).items():
            if k not in keys:
                raise ScenarioError(
                    f"{source}: key '{table}.{k}': not a calibration parameter; see "
                    "abm/calibration/netherlands.toml for the allowed 'section.name' keys"
                )
            if table == "parameters":
                want = np.shape(cal[k])
                if np.shape(v) != want:
                    shape = "a number" if want == () else f"a list of {want[0]} numbers"
                    raise ScenarioError(f"{source}: key '{table}.{k}': must be {shape}")
                if not np.all(np.isfinite(np.asarray(v, dtype=float))):
                    raise ScenarioError(f"{source}: key '{table}.{k}': must be finite")
            elif v[1] < v[0]:
                raise ScenarioError(
                    f"{source}: key '{table}.{k}': range [low, high] has high < low"
                )
            bad = outside(k, v)
            if bad:
                raise ScenarioError(f"{source}: key '{table}.{k}': {bad}")
    return sc


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load, merge (``extends``) and validate a scenario by shipped name or TOML path.

    Raises
    ------
    ScenarioError
        With a one-line message naming the file and the offending key.
    """
    path = _resolve_path(name_or_path)
    data = _load_raw(path, ())
    data.setdefault("name", path.stem)
    # programmes switched off in a child are dropped
    progs = data.get("programmes")
    if isinstance(progs, dict):
        data["programmes"] = {
            k: v
            for k, v in progs.items()
            if not (isinstance(v, dict) and v.get("enabled") is False)
        }
    return validate_data(data, str(path))


def programme_union(scenarios: list[Any]) -> list[str]:
    """Programme names of the given scenarios and of every shipped scenario, sorted: the
    ``programme`` coordinate, so files of different scenarios line up (zero where absent)."""
    names: set[str] = set()
    for sc in scenarios:
        names.update(sc.programmes)
    for path in shipped_scenarios().values():
        try:
            names.update(load_scenario(path).programmes)
        except Exception:  # noqa: BLE001 - a broken shipped file must not block output
            continue
    return sorted(names)


def instrument_of(name: str, scenarios: list[Any]) -> str:
    """Instrument of programme ``name`` in the given (or else the shipped) scenarios; '' if none."""
    for sc in scenarios:
        if name in sc.programmes:
            return sc.programmes[name].instrument
    for path in shipped_scenarios().values():
        sc = load_scenario(path)
        if name in sc.programmes:
            return sc.programmes[name].instrument
    return ""
