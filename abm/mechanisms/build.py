"""Build and calibration: the 2025 economy the burn-in then settles.

Levels come from ``abm/calibration/netherlands.toml`` (FACTS rows or documented assumptions):
quarterly GDP and its value-added split by sector, gross output ``X_s = VA_s / (1 - a_s)``
with ``a_s`` the intermediate share, employment by sector, compensation equal to the labour
share of GDP, wages by skill (``labour.wage_by_skill_relative``) with a sector premium that
reproduces each sector's average wage, BERD by sector (``rd.berd_share_gdp`` x
``sectors.rd_share_of_berd``), capital from the capital-output ratio, prices 1 and mark-ups that
cover unit cost. Firm agents per sector get Pareto sizes (``firms.size_pareto_alpha``), the
chip-machine maker is one agent of weight 1 (FACTS: ASML 2024), and talent agents are the
firms' employees, the unemployed and a foreign pool.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms import balance, households, migration
from abm.policy import public_research
from abm.state.accounts import Accounts, BalanceSheets
from abm.state.economy import (
    EconomyState,
    FinanceState,
    GovernmentState,
    HouseholdState,
    LabourState,
    PolicyState,
    SectorState,
    Structure,
    Trends,
    weighted_mean,
)
from abm.state.fields import firm_rows
from abm.state.sectors import HIGH, N_SECTORS, N_SKILLS, SECTOR_INDEX

S = N_SECTORS
K = N_SKILLS


def io_matrix(eco: EconomyState, a: np.ndarray) -> np.ndarray:
    """Input-output technical coefficients A[j, s]: input from j per unit of s's output.

    Assumption (no Dutch IO table in FACTS): each sector buys ``sectors.io_own_share`` of its
    intermediates from itself and the rest by ``sectors.io_supplier_shares``; services buys by
    ``sectors.io_services_column``. Column totals equal the calibrated intermediate share of
    gross output ``a_s``.
    """
    own = eco.c("sectors.io_own_share")
    supplier = eco.c("sectors.io_supplier_shares")
    services = SECTOR_INDEX["services"]
    m = np.zeros((S, S))
    for s in range(S):
        if s == services:
            col = eco.c("sectors.io_services_column").copy()
        else:
            col = supplier.copy()
            col[s] += own
        m[:, s] = col / col.sum() * a[s]
    return m


def build_economy(eco: EconomyState) -> None:
    """Create the calibrated 2025 economy: structure, firms, talent, investors, accounts."""
    c = eco.c
    rng = eco.streams["init"]
    y = c("macro.gdp_2025") / 4.0  # quarterly GDP
    va_share = c("sectors.va_share") / c("sectors.va_share").sum()
    va = va_share * y
    a = c("sectors.intermediate_share")
    x = va / (1.0 - a)  # gross output
    lf = c("labour.labour_force")
    u0 = c("labour.unemployment_rate")
    e = lf * (1.0 - u0)
    emp_share = c("sectors.employment_share") / c("sectors.employment_share").sum()
    emp = emp_share * e
    ls = c("sectors.labour_share") * va
    ls *= c("macro.labour_share") * y / ls.sum()  # total compensation = labour share of GDP
    wage_avg_s = ls / emp  # euros per person-quarter
    rel = c("labour.wage_by_skill_relative")
    hi = c("sectors.skill_mix_high")
    lo = c("sectors.skill_mix_low")
    mix = np.stack([lo, 1.0 - hi - lo, hi], axis=1)  # sector x skill
    wbar = ls.sum() / e
    skill_wage = rel * wbar
    sector_premium = wage_avg_s / (mix @ skill_wage)
    eco.labour = LabourState(
        skill_wage=skill_wage,
        foreign_wage_level=skill_wage.copy(),
        natural_rate=np.full(K, u0),
    )
    # R&D: BERD by sector, of which wages (share rho_L) pay R&D staff (high skill).
    berd = c("rd.berd_share_gdp") * y * c("sectors.rd_share_of_berd")
    berd *= c("rd.berd_share_gdp") * y / berd.sum()
    rho = c("rd.personnel_share")
    # R&D over sales at the 2025 user cost (WBSO and box in force): the rule
    # RD = nu_s sales (u/u_0)^-eps reproduces 2025 BERD at u = 1 - rd.subsidy_rate_2025
    subsidy_2025 = c("rd.subsidy_rate_2025")
    # the chip-machine maker's own R&D (FACTS: ASML 2024) is part of machinery's BERD: the other
    # machinery firms (and entrants) share the rest over the rest of the sector's output
    m = SECTOR_INDEX["machinery"]
    big_share = min(0.6, c("firms.largest_firm_sales") / 4 / x[m])
    rest = max(berd[m] - c("firms.largest_firm_rd") / 4, 0.1 * berd[m])
    ratio = berd / x
    ratio[m] = rest / (x[m] * (1 - big_share))
    nu = ratio * (1 - subsidy_2025) ** c("rd.elasticity_long")
    # Prices and mark-ups: p = (1 + mu) * unit cost = 1 in 2025.
    unit_cost = (ls + berd * (1 - rho)) / x + a
    # Capital: K_s proportional to capital intensity x VA, total = K/Y ratio x annual GDP.
    kint = c("sectors.capital_intensity") * va
    kcap = kint / kint.sum() * c("macro.capital_output_ratio") * 4 * y
    util = c("macro.capacity_utilisation")
    eco.structure = Structure(
        io=io_matrix(eco, a),
        kappa=x / (kcap * util),
        delta_q=1 - (1 - c("macro.depreciation_rate")) ** 0.25,
        nu=nu,
        subsidy_2025=subsidy_2025,
        rd_labour_share=rho,
        rd_nonlabour_cost=berd * (1 - rho) / x,
        markup0=np.clip(1.0 / unit_cost - 1.0, 0.02, 2.0),
        skill_mix=mix,
        sector_premium=sector_premium,
        exports0=np.zeros(S),
        import_share=np.zeros(S),
        n_agents0=np.zeros(S, np.int64),
        size_weights=va / va.sum(),
    )
    prod_staff, rd_staff, sector = _build_firms(eco, x, emp, kcap, rng)
    eco.structure.n_agents0 = np.bincount(sector, minlength=S)
    eco.structure.exports0, eco.structure.import_share = balance.balance(
        eco, y, x, berd, float(eco.firm_pop.order.sum())
    )
    _build_talent(eco, prod_staff, rd_staff, sector, lf, u0)
    _productivity_of_actual_staff(eco)
    migration.calibrate_base_rates(eco)
    # ---------------- sector-level state and trends
    knowledge = berd * 4.0 / c("rd.knowledge_depreciation")  # steady-state stock
    public_rd_q = c("rd.public_rd_share_gdp") * y
    knowledge += public_rd_q * 4 / c("rd.knowledge_depreciation") * public_research.split(eco)
    eco.sectors = SectorState(price_index=np.ones(S), world_price=1.0, knowledge=knowledge)
    eco.trends = Trends(
        gdp_hist=[y],
        demand_growth=np.full(S, (1 + c("macro.real_growth_2025")) ** 0.25 - 1),
        sector_out_prev=x.copy(),
        prod_growth=(1 + c("macro.real_growth_2025") - c("labour.labour_force_growth")) ** 0.25 - 1,
        profit_rate_hist=[np.full(S, c("finance.initial_profit_rate"))],
    )
    eco.policy = PolicyState()
    eco.finance = FinanceState()
    # ---------------- balance sheets
    eco.accounts = Accounts()
    bs = eco.bs = BalanceSheets()
    bs.deposits_h = c("households.deposits_gdp") * 4 * y
    bs.deposits_g = c("government.deposit_target") * y
    debt = c("government.debt_share") * 4 * y
    bs.bonds_r = c("government.bond_foreign_share") * debt
    bs.bonds_b = debt - bs.bonds_r
    bs.foreign_assets = c("finance.foreign_assets_gdp") * 4 * y
    bs.deposits_r = 0.0
    # ---------------- investors and programmes
    _build_investors(eco)
    _build_programme_rows(eco)
    # ---------------- households and government behaviour, calibrated to 2025 shares
    eco.government = GovernmentState(wage_tax=c("government.labour_tax_rate"))
    eco.households = HouseholdState(cw=c("households.wealth_propensity"))
    households.calibrate(eco, y, ls)
    eco.households.consumption_plan = c("macro.consumption_share") * y


def _build_firms(
    eco: EconomyState,
    x: np.ndarray,
    emp: np.ndarray,
    kcap: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Firm agents by sector with Pareto sizes and dispersed productivity; returns each firm's
    production staff, R&D staff (persons) and sector."""
    c = eco.c
    st = eco.structure
    real_firms = (
        c("firms.enterprises_with_staff") * c("firms.firm_shares") / c("firms.firm_shares").sum()
    )
    n_agents = np.maximum(
        np.round(real_firms / eco.scale).astype(int), int(c("firms.min_agents_per_sector"))
    )
    machinery = SECTOR_INDEX["machinery"]
    alpha = c("firms.size_pareto_alpha")
    big = dict(
        sales=c("firms.largest_firm_sales") / 4,
        rd=c("firms.largest_firm_rd") / 4,
        staff=c("firms.largest_firm_staff"),
    )
    sec_list, size_list, w_list, prod_list, staff_share = [], [], [], [], []
    for s in range(S):
        n = int(n_agents[s])
        size = (1.0 - rng.random(n)) ** (-1.0 / alpha)  # Pareto sizes
        size /= size.sum()
        w = np.full(n, real_firms[s] / n)
        if s == machinery:
            # The chip-machine maker: an individual agent of weight 1 (FACTS: ASML 2024).
            frac_big = min(0.6, big["sales"] / x[s])
            size = np.concatenate([size * (1 - frac_big), [frac_big]])
            w = np.concatenate([w - 1.0 / n, [1.0]])
            n += 1
        prod = np.exp(rng.normal(0.0, c("firms.productivity_dispersion"), n))
        sec_list.append(np.full(n, s))
        size_list.append(size)
        w_list.append(w)
        # productivity dispersion, normalised so the sector's output per worker is right
        emp_sh = size / prod
        if s == machinery:
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
    sales = size * x[sector]  # quarterly euros = real output at price 1
    staff = staff_sh * emp[sector]
    # 2025 R&D: nu_s sales at the 2025 user cost (1 - subsidy)^-eps, i.e. the BERD shares
    rd = st.nu[sector] * sales * (1 - st.subsidy_2025) ** -c("rd.elasticity_long")
    big_row = int(np.flatnonzero(sector == machinery)[-1])
    rd[big_row] = big["rd"]
    premium = np.ones(nf)
    premium[big_row] = c("firms.largest_firm_wage_premium")
    w_high = eco.labour.skill_wage[HIGH] * st.sector_premium[sector] * premium
    rd_staff = np.minimum(
        st.rd_labour_share * rd / w_high,
        c("firms.rd_staff_cap") * staff * st.skill_mix[sector, HIGH],
    )
    prod_staff = staff - rd_staff
    productivity = sales / np.maximum(prod_staff, 1.0)
    # capital vintages differ around the need, so lumpy investment starts desynchronised
    spread = c("firms.capital_vintage_spread")
    capital = kcap[sector] * size * rng.uniform(1 - spread, 1 + spread, nf)
    ids = eco.register_firms(nf)
    equity = c("firms.initial_equity_capital") * capital
    # researchers per real firm that count as unit effort: the sector's baseline innovation
    # effort is R&D staff per employee relative to the sector's 2025 ratio, so it does not
    # grow with firm size (a firm agent stands for many real firms)
    rd_ratio = rd_staff / np.maximum(staff, 1e-9)
    base = weighted_mean(rd_ratio, staff, sector, S)
    eco._next_firm_key = 1
    eco.firm_pop.append(
        **firm_rows(
            id=ids,
            key=eco.new_firm_keys(nf),
            sector=sector,
            weight=weight,
            productivity=productivity,
            capital=capital,
            markup=st.markup0[sector],
            price=np.ones(nf),
            inventory=c("firms.inventory_target") * sales,
            cash=c("firms.initial_cash_sales") * sales,
            loans=c("firms.initial_loans_capital") * capital,
            equity=equity,
            equity_r=c("firms.foreign_equity_share") * equity,
            rd=rd,
            rd_nu=rd / sales * (1 - st.subsidy_2025) ** c("rd.elasticity_long"),
            share=size,
            sales=sales,
            sales_real=sales,
            output=sales,
            age=int(c("firms.initial_age")),
            wage_premium=premium,
            order=(st.delta_q + (1 + c("macro.real_growth_2025")) ** 0.25 - 1) * capital,
            rd_norm=np.maximum(base[sector], 1e-9),
            subsidy_rate=c("rd.subsidy_rate_2025"),
        )
    )
    return prod_staff, rd_staff, sector


def _build_talent(
    eco: EconomyState,
    prod_staff: np.ndarray,
    rd_staff: np.ndarray,
    sector: np.ndarray,
    lf: float,
    u0: float,
) -> None:
    """Talent agents: each firm's employees by skill, the unemployed, and the foreign pool."""
    c = eco.c
    rng = eco.streams["init"]
    mix = eco.structure.skill_mix
    per_skill = prod_staff[:, None] * mix[sector]  # persons
    per_skill[:, HIGH] += rd_staff
    agents = per_skill / eco.scale
    base = np.floor(agents)
    extra = rng.random(agents.shape) < (agents - base)
    counts = (base + extra).astype(np.int64)
    firm_rows_ = np.repeat(np.arange(len(sector)), counts.sum(axis=1))
    # each firm's agents by skill, firm after firm (skill 0 first)
    skills = np.repeat(np.tile(np.arange(K), len(sector)), counts.ravel())
    n_emp = firm_rows_.size
    tech_need = c("sectors.technical_need")[sector[firm_rows_]]
    other_tech = c("labour.technical_share_not_high")
    field = (rng.random(n_emp) < np.where(skills == HIGH, tech_need, other_tech)).astype(np.int64)
    n_unemp = int(round(n_emp * u0 / (1 - u0)))
    shares = c("labour.skill_shares")
    u_skill = rng.choice(K, n_unemp, p=shares / shares.sum())
    u_field = (rng.random(n_unemp) < c("labour.technical_share")).astype(np.int64)
    n_pool = int(round((n_emp + n_unemp) * c("labour.foreign_pool_ratio")))
    p_skill, p_field = migration.draw_foreign_pool(eco, rng, n_pool)
    n = n_emp + n_unemp + n_pool
    skill = np.concatenate([skills, u_skill, p_skill])
    eco.talent_pop.append(
        id=eco.new_talent_ids(n),
        skill=skill,
        field=np.concatenate([field, u_field, p_field]),
        employer=np.concatenate([firm_rows_, np.full(n_unemp + n_pool, -1)]),
        abroad=np.concatenate([np.zeros(n_emp + n_unemp, np.int64), np.ones(n_pool, np.int64)]),
        reservation=c("labour.reservation_initial") * eco.labour.skill_wage[skill],
        experience=np.concatenate([sector[firm_rows_], np.full(n_unemp + n_pool, -1)]),
        attracted=0,
    )
    eco.labour.residents, eco.labour.staff = eco.recount_talent()


def _productivity_of_actual_staff(eco: EconomyState) -> None:
    """Productivity such that each firm's actual production staff (its talent agents, after
    stochastic rounding) produce its 2025 sales: otherwise firms that drew fewer agents than
    they need produce less, and the first quarter starts below the calibrated GDP."""
    fp = eco.firm_pop
    st = eco.structure
    empl = eco.firm_employment()
    w_high = eco.firm_wages()[:, HIGH]
    rd_staff = np.minimum(st.rd_labour_share * fp.rd / w_high, empl[:, HIGH])
    prod_staff = empl.sum(axis=1) - rd_staff
    ok = prod_staff > 0
    fp.productivity = np.where(ok, fp.sales / np.maximum(prod_staff, 1e-9), fp.productivity)


def _build_investors(eco: EconomyState) -> None:
    """Investor agents: ``finance.investor_count`` of each kind (pension funds, banks, venture
    capital, foreign), with home bias ``finance.home_bias`` times ``finance.home_bias_by_kind``
    for domestic kinds."""
    counts = eco.c("finance.investor_count").astype(int)
    kinds = np.concatenate([np.full(n, k) for k, n in enumerate(counts)])
    ids = eco.register_investors(kinds.size)
    hb = eco.c("finance.home_bias")
    eco.investor_pop.append(
        id=ids,
        kind=kinds,
        funds=np.zeros(kinds.size),
        home_bias=np.where(kinds == 3, hb, hb * eco.c("finance.home_bias_by_kind")[kinds]),
        placed_home=np.zeros(kinds.size),
        placed_abroad=np.zeros(kinds.size),
    )


def _build_programme_rows(eco: EconomyState) -> None:
    """One programme agent and row per programme of the scenario (budgets set each January)."""
    eco.register_programmes()
    n = len(eco.programmes)
    eco.programme_pop.append(
        id=np.array([a.unique_id for a in eco.programmes.values()], dtype=np.int64),
        spent=np.zeros(n),
        budget_year=np.zeros(n),
        rate_scale=np.ones(n),
        spent_year=np.zeros(n),
        budget_cum=np.zeros(n),
        spent_cum=np.zeros(n),
        spent_last=np.zeros(n),
    )
