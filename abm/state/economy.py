"""The economy's state: typed groups of sector-level state, and the base class that holds them.

:class:`EconomyState` declares everything a mechanism may read or write (``EconomyModel``, the
Mesa model, inherits it and owns the state); the populations are struct-of-arrays
(:mod:`abm.state.populations`, fields in :mod:`abm.state.fields`). Mechanisms are functions
``(eco: EconomyState, f: QuarterFlows) -> None``; what one step hands to a later one in the same
quarter travels in :class:`abm.state.flows.QuarterFlows`, what lasts longer lives here.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from abm.state.accounts import Accounts, BalanceSheets, financial_net_worth
from abm.state.draws import DrawsAhead
from abm.state.flows import QuarterFlows
from abm.state.populations import Population
from abm.state.sectors import N_SECTORS, N_SKILLS
from kernels.firms import group_weighted_mean, staff_by_skill, wage_matrix
from kernels.philox import philox_uniforms, philox_uniforms_parallel
from kernels.talent import census as talent_census
from kernels.talent import count_staff

if TYPE_CHECKING:
    from abm.scenario import Scenario

S = N_SECTORS
K = N_SKILLS


#: agents from which ``EconomyState.shocks`` draws on numba's threads (with ``threads > 1``)
PARALLEL_SHOCKS_FROM = 4096


class Shock(IntEnum):
    """Mechanism codes of the per-agent counter-based shocks (Philox counter word three)."""

    QUIT = 1
    EMIGRATE = 2
    RETIRE = 3
    IMMIGRATE = 4
    ROUND = 5
    INNOVATE = 6
    GRANT = 7
    FIRE = 8
    INVEST = 9
    SEARCH = 10
    ATTRACT = 11


#: Mechanism streams spawned from the member seed (docs/model.md §8), in a fixed order.
STREAMS: tuple[str, ...] = (
    "init",
    "labour",
    "goods",
    "innovation",
    "capital",
    "entry",
    "talent",
    "programmes",
    "education",
)


def weighted_mean(
    x: np.ndarray, w: np.ndarray, groups: np.ndarray, n: int, shift: float = 0.0
) -> np.ndarray:
    """Mean of ``x`` weighted by ``w + shift`` within each group ``0..n-1`` (0 for an empty
    group): ``kernels.firms.group_weighted_mean``, one pass instead of two ``np.bincount``."""
    f64 = np.float64
    return group_weighted_mean(
        np.asarray(x, f64), np.asarray(w, f64), np.asarray(groups), n, float(shift)
    )


@dataclass
class Structure:
    """Technology and behaviour calibrated at the build (the 2025 economy), fixed afterwards."""

    io: np.ndarray  #: input-output coefficients A[j, s]: input from j per unit of s's output
    kappa: np.ndarray  #: maximum real output per unit of capital per quarter, by sector
    delta_q: float  #: quarterly depreciation rate
    nu: np.ndarray  #: R&D over sales at the 2025 user cost, by sector
    subsidy_2025: float  #: R&D subsidy rate in force in 2025 (WBSO and box)
    rd_labour_share: float  #: share of R&D spending that is personnel cost
    rd_nonlabour_cost: np.ndarray  #: non-personnel R&D per unit of output, by sector
    markup0: np.ndarray  #: 2025 mark-up by sector (prices = 1)
    skill_mix: np.ndarray  #: production staff by skill, sector x skill shares
    sector_premium: np.ndarray  #: sector wage premium over the skill wage
    exports0: np.ndarray  #: 2025 exports of domestic output by sector, euros per quarter
    import_share: np.ndarray  #: import share of domestic uses by sector (calibrated scale)
    n_agents0: np.ndarray  #: 2025 firm agents by sector
    size_weights: np.ndarray  #: 2025 value-added shares (targets = "size")


@dataclass
class SectorState:
    """Prices and knowledge by sector."""

    price_index: np.ndarray  #: output price index (2025 = 1)
    world_price: float  #: world price level (2025 = 1)
    knowledge: np.ndarray  #: knowledge stock, euros of R&D
    world_shock: float = 0.0  #: log world-demand shock (AR(1))
    opportunity: np.ndarray = field(default_factory=lambda: np.ones(S))  #: m_s / m_s,2025
    opportunity_2025: np.ndarray | None = None  #: spillover multiplier at the end of 2025


@dataclass
class Trends:
    """Slow-moving aggregates that expectations, wages and budgets lean on."""

    gdp_hist: list[float]  #: last quarters' nominal GDP (trend GDP = mean of the last four)
    demand_growth: np.ndarray  #: smoothed quarterly growth of real output by sector
    sector_out_prev: np.ndarray  #: last quarter's real output by sector
    prod_growth: float  #: trend quarterly labour-productivity growth
    lp_hist: list[float] = field(default_factory=list)  #: log real GDP per worker
    va_per_output_build: np.ndarray | None = None  #: value added per unit of output, 1st quarter
    va_per_output: np.ndarray | None = None  #: 2025 value added per unit of real output
    price_2025: np.ndarray | None = None  #: 2025 average sector prices (real use deflators)
    base_sums: np.ndarray | None = None  #: 2025 sums of value added, output and prices
    deflator_prev: float = 1.0  #: last quarter's GDP deflator (2025 = 1)
    labour_force_2025: float = 0.0  #: resident labour force at the end of 2025 (persons)
    profit_rate_hist: list[np.ndarray] = field(default_factory=list)  #: sector profit rates


@dataclass
class LabourState:
    """Wage levels at home and abroad, and the calibrated migration base rates."""

    skill_wage: np.ndarray  #: wage index by skill, euros per person-quarter
    foreign_wage_level: np.ndarray  #: wages abroad by skill (before the foreign wage ratio)
    natural_rate: np.ndarray = field(default_factory=lambda: np.zeros(K))  #: by skill
    p0_emigrate: float = 0.0  #: quarterly base emigration probability
    p0_immigrate: float = 0.0  #: quarterly base immigration probability
    next_talent_id: int = 1
    #: talent agents employed per firm row and skill (kept in step with every change of employer)
    staff: np.ndarray = field(default_factory=lambda: np.zeros((0, K), np.int64))
    #: talent agents living here, by skill (kept in step with migration, retirement, education)
    residents: np.ndarray = field(default_factory=lambda: np.zeros(K, np.int64))


@dataclass
class HouseholdState:
    """The household sector's consumption behaviour."""

    cy: float = 0.0  #: propensity to consume out of smoothed real disposable income
    cw: float = 0.0  #: quarterly propensity to consume out of deposits
    consumption_plan: float = 0.0  #: nominal consumption planned for next quarter
    last_income: float | None = None  #: smoothed real disposable income
    saving_prev: float = 0.0  #: last quarter's saving (new money for investors)


@dataclass
class GovernmentState:
    """Tax rates (the household rate moves with the fiscal rule)."""

    wage_tax: float = 0.0
    household_tax: float = 0.0
    household_tax_2025: float = 0.0  #: the rate the burn-in settles
    brake: float = 0.0  #: what the debt brake adds to the household tax rate


@dataclass
class FinanceState:
    """The capital market's memory."""

    loan_repayments: float = 0.0  #: repaid last quarter, placed again this quarter
    return_ref: np.ndarray | None = None  #: expected return by sector at the end of 2025


@dataclass
class PolicyState:
    """Stocks that programmes build up."""

    grid_connected: np.ndarray = field(default_factory=lambda: np.zeros(S))  #: capital, 2025 euros
    mission_pipeline: list[tuple[int, np.ndarray]] = field(default_factory=list)  #: (due, M)
    mission_stock: np.ndarray = field(default_factory=lambda: np.zeros(S))  #: mission research
    money: np.ndarray = field(default_factory=lambda: np.zeros((0, S)))  #: programme x sector


class EconomyState:
    """Everything the mechanisms read and write; ``EconomyModel`` owns it.

    Populations (struct of arrays): ``firm_pop``, ``talent_pop``, ``investor_pop``,
    ``programme_pop``. Groups: ``structure`` (fixed after the build), ``sectors``, ``trends``,
    ``labour``, ``households``, ``government``, ``finance``, ``policy``; ``accounts`` and ``bs``
    (balance sheets); ``flows`` (the current quarter's :class:`QuarterFlows`).
    """

    scenario: Scenario
    cal: dict[str, Any]
    threads: int = 1  #: numba threads for the kernels that run in parallel (1: none started)
    threads_requested: int = 1  #: the threads asked for (``threads``: those in use at this scale)
    scale: float
    quarters: int
    burn_in: int
    start_year: int
    quarter: int
    streams: dict[str, np.random.Generator]
    draws: DrawsAhead  #: the streams' draws made ahead on a helper thread (abm.state.draws)
    accounts: Accounts
    bs: BalanceSheets
    firm_pop: Population
    talent_pop: Population
    investor_pop: Population
    programme_pop: Population
    programmes: dict[str, Any]  # name -> Programme agent (``.spec`` is its scenario table)
    programme_names: list[str]
    structure: Structure
    sectors: SectorState
    trends: Trends
    labour: LabourState
    households: HouseholdState
    government: GovernmentState
    finance: FinanceState
    policy: PolicyState
    flows: QuarterFlows
    records: list[Any]
    snapshots: list[dict[str, Any]]
    _key0: np.uint64
    _key1: np.uint64
    _next_firm_key: int

    def free_threads(self) -> int:
        """numba threads for a parallel kernel that starts now: ``threads``, less one while a
        draw runs on the helper thread (``abm.state.draws``), which has a core of its own then
        (a caller with a serial and a threaded kernel takes the serial one at 1; the threaded
        kernels themselves run on the ``threads`` of ``numba.set_num_threads``).
        On two cores a kernel on both threads beside the helper waited for the thread that
        shared a core with it: the funding queue took 13-19 ms beside the migration lotteries
        against 6.2 ms alone on two threads and 9.3 ms on one (docs/performance.md, "Fifteenth
        session"). The results are the same bits on any number of threads, so which count a
        kernel gets may depend on timing."""
        return max(self.threads - 1, 1) if self.draws.busy else self.threads

    # ------------------------------------------------------------------ agents
    def register_firms(self, n: int) -> np.ndarray:
        """Create ``n`` firm agents; returns their unique ids (the model implements this)."""
        raise NotImplementedError

    def unregister_firms(self, uids: np.ndarray) -> None:
        """Remove the firm agents with these ids (the model implements this)."""
        raise NotImplementedError

    def register_investors(self, n: int) -> np.ndarray:
        """Create ``n`` investor agents; returns their unique ids (the model implements this)."""
        raise NotImplementedError

    def register_programmes(self) -> None:
        """Create the scenario's programme agents in ``programmes`` (the model implements this)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers
    def net_worth(self) -> np.ndarray:
        """Financial net worth of the five institutional sectors (from the balance sheets)."""
        fp = self.firm_pop
        bs = self.bs
        bs.firm_deposits = float(fp.cash.sum())
        bs.firm_loans = float(fp.loans.sum())
        bs.firm_equity_r = float(fp.equity_r.sum())
        bs.firm_equity_g = float(fp.equity_g.sum())
        bs.firm_equity_b = float(fp.equity.sum()) - bs.firm_equity_r - bs.firm_equity_g
        return financial_net_worth(bs)

    def c(self, key: str) -> Any:
        """Calibration value (after the scenario's overrides)."""
        return self.cal[key]

    def shocks(self, ids: np.ndarray, mechanism: int, n_draws: int = 1) -> np.ndarray:
        """Per-agent uniforms keyed by (member seed, agent id, quarter, mechanism)."""
        q = self.quarter + 10_000  # keep the counter word non-negative
        # the same numbers either way; a few draws (a programme's own) are not worth the threads
        par = self.threads > 1 and ids.shape[0] >= PARALLEL_SHOCKS_FROM
        draw = philox_uniforms_parallel if par else philox_uniforms
        return draw(self._key0, self._key1, ids, q, mechanism, n_draws)

    def shock_key(self) -> tuple[np.uint64, np.uint64, int]:
        """(key0, key1, counter quarter) for kernels that draw the per-agent shocks inline."""
        return self._key0, self._key1, self.quarter + 10_000

    @property
    def date(self) -> _dt.date:
        """First day of the current quarter."""
        q = self.quarter
        year = self.start_year + q // 4
        return _dt.date(year, 3 * (q % 4) + 1, 1)

    @property
    def year(self) -> int:
        """Calendar year of the current quarter."""
        return self.start_year + self.quarter // 4

    def wage_of(self, firm_row: int, skill: int) -> float:
        """Wage (euros per person-quarter) firm ``firm_row`` pays for ``skill``."""
        fp = self.firm_pop
        return float(
            self.labour.skill_wage[skill]
            * self.structure.sector_premium[fp.sector[firm_row]]
            * fp.wage_premium[firm_row]
        )

    def firm_wages(self) -> np.ndarray:
        """Wage matrix (firms x skills), euros per person-quarter (read-only).

        Kept until one of its inputs is replaced (skill wages, sector premiums, the firms'
        sectors or wage premiums: mechanisms assign new arrays, never write into them), so
        the dozen calls of a quarter compute it four times.
        """
        fp = self.firm_pop
        inputs = (
            self.labour.skill_wage,
            self.structure.sector_premium,
            fp.sector,
            fp.wage_premium,
        )
        cached = self.__dict__.get("_wages_cache")
        if cached is not None and all(a is b for a, b in zip(cached[0], inputs, strict=True)):
            return cached[1]
        wages = wage_matrix(*inputs)  # W_k (theta_s omega_i), as numpy's broadcast product
        wages.flags.writeable = False
        self.__dict__["_wages_cache"] = (inputs, wages)
        return wages

    def firm_employment(self) -> np.ndarray:
        """Persons employed per firm and skill (firms x skills)."""
        return self.labour.staff.astype(float) * self.scale

    def talent_census(self) -> tuple[np.ndarray, np.ndarray]:
        """Talent agents living here and those of them employed, by skill (int64; from the
        counts kept in ``labour``, which ``tests/properties`` holds to a recount)."""
        staff = self.labour.staff
        return self.labour.residents.copy(), staff_by_skill(staff)

    def recount_talent(self) -> tuple[np.ndarray, np.ndarray]:
        """Residents by skill and staff by firm and skill, counted afresh from the agents."""
        tp = self.talent_pop
        home, _ = talent_census(tp.abroad, tp.employer, tp.skill, K)
        return home, count_staff(tp.employer, tp.skill, len(self.firm_pop), K)

    def trend_gdp(self) -> float:
        """Trend nominal GDP per quarter: the mean of the last four quarters."""
        return float(np.mean(self.trends.gdp_hist[-4:]))

    def investment_price(self) -> float:
        """Price of investment goods: sector prices weighted by ``sectors.investment_mix``."""
        imix = self.c("sectors.investment_mix") / self.c("sectors.investment_mix").sum()
        return float(imix @ self.sectors.price_index)

    def consumer_price(self) -> float:
        """Consumer price index: sector prices weighted by ``sectors.consumption_mix``."""
        cmix = self.c("sectors.consumption_mix") / self.c("sectors.consumption_mix").sum()
        return float(cmix @ self.sectors.price_index)

    def sector_mean_productivity(self) -> np.ndarray:
        """Output-weighted mean firm productivity by sector."""
        fp = self.firm_pop
        return weighted_mean(fp.productivity, fp.output, fp.sector, S, 1e-9)

    def new_talent_ids(self, n: int) -> np.ndarray:
        """``n`` fresh talent ids, increasing."""
        start = self.labour.next_talent_id
        self.labour.next_talent_id += n
        return np.arange(start, start + n, dtype=np.int64)

    def new_firm_keys(self, n: int) -> np.ndarray:
        """``n`` fresh firm shock keys (serial numbers independent of Mesa's ids)."""
        keys = np.arange(self._next_firm_key, self._next_firm_key + n, dtype=np.int64)
        self._next_firm_key += n
        return keys
