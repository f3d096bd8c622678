"""Reading scenario files: shipped names or paths, ``extends`` chains, validation."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from abm.calibration import calibration_keys, load_calibration
from abm.scenario.schema import Scenario, ScenarioError

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"


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


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{path}: malformed TOML: {e}") from None


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    out = dict(parent)
    for k, v in child.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _load_raw(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    if path in chain:
        cycle = " -> ".join(str(p) for p in (*chain, path))
        raise ScenarioError(f"{chain[-1]}: key 'extends': cycle {cycle}")
    data = _read_toml(path)
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
    return _merge(parent, data)


def _format_error(source: str, err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith("literal["))
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "literal_error":
            msg = f"{msg}"
        if "input" in e and e["type"] not in ("extra_forbidden", "missing"):
            inp = e["input"]
            if not isinstance(inp, dict):
                msg += f" (got {inp!r})"
        parts.append(f"key '{loc}': {msg}")
    return f"{source}: " + "; ".join(parts)


def validate_data(data: dict[str, Any], source: str) -> Scenario:
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
