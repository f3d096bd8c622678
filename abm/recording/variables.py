"""What a run publishes: every output variable with its dimensions, units and long name.

Flows are per quarter (``cell_methods = "time: sum"``), stocks at the end of the quarter
(``"time: point"``), rates and shares as fractions (``units = "1"``). Money is in euros of the
real economy whatever the agent scale; UDUNITS has no currency, so money variables carry
``units = "EUR"`` and a ``long_name`` that says euros (a documented choice, see docs/model.md).
"""

from __future__ import annotations

T = ("time",)
TS = ("time", "sector")
TK = ("time", "skill")
TP = ("time", "programme")

#: name -> (dims, units, long_name, cell_methods)
VARIABLES: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "gdp": (T, "EUR", "gross domestic product, nominal euros per quarter", "time: sum"),
    "gdp_real": (T, "EUR", "gross domestic product in 2025 prices, euros per quarter", "time: sum"),
    "gdp_real_per_capita": (
        T,
        "EUR",
        "real GDP (2025 prices) per resident, euros per person per quarter; population 18.13 m "
        "at the end of 2025 (CBS) moving with the resident labour force (migration included)",
        "time: sum",
    ),
    "gdp_real_per_worker": (
        T,
        "EUR",
        "real GDP (2025 prices) per employed person, euros per person per quarter",
        "time: sum",
    ),
    "population": (
        T,
        "1",
        "resident population (persons): 18.13 m at the end of 2025 times the resident labour "
        "force relative to its end-2025 level",
        "time: point",
    ),
    "consumption": (T, "EUR", "household final consumption, euros per quarter", "time: sum"),
    "consumption_real": (
        T,
        "EUR",
        "household final consumption in 2025 prices (deflated by sector prices), euros per quarter",
        "time: sum",
    ),
    "investment_real": (
        T,
        "EUR",
        "business gross fixed capital formation in 2025 prices, euros per quarter",
        "time: sum",
    ),
    "gdp_deflator": (T, "1", "GDP deflator, nominal over real GDP (2025 = 1)", "time: mean"),
    "inflation": (
        T,
        "1",
        "GDP-deflator inflation, annualised change on the previous quarter",
        "time: mean",
    ),
    "government_purchases": (
        T,
        "EUR",
        "government purchases of goods and services, euros per quarter",
        "time: sum",
    ),
    "investment_total": (
        T,
        "EUR",
        "business gross fixed capital formation, euros per quarter",
        "time: sum",
    ),
    "value_added": (TS, "EUR", "gross value added by sector, euros per quarter", "time: sum"),
    "industry_share": (
        T,
        "1",
        "industry (manufacturing-type sectors) value added as a share of GDP",
        "time: mean",
    ),
    "rd_intensity": (
        T,
        "1",
        "gross R&D expenditure (business + public) as a share of GDP",
        "time: mean",
    ),
    "rd_intensity_business": (T, "1", "business R&D expenditure as a share of GDP", "time: mean"),
    "rd_intensity_public": (
        T,
        "1",
        "public R&D expenditure (universities, institutes, mission agency) as a share of GDP",
        "time: mean",
    ),
    "employment": (T, "1", "persons employed (count)", "time: point"),
    "labour_force": (T, "1", "labour force resident in the country (persons)", "time: point"),
    "unemployment_rate": (T, "1", "unemployment rate (share of the labour force)", "time: point"),
    "vacancies": (T, "1", "open vacancies at the end of the quarter (count)", "time: point"),
    "wage": (
        TS,
        "EUR",
        "average wage per employed person by sector, euros per quarter",
        "time: mean",
    ),
    "wage_by_skill": (
        TK,
        "EUR",
        "average wage per employed person by skill, euros per quarter",
        "time: mean",
    ),
    "productivity": (
        TS,
        "EUR",
        "real gross output per employed person by sector, 2025 euros per quarter",
        "time: mean",
    ),
    "employment_by_sector": (TS, "1", "persons employed by sector (count)", "time: point"),
    "firms": (TS, "1", "number of firms represented (firm agents) by sector", "time: point"),
    "entries": (TS, "1", "firm agents entering by sector", "time: sum"),
    "exits": (TS, "1", "firm agents exiting by sector", "time: sum"),
    "talent_stock": (TK, "1", "resident labour force by skill (persons)", "time: point"),
    "talent_emigration": (T, "1", "labour-force emigrants (persons per quarter)", "time: sum"),
    "talent_attracted": (
        T,
        "1",
        "residents brought in by talent attraction programmes and still resident (persons)",
        "time: point",
    ),
    "talent_immigration": (T, "1", "labour-force immigrants (persons per quarter)", "time: sum"),
    "high_skill_emigration": (T, "1", "high-skill emigrants (persons per quarter)", "time: sum"),
    "high_skill_immigration": (T, "1", "high-skill immigrants (persons per quarter)", "time: sum"),
    "capital_outflow": (
        T,
        "EUR",
        "new money domestic investors place abroad, euros per quarter",
        "time: sum",
    ),
    "investment": (
        TS,
        "EUR",
        "investment goods delivered to firms by the firms' sector, euros per quarter",
        "time: sum",
    ),
    "exports": (
        TS,
        "EUR",
        "exports of domestic output by sector (re-exports excluded), euros per quarter",
        "time: sum",
    ),
    "imports": (TS, "EUR", "imports by product sector, euros per quarter", "time: sum"),
    "policy_money": (
        TS,
        "EUR",
        "public innovation money (programme outlays, tax expenditure, co-investment committed) reaching each sector, euros per quarter",
        "time: sum",
    ),
    "programme_spending": (
        TP,
        "EUR",
        "public innovation money spent by programme (outlays, tax expenditure, co-investment), euros per quarter",
        "time: sum",
    ),
    "government_balance": (
        T,
        "EUR",
        "government net lending (+) or borrowing (-), euros per quarter",
        "time: sum",
    ),
    "government_debt": (T, "EUR", "government bonds outstanding, euros", "time: point"),
    "defence_procurement": (T, "EUR", "defence equipment orders, euros per quarter", "time: sum"),
    "defence_domestic_share": (
        T,
        "1",
        "share of defence equipment orders produced domestically",
        "time: mean",
    ),
    "grid_use": (
        T,
        "EUR",
        "capacity expansion of energy-intensive firms connected to the grid, 2025 euros of capital per quarter",
        "time: sum",
    ),
    "business_rd": (T, "EUR", "business R&D expenditure, euros per quarter", "time: sum"),
    "business_rd_by_sector": (
        TS,
        "EUR",
        "business R&D expenditure by sector, euros per quarter",
        "time: sum",
    ),
    "business_rd_government_funded": (
        TS,
        "EUR",
        "government-funded business R&D (competitive R&D grants to firms) by sector, euros per quarter",
        "time: sum",
    ),
    "price_index": (
        TS,
        "1",
        "output price index by sector (2025 = 1 before the burn-in)",
        "time: mean",
    ),
    "knowledge_intensity": (
        TS,
        "1",
        "knowledge stock over annual value added by sector",
        "time: point",
    ),
}
