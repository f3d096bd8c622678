"""The schema entry of each instrument: one pydantic model per instrument of a programme table.

A ``[programmes.NAME]`` table is validated against the class its ``instrument`` names (a
discriminated union, :data:`ProgrammeSpec`). Every class shares the fields of
:class:`ProgrammeBase` (budget path, targets, dates) and adds only its own; a field of another
instrument is an error. What each instrument does in the economy is in ``docs/model.md``; the
fields are documented field by field in ``docs/scenarios.md`` (section 4).

Adding an instrument: its name in :data:`abm.sectors.INSTRUMENTS`, its policy file, and one class
here (a subclass of :class:`ProgrammeBase` with ``instrument: Literal["its_name"]``) added to
:data:`ProgrammeSpec`; the module checks on import that the two lists agree.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, ClassVar, Literal, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.fields import FieldInfo

from abm.sectors import INSTRUMENTS, SECTORS


class ProgrammeBase(BaseModel):
    """Fields every programme has: an instrument with a budget path, targets and dates.

    Attributes
    ----------
    instrument : str
        Which instrument the programme is (one of :data:`abm.sectors.INSTRUMENTS`); each
        subclass fixes it to its own name.
    enabled : bool
        ``False`` removes the programme (the loader drops it; ``budget_in`` is then zero).
    budget : float
        Euros per year in the ``start`` year.
    budget_growth : float or None
        Growth of the budget per year; absent (None), the budget follows the projected nominal
        GDP path (calibration key ``macro.projected_nominal_growth``), the same in every
        scenario and never a run's own GDP, so budgets stay equal across scenarios.
    budget_path : dict[str, float] or None
        Explicit euros per year by year (``"2026" = 1.2e9``); overrides ``budget`` and
        ``budget_growth``; a year not listed takes the latest listed year before it.
    targets : {"all", "size"} or list of str
        The sectors the programme serves: all, all weighted by size, or the listed sectors.
    start, end : int
        First and last year with a budget.

    ``demand_driven`` (a class attribute, not a field) says whether the instrument's spending
    follows firms' demand (tax expenditures), so that the model scales its rate to keep it on
    the budget path; fixed-outlay instruments spend their budget directly.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    demand_driven: ClassVar[bool] = False

    instrument: Literal[INSTRUMENTS]  # type: ignore[valid-type]
    enabled: bool = True
    budget: float = Field(0.0, ge=0.0, description="euros per year in the start year")
    budget_growth: float | None = Field(
        None,
        ge=-0.5,
        le=1.0,
        description="growth of the budget per year; absent: the projected nominal GDP path "
        "(macro.projected_nominal_growth), the same in every scenario",
    )
    budget_path: dict[str, Annotated[float, Field(ge=0.0)]] | None = Field(
        None, description='explicit euros per year by year ("2026" = 1.2e9); overrides budget'
    )
    targets: Literal["all", "size"] | list[str] = "all"
    start: int = Field(2026, ge=2000, le=2100)
    end: int = Field(2040, ge=2000, le=2100)

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
    def _dates(self) -> Self:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    def budget_in(self, year: int, gdp_growth: float = 0.0) -> float:
        """Budget of the programme in a year.

        Parameters
        ----------
        year : int
            Calendar year.
        gdp_growth : float
            Growth per year of the projected nominal GDP path, used when ``budget_growth`` is
            absent.

        Returns
        -------
        float
            Euros in ``year``: the ``budget_path`` step function if given, else ``budget``
            grown at ``budget_growth`` (or ``gdp_growth``) from ``start``; zero outside
            [start, end] or when the programme is disabled.
        """
        if not self.enabled or year < self.start or year > self.end:
            return 0.0
        if self.budget_path is not None:
            years = sorted(int(k) for k in self.budget_path)
            prior = [y for y in years if y <= year]
            y = prior[-1] if prior else years[0]
            return float(self.budget_path[str(y)])
        growth = gdp_growth if self.budget_growth is None else self.budget_growth
        return float(self.budget * (1.0 + growth) ** (year - self.start))

    def target_mask(self, size_weights: np.ndarray) -> np.ndarray:
        """Weights of the sectors the programme serves.

        Parameters
        ----------
        size_weights : numpy.ndarray
            Sector sizes (one per sector of :data:`abm.sectors.SECTORS`), used for ``"size"``.

        Returns
        -------
        numpy.ndarray
            One weight per sector: 1 for targets and 0 otherwise, or the normalised size
            weights for ``targets = "size"``.
        """
        if self.targets == "all":
            return np.ones(len(SECTORS))
        if self.targets == "size":
            return np.asarray(size_weights, dtype=float) / np.sum(size_weights)
        return np.array([1.0 if s in self.targets else 0.0 for s in SECTORS])


class RdTaxCreditSpec(ProgrammeBase):
    """``rd_tax_credit``: a WBSO-like credit on R&D wage costs, per real firm in the targets.

    Annual credit = ``rate_first`` (``rate_starter`` for firms younger than 20 quarters) on R&D
    wage costs up to ``bracket``, plus ``rate_second`` above it, both times the rate scale of
    budget tracking; paid in cash as a subsidy. Demand-driven: at most one per scenario.

    Attributes
    ----------
    rate_first : float
        Credit rate on annual R&D wage costs up to ``bracket`` (WBSO 2025: 0.36).
    rate_second : float
        Credit rate on annual R&D wage costs above ``bracket`` (WBSO 2025: 0.16).
    rate_starter : float
        ``rate_first`` of start-ups, firms younger than 20 quarters (WBSO 2025: 0.50).
    bracket : float
        Euros of annual R&D wage cost per real firm taxed at the first rate (WBSO 2025: 380k).
    track_budget : bool
        Scale the rates each quarter so cumulative spending follows the budget path; with
        ``False`` the credit costs whatever the statutory rates cost.
    """

    demand_driven: ClassVar[bool] = True

    instrument: Literal["rd_tax_credit"] = "rd_tax_credit"
    track_budget: bool = Field(
        True, description="credit/box: scale the rate (base) each quarter to stay on budget"
    )
    rate_first: float = Field(0.36, ge=0.0, le=1.0)
    rate_second: float = Field(0.16, ge=0.0, le=1.0)
    rate_starter: float = Field(0.50, ge=0.0, le=1.0)
    bracket: float = Field(380_000.0, ge=0.0)


class InnovationBoxSpec(ProgrammeBase):
    """``innovation_box``: a lower corporate tax rate on innovation profits.

    For firms in the targets that do R&D, a qualifying share of profit, min(3 R&D/sales, 0.8)
    times the scale of budget tracking (at most 1), is taxed at ``box_rate`` instead of the top
    corporate rate. Demand-driven: at most one per scenario.

    Attributes
    ----------
    box_rate : float
        Corporate tax rate on qualifying profit (the Dutch box: 9% effective).
    track_budget : bool
        Scale the qualifying share each quarter so cumulative spending follows the budget path;
        with ``False`` the box costs whatever the statutory rate costs.
    """

    demand_driven: ClassVar[bool] = True

    instrument: Literal["innovation_box"] = "innovation_box"
    track_budget: bool = Field(
        True, description="credit/box: scale the rate (base) each quarter to stay on budget"
    )
    box_rate: float = Field(0.09, ge=0.0, le=1.0)


class GrantSpec(ProgrammeBase):
    """``grant``: competitive R&D project grants, so that "picking winners" can fail.

    Each firm in the targets proposes ``grant_share`` of its planned R&D; proposals are scored
    by log relative productivity plus ``selection_noise`` times a standard normal draw and
    funded best-first within the quarter's budget.

    Attributes
    ----------
    selection_noise : float
        Standard deviation of the noise in a proposal's score (0: selection on merit alone).
    grant_share : float
        Share of a project's R&D the grant funds.
    """

    instrument: Literal["grant"] = "grant"
    selection_noise: float = Field(0.5, ge=0.0, le=10.0)
    grant_share: float = Field(0.4, gt=0.0, le=1.0, description="share of a project's R&D funded")


class ProcurementSpec(ProgrammeBase):
    """``procurement``: strategic public orders to the targets with a domestic-content share.

    A quarter of the year's budget is ordered each quarter, split over the targets; the
    domestic share is placed with domestic firms, the rest is imported.

    Attributes
    ----------
    domestic_share : float
        Share of the orders placed with domestic firms in the ``start`` year.
    domestic_share_end : float or None
        Domestic share reached in the ``end`` year, linearly from ``start``; ``None`` keeps
        ``domestic_share`` constant.
    """

    instrument: Literal["procurement"] = "procurement"
    domestic_share: float = Field(0.4, ge=0.0, le=1.0)
    domestic_share_end: float | None = Field(None, ge=0.0, le=1.0)


class CoinvestmentSpec(ProgrammeBase):
    """``coinvestment``: a state fund matching private outside funding in the targets.

    Per private euro placed with a firm it adds up to ``match_ratio`` public euros (as public
    equity) while the quarter's budget lasts; investors see less risk in co-invested sectors.

    Attributes
    ----------
    match_ratio : float
        Public euros per private euro placed.
    """

    instrument: Literal["coinvestment"] = "coinvestment"
    match_ratio: float = Field(1.0, ge=0.0, le=10.0)


class MissionAgencySpec(ProgrammeBase):
    """``mission_agency``: DARPA-like public research on the targets' missions.

    Each quarter's tranche of the budget succeeds with probability ``1 - failure_probability``;
    a successful tranche raises the targets' knowledge stocks ``delay_quarters`` later.

    Attributes
    ----------
    delay_quarters : int
        Quarters between the spending and the knowledge it yields.
    failure_probability : float
        Probability that a quarter's tranche yields no knowledge.
    """

    instrument: Literal["mission_agency"] = "mission_agency"
    delay_quarters: int = Field(8, ge=0, le=80)
    failure_probability: float = Field(0.5, ge=0.0, le=1.0)


class PublicResearchSpec(ProgrammeBase):
    """``public_research``: universities and research institutes, the baseline public R&D.

    Bought from services; its knowledge feeds the targets. Not innovation-policy money (the
    equal-budget sum leaves it out). No fields of its own.
    """

    instrument: Literal["public_research"] = "public_research"


class TalentAttractionSpec(ProgrammeBase):
    """``talent_attraction``: a programme that buys additional high-skill residents from abroad.

    It keeps a stock of additional residents of budget / price (calibration key
    ``labour.talent_cost_per_resident``, the 30% ruling's cost per additional worker in the
    country), drawn from high-skill talent abroad (technical talent only when ``targets`` is a
    list of sectors); the same money buys the same headcount whatever field it aims at.

    Attributes
    ----------
    immigration_boost : float
        Efficiency of the programme: headcount bought relative to the calibrated price (1 = the
        evidence on the 30% ruling).
    """

    instrument: Literal["talent_attraction"] = "talent_attraction"
    immigration_boost: float = Field(1.0, ge=0.0, le=20.0)


class GridCapacitySpec(ProgrammeBase):
    """``grid_capacity``: public grid investment for energy-intensive expansion in the targets.

    It adds connectable capital (relieving the grid congestion cap) to the targets that are
    energy-intensive. No fields of its own.
    """

    instrument: Literal["grid_capacity"] = "grid_capacity"


#: A programme table: the spec class named by its ``instrument`` (a discriminated union).
ProgrammeSpec = Annotated[
    RdTaxCreditSpec
    | InnovationBoxSpec
    | GrantSpec
    | ProcurementSpec
    | CoinvestmentSpec
    | MissionAgencySpec
    | PublicResearchSpec
    | TalentAttractionSpec
    | GridCapacitySpec,
    Field(discriminator="instrument"),
]

#: Instrument name -> its spec class, in the order of :data:`abm.sectors.INSTRUMENTS`.
INSTRUMENT_SPECS: dict[str, type[ProgrammeBase]] = {
    typing.get_args(cls.model_fields["instrument"].annotation)[0]: cls
    for cls in typing.get_args(typing.get_args(ProgrammeSpec)[0])
}

if tuple(INSTRUMENT_SPECS) != INSTRUMENTS:
    raise RuntimeError(
        "abm.scenario.instruments: the spec classes of ProgrammeSpec "
        f"({', '.join(INSTRUMENT_SPECS)}) must be one per abm.sectors.INSTRUMENTS, in its order "
        f"({', '.join(INSTRUMENTS)})"
    )


def instrument_fields(instrument: str) -> dict[str, FieldInfo]:
    """The fields a programme of an instrument accepts.

    Parameters
    ----------
    instrument : str
        One of :data:`abm.sectors.INSTRUMENTS`.

    Returns
    -------
    dict[str, pydantic.fields.FieldInfo]
        Field name -> ``FieldInfo`` of the instrument's spec class: the common fields of
        :class:`ProgrammeBase` followed by the instrument's own.

    Raises
    ------
    ValueError
        ``instrument`` is not an instrument.
    """
    if instrument not in INSTRUMENT_SPECS:
        raise ValueError(f"unknown instrument {instrument!r}; allowed: {', '.join(INSTRUMENTS)}")
    return dict(INSTRUMENT_SPECS[instrument].model_fields)
