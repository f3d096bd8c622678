"""The typed flows of one quarter: what one step of the quarter hands to a later one.

A fresh :class:`QuarterFlows` is made at the start of every quarter (``EconomyModel.step``);
each step fills the fields of its section and reads those of earlier steps. Per-firm arrays are
in firm-row order (valid until entry and exit compact the rows, step 11); per-sector arrays have
one entry per :data:`abm.state.sectors.SECTORS`. Money in euros per quarter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def _empty() -> np.ndarray:
    return np.zeros(0)


@dataclass
class QuarterFlows:
    """This quarter's flows, section by section in the order of the quarter's steps."""

    # 0 start of the quarter
    orders: np.ndarray = field(default_factory=_empty)  # investment goods delivered (per firm)
    # 2 production plans
    plan: np.ndarray = field(default_factory=_empty)  # planned real output (per firm)
    rd_staff_desired: np.ndarray = field(default_factory=_empty)  # persons (per firm)
    vacancies: np.ndarray = field(default_factory=_empty)  # agent units (firm x skill)
    layoffs: int = 0  # talent agents laid off
    # 3 labour market
    vacancies_open: float = 0.0  # persons, after matching
    hires: int = 0  # talent agents hired
    # 4 production
    rd_staff: np.ndarray = field(default_factory=_empty)  # persons (per firm)
    rd_wages: np.ndarray = field(default_factory=_empty)  # (per firm)
    interm_by_firm: np.ndarray = field(default_factory=_empty)  # inputs + R&D purchases
    interm_demand: np.ndarray = field(default_factory=_empty)  # by supplying sector
    employment_persons: np.ndarray = field(default_factory=_empty)  # per firm
    wage_bill: np.ndarray = field(default_factory=_empty)  # per firm (paid in step 8)
    bill_sector: np.ndarray = field(default_factory=_empty)
    bill_skill: np.ndarray = field(default_factory=_empty)
    employment_sector: np.ndarray = field(default_factory=_empty)  # persons
    employment_skill: np.ndarray = field(default_factory=_empty)  # persons
    # 5 goods market (government demand included)
    defence_procurement: float = 0.0  # equipment orders
    defence_orders: np.ndarray = field(default_factory=_empty)  # by sector
    defence_domestic_share_target: float = 0.0
    dual_use_knowledge: np.ndarray = field(default_factory=_empty)  # by sector
    public_rd: float = 0.0  # universities and institutes
    public_rd_knowledge: np.ndarray = field(default_factory=_empty)  # by sector served
    mission_spend: float = 0.0
    g_directed: np.ndarray = field(default_factory=_empty)  # directed orders by sector
    g_directed_dom: np.ndarray = field(default_factory=_empty)  # their domestic part
    consumption: np.ndarray = field(default_factory=_empty)  # by sector, imports included
    government_purchases: np.ndarray = field(default_factory=_empty)
    intermediates: np.ndarray = field(default_factory=_empty)
    investment_goods: np.ndarray = field(default_factory=_empty)
    exports: np.ndarray = field(default_factory=_empty)  # served, by sector
    imports: np.ndarray = field(default_factory=_empty)  # by product sector
    world_demand: np.ndarray = field(default_factory=_empty)  # index, 2025 = 1
    demand_total: np.ndarray = field(default_factory=_empty)  # domestic output demanded
    served_share: np.ndarray = field(default_factory=_empty)  # by sector
    sold: np.ndarray = field(default_factory=_empty)  # per firm, euros
    depreciation: np.ndarray = field(default_factory=_empty)  # per firm, euros
    inventory_change: float = 0.0
    va_firm: np.ndarray = field(default_factory=_empty)  # value added per firm
    va_sector: np.ndarray = field(default_factory=_empty)
    investment_sector: np.ndarray = field(default_factory=_empty)  # delivered, by firm sector
    real_output_sector: np.ndarray = field(default_factory=_empty)
    nominal_output_sector: np.ndarray = field(default_factory=_empty)
    berd: float = 0.0  # business R&D spending
    berd_sector: np.ndarray = field(default_factory=_empty)  # business R&D by sector
    # 6 R&D and innovation
    innovations: np.ndarray = field(default_factory=_empty)  # successful firm agents by sector
    knowledge_intensity: np.ndarray = field(default_factory=_empty)  # by sector
    # 7 investment and capital market
    coinvest_share: np.ndarray = field(default_factory=_empty)  # public share of matched money
    coinvest_budget: np.ndarray = field(default_factory=_empty)  # public money by sector
    coinvest_match: np.ndarray = field(default_factory=_empty)  # public euros per private euro
    coinvest_intensity: np.ndarray = field(default_factory=_empty)  # fund over replacement inv.
    investment_order: np.ndarray = field(default_factory=_empty)  # wanted, euros (per firm)
    funding_request: np.ndarray = field(default_factory=_empty)  # outside money (per firm)
    grid_use: float = 0.0
    grid_allowance: float = 0.0
    capital_outflow: float = 0.0
    capital_inflow: float = 0.0
    coinvest_placed: float = 0.0  # public co-investment money placed
    # 8 incomes
    box_benefit: np.ndarray | float = 0.0  # per firm (0.0 before step 8)
    corporate_tax: float = 0.0
    household_income_capital: float = 0.0
    # 9 programmes pay
    credit: float = 0.0
    grants: float = 0.0
    grants_sector: np.ndarray = field(default_factory=_empty)  # government-funded business R&D
    # 10 government
    benefits: float = 0.0
    transfers: float = 0.0
    household_gross_income: float = 0.0  # wages, transfers and capital income
    # 11 entry and exit
    exits: np.ndarray = field(default_factory=_empty)  # firm agents by sector
    entries: np.ndarray = field(default_factory=_empty)
    # 12 talent
    residents_before_migration: int = 0  # talent agents living here
    unemployment_by_skill: np.ndarray = field(default_factory=_empty)
    emigration: float = 0.0  # persons
    immigration: float = 0.0
    emigration_high: float = 0.0
    immigration_high: float = 0.0
    retirements: float = 0.0
    # 13 trends
    gdp: float = 0.0  # by production
    gdp_real: float = 0.0  # 2025 prices (double deflation)
    gdp_deflator: float = 1.0  # 2025 = 1
    inflation: float = 0.0  # annualised quarterly change of the deflator
