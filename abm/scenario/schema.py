"""Scenario schema: the pydantic models a scenario file is validated against.

See :mod:`abm.scenario` for the file format. Unknown keys, wrong types and out-of-range values
are errors; the loader (:mod:`abm.scenario.loading`) turns them into one-line messages that name
the file and the key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from abm.calibration import load_calibration
from abm.sectors import INSTRUMENTS, SECTORS


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

    @property
    def demand_driven(self) -> bool:
        """Whether the budget tracking scales this instrument's rate to keep it on budget."""
        return self.instrument in ("rd_tax_credit", "innovation_box")

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
        from abm.scenario.loading import validate_data

        data = self.model_dump(exclude={"source_file"})
        data["parameters"] = {**self.parameters, **overrides}
        return validate_data(data, self.source_file or f"<scenario {self.name}>")


def instrument_fields(instrument: str) -> dict[str, Any]:
    """The pydantic fields (name -> ``FieldInfo``) a programme of ``instrument`` accepts."""
    if instrument not in INSTRUMENTS:
        raise ValueError(f"unknown instrument {instrument!r}; allowed: {', '.join(INSTRUMENTS)}")
    return dict(ProgrammeSpec.model_fields)
