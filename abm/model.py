"""The economy: ``EconomyModel``, a Mesa model whose quarter is a readable list of steps.

State lives in struct-of-arrays populations (``abm.state``); agents (``abm.agents``) are views.
The hot parts run in the compiled kernels of ``kernels/``. Money is in euros of the real Dutch
economy whatever the agent scale: a talent agent stands for ``scale`` persons, a firm agent for
``weight`` real firms, and firm stocks and flows are the totals of the firms it stands for.

Read :meth:`EconomyModel.step` first; each step's method has a docstring with its equation and
the source of its parameters (``abm/calibration/netherlands.toml``, see ``docs/model.md``).
"""

from __future__ import annotations

import datetime as _dt
import math
import time as _time
from collections.abc import Callable
from typing import Any

import mesa
import numpy as np

from abm.accounts import Accounts, BalanceSheets, financial_net_worth, foreign_position
from abm.agents import AgentView, Firm, Investor, Programme, Talent
from abm.calibration import load_calibration
from abm.recording import records_to_dataset
from abm.scenario import Scenario, load_scenario
from abm.sectors import (
    HIGH,
    INDUSTRY_MASK,
    N_SECTORS,
    N_SKILLS,
    SECTORS,
    B,
    F,
    G,
    H,
    R,
)
from abm.state import Population
from kernels.capital import allocate_investors, fund_requests
from kernels.goods import allocate_demand
from kernels.innovation import innovate
from kernels.labour import match_labour
from kernels.philox import philox_uniforms

S = N_SECTORS
K = N_SKILLS

# Philox mechanism codes (counter word three): per-agent shocks of each mechanism.
_QUIT, _EMIGRATE, _RETIRE, _IMMIGRATE, _ROUND, _INNOV, _GRANT, _FIRE, _INVEST = range(1, 10)

#: Mechanism streams spawned from the member seed (DESIGN §5), in a fixed order.
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

FIRM_FIELDS = {
    "id": np.int64,
    "sector": np.int64,
    "weight": np.float64,
    "productivity": np.float64,
    "capital": np.float64,
    "markup": np.float64,
    "price": np.float64,
    "inventory": np.float64,
    "cash": np.float64,
    "loans": np.float64,
    "equity": np.float64,  # total outside equity, book value
    "equity_r": np.float64,  # of which held by the rest of the world
    "equity_g": np.float64,  # of which held by the government (co-investment)
    "rd": np.float64,  # R&D spending last quarter (euros)
    "rd_target": np.float64,  # planned R&D for this quarter
    "share": np.float64,
    "share_prev": np.float64,
    "sales": np.float64,  # euros last quarter
    "sales_real": np.float64,
    "expected": np.float64,  # expected real demand
    "sales_trend": np.float64,  # slow moving average of real demand (plans capacity)
    "output": np.float64,  # real output last quarter
    "age": np.int64,
    "wage_premium": np.float64,
    "unfilled": np.float64,  # share of vacancies left open last quarter
    "profit": np.float64,  # pre-tax profit last quarter
    "order": np.float64,  # investment goods ordered, delivered and paid next quarter (euros)
    "low_share_quarters": np.int64,
    "rd_norm": np.float64,  # researchers per employee that count as effort 1 (sector, 2025)
    "subsidy_rate": np.float64,  # effective R&D subsidy rate last quarter (credit + grant)
    "grant": np.float64,  # grant money received for this quarter's R&D
    "credit": np.float64,  # R&D tax credit received last quarter
    "key": np.int64,  # serial number keying the firm's shocks (independent of Mesa's ids)
    "unserved": np.float64,  # share of the firm's demand it could not serve
}
TALENT_FIELDS = {
    "id": np.int64,
    "skill": np.int64,
    "field": np.int64,
    "employer": np.int64,
    "abroad": np.int64,
    "reservation": np.float64,
    "experience": np.int64,
}
INVESTOR_FIELDS = {
    "id": np.int64,
    "kind": np.int64,
    "funds": np.float64,
    "home_bias": np.float64,
    "placed_home": np.float64,
    "placed_abroad": np.float64,
}
PROGRAMME_FIELDS = {
    "id": np.int64,
    "spent": np.float64,
    "budget_year": np.float64,
    "rate_scale": np.float64,
    "spent_year": np.float64,
    "budget_cum": np.float64,  # budget to date (euros since the programme started)
    "spent_cum": np.float64,  # spending to date
    "spent_last": np.float64,  # spending last quarter
}


def _weighted_mean(x: np.ndarray, w: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    num = np.bincount(groups, weights=x * w, minlength=n)
    den = np.bincount(groups, weights=w, minlength=n)
    return np.divide(num, den, out=np.zeros(n), where=den > 0)


class EconomyModel(mesa.Model):
    """An agent-based model of the Dutch economy and its innovation policy.

    Parameters
    ----------
    scenario : Scenario or str
        A validated scenario or a shipped scenario's name / TOML path.
    seed : int or numpy.random.SeedSequence
        The member seed; a run is a function of (scenario, seed) alone.
    scale : float, optional
        Persons per talent agent (overrides the scenario's ``run.scale``).
    quarters : int, optional
        Recorded quarters (overrides ``run.quarters``).
    check_accounts : bool
        Run the stock-flow checks after every quarter (default True).
    """

    def __init__(
        self,
        scenario: Scenario | str = "diffuse",
        seed: int | np.random.SeedSequence = 0,
        *,
        scale: float | None = None,
        quarters: int | None = None,
        check_accounts: bool = True,
    ) -> None:
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        super().__init__(rng=int(ss.generate_state(1, np.uint32)[0]))
        self.scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
        self.seed_sequence = ss
        self.seed = int(seed) if not isinstance(seed, np.random.SeedSequence) else ss.entropy
        self.cal = self.scenario.calibration()
        run = self.scenario.run
        self.scale = float(scale if scale is not None else run.scale)
        if not self.scale >= 1.0:
            raise ValueError(f"scale must be >= 1 (persons per talent agent), got {self.scale}")
        self.quarters = int(quarters if quarters is not None else run.quarters)
        if self.quarters < 1:
            raise ValueError(f"quarters must be >= 1, got {self.quarters}")
        self.burn_in = run.burn_in
        self.start_year = run.start_year
        self.check_accounts_enabled = check_accounts
        children = ss.spawn(len(STREAMS))
        self.streams = {
            n: np.random.Generator(np.random.PCG64(c))
            for n, c in zip(STREAMS, children, strict=True)
        }
        k = ss.generate_state(4, np.uint64)
        self._key0, self._key1 = np.uint64(k[2]), np.uint64(k[3])
        self.quarter = -self.burn_in  # model quarter; recorded from 0
        self.accounts = Accounts()
        self.bs = BalanceSheets()
        self.firm_pop = Population(FIRM_FIELDS, "firms")
        self.talent_pop = Population(TALENT_FIELDS, "talent")
        self.investor_pop = Population(INVESTOR_FIELDS, "investors")
        self.programme_pop = Population(PROGRAMME_FIELDS, "programmes")
        self._firm_agents: dict[int, Firm] = {}
        self._investor_agents: dict[int, Investor] = {}
        self.programmes: dict[str, Programme] = {}
        self.firms = AgentView(self, "firm_pop", self._firm_agents)
        self.investors = AgentView(self, "investor_pop", self._investor_agents)
        self.talent = AgentView(self, "talent_pop", None, Talent)
        self._next_talent_id = 1
        self.records: list[dict[str, Any]] = []
        self.snapshots: list[dict[str, np.ndarray]] = []
        self._build()

    # ------------------------------------------------------------------ helpers
    def c(self, key: str) -> Any:
        """Calibration value (after the scenario's overrides)."""
        return self.cal[key]

    def shocks(self, ids: np.ndarray, mechanism: int, n_draws: int = 1) -> np.ndarray:
        """Per-agent uniforms keyed by (member seed, agent id, quarter, mechanism)."""
        q = self.quarter + 10_000  # keep the counter word non-negative
        return philox_uniforms(self._key0, self._key1, ids, q, mechanism, n_draws)

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
            self.skill_wage[skill]
            * self.sector_premium[fp.sector[firm_row]]
            * fp.wage_premium[firm_row]
        )

    def firm_wages(self) -> np.ndarray:
        """Wage matrix (firms x skills), euros per person-quarter."""
        fp = self.firm_pop
        return (
            self.skill_wage[None, :] * (self.sector_premium[fp.sector] * fp.wage_premium)[:, None]
        )

    def firm_employment(self) -> np.ndarray:
        """Persons employed per firm and skill (firms x skills)."""
        tp = self.talent_pop
        emp = tp.employer >= 0
        n = len(self.firm_pop)
        counts = np.bincount(tp.employer[emp] * K + tp.skill[emp], minlength=n * K)
        return counts.reshape(n, K).astype(float) * self.scale

    def _new_talent_ids(self, n: int) -> np.ndarray:
        ids = np.arange(self._next_talent_id, self._next_talent_id + n, dtype=np.int64)
        self._next_talent_id += n
        return ids

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        """Create the calibrated 2025 economy (the burn-in then settles it)."""
        c = self.c
        rng = self.streams["init"]
        Y = c("macro.gdp_2025") / 4.0  # quarterly GDP
        self.gdp_ref = Y
        va_share = c("sectors.va_share") / c("sectors.va_share").sum()
        va = va_share * Y
        A = c("sectors.intermediate_share")
        X = va / (1.0 - A)  # gross output
        lf = c("labour.labour_force")
        u0 = c("labour.unemployment_rate")
        E = lf * (1.0 - u0)
        emp_share = c("sectors.employment_share") / c("sectors.employment_share").sum()
        emp = emp_share * E
        ls = c("sectors.labour_share") * va
        ls *= c("macro.labour_share") * Y / ls.sum()  # total compensation = labour share of GDP
        wage_avg_s = ls / emp  # euros per person-quarter
        rel = c("labour.wage_by_skill_relative")
        hi = c("sectors.skill_mix_high")
        lo = c("sectors.skill_mix_low")
        mix = np.stack([lo, 1.0 - hi - lo, hi], axis=1)  # sector x skill
        self.skill_mix = mix
        wbar = ls.sum() / E
        self.skill_wage = rel * wbar
        self.sector_premium = wage_avg_s / (mix @ self.skill_wage)
        self.foreign_wage_level = self.skill_wage.copy()
        # R&D: BERD by sector, of which wages (share rho_L) pay R&D staff (high skill).
        berd = c("rd.berd_share_gdp") * Y * c("sectors.rd_share_of_berd")
        berd *= c("rd.berd_share_gdp") * Y / berd.sum()
        self.rd_labour_share = 0.45  # share of BERD that is personnel cost (CBS R&D statistics)
        # R&D over sales at the 2025 user cost (WBSO and box in force): the rule
        # RD = nu_s sales (u/u_0)^-eps reproduces 2025 BERD at u = 1 - rd.subsidy_rate_2025
        self.subsidy_2025 = c("rd.subsidy_rate_2025")
        self.nu = berd / X * (1 - self.subsidy_2025) ** c("rd.elasticity_long")
        # Prices and mark-ups: p = (1 + mu) * unit cost = 1 in 2025.
        unit_cost = (ls + berd * (1 - self.rd_labour_share)) / X + A
        self.markup0 = np.clip(1.0 / unit_cost - 1.0, 0.02, 2.0)
        self.A = self._io_matrix(A)
        self.rd_nonlabour_cost = berd * (1 - self.rd_labour_share) / X  # per unit of output
        # Capital: K_s proportional to capital intensity x VA, total = K/Y ratio x annual GDP.
        kint = c("sectors.capital_intensity") * va
        Kcap = kint / kint.sum() * c("macro.capital_output_ratio") * 4 * Y
        util = c("macro.capacity_utilisation")
        self.kappa = X / (Kcap * util)  # max real output per unit of capital per quarter
        self.delta_q = 1 - (1 - c("macro.depreciation_rate")) ** 0.25
        # ---------------- firms
        real_firms = (
            c("firms.enterprises_with_staff")
            * c("firms.firm_shares")
            / c("firms.firm_shares").sum()
        )
        n_agents = np.maximum(
            np.round(real_firms / self.scale).astype(int), int(c("firms.min_agents_per_sector"))
        )
        rows = []
        alpha = c("firms.size_pareto_alpha")
        for s in range(S):
            n = int(n_agents[s])
            size = (1.0 - rng.random(n)) ** (-1.0 / alpha)  # Pareto sizes
            size /= size.sum()
            w = np.full(n, real_firms[s] / n)
            big = None
            if SECTORS[s] == "machinery":
                # The chip-machine maker: an individual agent of weight 1 (FACTS: ASML 2024).
                big = dict(
                    sales=c("firms.largest_firm_sales") / 4,
                    rd=c("firms.largest_firm_rd") / 4,
                    staff=c("firms.largest_firm_staff"),
                )
                frac_big = min(0.6, big["sales"] / X[s])
                size = np.concatenate([size * (1 - frac_big), [frac_big]])
                w = np.concatenate([w - 1.0 / n, [1.0]])
                n += 1
            prod = np.exp(rng.normal(0.0, 0.15, n))
            rows.append((s, n, size, w, prod, big))
        sec_list, size_list, w_list, prod_list, staff_share = [], [], [], [], []
        for s, n, size, w, prod, big in rows:
            sec_list.append(np.full(n, s))
            size_list.append(size)
            w_list.append(w)
            # productivity dispersion, normalised so the sector's output per worker is right
            emp_sh = size / prod
            if big is not None:
                emp_sh[-1] = big["staff"] / emp[s]
                rest = 1.0 - emp_sh[-1]
                emp_sh[:-1] *= rest / emp_sh[:-1].sum()
            else:
                emp_sh /= emp_sh.sum()
            staff_share.append(emp_sh)
            prod_list.append(prod)
        sector = np.concatenate(sec_list)
        size = np.concatenate(size_list)
        weight = np.concatenate(w_list)
        staff_sh = np.concatenate(staff_share)
        nf = sector.size
        sales = size * X[sector]  # quarterly euros = real output at price 1
        staff = staff_sh * emp[sector]
        # 2025 R&D: nu_s sales at the 2025 user cost (1 - subsidy)^-eps, i.e. the BERD shares
        rd = self.nu[sector] * sales * (1 - self.subsidy_2025) ** -c("rd.elasticity_long")
        is_big = np.zeros(nf, bool)
        big_row = int(np.flatnonzero(sector == SECTORS.index("machinery"))[-1])
        is_big[big_row] = True
        rd[big_row] = rows[SECTORS.index("machinery")][5]["rd"]
        premium = np.ones(nf)
        premium[big_row] = 1.4
        w_high = self.skill_wage[HIGH] * self.sector_premium[sector] * premium
        rd_staff = np.minimum(self.rd_labour_share * rd / w_high, 0.8 * staff * mix[sector, HIGH])
        prod_staff = staff - rd_staff
        productivity = sales / np.maximum(prod_staff, 1.0)
        # capital vintages differ: +-3% around the need, so lumpy investment starts desynchronised
        capital = Kcap[sector] * size * rng.uniform(0.97, 1.03, nf)
        agents = [Firm(self) for _ in range(nf)]
        ids = np.array([a.unique_id for a in agents], dtype=np.int64)
        for a in agents:
            self._firm_agents[a.unique_id] = a
        equity = 0.3 * capital
        # researchers per real firm that count as unit effort: the sector's baseline
        # innovation effort is R&D staff per employee relative to the sector's 2025 ratio, so it
        # does not grow with firm size (a firm agent stands for many real firms)
        rd_ratio = rd_staff / np.maximum(staff, 1e-9)
        base = _weighted_mean(rd_ratio, staff, sector, S)
        self.firm_pop.append(
            id=ids,
            sector=sector,
            weight=weight,
            productivity=productivity,
            capital=capital,
            markup=self.markup0[sector],
            price=np.ones(nf),
            inventory=c("firms.inventory_target") * sales,
            cash=0.6 * sales,
            loans=0.35 * capital,
            equity=equity,
            equity_r=0.4 * equity,
            equity_g=np.zeros(nf),
            rd=rd,
            rd_target=rd,
            share=size,
            share_prev=size,
            sales=sales,
            sales_real=sales,
            expected=sales,
            sales_trend=sales,
            output=sales,
            age=np.full(nf, 40),
            wage_premium=premium,
            unfilled=np.zeros(nf),
            profit=np.zeros(nf),
            order=self.delta_q * capital,
            low_share_quarters=np.zeros(nf, np.int64),
            rd_norm=np.maximum(base[sector], 1e-9),
            subsidy_rate=np.full(nf, c("rd.subsidy_rate_2025")),
            grant=np.zeros(nf),
            credit=np.zeros(nf),
            key=np.arange(1, nf + 1, dtype=np.int64),
            unserved=np.zeros(nf),
        )
        self._next_firm_key = nf + 1
        self.n_agents0 = np.bincount(sector, minlength=S)
        # ---------------- talent: employees of each firm, the unemployed, and the foreign pool
        self._build_talent(prod_staff, rd_staff, mix, sector, lf, u0)
        # ---------------- sector-level state
        self.price_index = np.ones(S)
        self.world_price = 1.0
        self.knowledge = berd * 4.0 / c("rd.knowledge_depreciation")  # steady-state stock
        self.public_rd_q = c("rd.public_rd_share_gdp") * Y
        self.knowledge += (
            self.public_rd_q * 4 / c("rd.knowledge_depreciation") * self._public_rd_split()
        )
        self.exports0 = self._calibrate_exports(X, va, berd)
        self.demand_growth = np.full(
            S, (1 + c("macro.real_growth_2025") + c("macro.inflation_target")) ** 0.25 - 1
        )
        self.profit_rate_hist = [np.full(S, 0.08)]
        self.grid_capacity = np.zeros(S)
        self.mission_pipeline: list[tuple[int, np.ndarray]] = []
        self.prod_growth = (
            1 + c("macro.real_growth_2025") - c("labour.labour_force_growth")
        ) ** 0.25 - 1
        self.u_natural = np.full(K, u0)
        self.gdp_hist = [Y]
        self.sector_va_prev = va.copy()
        # ---------------- balance sheets
        bs = self.bs
        bs.deposits_h = 1.5 * 4 * Y
        bs.deposits_g = 0.05 * Y
        debt = c("government.debt_share") * 4 * Y
        bs.bonds_r = c("government.bond_foreign_share") * debt
        bs.bonds_b = debt - bs.bonds_r
        bs.foreign_assets = 1.0 * 4 * Y
        bs.deposits_r = 0.0
        # ---------------- investors and programmes
        self._build_investors(Y)
        self._build_programmes(va)
        # ---------------- households and government behaviour, calibrated to 2025 shares
        self.wage_tax = c("government.labour_tax_rate")
        self.cw = 0.006  # quarterly propensity to consume out of financial wealth (assumption)
        self._calibrate_households_and_taxes(Y, ls, X, berd)
        self.consumption_plan = c("macro.consumption_share") * Y
        self.last_income: float | None = None
        self.investment_orders_prev = self.firm_pop.order.copy()
        self.prev_unemployed_share = np.full(K, u0)
        self.household_saving_prev = 0.0
        self.loan_repayments = 0.0
        self.return_ref: np.ndarray | None = None
        self.va_per_output: np.ndarray | None = None
        self.lp_hist: list[float] = []

    def _io_matrix(self, A: np.ndarray) -> np.ndarray:
        """Input-output technical coefficients A[j, s]: input from j per unit of s's output.

        Assumption (no Dutch IO table in FACTS): each sector buys 30% of its intermediates from
        itself, 40% from services, 15% from other industry, 5% each from digital_ai, chemistry
        and machinery; services buys 70% from itself. Column totals equal the calibrated
        intermediate share of gross output.
        """
        idx = {s: i for i, s in enumerate(SECTORS)}
        M = np.zeros((S, S))
        for s in range(S):
            col = np.zeros(S)
            col[s] += 0.30
            col[idx["services"]] += 0.40
            col[idx["other_industry"]] += 0.15
            col[idx["digital_ai"]] += 0.05
            col[idx["chemistry"]] += 0.05
            col[idx["machinery"]] += 0.05
            if SECTORS[s] == "services":
                col = np.zeros(S)
                col[idx["services"]] = 0.70
                col[idx["other_industry"]] = 0.15
                col[idx["digital_ai"]] = 0.10
                col[idx["chemistry"]] = 0.05
            M[:, s] = col / col.sum() * A[s]
        return M

    def _public_rd_split(self) -> np.ndarray:
        """Share of public research whose knowledge serves each sector (by BERD shares)."""
        w = self.c("sectors.rd_share_of_berd")
        return w / w.sum()

    def _build_talent(
        self,
        prod_staff: np.ndarray,
        rd_staff: np.ndarray,
        mix: np.ndarray,
        sector: np.ndarray,
        lf: float,
        u0: float,
    ) -> None:
        rng = self.streams["init"]
        per_skill = prod_staff[:, None] * mix[sector]  # persons
        per_skill[:, HIGH] += rd_staff
        agents = per_skill / self.scale
        base = np.floor(agents)
        extra = rng.random(agents.shape) < (agents - base)
        counts = (base + extra).astype(np.int64)
        firm_rows = np.repeat(np.arange(len(sector)), counts.sum(axis=1))
        skills = (
            np.concatenate([np.repeat(np.arange(K), counts[i]) for i in range(len(sector))])
            if len(sector)
            else np.zeros(0, np.int64)
        )
        n_emp = firm_rows.size
        tech_need = self.c("sectors.technical_need")[sector[firm_rows]]
        field = (rng.random(n_emp) < np.where(skills == HIGH, tech_need, 0.1)).astype(np.int64)
        n_unemp = int(round(n_emp * u0 / (1 - u0)))
        shares = self.c("labour.skill_shares")
        u_skill = rng.choice(K, n_unemp, p=shares / shares.sum())
        u_field = (rng.random(n_unemp) < self.c("labour.technical_share")).astype(np.int64)
        n_pool = int(round((n_emp + n_unemp) * self.c("labour.foreign_pool_ratio")))
        p_skill = rng.choice(K, n_pool, p=np.array([0.25, 0.35, 0.40]))
        p_field = (rng.random(n_pool) < 0.35).astype(np.int64)
        n = n_emp + n_unemp + n_pool
        skill = np.concatenate([skills, u_skill, p_skill])
        self.talent_pop.append(
            id=self._new_talent_ids(n),
            skill=skill,
            field=np.concatenate([field, u_field, p_field]),
            employer=np.concatenate([firm_rows, np.full(n_unemp + n_pool, -1)]),
            abroad=np.concatenate([np.zeros(n_emp + n_unemp, np.int64), np.ones(n_pool, np.int64)]),
            reservation=0.8 * self.skill_wage[skill],
            experience=np.concatenate([sector[firm_rows], np.full(n_unemp + n_pool, -1)]),
        )
        self._calibrate_migration()

    def _calibrate_migration(self) -> None:
        """Migration base rates p_0 so that, at the current wage gaps and the calibration file's
        mobility and moving cost, flows equal FACTS's rates (emigration 205k, immigration 314k a
        year, over population). Done at the start and again at the end of the burn-in, so
        2026 starts on the observed flows; a scenario's parameters then move them."""
        tp = self.talent_pop
        n_home = int((tp.abroad == 0).sum())
        self.p0_emigrate = (
            self.c("labour.emigration_rate")
            / 4
            / max(np.mean(self._migration_response(emigrate=True, baseline=True)), 1e-9)
        )
        inflow = self.c("labour.immigration_rate") / 4 * n_home
        self.p0_immigrate = inflow / max(
            np.sum(self._migration_response(emigrate=False, baseline=True)), 1e-9
        )

    def _build_investors(self, Y: float) -> None:
        counts = self.c("finance.investor_count").astype(int)
        kinds = np.concatenate([np.full(n, k) for k, n in enumerate(counts)])
        agents = [Investor(self) for _ in kinds]
        for a in agents:
            self._investor_agents[a.unique_id] = a
        hb = self.c("finance.home_bias")
        self.investor_pop.append(
            id=np.array([a.unique_id for a in agents], dtype=np.int64),
            kind=kinds,
            funds=np.zeros(kinds.size),
            home_bias=np.where(kinds == 3, hb, hb * np.array([1.0, 1.3, 0.8, 1.0])[kinds]),
            placed_home=np.zeros(kinds.size),
            placed_abroad=np.zeros(kinds.size),
        )

    def _build_programmes(self, va: np.ndarray) -> None:
        self.size_weights = va / va.sum()
        specs = self.scenario.programmes
        for name, spec in specs.items():
            a = Programme(self, name, spec)
            self.programmes[name] = a
        self.programme_names = list(specs)
        n = len(specs)
        self.programme_pop.append(
            id=np.array([a.unique_id for a in self.programmes.values()], dtype=np.int64),
            spent=np.zeros(n),
            budget_year=np.zeros(n),
            rate_scale=np.ones(n),
            spent_year=np.zeros(n),
            budget_cum=np.zeros(n),
            spent_cum=np.zeros(n),
            spent_last=np.zeros(n),
        )

    def _calibrate_exports(self, X: np.ndarray, va: np.ndarray, berd: np.ndarray) -> np.ndarray:
        """Exports (of domestic output) per sector in 2025: the calibrated export shares of gross
        output, scaled so that total exports equal gross exports less re-exports (FACTS)."""
        c = self.c
        Y = va.sum()
        ex = c("sectors.export_share") * X
        target = c("macro.exports_gross_share") * (1 - c("macro.reexport_share_of_exports")) * Y
        # keep the industry shares, scale so the total is right where possible
        return ex * target / ex.sum()

    def _calibrate_households_and_taxes(
        self, Y: float, wages: np.ndarray, X: np.ndarray, berd: np.ndarray
    ) -> None:
        """Household propensity to consume and the household tax rate, from 2025 shares.

        The household tax (all taxes other than labour and corporate tax, folded into one
        proportional tax on household income) is set so that, in the calibrated state, the
        government balance equals FACTS's -0.9% of GDP; the propensity to consume out of
        disposable income so that consumption is 46.6% of GDP.
        """
        c = self.c
        wage_total = wages.sum()
        transfers = c("government.transfers_share") * Y
        benefits = (
            c("labour.benefit_replacement")
            * c("labour.unemployment_rate")
            / (1 - c("labour.unemployment_rate"))
            * wage_total
        )
        interest_h = c("firms.deposit_rate") / 4 * self.bs.deposits_h
        gos = Y - wage_total
        dividends = 0.55 * (gos - self.delta_q * self.firm_pop.capital.sum())  # distributed, net
        labour_tax = self.wage_tax * wage_total
        corp_tax = 0.2 * 0.25 * gos
        gov_spend = (
            c("macro.government_purchases_share") * Y
            + transfers
            + benefits
            + c("firms.deposit_rate") * 0
            + c("firms.bond_rate") / 4 * (self.bs.bonds_b + self.bs.bonds_r)
        )
        needed = gov_spend + c("government.balance_share") * Y - labour_tax - corp_tax
        gross_income = wage_total + transfers + benefits + interest_h + max(dividends, 0.0)
        self.household_tax = float(np.clip(needed / gross_income, 0.0, 0.6))
        yd = gross_income - labour_tax - self.household_tax * gross_income
        C = c("macro.consumption_share") * Y
        self.cy = float(np.clip((C - self.cw * self.bs.deposits_h) / yd, 0.3, 1.2))

    # ------------------------------------------------------------------ the quarter
    def step(self) -> None:
        """One quarter, as a list of steps (DESIGN §2, issue #2)."""
        self._begin_quarter()
        self.expectations()  # 1 expected demand, prices
        self.plan_production()  # 2 production plans, vacancies, layoffs
        self.labour_market()  # 3 matching (kernels.labour)
        self.produce()  # 4 output, intermediate inputs from the input-output matrix
        self.goods_market()  # 5 consumption, government, investment goods, exports; imports
        self.rd_and_innovation()  # 6 R&D decisions, innovation and imitation (kernels.innovation)
        self.invest_and_finance()  # 7 investment orders, capital market (kernels.capital)
        self.pay_incomes()  # 8 wages, interest, dividends, taxes
        self.programmes_pay()  # 9 programmes pay out (credit, grants, box accounted in 8)
        self.government_accounts()  # 10 transfers, bonds
        self.entry_and_exit()  # 11
        self.talent_step()  # 12 migration, retirement, education
        self.record()  # 13
        self.check_accounts()  # 14
        self.quarter += 1

    def run(self, progress: Callable[[int], None] | None = None) -> EconomyModel:
        """Burn in, then simulate the recorded quarters. ``progress(n)`` is called per quarter."""
        total = self.burn_in + self.quarters
        while self.quarter < self.quarters:
            self.step()
            if progress is not None:
                progress(1)
        self.running = False
        _ = total
        return self

    # -- 0
    def _begin_quarter(self) -> None:
        self.accounts.reset()
        self._nw_before = self.net_worth()
        self._foreign_before = foreign_position(self.bs)
        self.q: dict[str, Any] = {}  # this quarter's flows for recording
        fp = self.firm_pop
        # investment goods ordered last quarter are delivered now (paid in the goods market)
        self.q["orders"] = fp.order.copy()
        fp.order = np.zeros(len(fp))
        fp.age = fp.age + 1
        ps = self.programme_pop
        if self.quarter % 4 == 0:
            self._new_budget_year()
        ps.spent_last = ps.spent.copy()
        ps.spent = np.zeros(len(ps))
        self._track_budgets()

    def _new_budget_year(self) -> None:
        """Each January: the budgets of the year (from each programme's budget path)."""
        ps = self.programme_pop
        for i, prog in enumerate(self.programmes.values()):
            ps.arrays["budget_year"][i] = prog.spec.budget_in(self.year)
            ps.arrays["spent_year"][i] = 0.0

    def _track_budgets(self) -> None:
        """Keep demand-driven instruments on their budget path (DESIGN §2).

        The WBSO-like credit and the innovation box are open-ended in law but kept on budget in
        practice. Here their rate scale moves each quarter so that cumulative spending follows
        the cumulative budget: scale <- scale * clip((B_cum - S_cum) / S_last, 0.5, 2), where
        B_cum includes this quarter's budget and S_last is last quarter's spending. Fixed-outlay
        programmes spend exactly budget/4 a quarter (grants: up to the proposals received)."""
        ps = self.programme_pop
        for i, prog in enumerate(self.programmes.values()):
            budget_q = ps.budget_year[i] / 4
            ps.arrays["budget_cum"][i] += budget_q
            demand_driven = prog.spec.instrument in ("rd_tax_credit", "innovation_box")
            if demand_driven and prog.spec.track_budget and budget_q > 0:
                need = ps.budget_cum[i] - ps.spent_cum[i]
                last = ps.spent_last[i]
                if last > 0:
                    ratio = float(np.clip(need / last, 0.5, 2.0))
                    ps.arrays["rate_scale"][i] = float(np.clip(ps.rate_scale[i] * ratio, 0.01, 5.0))

    def _programme_rows(self, instrument: str) -> list[tuple[int, Programme]]:
        return [
            (i, p)
            for i, p in enumerate(self.programmes.values())
            if p.spec.instrument == instrument and self.programme_pop.budget_year[i] > 0
        ]

    def _spend(self, i: int, amount: float) -> None:
        ps = self.programme_pop
        ps.arrays["spent"][i] += amount
        ps.arrays["spent_year"][i] += amount
        ps.arrays["spent_cum"][i] += amount

    # -- 1
    def expectations(self) -> None:
        """Adaptive expectations of real demand and mark-up pricing.

        e_i(t) = e_i(t-1) + alpha * (d_i(t-1) * (1 + g_s) - e_i(t-1)), with d_i last quarter's
        real sales (plus the share of demand it could not serve) and g_s the sector's smoothed
        demand growth; alpha = firms.expectation_weight (assumption). Price
        p_i = (1 + mu_i) * unit cost, unit cost = w_i / a_i + sum_j A[j,s] P_j (DESIGN appendix);
        the mark-up follows mu_i(t) = mu_i(t-1) (1 + upsilon (f_i(t-1) - f_i(t-2)) / f_i(t-2)).
        """
        fp = self.firm_pop
        a = self.c("firms.expectation_weight")
        g = self.demand_growth[fp.sector]
        demand_seen = fp.sales_real / np.maximum(1e-9, 1.0 - fp.unserved)
        fp.expected = np.maximum(fp.expected + a * (demand_seen * (1 + g) - fp.expected), 0.0)
        ups = self.c("firms.markup_upsilon")
        rel = np.divide(
            fp.share - fp.share_prev, fp.share_prev, out=np.zeros(len(fp)), where=fp.share_prev > 0
        )
        mu = fp.markup * (1 + ups * np.clip(rel, -0.5, 0.5))
        fp.markup = np.clip(mu, 0.5 * self.markup0[fp.sector], 2.0 * self.markup0[fp.sector] + 0.05)
        wages = self.firm_wages()
        mix = self.skill_mix[fp.sector]
        labour_cost = (mix * wages).sum(axis=1) / fp.productivity
        interm = (self.A[:, fp.sector] * self.price_index[:, None]).sum(axis=0)
        rd_cost = self.rd_nonlabour_cost[fp.sector]
        fp.price = (1 + fp.markup) * (labour_cost + interm + rd_cost)

    # -- 2
    def plan_production(self) -> None:
        """Production plans, labour demand by skill, vacancies and layoffs.

        Q*_i = min(max(0, e_i (1 + iota) - inventory_i), kappa_s K_i): planned output covers
        expected demand plus desired inventories (iota = firms.inventory_target) within capital
        capacity (kappa_s from the capital-output ratio and utilisation, FACTS). Production staff
        Q*_i / a_i are split by the sector's skill mix; R&D staff (high skill) = rho_L RD_i / w_i.
        Vacancies are the gaps in agent units (stochastic rounding with the firm's own shock);
        half of a surplus above 10% is laid off at random (labour hoarding).
        """
        fp = self.firm_pop
        tp = self.talent_pop
        iota = self.c("firms.inventory_target")
        cap = self.kappa[fp.sector] * fp.capital
        plan = np.clip(fp.expected * (1 + iota) - fp.inventory, 0.0, cap)
        self.q["plan"] = plan
        wages = self.firm_wages()
        rd_staff = self.rd_labour_share * fp.rd_target / wages[:, HIGH]
        desired = plan[:, None] / fp.productivity[:, None] * self.skill_mix[fp.sector]
        desired[:, HIGH] += rd_staff
        self.q["rd_staff_desired"] = rd_staff
        want = desired / self.scale
        u = self.shocks(fp.key, _ROUND, K)
        want = np.floor(want + u).astype(np.int64)
        have = (self.firm_employment() / self.scale).round().astype(np.int64)
        # layoffs: random employees of firms more than 10% above their need
        # labour hoarding: only a surplus above 10% is shed, half of it per quarter
        surplus = np.where(have > np.ceil(want * 1.10), (have - want + 1) // 2, 0)
        emp = tp.employer >= 0
        if surplus.any():
            idx = np.flatnonzero(emp)
            rows = tp.employer[idx]
            sk = tp.skill[idx]
            p_fire = np.divide(
                surplus[rows, sk], have[rows, sk], out=np.zeros(idx.size), where=have[rows, sk] > 0
            )
            draw = self.shocks(tp.id[idx], _FIRE)[:, 0]
            fired = idx[draw < p_fire]
            self._separate(fired)
            self.q["layoffs"] = fired.size
        have = (self.firm_employment() / self.scale).round().astype(np.int64)
        self.q["vacancies"] = np.maximum(want - have, 0)

    def _separate(self, rows: np.ndarray) -> None:
        tp = self.talent_pop
        if rows.size == 0:
            return
        fr = tp.employer[rows]
        wages = self.firm_wages()[fr, tp.skill[rows]]
        tp.arrays["reservation"][rows] = 0.9 * wages
        tp.arrays["experience"][rows] = self.firm_pop.sector[fr]
        tp.arrays["employer"][rows] = -1

    # -- 3
    def labour_market(self) -> None:
        """Search and matching (``kernels.labour.match_labour``).

        Employed talent quits into search with probability ``labour.quit_rate`` (own shock);
        every unemployed resident looks at ``labour.search_sample`` random vacancies (search
        friction) and takes the best-paid acceptable one (skill at least the job's, a technical
        field where the job needs one, wage at least the reservation wage), first come first
        served in a random order. Reservation wages of the unemployed decay 5% a quarter towards
        the benefit level (replacement rate ``labour.benefit_replacement``).
        """
        fp = self.firm_pop
        tp = self.talent_pop
        rng = self.streams["labour"]
        home = tp.abroad == 0
        emp = tp.employer >= 0
        quit_draw = self.shocks(tp.id, _QUIT)[:, 0]
        quitters = np.flatnonzero(emp & home & (quit_draw < self.c("labour.quit_rate")))
        self._separate(quitters)
        seekers = np.flatnonzero(home & (tp.employer < 0))
        floor = self.c("labour.benefit_replacement") * self.skill_wage[tp.skill[seekers]]
        tp.arrays["reservation"][seekers] = np.maximum(floor, tp.reservation[seekers] * 0.95)
        vac = self.q["vacancies"]
        wages = self.firm_wages()
        tech_need = self.c("sectors.technical_need")[fp.sector]
        # vacancy rows: (firm, skill[, technical]) with openings
        high_tech = np.round(vac[:, HIGH] * tech_need).astype(np.int64)
        rows_f = [np.arange(len(fp))] * (K + 1)
        v_firm = np.concatenate(rows_f)
        v_skill = np.concatenate([np.full(len(fp), k) for k in range(K)] + [np.full(len(fp), HIGH)])
        v_field = np.concatenate([np.full(len(fp) * K, -1), np.full(len(fp), 1)])
        openings = np.concatenate([vac[:, 0], vac[:, 1], vac[:, HIGH] - high_tech, high_tech])
        v_wage = wages[v_firm, v_skill]
        keep = openings > 0
        v_firm, v_skill, v_field, openings, v_wage = (
            v_firm[keep],
            v_skill[keep],
            v_field[keep],
            openings[keep],
            v_wage[keep],
        )
        n_s, n_v = seekers.size, v_firm.size
        k = int(self.c("labour.search_sample"))
        order = rng.permutation(n_s).astype(np.int64)
        samples = rng.integers(0, max(n_v, 1), size=(n_s, k if n_v else 0)).astype(np.int64)
        match, filled = match_labour(
            tp.skill[seekers],
            tp.field[seekers],
            tp.reservation[seekers],
            order,
            v_skill.astype(np.int64),
            v_field.astype(np.int64),
            v_wage,
            openings.astype(np.int64),
            samples,
        )
        hired = match >= 0
        tp.arrays["employer"][seekers[hired]] = v_firm[match[hired]]
        tp.arrays["experience"][seekers[hired]] = fp.sector[v_firm[match[hired]]]
        opened = np.bincount(v_firm, weights=openings, minlength=len(fp))
        got = np.bincount(v_firm, weights=filled, minlength=len(fp))
        fp.unfilled = np.divide(opened - got, opened, out=np.zeros(len(fp)), where=opened > 0)
        # wage premium: bid up where vacancies stay open, relax towards 1 otherwise
        bid = self.c("labour.wage_bid_speed")
        prem = np.where(
            fp.unfilled > 0.2,
            fp.wage_premium * (1 + bid),
            fp.wage_premium - 0.1 * (fp.wage_premium - 1.0),
        )
        fp.wage_premium = np.clip(prem, 0.7, 2.0)
        self.q["vacancies_open"] = float((opened - got).sum()) * self.scale
        self.q["hires"] = int(hired.sum())

    # -- 4
    def produce(self) -> None:
        """Output Q_i = min(Q*_i, a_i N_i, kappa_s K_i) with N_i production staff; intermediate
        inputs sum_j A[j,s] Q_i are bought in the goods market at sector prices (IO matrix);
        non-personnel R&D (1 - rho_L of R&D) is bought from services."""
        fp = self.firm_pop
        empl = self.firm_employment()
        wages = self.firm_wages()
        rd_staff = np.minimum(self.q["rd_staff_desired"], empl[:, HIGH])
        prod_staff = empl.sum(axis=1) - rd_staff
        Q = np.minimum(self.q["plan"], fp.productivity * prod_staff)
        Q = np.maximum(Q, 0.0)
        fp.output = Q
        fp.inventory = fp.inventory + Q
        rd_wages = rd_staff * wages[:, HIGH]
        rd = rd_wages / self.rd_labour_share
        fp.rd = rd
        self.q["rd_staff"] = rd_staff
        self.q["rd_wages"] = rd_wages
        # intermediate purchases by supplying sector (euros), per firm total
        interm = self.A[:, fp.sector] * Q[None, :] * self.price_index[:, None]  # S x n
        rd_purchases = rd - rd_wages
        self.q["interm_by_firm"] = interm.sum(axis=0) + rd_purchases
        d = interm.sum(axis=1)
        d[SECTORS.index("services")] += rd_purchases.sum()
        self.q["interm_demand"] = d
        self.q["employment_persons"] = empl.sum(axis=1)

    # -- 5
    def goods_market(self) -> None:
        """Goods market (``kernels.goods.allocate_demand``).

        Demand per sector and use: household consumption (plan made last quarter, split by
        ``sectors.consumption_mix``), government purchases (non-defence, defence orders, public
        research and programme purchases), intermediate inputs, investment goods (last
        quarter's orders, ``sectors.investment_mix``) and exports
        X_s = X_s,2025 * WD_s(t) * (P_s / P_world)^(-1.5). Each domestic use imports the share
        ``sectors.import_share_final``; the rest is shared among the sector's firms by market
        share under capacity (inventories incl. this quarter's output); demand no firm can serve
        is imported (lost, for exports). Market shares then follow replicator dynamics:
        f_i <- f_i (1 + chi (E_i - E_s)/|E_s|), E_i = -omega_p p_i/P_s - omega_u unserved_i.
        """
        fp = self.firm_pop
        c = self.c
        uses = {}
        C = self.consumption_plan
        uses["consumption"] = C * c("sectors.consumption_mix") / c("sectors.consumption_mix").sum()
        g_regular, g_directed, g_dom_share = self._government_demand()
        uses["government_purchases"] = g_regular + g_directed
        uses["intermediates"] = self.q["interm_demand"]
        orders = self.q["orders"]
        imix = c("sectors.investment_mix") / c("sectors.investment_mix").sum()
        uses["investment_goods"] = orders.sum() * imix
        m = c("sectors.import_share_final")
        ex = self._export_demand()
        dom = {k: v * (1 - m) for k, v in uses.items()}
        dom["government_purchases"] = g_regular * (1 - m) + g_directed * g_dom_share
        self.q["g_directed"] = g_directed
        self.q["g_directed_dom"] = g_directed * g_dom_share
        D = sum(dom.values()) + ex
        capacity = fp.inventory * fp.price
        sold, unserved = allocate_demand(fp.sector, fp.share, capacity, D, 50)
        served = np.divide(D - unserved, D, out=np.ones(S), where=D > 0)
        self.q["served_share"] = served
        sector_sold = np.bincount(fp.sector, weights=sold, minlength=S)
        acc = self.accounts
        payers = {
            "consumption": H,
            "government_purchases": G,
            "intermediates": F,
            "investment_goods": F,
        }
        imports_by_sector = np.zeros(S)
        frac_sold = np.divide(sector_sold, D, out=np.zeros(S), where=D > 0)
        for k, v in uses.items():
            domestic_paid = dom[k] * served  # payer side
            domestic_recv = dom[k] * frac_sold  # payee side (from the firms' sales)
            imp = v - domestic_paid
            imports_by_sector += imp
            acc.pay(k, payers[k], domestic_paid.sum())
            acc.receive(k, F, domestic_recv.sum())
            acc.transfer("imports", payers[k], R, imp.sum())
            self.q[f"{k}_dom"] = domestic_paid
            self.q[f"{k}_imp"] = imp
            self.q[k] = v
        exports = ex * served
        acc.pay("exports", R, exports.sum())
        acc.receive("exports", F, (ex * frac_sold).sum())
        self.q["exports"] = exports
        self.q["imports"] = imports_by_sector
        # money moves
        bs = self.bs
        bs.deposits_h -= C
        bs.deposits_g -= uses["government_purchases"].sum()
        bs.deposits_r += imports_by_sector.sum() - exports.sum()
        fp.cash = fp.cash + sold - self.q["interm_by_firm"] - orders
        # deliveries
        p_inv = float(imix @ self.price_index)
        # capital: depreciation over the quarter, then last quarter's orders delivered
        self.q["depreciation"] = fp.capital * self.delta_q * p_inv
        fp.capital = fp.capital * (1 - self.delta_q) + orders / p_inv
        sold_real = sold / fp.price
        inv_before = fp.inventory.copy()
        fp.inventory = np.maximum(fp.inventory - sold_real, 0.0)
        # inventory change at this quarter's prices: output - real sales
        self.q["inventory_change"] = (
            (fp.inventory - inv_before + fp.output) * fp.price
        ).sum() - 0.0
        self.q["inventory_change"] = float(((fp.output - sold_real) * fp.price).sum())
        # value added per firm: output at price minus intermediate inputs
        va = fp.output * fp.price - self.q["interm_by_firm"]
        self.q["va_firm"] = va
        self.q["va_sector"] = np.bincount(fp.sector, weights=va, minlength=S)
        self.q["investment_sector"] = np.bincount(fp.sector, weights=orders, minlength=S)
        self.q["real_output_sector"] = np.bincount(fp.sector, weights=fp.output, minlength=S)
        self.q["nominal_output_sector"] = np.bincount(
            fp.sector, weights=fp.output * fp.price, minlength=S
        )
        self.q["berd"] = float(fp.rd.sum())
        self.q["sold"] = sold
        alloc = (
            fp.share
            / np.maximum(np.bincount(fp.sector, weights=fp.share, minlength=S)[fp.sector], 1e-300)
            * D[fp.sector]
        )
        fp.unserved = np.clip(
            np.divide(alloc - sold, alloc, out=np.zeros(len(fp)), where=alloc > 0), 0.0, 1.0
        )
        fp.sales = sold
        fp.sales_real = sold_real
        # sector price indices (output-weighted) and replicator market shares
        w = np.maximum(fp.output, 1e-12)
        self.price_index = _weighted_mean(fp.price, w, fp.sector, S)
        E = -(
            c("firms.price_weight") * fp.price / self.price_index[fp.sector]
            + c("firms.unfilled_weight") * fp.unserved
        )
        Ebar = _weighted_mean(E, fp.share, fp.sector, S)
        chi = c("firms.replicator_chi")
        new = fp.share * (1 + chi * (E - Ebar[fp.sector]) / np.abs(Ebar[fp.sector]))
        new = np.maximum(new, 0.0)
        tot = np.bincount(fp.sector, weights=new, minlength=S)
        fp.share_prev = fp.share
        fp.share = np.divide(new, tot[fp.sector], out=np.zeros(len(fp)), where=tot[fp.sector] > 0)
        self.q["demand_total"] = D

    def defence_budget(self, year: int) -> float:
        """Defence budget (euros a year), common to every scenario (DESIGN §3): FACTS's EUR 22 bn
        (2025) rising linearly to EUR 45 bn (2035), then 3.5% of GDP."""
        c = self.c
        b0, b1 = c("government.defence_budget_2025"), c("government.defence_budget_2035")
        if year <= 2025:
            return b0
        if year <= 2035:
            return b0 + (b1 - b0) * (year - 2025) / 10
        return max(b1, c("government.defence_share_after_2035") * 4 * self._trend_gdp())

    def _trend_gdp(self) -> float:
        return float(np.mean(self.gdp_hist[-4:]))

    def _government_demand(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Government purchases by sector this quarter (euros).

        Returns (regular purchases, directed orders, domestic share of the directed orders).
        Regular purchases import ``sectors.import_share_final``; directed orders (defence
        equipment, strategic procurement) are placed with domestic firms up to their domestic
        share, the rest is bought abroad. Non-defence purchases are
        ``macro.government_purchases_share`` of trend GDP less the 2025 defence budget and
        public research; defence follows its common budget path (``defence_budget``), of which
        ``government.defence_procurement_share`` is equipment orders split by
        ``government.defence_mix`` (or aimed at defence_tech, scenario ``[defence]``) with the
        scenario's domestic share (FACTS/CPB: more than 60% imported by default).
        """
        c = self.c
        Yt = self._trend_gdp()
        defence = self.defence_budget(self.year) / 4
        proc = defence * c("government.defence_procurement_share")
        dset = self.scenario.defence
        dmix = c("government.defence_mix") / c("government.defence_mix").sum()
        dt = SECTORS.index("defence_tech")
        if dset.defence_tech_share is not None:
            rest = 1.0 - dmix[dt]
            dmix = dmix * (1.0 - dset.defence_tech_share) / rest if rest > 0 else dmix * 0
            dmix[dt] = dset.defence_tech_share
        public_rd = self._public_research()
        base = c("macro.government_purchases_share") * Yt
        non_def = max(base - self.defence_budget(2025) / 4 - c("rd.public_rd_share_gdp") * Yt, 0.0)
        gmix = c("sectors.government_mix") / c("sectors.government_mix").sum()
        regular = non_def * gmix
        services = SECTORS.index("services")
        regular[services] += defence - proc + public_rd
        default = 1.0 - c("government.defence_import_share")
        dom_share = dset.domestic_share_in(self.year, default)
        directed = proc * dmix
        directed_dom = directed * dom_share
        self.q["defence_procurement"] = proc
        self.q["defence_orders"] = directed
        self.q["defence_domestic_share_target"] = dom_share
        self.q["public_rd"] = public_rd
        # dual-use spillovers: a share of domestic defence orders adds to the knowledge of the
        # dual-use sectors (semiconductors, digital_ai, defence_tech)
        dual = np.zeros(S)
        if dset.dual_use_spillover > 0:
            for name in ("semiconductors", "digital_ai", "defence_tech"):
                dual[SECTORS.index(name)] = dset.dual_use_spillover * directed_dom.sum() / 3
        self.q["dual_use_knowledge"] = dual
        p_reg, p_dir, p_dom = self._programme_purchases()
        regular += p_reg
        directed = directed + p_dir
        directed_dom = directed_dom + p_dom
        share = np.divide(directed_dom, directed, out=np.zeros(S), where=directed > 0)
        return regular, directed, share

    def _public_research(self) -> float:
        """Public research (universities and institutes) paid by ``public_research`` programmes:
        purchases from services whose knowledge serves the target sectors."""
        total = 0.0
        self.q["public_rd_knowledge"] = np.zeros(S)
        for i, p in self._programme_rows("public_research"):
            amt = self.programme_pop.budget_year[i] / 4
            total += amt
            self._spend(i, amt)
            mask = p.spec.target_mask(self.size_weights) * self._public_rd_split()
            self.q["public_rd_knowledge"] += amt * mask / mask.sum()
        return total

    def _programme_purchases(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Purchase-type programmes. Strategic procurement: orders in the target sectors with
        the programme's domestic share (rising to ``domestic_share_end`` by its end year);
        mission agency and talent attraction: services; grid capacity: other industry and
        services (public investment that connects energy-intensive capacity).
        Returns (regular purchases, directed orders, their domestic part)."""
        regular = np.zeros(S)
        directed = np.zeros(S)
        directed_dom = np.zeros(S)
        self.q["mission_spend"] = 0.0
        services = SECTORS.index("services")
        for i, p in self._programme_rows("procurement"):
            sp = p.spec
            amt = self.programme_pop.budget_year[i] / 4
            mask = sp.target_mask(self.size_weights)
            share = sp.domestic_share
            if sp.domestic_share_end is not None and sp.end > sp.start:
                f = min(max((self.year - sp.start) / (sp.end - sp.start), 0.0), 1.0)
                share = share + f * (sp.domestic_share_end - share)
            orders = amt * mask / mask.sum()
            directed += orders
            directed_dom += orders * share
            self._spend(i, amt)
        for i, p in self._programme_rows("mission_agency"):
            amt = self.programme_pop.budget_year[i] / 4
            regular[services] += amt
            self.q["mission_spend"] += amt
            self._spend(i, amt)
            # a mission succeeds with probability 1 - failure_probability; its knowledge
            # (twice the money, the agency's leverage: assumption) arrives after the delay
            ok = self.streams["programmes"].random() >= p.spec.failure_probability
            mask = p.spec.target_mask(self.size_weights)
            if ok:
                self.mission_pipeline.append(
                    (self.quarter + p.spec.delay_quarters, amt * 2.0 * mask / mask.sum())
                )
        for i, _p in self._programme_rows("talent_attraction"):
            amt = self.programme_pop.budget_year[i] / 4
            regular[services] += amt
            self._spend(i, amt)
        for i, p in self._programme_rows("grid_capacity"):
            amt = self.programme_pop.budget_year[i] / 4
            regular[SECTORS.index("other_industry")] += 0.5 * amt
            regular[services] += 0.5 * amt
            self._spend(i, amt)
            mask = p.spec.target_mask(self.size_weights) * self.c("sectors.energy_intensive")
            if mask.sum() > 0:
                self.grid_capacity += (
                    amt / self.c("grid.grid_cost_per_capacity") * mask / mask.sum()
                )
        return regular, directed, directed_dom

    def _export_demand(self) -> np.ndarray:
        """Export demand (euros/quarter) by sector: world demand index times competitiveness.

        From 2026 on, WD_s(t) = n_s (1 + g_n,s)^t + (1 - n_s) (1 + g_0)^t with t years since
        2026Q1 (DESIGN §2: the niche share n_s grows at the niche rate, FACTS, for
        ``niches.niche_horizon`` years and at g_0 after; the rest at base world growth g_0);
        before 2026 (the burn-in) world demand grows at g_0 in every sector, so every parameter
        variant enters 2026 alike. Exports
        X_s = X_s,2025 WD_s(t) / WD_s(2025) (P_s / P_world)^(-1.5), P_world growing at the
        inflation target.
        """
        c = self.c
        t = (self.quarter + 4 * (self.start_year - 2026)) / 4
        n = c("niches.niche_share")
        g0 = c("niches.base_world_growth")
        if t < 0:
            WD = np.full(S, (1 + g0) ** t)
        else:
            # niches grow at their rate for ``niches.niche_horizon`` years, then at base rate
            h = c("niches.niche_horizon")
            tn = min(t, h)
            WD = (
                n * (1 + c("niches.niche_growth")) ** tn * (1 + g0) ** (t - tn)
                + (1 - n) * (1 + g0) ** t
            )
        WD = WD * (1 + g0)  # relative to 2025 (t = -1)
        self.world_price = (1 + c("macro.inflation_target")) ** (t + 1)
        rel = self.price_index / self.world_price
        self.q["world_demand"] = WD
        return self.exports0 * WD * np.power(np.maximum(rel, 1e-6), -1.5)

    # -- 6
    def rd_and_innovation(self) -> None:
        """Innovation and imitation (``kernels.innovation.innovate``), knowledge stocks, and the
        R&D decision for next quarter.

        Effort = R&D staff per employee over the sector's 2025 ratio (size-free); probability
        1 - exp(-zeta * effort * m_s), m_s = 1 + sigma (k_s/k_ref)^eta with k_s the sector's
        knowledge stock over annual value added (DESIGN appendix; sigma, eta assumptions).
        Knowledge: K_s <- (1 - delta_K/4) K_s + BERD_s + public research_s + mission output_s.
        R&D rule: ln RD_i <- (1-lambda) ln RD_i + lambda ln(nu_s sales_i (u_i/u_0)^-eps_LR),
        lambda = 1 - (1 - eps_SR/eps_LR)^(1/4) (Bloom, Griffith & Van Reenen 2002).
        """
        fp = self.firm_pop
        c = self.c
        n = len(fp)
        staff = np.maximum(self.q["employment_persons"], 1e-9)
        rs = self.q["rd_staff"] / staff / np.maximum(fp.rd_norm, 1e-12)
        xi = c("rd.innovation_share")
        va_s = np.bincount(fp.sector, weights=self.q["va_firm"], minlength=S)
        berd_s = np.bincount(fp.sector, weights=fp.rd, minlength=S)
        mission = np.zeros(S)
        due = [m for m in self.mission_pipeline if m[0] <= self.quarter]
        self.mission_pipeline = [m for m in self.mission_pipeline if m[0] > self.quarter]
        for _, v in due:
            mission += v
        dk = c("rd.knowledge_depreciation") / 4
        self.knowledge = (
            (1 - dk) * self.knowledge
            + berd_s
            + self.q["public_rd_knowledge"]
            + mission
            + self.q["dual_use_knowledge"]
        )
        intensity = self.knowledge / np.maximum(4 * va_s, 1e-9)
        k_ref = self.knowledge.sum() / max(4 * va_s.sum(), 1e-9)
        d = self.shocks(fp.key, _INNOV, 8)
        lo, hi = c("rd.jump_low"), c("rd.jump_high")
        a_, b_ = c("rd.jump_beta")
        jump = lo + (hi - lo) * self.streams["innovation"].beta(a_, b_, n)
        order = np.argsort(fp.sector, kind="stable").astype(np.int64)
        start = np.concatenate([[0], np.cumsum(np.bincount(fp.sector, minlength=S))]).astype(
            np.int64
        )
        newp, innov, imit = innovate(
            fp.sector,
            fp.productivity,
            xi * rs,
            (1 - xi) * rs,
            intensity,
            k_ref,
            c("rd.sigma"),
            c("rd.eta"),
            c("rd.zeta_in"),
            c("rd.zeta_im"),
            d[:, 0],
            jump,
            d[:, 1],
            d[:, 2:6].copy(),
            d[:, 6].copy(),
            order,
            start,
        )
        fp.productivity = newp
        self.q["innovations"] = np.bincount(fp.sector, weights=innov.astype(float), minlength=S)
        self.q["knowledge_intensity"] = intensity
        # R&D for next quarter
        eps_l, eps_s = c("rd.elasticity_long"), c("rd.elasticity_short")
        lam = 1 - (1 - min(eps_s / max(eps_l, 1e-9), 0.99)) ** 0.25
        ucost = np.clip(1 - fp.subsidy_rate, 0.05, 1.0)
        target = self.nu[fp.sector] * np.maximum(fp.sales, 0.0) * ucost ** (-eps_l)
        cur = np.maximum(fp.rd_target, 1.0)
        fp.rd_target = np.exp((1 - lam) * np.log(cur) + lam * np.log(np.maximum(target, 1.0)))

    # -- 7
    def invest_and_finance(self) -> None:
        """Investment orders and the capital market (``kernels.capital``).

        Desired capital K* = T_i (1 + g_s)^2 / (kappa_s u*), with T_i the firm's trend demand (a
        slow average of expected demand), g_s the sector's demand growth and u* the calibrated
        utilisation (FACTS: capital-output ratio, depreciation). A firm orders the whole gap
        K* - (1 - delta) K once it exceeds a threshold drawn each quarter around
        ``firms.investment_threshold`` (lumpy investment); co-investment crowds in extra
        investment in targeted sectors (``finance.coinvest_crowding_in``); energy-intensive
        sectors may add at most ``grid.congestion_cap`` of their capital a quarter plus what
        public grid capacity connects. Orders beyond cash become funding requests.
        Investors place new money across sectors and abroad by a logit on
        risk-adjusted expected returns (home bias; co-investment lowers the risk seen); within a
        sector the best prospects are funded first, the public fund matching private money.
        """
        fp = self.firm_pop
        c = self.c
        n = len(fp)
        p_inv = float(
            c("sectors.investment_mix") / c("sectors.investment_mix").sum() @ self.price_index
        )
        util = c("macro.capacity_utilisation")
        g = self.demand_growth[fp.sector]
        # capacity is planned on trend demand (a slow average), not on this quarter's mood
        fp.sales_trend = fp.sales_trend + 0.1 * (fp.expected - fp.sales_trend)
        kstar = fp.sales_trend * (1 + g) ** 2 / (self.kappa[fp.sector] * util)
        if self.scenario.defence.announced:
            # a stable, early-announced order stream: defence_tech firms build capacity for the
            # orders announced for next year (their share of the sector's sales grows with it)
            dt = fp.sector == SECTORS.index("defence_tech")
            grow = self.defence_budget(self.year + 1) / self.defence_budget(self.year)
            kstar = np.where(dt, kstar * grow, kstar)
        gap = kstar - fp.capital * (1 - self.delta_q)  # capital next quarter without an order
        # lumpy investment: a firm orders its whole capital gap once the gap exceeds its own
        # threshold (drawn each quarter around firms.investment_threshold), so firms do not
        # invest in lockstep
        thr = c("firms.investment_threshold") * 2.0 * self.shocks(fp.key, _INVEST)[:, 0]
        want = np.where(gap > thr * fp.capital, gap, 0.0)
        coinvest_share = np.zeros(S)
        public_budget = np.zeros(S)
        match = np.zeros(S)
        for i, p in self._programme_rows("coinvestment"):
            mask = p.spec.target_mask(self.size_weights)
            budget_q = self.programme_pop.budget_year[i] / 4
            public_budget += budget_q * mask / mask.sum()
            match = np.maximum(match, p.spec.match_ratio * (mask > 0))
            coinvest_share = np.maximum(
                coinvest_share, (mask > 0) * p.spec.match_ratio / (1 + p.spec.match_ratio)
            )
        # crowding in: where a public fund co-invests, firms invest beyond their capacity gap
        # (cheaper, less risky expansion capital): want *= 1 + crowd * intensity_s, intensity
        # = public money with its private match over the sector's replacement investment
        cap_val0 = np.bincount(fp.sector, weights=fp.capital, minlength=S) * p_inv
        intensity = np.minimum(
            1.0,
            np.divide(
                public_budget * (1 + match),
                self.delta_q * cap_val0,
                out=np.zeros(S),
                where=cap_val0 > 0,
            ),
        )
        crowd = c("finance.coinvest_crowding_in")
        want = np.where(gap > 0, np.maximum(want, 0.0) * (1 + crowd * intensity[fp.sector]), want)
        # grid congestion: net expansion of energy-intensive firms is capped per sector by the
        # congestion allowance plus capacity public grid programmes have added
        energy = c("sectors.energy_intensive")[fp.sector] > 0
        sec_k = np.bincount(fp.sector, weights=fp.capital, minlength=S)
        allowance = c("grid.congestion_cap") * sec_k + self.grid_capacity
        replacement = self.delta_q * fp.capital
        net = np.maximum(want - replacement, 0.0) * energy
        growth = np.bincount(fp.sector, weights=net, minlength=S)
        scale_e = np.minimum(1.0, np.divide(allowance, growth, out=np.ones(S), where=growth > 0))
        want = np.where(energy, np.minimum(want, replacement) + net * scale_e[fp.sector], want)
        used = np.bincount(fp.sector, weights=net * scale_e[fp.sector], minlength=S)
        self.q["grid_use"] = float(used.sum())
        # public grid capacity is used up by the expansion it connects beyond the allowance
        beyond = np.maximum(used - c("grid.congestion_cap") * sec_k, 0.0)
        self.grid_capacity = np.maximum(self.grid_capacity - beyond, 0.0)
        self.q["grid_allowance"] = float(np.sum(allowance * c("sectors.energy_intensive")))
        order = want * p_inv
        wage_est = (self.firm_employment() * self.firm_wages()).sum(axis=1)
        # funding requests: what cash cannot cover, and at least the share of investment firms
        # finance outside (``finance.external_finance_share``, leverage as in practice)
        need = order + 0.5 * wage_est - fp.cash
        request = np.maximum(np.maximum(need, 0.0), c("finance.external_finance_share") * order)
        # expected returns and risk by sector
        cap_val = np.bincount(fp.sector, weights=fp.capital, minlength=S) * p_inv
        profit_s = np.bincount(fp.sector, weights=fp.profit, minlength=S)
        rate = np.divide(4 * profit_s, cap_val, out=np.zeros(S), where=cap_val > 0)
        self.profit_rate_hist.append(rate)
        self.profit_rate_hist = self.profit_rate_hist[-8:]
        hist = np.array(self.profit_rate_hist)
        exp_r = hist.mean(axis=0)
        risk = hist.std(axis=0) + 0.03
        risk_seen = risk * (1 - c("finance.coinvest_risk_relief") * coinvest_share)
        ip = self.investor_pop
        Y = self._trend_gdp()
        # new money: household saving, loan repayments coming back, and 2% of GDP of retained
        # earnings of the financial sector (assumption)
        funds = max(self.household_saving_prev, 0.0) + self.loan_repayments + 0.02 * Y
        dom = ip.kind < 3
        nd = max(int(dom.sum()), 1)
        nfor = max(int((~dom).sum()), 1)
        ip.funds = np.where(dom, funds / nd, c("finance.foreign_inflow_share") * Y / nfor)
        # investors hold sector portfolios: the logit weighs each sector by its capital share
        # (exp(beta r + ln w) = w exp(beta r)); domestic returns are measured against their
        # 2025 level, so in 2025 home and abroad earn alike and home bias sets the home share
        beta = c("finance.logit_beta")
        w_s = np.maximum(cap_val / max(cap_val.sum(), 1e-9), 1e-12)
        lam = c("finance.risk_aversion")
        if self.quarter < 0 or self.return_ref is None:
            # 2025 reference, sector by sector: the expected return at the end of the burn-in
            # (sectors differ structurally in return on capital); domestic returns are compared
            # with the world return as changes from it, and risk as its deviation from a
            # typical level (``finance.base_risk``), so in 2025 home bias alone sets the home
            # share of new money
            self.return_ref = exp_r.copy()
        risk = risk_seen
        r_adj = (
            exp_r
            - self.return_ref
            + c("finance.world_return")
            + lam * c("finance.base_risk")
            + np.log(w_s) / max(beta, 1e-9)
        )
        alloc = allocate_investors(
            ip.funds,
            ip.home_bias,
            (~dom).astype(np.int64),
            r_adj,
            risk,
            c("finance.world_return"),
            beta,
            lam,
        )
        dom_alloc = alloc[dom].sum(axis=0)
        for_alloc = alloc[~dom].sum(axis=0)
        prospect = (
            fp.productivity
            / np.maximum(
                _weighted_mean(fp.productivity, fp.output + 1e-9, fp.sector, S)[fp.sector], 1e-12
            )
            + fp.share
        )
        priv, pub, priv_left, pub_left = fund_requests(
            fp.sector, request, prospect, dom_alloc[:S].copy(), match, public_budget
        )
        # money meant for home that found no request in its sector looks for unmet requests in
        # other sectors (pro rata) before it goes abroad
        unmet = np.maximum(request - priv - pub, 0.0)
        unmet_s = np.bincount(fp.sector, weights=unmet, minlength=S)
        if priv_left.sum() > 0 and unmet_s.sum() > 0:
            second = priv_left.sum() * unmet_s / unmet_s.sum()
            priv2, pub2, left2, pub_left = fund_requests(
                fp.sector, unmet, prospect, second, match, pub_left.copy()
            )
            priv, pub = priv + priv2, pub + pub2
            priv_left = left2
        rest = np.maximum(request - priv - pub, 0.0)
        fpriv, _fp0, fleft, _ = fund_requests(
            fp.sector, rest, prospect, for_alloc[:S].copy(), np.zeros(S), np.zeros(S)
        )
        loan_share = c("finance.loan_share")
        bs = self.bs
        # domestic private: loans and equity (financial transactions: no net lending)
        fp.loans = fp.loans + loan_share * priv
        fp.equity = fp.equity + (1 - loan_share) * priv + pub + fpriv
        fp.equity_g = fp.equity_g + pub
        fp.equity_r = fp.equity_r + fpriv
        fp.cash = fp.cash + priv + pub + fpriv
        bs.deposits_g -= pub.sum()
        bs.deposits_r -= fpriv.sum()
        # what domestic investors do not place at home goes abroad (capital outflow)
        outflow = float(dom_alloc[S] + priv_left.sum())
        self.q["outflow_parts"] = (
            float(dom_alloc[S]),
            float(priv_left.sum()),
            float(request.sum()),
            float(pub.sum()),
        )
        bs.foreign_assets += outflow
        bs.deposits_r += outflow
        self.q["capital_outflow"] = outflow
        self.q["capital_inflow"] = float(fpriv.sum())
        self.q["coinvestment"] = float(pub.sum())
        for i, _p in self._programme_rows("coinvestment"):
            # counted at its committed amount (DESIGN §3); money not placed this quarter lapses
            self._spend(i, float(self.programme_pop.budget_year[i] / 4))
        placed = np.zeros(len(ip))
        placed[dom] = priv.sum() / nd
        placed[~dom] = fpriv.sum() / nfor
        ip.placed_home = placed
        ip.placed_abroad = np.where(dom, outflow / nd, 0.0)
        # orders limited by cash (credit constraint)
        fp.order = np.minimum(order, np.maximum(fp.cash, 0.0))
        _ = (n, fleft, _fp0, pub_left)

    # -- 8
    def pay_incomes(self) -> None:
        """Wages, interest, taxes and dividends.

        Wages w_{i,k} = W_k theta_s omega_i (skill wage index, sector premium, firm premium);
        W_k grows with inflation expectations, trend productivity and a Phillips term
        phi (u*_k - u_k). Interest: loans at ``firms.loan_rate``, deposits at
        ``firms.deposit_rate``, bonds at ``firms.bond_rate`` (FACTS: ECB, DSTA). Corporate tax
        19% up to EUR 200k profit per real firm, 25.8% above (FACTS, PwC); the innovation box
        taxes the qualifying share of profits at its rate. Labour tax: the 37.5% tax wedge
        (OECD). Dividends: ``firms.payout_ratio`` of after-tax profits to equity holders; the
        financial sector passes its whole profit to households.
        """
        fp = self.firm_pop
        tp = self.talent_pop
        c = self.c
        acc = self.accounts
        bs = self.bs
        wages = self.firm_wages()
        bill = (self.firm_employment() * wages).sum(axis=1)
        emp = np.flatnonzero(tp.employer >= 0)
        received = float((wages[tp.employer[emp], tp.skill[emp]] * self.scale).sum())
        fp.cash = fp.cash - bill
        bs.deposits_h += received
        acc.pay("wages", F, bill.sum())
        acc.receive("wages", H, received)
        self.q["wage_bill"] = bill
        self.q["bill_sector"] = np.bincount(fp.sector, weights=bill, minlength=S)
        empl = self.firm_employment()
        self.q["employment_skill"] = empl.sum(axis=0)
        self.q["bill_skill"] = (empl * wages).sum(axis=0)
        self.q["employment_sector"] = np.bincount(
            fp.sector, weights=self.firm_employment().sum(axis=1), minlength=S
        )
        labour_tax = self.wage_tax * received
        bs.deposits_h -= labour_tax
        bs.deposits_g += labour_tax
        acc.transfer("labour_tax", H, G, labour_tax)
        # interest
        q_loan = c("firms.loan_rate") / 4
        interest_f = q_loan * fp.loans
        fp.cash = fp.cash - interest_f
        acc.transfer("interest", F, B, interest_f.sum())
        # amortisation: loans are repaid over ``finance.loan_maturity`` years from spare cash
        # (a financial transaction: deposits and loans fall together)
        due = fp.loans / (4 * c("finance.loan_maturity"))
        repay = np.clip(np.minimum(due, fp.cash - 0.25 * fp.sales), 0.0, fp.loans)
        fp.cash = fp.cash - repay
        fp.loans = fp.loans - repay
        self.loan_repayments = float(repay.sum())
        dep_int = c("firms.deposit_rate") / 4 * bs.deposits_h
        bs.deposits_h += dep_int
        acc.transfer("interest", B, H, dep_int)
        bq = c("firms.bond_rate") / 4
        bs.deposits_g -= bq * (bs.bonds_b + bs.bonds_r)
        bs.deposits_r += bq * bs.bonds_r
        acc.transfer("interest", G, B, bq * bs.bonds_b)
        acc.transfer("interest", G, R, bq * bs.bonds_r)
        fa_inc = c("finance.world_return") / 4 * bs.foreign_assets * 0.5  # half of return as income
        bs.deposits_r -= fa_inc
        acc.transfer("property_income", R, B, fa_inc)
        # profits and corporate tax (per real firm brackets), innovation box
        profit = (
            fp.sales
            - bill
            - self.q["interm_by_firm"]
            - interest_f
            - self.q["depreciation"]
            + fp.grant
            + fp.credit
        )
        fp.profit = profit
        per_firm = np.maximum(profit, 0.0) / fp.weight
        lo_rate, hi_rate = c("government.corporate_rate_low"), c("government.corporate_rate_high")
        br = c("government.corporate_bracket") / 4
        tax_std = fp.weight * (
            lo_rate * np.minimum(per_firm, br) + hi_rate * np.maximum(per_firm - br, 0.0)
        )
        box_cost = np.zeros(len(fp))
        for i, p in self._programme_rows("innovation_box"):
            mask = p.spec.target_mask(self.size_weights)[fp.sector] > 0
            qual = np.clip(
                3.0 * np.divide(fp.rd, fp.sales, out=np.zeros(len(fp)), where=fp.sales > 0),
                0.0,
                0.8,
            )
            # the budget tracking scales the qualifying base (the preference is capped by the
            # statutory rate, so scaling the rate alone could not reach every budget)
            qual = np.clip(qual * self.programme_pop.rate_scale[i], 0.0, 1.0)
            qual = np.where(mask & (fp.rd > 0), qual, 0.0)
            pref = max(hi_rate - p.spec.box_rate, 0.0)
            box_cost = box_cost + pref * qual * np.maximum(profit, 0.0)
            box_row = i
            break
        else:
            box_row = -1
        tax = np.maximum(tax_std - box_cost, 0.0)
        self.q["box_benefit"] = tax_std - tax
        if box_row >= 0:
            self._spend(box_row, float(self.q["box_benefit"].sum()))
        fp.cash = fp.cash - tax
        bs.deposits_g += tax.sum()
        acc.transfer("corporate_tax", F, G, tax.sum())
        self.q["corporate_tax"] = tax.sum()
        # dividends: firms to equity holders, financial sector to households
        after = profit - tax
        # payout of after-tax profits, plus cash above a buffer of half a quarter's sales
        # (firms do not hoard: lumpy investment then needs outside funding)
        buffer = 0.5 * fp.sales
        div = np.clip(c("firms.payout_ratio") * after, 0.0, np.maximum(fp.cash - buffer, 0.0))
        div = div + np.maximum(fp.cash - div - 2.0 * buffer, 0.0) * 0.1
        fp.cash = fp.cash - div
        eq = np.maximum(fp.equity, 1e-12)
        share_r = np.where(fp.equity > 0, fp.equity_r / eq, 0.0)
        share_g = np.where(fp.equity > 0, fp.equity_g / eq, 0.0)
        d_r, d_g = (div * share_r).sum(), (div * share_g).sum()
        d_b = div.sum() - d_r - d_g
        acc.pay("dividends", F, div.sum())
        acc.receive("dividends", R, d_r)
        acc.receive("dividends", G, d_g)
        acc.receive("dividends", B, d_b)
        bs.deposits_r += d_r
        bs.deposits_g += d_g
        # the financial sector's profit goes to households (its net worth changes only by
        # write-offs): interest received less paid, dividends, property income
        b_income = interest_f.sum() + bq * bs.bonds_b + fa_inc + d_b - dep_int
        bs.deposits_h += b_income
        acc.transfer("dividends", B, H, b_income)
        self.q["household_income_capital"] = dep_int + b_income

    # -- 9
    def programmes_pay(self) -> None:
        """R&D tax credit (WBSO-like) and grants.

        Credit on R&D wage costs per real firm: rate_first up to the bracket, rate_second above,
        rate_starter for firms younger than 5 years (FACTS: WBSO 2025 36%/16%, EUR 380k, 50%),
        times the rate scale that keeps it on budget; paid in cash, as the WBSO's wage-tax
        reduction is worth cash to the firm (a subsidy from government to firms). Grants: firms
        in target sectors submit proposals of ``grant_share`` of their planned R&D; proposals
        are scored by log relative productivity plus normal noise (``selection_noise``) and
        funded best-first within the quarter's budget, so noisy selection can "pick losers".
        Both lower the firm's R&D user cost.
        """
        fp = self.firm_pop
        acc = self.accounts
        bs = self.bs
        n = len(fp)
        credit = np.zeros(n)
        rd_wage = self.q["rd_wages"] / fp.weight * 4  # annual per real firm
        for i, p in self._programme_rows("rd_tax_credit"):
            sp = p.spec
            mask = sp.target_mask(self.size_weights)[fp.sector] > 0
            scale_r = self.programme_pop.rate_scale[i]
            first = np.where(fp.age < 20, sp.rate_starter, sp.rate_first) * scale_r
            annual = np.minimum(first, 1.0) * np.minimum(rd_wage, sp.bracket) + min(
                sp.rate_second * scale_r, 1.0
            ) * np.maximum(rd_wage - sp.bracket, 0.0)
            credit = np.where(mask, annual / 4 * fp.weight, 0.0)
            self._spend(i, float(credit.sum()))
            break
        grants = np.zeros(n)
        for i, p in self._programme_rows("grant"):
            sp = p.spec
            mask = sp.target_mask(self.size_weights)[fp.sector] > 0
            budget = self.programme_pop.budget_year[i] / 4
            ask = np.where(mask, sp.grant_share * fp.rd_target, 0.0)
            rel = np.log(
                fp.productivity
                / np.maximum(
                    _weighted_mean(fp.productivity, fp.output + 1e-9, fp.sector, S)[fp.sector],
                    1e-12,
                )
            )
            z = self.shocks(fp.key, _GRANT)[:, 0]
            noise = np.sqrt(2.0) * _erfinv(2 * np.clip(z, 1e-12, 1 - 1e-12) - 1)
            score = np.where(ask > 0, rel + sp.selection_noise * noise, -np.inf)
            order = np.argsort(-score, kind="stable")
            ranked = order[np.isfinite(score[order])]
            before = np.cumsum(ask[ranked]) - ask[ranked]
            g = np.zeros(n)
            # best-scored first; the marginal proposal is funded in part, so the budget is
            # spent whenever the proposals add up to it
            g[ranked] = np.clip(budget - before, 0.0, ask[ranked])
            grants += g
            self._spend(i, float(g.sum()))
        total = credit + grants
        fp.cash = fp.cash + total
        bs.deposits_g -= total.sum()
        acc.pay("subsidies", G, total.sum())
        acc.receive("subsidies", F, credit.sum() + grants.sum())
        fp.grant = grants
        fp.credit = credit
        # R&D user cost: u = 1 - (credit + grant + 0.4 box benefit) / R&D. The box counts at 0.4
        # of its value: it rewards innovation profits, not R&D costs (FACTS: 0.28 vs 0.70
        # euro of extra R&D per euro for box vs WBSO). During the burn-in the 2025 user cost
        # holds in every scenario (the WBSO and box were in force), so all enter 2026 alike.
        support = credit + grants + 0.4 * self.q.get("box_benefit", 0.0)
        rate = np.divide(support, np.maximum(fp.rd, 1e-9), out=np.zeros(n), where=fp.rd > 0)
        if self.quarter < 0:
            rate = np.full(n, self.subsidy_2025)
        fp.subsidy_rate = np.clip(rate, 0.0, 0.9)
        self.q["credit"] = credit.sum()
        self.q["grants"] = grants.sum()

    # -- 10
    def government_accounts(self) -> None:
        """Transfers, household taxes and saving, bond issuance.

        Unemployment benefits: replacement rate times the skill wage per unemployed person;
        other transfers: ``government.transfers_share`` of trend GDP. Household tax: one rate on
        gross household income (all taxes other than labour and corporate tax).
        Consumption plan for next quarter: C = c_y P_c YD* + c_w M_H, with YD* smoothed real
        disposable income (10% weight on the new quarter: permanent income), P_c the consumer
        price index and M_H household deposits; c_y settles during the burn-in so consumption
        is its 2025 share of GDP (FACTS), c_w = 0.006 a quarter (assumption). The government
        keeps deposits of 5% of quarterly GDP and issues (or redeems) bonds for the rest,
        ``government.bond_foreign_share`` of them abroad. Fiscal rule: the household tax rate
        moves to bring the balance to its 2025 level (-0.9% of GDP, FACTS): the whole gap each
        burn-in quarter, a fifth of it a quarter afterwards.
        """
        c = self.c
        tp = self.talent_pop
        acc = self.accounts
        bs = self.bs
        unemp = np.flatnonzero((tp.abroad == 0) & (tp.employer < 0))
        benefits = float(
            (c("labour.benefit_replacement") * self.skill_wage[tp.skill[unemp]]).sum() * self.scale
        )
        Yt = self._trend_gdp()
        transfers = c("government.transfers_share") * Yt
        bs.deposits_g -= benefits + transfers
        bs.deposits_h += benefits + transfers
        acc.transfer("transfers", G, H, benefits + transfers)
        wages = -self.accounts.total("wages", F)
        gross = wages + benefits + transfers + self.q["household_income_capital"]
        htax = self.household_tax * gross
        bs.deposits_h -= htax
        bs.deposits_g += htax
        acc.transfer("household_tax", H, G, htax)
        yd = gross - self.wage_tax * wages - htax
        saving = yd - self.consumption_plan
        self.household_saving_prev = saving
        # consumption follows smoothed (permanent) income: a 10% weight on the new quarter
        cmix = c("sectors.consumption_mix") / c("sectors.consumption_mix").sum()
        p_c = float(cmix @ self.price_index)  # consumer price index (2024 = 1)
        if self.last_income is None:
            self.last_income = yd / p_c
        self.last_income = 0.9 * self.last_income + 0.1 * yd / p_c  # real, smoothed
        if self.quarter < 0:
            # burn-in: the propensity to consume settles so that consumption is its 2025 share
            # of GDP (FACTS); it is fixed from the first recorded quarter on
            share = self.consumption_plan / max(self.gdp_production(), 1.0)
            self.cy = float(
                np.clip(self.cy * (c("macro.consumption_share") / share) ** 0.3, 0.3, 1.2)
            )
        self.consumption_plan = self.cy * self.last_income * p_c + self.cw * bs.deposits_h
        # bonds
        target = 0.05 * Yt
        gap = target - bs.deposits_g
        if gap > 0 or bs.bonds_b + bs.bonds_r > 0:
            gap = max(gap, -(bs.bonds_b + bs.bonds_r))
            phi = c("government.bond_foreign_share")
            bs.deposits_g += gap
            bs.bonds_b += (1 - phi) * gap
            bs.bonds_r += phi * gap
            bs.deposits_r -= phi * gap
        self.q["benefits"] = benefits
        self.q["transfers"] = transfers
        # fiscal rule: the household tax rate moves slowly to bring the balance back to its
        # 2025 level (FACTS -0.9% of GDP); without it the debt ratio drifts with the cycle
        bal = float(self.accounts.net_lending()[G]) / max(Yt, 1.0)
        # during the burn-in the rule closes the whole gap each quarter (the tax on gross
        # income that would have hit the 2025 balance), afterwards a fifth of it
        speed = Yt / max(gross, 1.0) if self.quarter < 0 else 0.2
        self.household_tax = float(
            np.clip(self.household_tax - speed * (bal - c("government.balance_share")), 0.0, 0.6)
        )

    # -- 11
    def entry_and_exit(self) -> None:
        """Exit when insolvent (cash + inventories + capital - loans < 0) or when the market share
        stays below ``firms.exit_share_floor`` / n_s for four quarters; the firm's staff become
        unemployed, its deposits repay its loans, unpaid loans and its equity are written off
        (recorded as capital transfers). Entrants per sector ~ Poisson(entry_rate
        max(n_s, n_s,2025) clip(1 + 5 (r_s - r_mean), 0, 3)) plus refills to the sector floor
        (``firms.min_agents_per_sector``), with productivity drawn
        around the sector mean and start-up equity from domestic venture capital."""
        fp = self.firm_pop
        tp = self.talent_pop
        c = self.c
        acc = self.accounts
        bs = self.bs
        p_inv = float(
            c("sectors.investment_mix") / c("sectors.investment_mix").sum() @ self.price_index
        )
        worth = fp.cash + fp.inventory * fp.price + fp.capital * p_inv - fp.loans
        n_s = np.bincount(fp.sector, minlength=S)
        low = fp.share < c("firms.exit_share_floor") / np.maximum(n_s[fp.sector], 1)
        fp.low_share_quarters = np.where(low, fp.low_share_quarters + 1, 0)
        exit_ = (worth < 0) | (fp.low_share_quarters >= 4)
        exit_ &= fp.age > 4
        # keep a floor of agents per sector
        floor = int(c("firms.min_agents_per_sector"))
        for s in range(S):
            idx = np.flatnonzero(exit_ & (fp.sector == s))
            if n_s[s] - idx.size < floor // 2:
                exit_[idx] = False
        self.q["exits"] = np.bincount(fp.sector[exit_], minlength=S)
        rows = np.flatnonzero(exit_)
        if rows.size:
            empl = np.isin(tp.employer, rows)
            self._separate(np.flatnonzero(empl))
            repay = np.minimum(np.maximum(fp.cash[rows], 0.0), fp.loans[rows])
            fp.arrays["cash"][rows] -= repay
            fp.arrays["loans"][rows] -= repay
            writeoff = fp.loans[rows].sum()
            acc.transfer("capital_transfers", B, F, writeoff)
            # remaining (possibly negative) deposits: distributed (or covered) by owners
            left = fp.cash[rows]
            eq = np.maximum(fp.equity[rows], 1e-12)
            sr = np.where(fp.equity[rows] > 0, fp.equity_r[rows] / eq, 0.0)
            sg = np.where(fp.equity[rows] > 0, fp.equity_g[rows] / eq, 0.0)
            to_r, to_g = (left * sr).sum(), (left * sg).sum()
            to_b = left.sum() - to_r - to_g
            acc.pay("capital_transfers", F, left.sum())
            acc.receive("capital_transfers", R, to_r)
            acc.receive("capital_transfers", G, to_g)
            acc.receive("capital_transfers", B, to_b)
            bs.deposits_r += to_r
            bs.deposits_g += to_g
            # equity written off
            e_r, e_g = fp.equity_r[rows].sum(), fp.equity_g[rows].sum()
            e_b = fp.equity[rows].sum() - e_r - e_g
            acc.pay("capital_transfers", R, e_r)
            acc.pay("capital_transfers", G, e_g)
            acc.pay("capital_transfers", B, e_b)
            acc.receive("capital_transfers", F, e_r + e_g + e_b)
            self._retired_firm_stocks = None
            for uid in fp.id[rows]:
                agent = self._firm_agents.pop(int(uid))
                agent.remove()
            mapping = fp.compact(~exit_)
            emp = tp.employer >= 0
            tp.arrays["employer"][emp] = mapping[tp.employer[emp]]
        # entry
        rng = self.streams["entry"]
        n_s = np.bincount(fp.sector, minlength=S)
        r = self.profit_rate_hist[-1]
        rm = float(np.average(r, weights=np.maximum(n_s, 1)))
        # entry scales with the sector's 2025 number of firm agents (not today's, which would let
        # a concentrating sector shut its own door)
        lam = (
            c("firms.entry_rate")
            * np.maximum(n_s, self.n_agents0)
            * np.clip(1 + 5 * (r - rm), 0.0, 3.0)
        )
        k = rng.poisson(lam)
        k += np.maximum(floor - n_s - k, 0)
        self.q["entries"] = k.astype(float)
        if k.sum() == 0:
            return
        sec = np.repeat(np.arange(S), k)
        m = sec.size
        mean_a = _weighted_mean(fp.productivity, fp.output + 1e-9, fp.sector, S)
        prod = mean_a[sec] * np.exp(rng.normal(-0.05, 0.1, m))
        med_w = np.array(
            [np.median(fp.weight[fp.sector == s]) if n_s[s] else 1.0 for s in range(S)]
        )
        med_sales = np.array(
            [np.median(fp.sales[fp.sector == s]) if n_s[s] else 0.0 for s in range(S)]
        )
        size = 0.3 * med_sales[sec]
        cash0 = 0.5 * size
        kap = size / self.kappa[sec]
        agents = [Firm(self) for _ in range(m)]
        ids = np.array([a.unique_id for a in agents], dtype=np.int64)
        for a in agents:
            self._firm_agents[a.unique_id] = a
        tot_share = np.bincount(fp.sector, weights=fp.share, minlength=S)
        share0 = 0.2 / np.maximum(n_s[sec], 1) * np.maximum(tot_share[sec], 1.0)
        base_rd = self.nu[sec] * size * (1 - self.subsidy_2025) ** -c("rd.elasticity_long")
        self.firm_pop.append(
            id=ids,
            sector=sec,
            weight=med_w[sec],
            productivity=prod,
            capital=np.zeros(m),
            markup=self.markup0[sec],
            price=self.price_index[sec],
            inventory=np.zeros(m),
            cash=cash0,
            loans=np.zeros(m),
            equity=cash0,
            equity_r=np.zeros(m),
            equity_g=np.zeros(m),
            rd=base_rd,
            rd_target=base_rd,
            share=share0,
            share_prev=share0,
            sales=size,
            sales_real=size / self.price_index[sec],
            expected=size / self.price_index[sec],
            sales_trend=size / self.price_index[sec],
            output=np.zeros(m),
            age=np.zeros(m, np.int64),
            wage_premium=np.ones(m),
            unfilled=np.zeros(m),
            profit=np.zeros(m),
            order=kap * p_inv,
            low_share_quarters=np.zeros(m, np.int64),
            rd_norm=np.array(
                [np.median(fp.rd_norm[fp.sector == s]) if n_s[s] else 1.0 for s in range(S)]
            )[sec],
            subsidy_rate=np.full(m, self.subsidy_2025),
            grant=np.zeros(m),
            credit=np.zeros(m),
            key=np.arange(self._next_firm_key, self._next_firm_key + m, dtype=np.int64),
            unserved=np.zeros(m),
        )
        self._next_firm_key += m
        tot = np.bincount(fp.sector, weights=fp.share, minlength=S)
        fp.share = np.divide(
            fp.share, tot[fp.sector], out=np.zeros(len(fp)), where=tot[fp.sector] > 0
        )
        # start-up equity from domestic venture capital (a financial transaction)
        _ = bs

    # -- 12
    def _migration_response(self, emigrate: bool, baseline: bool = False) -> np.ndarray:
        """Logistic response 2 / (1 + exp(-kappa (w_other / w_here - 1 - c))) per agent; with
        ``baseline`` the calibration file's values (not the scenario's overrides) are used, so
        base rates are calibrated once and a scenario's parameters then move the flows."""
        tp = self.talent_pop
        src = load_calibration() if baseline else self.cal
        kappa = src["labour.migration_mobility"]
        cost = src["labour.moving_cost"]
        fw = src["labour.foreign_wage_ratio"]
        if emigrate:
            home = np.flatnonzero(tp.abroad == 0)
            sk = tp.skill[home]
            here = np.where(tp.employer[home] >= 0, self._talent_wages(home), tp.reservation[home])
            other = fw[sk] * self.foreign_wage_level[sk]
            ratio = other / np.maximum(here, 1e-9)
        else:
            away = np.flatnonzero(tp.abroad == 1)
            sk = tp.skill[away]
            here = self.skill_wage[sk]
            other = fw[sk] * self.foreign_wage_level[sk]
            ratio = here / np.maximum(other, 1e-9)
        return 2.0 / (1.0 + np.exp(-kappa * (ratio - 1.0 - cost)))

    def _update_foreign_wages(self) -> None:
        """Wages abroad (per skill, before ``labour.foreign_wage_ratio``) grow with the trend
        part of home wage growth (inflation target plus trend productivity): the world shares
        the trend, while the home labour market's tightness (the Phillips term), firms' wage
        premiums and policy open the gaps that move talent."""
        trend = (1 + self.c("macro.inflation_target")) ** 0.25 - 1 + self.prod_growth
        self.foreign_wage_level = self.foreign_wage_level * (1 + trend)

    def _talent_wages(self, rows: np.ndarray) -> np.ndarray:
        tp = self.talent_pop
        e = tp.employer[rows]
        out = np.zeros(rows.size)
        ok = e >= 0
        out[ok] = self.firm_wages()[e[ok], tp.skill[rows[ok]]]
        return out

    def talent_step(self) -> None:
        """Retirement, emigration, immigration and education entry.

        Retirement at ``labour.retirement_rate`` a year (FACTS, ~45-year careers). Migration
        (DESIGN appendix): p = p_0 2 / (1 + exp(-kappa (w_other / w_here - 1 - c))), base rates
        p_0 set so that the 2025 flows match FACTS (emigration 205k, immigration 314k a year,
        relative to population); talent attraction programmes raise high-skill immigration in
        proportion to their budget (``immigration_boost`` per EUR 100 m a year). Education adds
        entrants so that, with no wage gap, the labour force grows at
        ``labour.labour_force_growth``; the foreign pool is kept at its ratio to the labour force.
        """
        c = self.c
        tp = self.talent_pop
        home = tp.abroad == 0
        n_home = int(home.sum())
        # wages: Phillips curve by skill
        unemp_rate = np.zeros(K)
        for k in range(K):
            m = home & (tp.skill == k)
            unemp_rate[k] = float(np.mean(tp.employer[m] < 0)) if m.any() else 0.0
        self.q["unemployment_by_skill"] = unemp_rate
        growth = (
            (1 + c("macro.inflation_target")) ** 0.25
            - 1
            + self.prod_growth
            + c("labour.phillips_slope") * (self.u_natural - unemp_rate)
        )
        self.skill_wage = self.skill_wage * (1 + np.clip(growth, -0.02, 0.05))
        self._update_foreign_wages()
        if self.quarter == -1:
            self._calibrate_migration()
        # retirement
        ret = self.shocks(tp.id, _RETIRE)[:, 0] < c("labour.retirement_rate") / 4
        retire = home & ret
        # emigration
        resp = self._migration_response(emigrate=True)
        hrows = np.flatnonzero(home)
        emi_draw = self.shocks(tp.id[hrows], _EMIGRATE)[:, 0]
        emigrate = np.zeros(len(tp), bool)
        emigrate[hrows] = (emi_draw < self.p0_emigrate * resp) & ~retire[hrows]
        # immigration
        arows = np.flatnonzero(~home)
        boost = np.ones(arows.size)
        for i, p in self._programme_rows("talent_attraction"):
            b = self.programme_pop.budget_year[i] / 1e8 * p.spec.immigration_boost
            # targeted programmes recruit technical (STEM) high-skill talent for their sectors
            aim = tp.skill[arows] == HIGH
            if isinstance(p.spec.targets, list):
                aim &= tp.field[arows] == 1
            boost = boost + np.where(aim, 0.1 * b, 0.0)
        imm_resp = self._migration_response(emigrate=False)
        imm_draw = self.shocks(tp.id[arows], _IMMIGRATE)[:, 0]
        immigrate = np.zeros(len(tp), bool)
        immigrate[arows] = imm_draw < np.minimum(self.p0_immigrate * imm_resp * boost, 0.9)
        self.q["emigration"] = float(emigrate.sum()) * self.scale
        self.q["immigration"] = float(immigrate.sum()) * self.scale
        self.q["emigration_high"] = float((emigrate & (tp.skill == HIGH)).sum()) * self.scale
        self.q["immigration_high"] = float((immigrate & (tp.skill == HIGH)).sum()) * self.scale
        leaving = np.flatnonzero(emigrate)
        self._separate(leaving[tp.employer[leaving] >= 0])
        tp.arrays["abroad"][emigrate] = 1
        tp.arrays["abroad"][immigrate] = 0
        tp.arrays["employer"][immigrate] = -1
        tp.arrays["reservation"][immigrate] = 0.9 * self.skill_wage[tp.skill[immigrate]]
        self._separate(np.flatnonzero(retire & (tp.employer >= 0)))
        tp.compact(~retire)
        # education entrants and the foreign pool
        rng = self.streams["education"]
        g = c("labour.labour_force_growth")
        net_mig = c("labour.immigration_rate") - c("labour.emigration_rate")
        lam = n_home * max(c("labour.retirement_rate") + g - net_mig, 0.0) / 4
        n_new = int(rng.poisson(lam))
        shares = c("labour.skill_shares")
        sk = rng.choice(K, n_new, p=shares / shares.sum())
        fld = (rng.random(n_new) < c("labour.technical_share")).astype(np.int64)
        pool = int((tp.abroad == 1).sum())
        want_pool = int(round(n_home * c("labour.foreign_pool_ratio")))
        n_pool = max(want_pool - pool, 0)
        psk = rng.choice(K, n_pool, p=np.array([0.25, 0.35, 0.40]))
        pfl = (rng.random(n_pool) < 0.35).astype(np.int64)
        m = n_new + n_pool
        if m:
            skills = np.concatenate([sk, psk])
            tp.append(
                id=self._new_talent_ids(m),
                skill=skills,
                field=np.concatenate([fld, pfl]),
                employer=np.full(m, -1),
                abroad=np.concatenate([np.zeros(n_new, np.int64), np.ones(n_pool, np.int64)]),
                reservation=0.85 * self.skill_wage[skills],
                experience=np.full(m, -1),
            )
        self.q["retirements"] = float(retire.sum()) * self.scale

    # -- 13
    def gdp_production(self) -> float:
        """GDP by production: value added of all firms (output at price less inputs)."""
        return float(self.q["va_firm"].sum())

    def gdp_expenditure(self) -> float:
        """GDP by expenditure: C + G + I + inventory change + X - M (from the flow records)."""
        q = self.q
        c = q["consumption"].sum()
        g = q["government_purchases"].sum()
        i = q["investment_goods"].sum()
        x = q["exports"].sum()
        m = q["imports"].sum()
        return float(c + g + i + q["inventory_change"] + x - m)

    def record(self) -> None:
        """Aggregate this quarter's outcomes into a record (kept from the first recorded
        quarter on); the end of the burn-in fixes 2025 prices for real values."""
        fp = self.firm_pop
        tp = self.talent_pop
        q = self.q
        gdp = self.gdp_production()
        self.gdp_hist.append(gdp)
        self.gdp_hist = self.gdp_hist[-8:]
        va_s = q["va_sector"]
        # smoothed sector demand growth for expectations
        g_now = (
            np.divide(va_s, self.sector_va_prev, out=np.ones(S), where=self.sector_va_prev > 0) - 1
        )
        self.demand_growth = 0.9 * self.demand_growth + 0.1 * np.clip(g_now, -0.1, 0.1)
        self.sector_va_prev = va_s
        home = tp.abroad == 0
        employed = home & (tp.employer >= 0)
        emp_persons = float(employed.sum()) * self.scale
        lf = float(home.sum()) * self.scale
        # real GDP in 2025 prices by double deflation with fixed input coefficients: real value
        # added = real gross output x (value added per unit of output at 2025 prices); 2025
        # prices are those of the last burn-in quarter
        out_s = q["real_output_sector"]
        if self.quarter <= -1 or self.va_per_output is None:
            self.va_per_output = np.divide(va_s, out_s, out=np.zeros(S), where=out_s > 0)
        gdp_real = float((out_s * self.va_per_output).sum())
        if emp_persons > 0 and gdp_real > 0:
            # trend labour productivity growth (wages are indexed to it): the average quarterly
            # log growth of real GDP per worker over the last four years, once it is known
            self.lp_hist.append(np.log(gdp_real / emp_persons))
            self.lp_hist = self.lp_hist[-17:]
            if len(self.lp_hist) == 17:
                g = (self.lp_hist[-1] - self.lp_hist[0]) / 16
                self.prod_growth = float(np.clip(np.expm1(g), -0.01, 0.02))
        if self.quarter < 0:
            return
        empl = self.firm_employment()
        emp_s = q["employment_sector"]
        bill_s = q["bill_sector"]
        emp_k = q["employment_skill"]
        bill_k = q["bill_skill"]
        real_out_s = q["real_output_sector"]
        berd = q["berd"]
        public = float(q["public_rd"]) + float(q.get("mission_spend", 0.0))
        progs = np.array(self.programme_pop.spent, dtype=float)
        talent_k = np.bincount(tp.skill[home], minlength=K).astype(float) * self.scale
        gov_debt = self.bs.bonds_b + self.bs.bonds_r
        rec = {
            "date": self.date,
            "gdp": gdp,
            "gdp_real": gdp_real,
            "gdp_expenditure": self.gdp_expenditure(),
            "consumption": float(q["consumption"].sum()),
            "government_purchases": float(q["government_purchases"].sum()),
            "investment_total": float(q["investment_goods"].sum()),
            "value_added": va_s,
            "industry_share": float(va_s[INDUSTRY_MASK].sum() / gdp) if gdp else 0.0,
            "rd_intensity": (berd + public) / gdp if gdp else 0.0,
            "rd_intensity_business": berd / gdp if gdp else 0.0,
            "rd_intensity_public": public / gdp if gdp else 0.0,
            "business_rd": berd,
            "employment": emp_persons,
            "labour_force": lf,
            "unemployment_rate": 1 - emp_persons / lf if lf else 0.0,
            "vacancies": float(q["vacancies_open"]),
            "wage": np.divide(bill_s, emp_s, out=np.zeros(S), where=emp_s > 0),
            "wage_by_skill": np.divide(bill_k, emp_k, out=np.zeros(K), where=emp_k > 0),
            "productivity": np.divide(real_out_s, emp_s, out=np.zeros(S), where=emp_s > 0),
            "employment_by_sector": emp_s,
            "firms": np.bincount(fp.sector, minlength=S).astype(float),
            "entries": np.asarray(q["entries"], float),
            "exits": np.asarray(q["exits"], float),
            "talent_stock": talent_k,
            "talent_emigration": q["emigration"],
            "talent_immigration": q["immigration"],
            "high_skill_emigration": q["emigration_high"],
            "high_skill_immigration": q["immigration_high"],
            "capital_outflow": q["capital_outflow"],
            "investment": q["investment_sector"],
            "exports": q["exports"],
            "imports": q["imports"],
            "programme_spending": progs,
            "government_balance": float(self.accounts.net_lending()[G]),
            "government_debt": gov_debt,
            "defence_procurement": float(q["defence_procurement"]),
            "defence_domestic_share": self._defence_domestic_share(),
            "grid_use": q["grid_use"],
            "price_index": self.price_index.copy(),
            "knowledge_intensity": q["knowledge_intensity"],
        }
        self.records.append(rec)
        if self.date.month == 10 and self.year in self.scenario.run.snapshot_years:
            self.snapshots.append(
                {
                    "date": self.date,
                    "firm_id": fp.id.copy(),
                    "sector": fp.sector.copy(),
                    "employment": empl.sum(axis=1),
                    "productivity": fp.productivity.copy(),
                    "sales": fp.sales.copy(),
                    "weight": fp.weight.copy(),
                }
            )

    def _defence_domestic_share(self) -> float:
        """Share of defence equipment orders produced at home: orders aimed at domestic firms
        times the share of their sector's domestic demand they could serve."""
        proc = self.q["defence_procurement"]
        if proc <= 0:
            return 0.0
        orders = self.q["defence_orders"]
        share = self.q["defence_domestic_share_target"]
        served = self.q["served_share"]
        return float((orders * share * served).sum() / proc)

    # -- 14
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

    def check_accounts(self) -> None:
        """Stock-flow checks (``abm.accounts``); AccountingError names quarter and sector."""
        if not self.check_accounts_enabled:
            return
        label = f"{self.date.year}Q{self.date.month // 3 + 1}"
        self.accounts.check(
            label,
            self._nw_before,
            self.net_worth(),
            self.gdp_production(),
            self.gdp_expenditure(),
            self._foreign_before,
            foreign_position(self.bs),
        )

    # ------------------------------------------------------------------ output
    def to_dataset(self):  # noqa: ANN201 - xarray.Dataset
        """The run as an xarray Dataset with units and long names (see ``abm.recording``)."""
        return records_to_dataset(self)


def _erfinv(y: np.ndarray) -> np.ndarray:
    """Inverse error function (Giles 2012 single-precision approximation, |err| < 1e-6)."""
    w = -np.log((1.0 - y) * (1.0 + y))
    small = w < 5.0
    ws = w - 2.5
    p1 = 2.81022636e-08
    for cc in (
        3.43273939e-07,
        -3.5233877e-06,
        -4.39150654e-06,
        0.00021858087,
        -0.00125372503,
        -0.00417768164,
        0.246640727,
        1.50140941,
    ):
        p1 = cc + p1 * ws
    wl = np.sqrt(np.maximum(w, 5.0)) - 3.0
    p2 = -0.000200214257
    for cc in (
        0.000100950558,
        0.00134934322,
        -0.00367342844,
        0.00573950773,
        -0.0076224613,
        0.00943887047,
        1.00167406,
        2.83297682,
    ):
        p2 = cc + p2 * wl
    return np.where(small, p1, p2) * y


def run(scenario: Scenario | str = "diffuse", seed: int = 0, **kwargs: Any) -> EconomyModel:
    """Build and run a model; returns it (use ``.to_dataset()`` for the outputs)."""
    return EconomyModel(scenario, seed, **kwargs).run()


_ = (math, _time)
