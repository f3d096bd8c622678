"""Budget tracking shared by every programme: the year's budget, spending, demand-driven rates.

Each January a programme's budget for the year comes from its budget path (the scenario's
``budget``, ``budget_growth`` or ``budget_path``, zero outside ``start``..``end``); without
``budget_growth`` the budget follows the projected nominal GDP path
(``macro.projected_nominal_growth``: CPB's medium-term real growth plus the ECB's 2%), the same
exogenous path in every scenario. Fixed-outlay
programmes spend a quarter of it each quarter (grants: up to the proposals received).
Demand-driven instruments (those whose schema says ``demand_driven``: the R&D tax credit and
the innovation box) are open-ended in law but kept on budget in practice (DESIGN §2): their
rate scale moves each quarter so that cumulative spending follows the cumulative budget,
scale <- scale clip((B_cum - S_cum) / S_last, 0.5, 2), where B_cum includes this quarter's
budget and S_last is last quarter's spending.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.state.economy import EconomyState


def active(eco: EconomyState, instrument: str) -> list[tuple[int, Any]]:
    """(row, programme agent) of the programmes of ``instrument`` with money this year."""
    return [
        (i, p)
        for i, p in enumerate(eco.programmes.values())
        if p.spec.instrument == instrument and eco.programme_pop.budget_year[i] > 0
    ]


def quarter_budget(eco: EconomyState, row: int) -> float:
    """A quarter of programme ``row``'s budget this year (euros)."""
    return eco.programme_pop.budget_year[row] / 4


def spend(eco: EconomyState, row: int, amount: float) -> None:
    """Book ``amount`` euros of spending by programme ``row``."""
    ps = eco.programme_pop
    ps.arrays["spent"][row] += amount
    ps.arrays["spent_year"][row] += amount
    ps.arrays["spent_cum"][row] += amount


def begin_quarter(eco: EconomyState) -> None:
    """New year's budgets in January; last quarter's spending kept; rates kept on budget."""
    ps = eco.programme_pop
    if eco.quarter % 4 == 0:
        for i, prog in enumerate(eco.programmes.values()):
            ps.arrays["budget_year"][i] = prog.spec.budget_in(
                eco.year, eco.c("macro.projected_nominal_growth")
            )
            ps.arrays["spent_year"][i] = 0.0
    ps.spent_last = ps.spent.copy()
    ps.spent = np.zeros(len(ps))
    for i, prog in enumerate(eco.programmes.values()):
        budget_q = ps.budget_year[i] / 4
        ps.arrays["budget_cum"][i] += budget_q
        spec = prog.spec
        if spec.demand_driven and spec.track_budget and budget_q > 0:
            need = ps.budget_cum[i] - ps.spent_cum[i]
            last = ps.spent_last[i]
            if last > 0:
                ratio = float(np.clip(need / last, 0.5, 2.0))
                ps.arrays["rate_scale"][i] = float(np.clip(ps.rate_scale[i] * ratio, 0.01, 5.0))
