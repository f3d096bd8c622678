"""Scenario files: TOML, validated on load.

A scenario names the programmes the government runs and may override calibration parameters::

    name = "diffuse"
    description = "..."
    extends = "laissez_faire"          # optional: a shipped scenario's name or a path

    [run]
    quarters = 60                      # recorded quarters (after the burn-in)

    [parameters]
    "rd.sigma" = 0.5                   # any calibration key, same shape as in the calibration

    [programmes.wbso]
    instrument = "rd_tax_credit"
    budget = 1.5e9                     # euros per year in the start year
    budget_growth = 0.02               # per year
    targets = "all"                    # or a list of sectors
    start = 2026
    end = 2040

    [uncertain]
    "rd.sigma" = [0.0, 2.0]            # range for sweeps and sensitivity analysis

Unknown keys, wrong types, out-of-range values and unknown sectors are errors that name the file,
the key and what is allowed (:class:`ScenarioError`). ``extends`` merges tables key by key (the
child wins); a programme table in the child replaces keys of the parent's programme of the same
name, and ``enabled = false`` removes an inherited programme.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from abm.calibration import calibration_keys, load_calibration
from abm.sectors import INSTRUMENTS, SECTORS

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class RunSettings(_Strict):
    """How long and at what scale a run is simulated."""

    start_year: int = Field(2026, ge=2000, le=2100, description="first recorded year (Q1)")
    quarters: int = Field(60, ge=1, le=1000, description="recorded quarters after the burn-in")
    burn_in: int = Field(8, ge=0, le=400, description="unrecorded quarters before start_year")
    scale: float = Field(
        200.0, ge=1.0, le=1e6, description="real persons one talent agent stands for"
    )
    snapshot_years: list[int] = Field(
        default_factory=lambda: [2026, 2030, 2035, 2040],
        description="years whose Q4 firm-level snapshot is written",
    )


class ProgrammeSpec(_Strict):
    """One government programme (an instrument with a budget path and targets)."""

    instrument: Literal[INSTRUMENTS]  # type: ignore[valid-type]
    enabled: bool = True
    budget: float = Field(0.0, ge=0.0, description="euros per year in the start year")
    budget_growth: float = Field(0.0, ge=-0.5, le=1.0, description="growth of the budget per year")
    budget_path: dict[str, Annotated[float, Field(ge=0.0)]] | None = Field(
        None, description='explicit euros per year by year ("2026" = 1.2e9); overrides budget'
    )
    targets: Literal["all", "size"] | list[str] = "all"
    start: int = Field(2026, ge=2000, le=2100)
    end: int = Field(2040, ge=2000, le=2100)
    track_budget: bool = Field(
        True, description="credit/box: scale the rate (base) each quarter to stay on budget"
    )
    # rd_tax_credit
    rate_first: float = Field(0.36, ge=0.0, le=1.0)
    rate_second: float = Field(0.16, ge=0.0, le=1.0)
    rate_starter: float = Field(0.50, ge=0.0, le=1.0)
    bracket: float = Field(380_000.0, ge=0.0)
    # innovation_box
    box_rate: float = Field(0.09, ge=0.0, le=1.0)
    # grant
    selection_noise: float = Field(0.5, ge=0.0, le=10.0)
    grant_share: float = Field(0.4, gt=0.0, le=1.0, description="share of a project's R&D funded")
    # procurement
    domestic_share: float = Field(0.4, ge=0.0, le=1.0)
    domestic_share_end: float | None = Field(None, ge=0.0, le=1.0)
    # coinvestment
    match_ratio: float = Field(1.0, ge=0.0, le=10.0)
    # mission_agency
    delay_quarters: int = Field(8, ge=0, le=80)
    failure_probability: float = Field(0.5, ge=0.0, le=1.0)
    # talent_attraction
    immigration_boost: float = Field(1.0, ge=0.0, le=20.0)

    @field_validator("targets")
    @classmethod
    def _known_sectors(cls, v: Any) -> Any:
        if isinstance(v, list):
            bad = [s for s in v if s not in SECTORS]
            if bad:
                raise ValueError(f"unknown sector(s) {bad}; allowed: {', '.join(SECTORS)}")
            if not v:
                raise ValueError("empty target list; give sectors or 'all'")
        return v

    @field_validator("budget_path")
    @classmethod
    def _years(cls, v: Any) -> Any:
        if v is not None:
            for k in v:
                if not (k.isdigit() and 2000 <= int(k) <= 2100):
                    raise ValueError(f"budget_path key {k!r} is not a year between 2000 and 2100")
        return v

    @model_validator(mode="after")
    def _dates(self) -> ProgrammeSpec:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    def budget_in(self, year: int) -> float:
        """Budget (euros) of the programme in ``year``; zero outside [start, end]."""
        if not self.enabled or year < self.start or year > self.end:
            return 0.0
        if self.budget_path is not None:
            years = sorted(int(k) for k in self.budget_path)
            prior = [y for y in years if y <= year]
            y = prior[-1] if prior else years[0]
            return float(self.budget_path[str(y)])
        return float(self.budget * (1.0 + self.budget_growth) ** (year - self.start))

    def target_mask(self, size_weights: np.ndarray) -> np.ndarray:
        """Weights over sectors: 1 for targets (or sector-size weights for ``'size'``)."""
        if self.targets == "all":
            return np.ones(len(SECTORS))
        if self.targets == "size":
            return np.asarray(size_weights, dtype=float) / np.sum(size_weights)
        return np.array([1.0 if s in self.targets else 0.0 for s in SECTORS])


class DefenceSettings(_Strict):
    """How defence equipment orders are placed (the defence budget path is common to all)."""

    domestic_share: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="share of equipment orders placed with domestic firms (default: 1 minus "
        "the calibrated government.defence_import_share, CPB: >60% imported)",
    )
    domestic_share_end: float | None = Field(
        None, ge=0.0, le=1.0, description="domestic share reached in 2035 (linear from 2026)"
    )
    defence_tech_share: float | None = Field(
        None, ge=0.0, le=1.0, description="share of equipment orders aimed at defence_tech"
    )
    announced: bool = Field(
        False, description="a stable, early-announced order stream firms plan capacity on"
    )
    dual_use_spillover: float = Field(
        0.0, ge=0.0, le=1.0, description="knowledge per euro of domestic defence orders"
    )

    def domestic_share_in(self, year: int, default: float) -> float:
        """Domestic share of equipment orders in ``year`` (``default`` when not set)."""
        start = default if self.domestic_share is None else self.domestic_share
        if self.domestic_share_end is None:
            return start
        f = min(max((year - 2026) / (2035 - 2026), 0.0), 1.0)
        return start + f * (self.domestic_share_end - start)


class Scenario(_Strict):
    """A validated, resolved scenario."""

    name: str
    description: str = ""
    extends: str | None = None
    run: RunSettings = Field(default_factory=RunSettings)
    parameters: dict[str, float | list[float]] = Field(default_factory=dict)
    programmes: dict[str, ProgrammeSpec] = Field(default_factory=dict)
    defence: DefenceSettings = Field(default_factory=DefenceSettings)
    uncertain: dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict
    )
    source_file: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _one_of_each_tax_instrument(self) -> Scenario:
        for inst in ("rd_tax_credit", "innovation_box"):
            names = [n for n, p in self.programmes.items() if p.instrument == inst and p.enabled]
            if len(names) > 1:
                raise ValueError(
                    f"programmes {names} are all '{inst}': a scenario has at most one (the tax "
                    "code has one credit and one box; change its rates or budget instead)"
                )
        return self

    def to_toml(self) -> str:
        """The fully resolved scenario as TOML text (stored in output provenance)."""
        data = self.model_dump(exclude_none=True, exclude={"source_file", "extends"})
        return tomli_w.dumps(data)

    def calibration(self) -> dict[str, float | np.ndarray]:
        """Calibration with this scenario's parameter overrides applied."""
        cal = load_calibration()
        for k, v in self.parameters.items():
            cal[k] = np.array(v, dtype=float) if isinstance(v, list) else float(v)
        return cal

    def with_parameters(self, **overrides: float | list[float]) -> Scenario:
        """A copy with extra parameter overrides (validated like the file's)."""
        data = self.model_dump(exclude={"source_file"})
        data["parameters"] = {**self.parameters, **overrides}
        return _validate(data, self.source_file or f"<scenario {self.name}>")


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


def _validate(data: dict[str, Any], source: str) -> Scenario:
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
    return _validate(data, str(path))
