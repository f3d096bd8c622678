"""The fields of each population (one numpy array per field) and the one maker of firm rows.

Every firm row, at the initial build and at entry, is made by :func:`firm_rows`, so a new firm
field is added in one place: its dtype in :data:`FIRM_FIELDS` and its start value here.
"""

from __future__ import annotations

import numpy as np

FIRM_FIELDS: dict[str, type] = {
    "id": np.int64,  # Mesa unique_id
    "sector": np.int64,
    "weight": np.float64,  # real firms the agent stands for
    "productivity": np.float64,  # real gross output per production worker per quarter
    "capital": np.float64,  # real capital stock
    "markup": np.float64,
    "price": np.float64,
    "inventory": np.float64,  # real
    "cash": np.float64,  # deposits, euros
    "loans": np.float64,
    "equity": np.float64,  # total outside equity, book value
    "equity_r": np.float64,  # of which held by the rest of the world
    "equity_g": np.float64,  # of which held by the government (co-investment)
    "rd": np.float64,  # R&D spending last quarter (euros)
    "rd_target": np.float64,  # planned R&D for this quarter
    "rd_ratio": np.float64,  # planned R&D over sales
    "rd_nu": np.float64,  # R&D over sales the firm aims at when the user cost is 1
    "share": np.float64,  # share of the sector's domestic market
    "share_prev": np.float64,
    "sales": np.float64,  # euros last quarter
    "sales_real": np.float64,
    "expected": np.float64,  # expected real demand
    "sales_trend": np.float64,  # slow moving average of real demand (plans capacity)
    "output": np.float64,  # real output last quarter
    "age": np.int64,  # quarters
    "wage_premium": np.float64,
    "unfilled": np.float64,  # share of vacancies left open last quarter
    "profit": np.float64,  # pre-tax profit last quarter
    "order": np.float64,  # investment goods ordered, delivered and paid next quarter (euros)
    "low_share_quarters": np.int64,
    "rd_norm": np.float64,  # researchers per employee that count as effort 1 (sector, 2025)
    "subsidy_rate": np.float64,  # effective R&D subsidy rate last quarter (credit + grant)
    "grant_received": np.float64,  # grant money received for this quarter's R&D
    "credit": np.float64,  # R&D tax credit received last quarter
    "key": np.int64,  # serial number keying the firm's shocks (independent of Mesa's ids)
    "unserved": np.float64,  # share of the firm's demand it could not serve
}
TALENT_FIELDS: dict[str, type] = {
    # compact types: ten million agents at 1:1 (money is never stored per talent agent)
    "id": np.int32,  # stable id (about 2e9 ids: 1:1 runs add some 70 thousand a quarter)
    "skill": np.int8,  # index into SKILLS
    "field": np.int8,  # 1 technical (STEM), 0 other
    "employer": np.int32,  # firm row, -1 if none
    "abroad": np.int8,  # 1 when living abroad
    "reservation": np.float64,  # reservation wage, euros per quarter
    "experience": np.int8,  # sector of the last job, -1 if none
    "attracted": np.int32,  # 1 + row of the talent programme that brought this person, 0 none
}
INVESTOR_FIELDS: dict[str, type] = {
    "id": np.int64,
    "kind": np.int64,  # 0 pension fund, 1 bank, 2 venture capital, 3 foreign
    "funds": np.float64,
    "home_bias": np.float64,
    "placed_home": np.float64,
    "placed_abroad": np.float64,
}
PROGRAMME_FIELDS: dict[str, type] = {
    "id": np.int64,
    "spent": np.float64,  # this quarter
    "budget_year": np.float64,
    "rate_scale": np.float64,
    "spent_year": np.float64,
    "budget_cum": np.float64,  # budget to date (euros since the programme started)
    "spent_cum": np.float64,  # spending to date
    "spent_last": np.float64,  # spending last quarter
}


def firm_rows(
    *,
    id: np.ndarray,  # noqa: A002 - the field's name
    key: np.ndarray,
    sector: np.ndarray,
    weight: np.ndarray,
    productivity: np.ndarray,
    capital: np.ndarray,
    markup: np.ndarray,
    price: np.ndarray,
    inventory: np.ndarray,
    cash: np.ndarray,
    loans: np.ndarray,
    equity: np.ndarray,
    equity_r: np.ndarray,
    rd: np.ndarray,
    rd_nu: np.ndarray,
    share: np.ndarray,
    sales: np.ndarray,
    sales_real: np.ndarray,
    output: np.ndarray,
    age: np.ndarray | int,
    wage_premium: np.ndarray | float,
    order: np.ndarray,
    rd_norm: np.ndarray,
    subsidy_rate: np.ndarray | float,
) -> dict[str, np.ndarray]:
    """Every field of new firm rows: the given values, and the start values of the rest.

    A new firm plans this quarter's R&D at its current R&D (and its ratio to sales), has last
    quarter's market share
    equal to its share, expects (and trends at) its real sales, holds no government equity,
    and has no open vacancies, profit, grant, credit or unserved demand yet.
    """
    n = np.size(id)
    zeros = np.zeros(n)
    return dict(
        id=id,
        sector=sector,
        weight=weight,
        productivity=productivity,
        capital=capital,
        markup=markup,
        price=price,
        inventory=inventory,
        cash=cash,
        loans=loans,
        equity=equity,
        equity_r=equity_r,
        equity_g=zeros,
        rd=rd,
        rd_target=rd,
        rd_ratio=np.divide(rd, sales, out=np.zeros(n), where=np.asarray(sales) > 0),
        rd_nu=rd_nu,
        share=share,
        share_prev=share,
        sales=sales,
        sales_real=sales_real,
        expected=sales_real,
        sales_trend=sales_real,
        output=output,
        age=np.broadcast_to(np.asarray(age, np.int64), (n,)),
        wage_premium=np.broadcast_to(np.asarray(wage_premium, float), (n,)),
        unfilled=zeros,
        profit=zeros,
        order=order,
        low_share_quarters=np.zeros(n, np.int64),
        rd_norm=rd_norm,
        subsidy_rate=np.broadcast_to(np.asarray(subsidy_rate, float), (n,)),
        grant_received=zeros,
        credit=zeros,
        key=key,
        unserved=zeros,
    )
