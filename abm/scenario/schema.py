"""Scenario schema: the pydantic models a scenario file is validated against.

See :mod:`abm.scenario` for the file format. Unknown keys, wrong types and out-of-range values
are errors; the loader (:mod:`abm.scenario.loading`) turns them into one-line messages that name
the file and the key. A programme table is validated by its instrument's own model
(:mod:`abm.scenario.instruments`; ``ProgrammeSpec`` is their discriminated union).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import tomli_w
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from abm.calibration import load_calibration
from abm.scenario.instruments import ProgrammeBase, ProgrammeSpec, instrument_fields

__all__ = [
    "DefenceSettings",
    "ProgrammeBase",
    "ProgrammeSpec",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "instrument_fields",
]


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


def _current_schema_version() -> int:
    from abm.scenario import loading

    return loading.SCHEMA_VERSION


class Scenario(_Strict):
    """A validated, resolved scenario.

    ``schema_version`` is the scenario schema version (written ``schema = N`` at the top of a
    file, see :data:`abm.scenario.loading.SCHEMA_VERSION`); the loader checks it per file and
    stores it here, and :meth:`to_toml` writes it back.
    """

    name: str
    description: str = ""
    extends: str | None = None
    schema_version: int = Field(
        default_factory=_current_schema_version,
        ge=1,
        description="scenario schema version (the file's top-level `schema` key)",
    )
    run: RunSettings = Field(default_factory=RunSettings)
    parameters: dict[str, float | list[float]] = Field(default_factory=dict)
    programmes: dict[str, ProgrammeSpec] = Field(default_factory=dict)
    defence: DefenceSettings = Field(default_factory=DefenceSettings)
    reallocation: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="the dose of focus: share of the R&D tax credit and innovation box budget "
        "moved, at equal total budget, into the scenario's targeted market programmes (those "
        "with a list of target sectors), pro rata to their budgets",
    )
    uncertain: dict[str, Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        default_factory=dict
    )
    source_file: str | None = Field(None, exclude=True)

    @field_validator("programmes")
    @classmethod
    def _one_of_each_tax_instrument(cls, v: dict[str, ProgrammeBase]) -> dict[str, ProgrammeBase]:
        for inst in ("rd_tax_credit", "innovation_box"):
            names = [n for n, p in v.items() if p.instrument == inst and p.enabled]
            if len(names) > 1:
                raise ValueError(
                    f"programmes {names} are all '{inst}': a scenario has at most one (the tax "
                    "code has one credit and one box; change its rates or budget instead)"
                )
        return v

    @model_validator(mode="after")
    def _reallocation_needs_targeted_programmes(self) -> Scenario:
        if self.reallocation > 0 and not targeted_programmes(self):
            raise ValueError(
                f"key 'reallocation': {self.reallocation:g} needs targeted market programmes "
                "(programmes with a list of target sectors, not the credit, box or public "
                "research) to move the money into; this scenario has none"
            )
        return self

    def to_toml(self) -> str:
        """The fully resolved scenario as TOML text (stored in output provenance).

        Returns
        -------
        str
            ``schema = N`` first, then every setting with everything inherited through
            ``extends`` merged in (``extends`` itself is left out) and each programme with
            only its instrument's fields; unset optional values are omitted. Loading the text
            again gives the same scenario.
        """
        data = self.model_dump(
            exclude_none=True, exclude={"source_file", "extends", "schema_version"}
        )
        return tomli_w.dumps({"schema": self.schema_version, **data})

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


def targeted_programmes(scenario: Scenario) -> list[str]:
    """Names of the scenario's targeted market programmes: enabled, with a list of target
    sectors, neither demand-driven (credit, box) nor public research."""
    return [
        n
        for n, p in scenario.programmes.items()
        if p.enabled
        and isinstance(p.targets, list)
        and not p.demand_driven
        and p.instrument != "public_research"
    ]
