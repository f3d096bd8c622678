"""What a recorded quarter keeps: one typed record per quarter, and the firm snapshots.

:func:`record` reads the economy's state and the quarter's flows after the trends step;
:class:`QuarterRecord` has one field per output variable of
:data:`abm.recording.variables.VARIABLES` (a test holds the two together), in the units the
variable table gives.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np

from abm.policy import budget, defence
from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from abm.state.sectors import INDUSTRY_MASK, N_SECTORS, N_SKILLS, G
from kernels.talent import marked_residents

S = N_SECTORS
K = N_SKILLS


@dataclass
class QuarterRecord:
    """One recorded quarter (see ``VARIABLES`` for units and long names)."""

    date: _dt.date
    gdp: float
    gdp_real: float
    gdp_real_per_capita: float
    gdp_real_per_worker: float
    population: float
    consumption: float
    consumption_real: float
    investment_real: float
    gdp_deflator: float
    inflation: float
    government_purchases: float
    investment_total: float
    value_added: np.ndarray
    industry_share: float
    rd_intensity: float
    rd_intensity_business: float
    rd_intensity_public: float
    business_rd: float
    business_rd_by_sector: np.ndarray
    business_rd_government_funded: np.ndarray
    employment: float
    labour_force: float
    unemployment_rate: float
    vacancies: float
    wage: np.ndarray
    wage_by_skill: np.ndarray
    productivity: np.ndarray
    employment_by_sector: np.ndarray
    firms: np.ndarray
    entries: np.ndarray
    exits: np.ndarray
    talent_stock: np.ndarray
    talent_emigration: float
    talent_attracted: float
    talent_immigration: float
    high_skill_emigration: float
    high_skill_immigration: float
    capital_outflow: float
    investment: np.ndarray
    exports: np.ndarray
    imports: np.ndarray
    programme_spending: np.ndarray
    policy_money: np.ndarray
    government_balance: float
    government_debt: float
    defence_procurement: float
    defence_domestic_share: float
    grid_use: float
    price_index: np.ndarray
    knowledge_intensity: np.ndarray


def gdp_expenditure(f: QuarterFlows) -> float:
    """GDP by expenditure: C + G + I + inventory change + X - M (from the flow records)."""
    return float(
        f.consumption.sum()
        + f.government_purchases.sum()
        + f.investment_goods.sum()
        + f.inventory_change
        + f.exports.sum()
        - f.imports.sum()
    )


def _share(x: float, gdp: float) -> float:
    return x / gdp if gdp else 0.0


def record(eco: EconomyState, f: QuarterFlows) -> QuarterRecord:
    """This quarter's outcomes."""
    fp = eco.firm_pop
    gdp = f.gdp
    va_s = f.va_sector
    tp = eco.talent_pop
    home_k, employed_k = eco.talent_census()
    emp_persons = float(employed_k.sum()) * eco.scale
    lf = float(home_k.sum()) * eco.scale
    lf0 = eco.trends.labour_force_2025
    population = eco.c("macro.population_2025") * (lf / lf0 if lf0 > 0 else 1.0)
    emp_s, emp_k = f.employment_sector, f.employment_skill
    berd = f.berd
    public = float(f.public_rd) + float(f.mission_spend)
    base = eco.trends.price_2025
    price = eco.sectors.price_index
    rel_price = price / base if base is not None else np.ones(S)
    # residents a talent programme brought (marks are 1 + the programme's row)
    attracted = marked_residents(tp.attracted, tp.abroad, len(eco.programme_pop) + 1)
    return QuarterRecord(
        date=eco.date,
        gdp=gdp,
        gdp_real=f.gdp_real,
        gdp_real_per_capita=f.gdp_real / population if population > 0 else 0.0,
        gdp_real_per_worker=f.gdp_real / emp_persons if emp_persons > 0 else 0.0,
        population=population,
        consumption=float(f.consumption.sum()),
        consumption_real=float((f.consumption / rel_price).sum()),
        investment_real=float((f.investment_goods / rel_price).sum()),
        gdp_deflator=f.gdp_deflator,
        inflation=f.inflation,
        government_purchases=float(f.government_purchases.sum()),
        investment_total=float(f.investment_goods.sum()),
        value_added=va_s,
        industry_share=float(va_s[INDUSTRY_MASK].sum() / gdp) if gdp else 0.0,
        rd_intensity=_share(berd + public, gdp),
        rd_intensity_business=_share(berd, gdp),
        rd_intensity_public=_share(public, gdp),
        business_rd=berd,
        business_rd_by_sector=f.berd_sector,
        business_rd_government_funded=f.grants_sector,
        employment=emp_persons,
        labour_force=lf,
        unemployment_rate=1 - emp_persons / lf if lf else 0.0,
        vacancies=float(f.vacancies_open),
        wage=np.divide(f.bill_sector, emp_s, out=np.zeros(S), where=emp_s > 0),
        wage_by_skill=np.divide(f.bill_skill, emp_k, out=np.zeros(K), where=emp_k > 0),
        productivity=np.divide(f.real_output_sector, emp_s, out=np.zeros(S), where=emp_s > 0),
        employment_by_sector=emp_s,
        firms=np.bincount(fp.sector, minlength=S).astype(float),
        entries=np.asarray(f.entries, float),
        exits=np.asarray(f.exits, float),
        talent_stock=home_k.astype(float) * eco.scale,
        talent_emigration=f.emigration,
        talent_attracted=float(attracted.sum()) * eco.scale,
        talent_immigration=f.immigration,
        high_skill_emigration=f.emigration_high,
        high_skill_immigration=f.immigration_high,
        capital_outflow=f.capital_outflow,
        investment=f.investment_sector,
        exports=f.exports,
        imports=f.imports,
        programme_spending=np.array(eco.programme_pop.spent, dtype=float),
        policy_money=budget.innovation_money_by_sector(eco),
        government_balance=float(eco.accounts.net_lending()[G]),
        government_debt=eco.bs.bonds_b + eco.bs.bonds_r,
        defence_procurement=float(f.defence_procurement),
        defence_domestic_share=defence.domestic_share(f),
        grid_use=f.grid_use,
        price_index=eco.sectors.price_index.copy(),
        knowledge_intensity=f.knowledge_intensity,
    )


def firm_snapshot(eco: EconomyState) -> dict[str, object]:
    """Firm-level state for the snapshot group: id, sector, employment, productivity, sales."""
    fp = eco.firm_pop
    return {
        "date": eco.date,
        "firm_id": fp.id.copy(),
        "sector": fp.sector.copy(),
        "employment": eco.firm_employment().sum(axis=1),
        "productivity": fp.productivity.copy(),
        "sales": fp.sales.copy(),
        "weight": fp.weight.copy(),
    }
