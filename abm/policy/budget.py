"""Budget tracking shared by every programme: the year's budget, spending, demand-driven rates.

Each January a programme's budget for the year comes from its budget path (the scenario's
``budget``, ``budget_growth`` or ``budget_path``, zero outside ``start``..``end``); without
``budget_growth`` the budget follows the projected nominal GDP path
(``macro.projected_nominal_growth``: CPB's medium-term real growth plus the ECB's 2%), the same
exogenous path in every scenario. A scenario's ``reallocation`` r (the dose of focus) moves r
of the year's credit and box budgets into its targeted market programmes (those with a list of
target sectors), pro rata to their budgets, so the total stays equal at every dose. Fixed-outlay
programmes spend a quarter of it each quarter (grants: up to the proposals received).
Demand-driven instruments (those whose schema says ``demand_driven``: the R&D tax credit and
the innovation box) are open-ended in law but kept on budget in practice (docs/model.md
§6.13): their
rate scale moves each quarter so that cumulative spending follows the cumulative budget,
scale <- scale clip((B_cum - S_cum) / S_last, 0.5, 2), where B_cum includes this quarter's
budget and S_last is last quarter's spending.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from abm.scenario.schema import targeted_programmes
from abm.state.economy import EconomyState
from abm.state.sectors import N_SECTORS
from kernels.sectors import sector_sums


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


def spend(eco: EconomyState, row: int, amount: float, sectors: np.ndarray) -> None:
    """Book ``amount`` euros of spending by programme ``row``; ``sectors`` says where the money
    goes (euros or weights by sector; normalised to ``amount``)."""
    ps = eco.programme_pop
    ps.arrays["spent"][row] += amount
    ps.arrays["spent_year"][row] += amount
    ps.arrays["spent_cum"][row] += amount
    w = np.asarray(sectors, dtype=float)
    total = w.sum()
    if total > 0:
        eco.policy.money[row] += amount * w / total


def by_firm_sector(eco: EconomyState, per_firm: np.ndarray) -> np.ndarray:
    """Per-firm euros summed by the firms' sectors."""
    values = np.ascontiguousarray(per_firm, dtype=np.float64)  # one compiled version
    return sector_sums(eco.firm_pop.sector, values, N_SECTORS)


def innovation_money_by_sector(eco: EconomyState) -> np.ndarray:
    """Public innovation money (programme outlays and tax expenditures, co-investment at its
    committed amount; public research left out, as in the equal-budget sum) reaching each
    sector this quarter, euros."""
    keep = np.array(
        [p.spec.instrument != "public_research" for p in eco.programmes.values()], dtype=bool
    )
    if keep.size == 0:
        return np.zeros(N_SECTORS)
    return eco.policy.money[keep].sum(axis=0)


def reallocate(eco: EconomyState) -> None:
    """The dose of focus: move the scenario's ``reallocation`` share of this year's credit and
    box budgets into its targeted market programmes, pro rata to their budgets (equal total)."""
    r = eco.scenario.reallocation
    if r <= 0:
        return
    ps = eco.programme_pop
    specs = [p.spec for p in eco.programmes.values()]
    names = list(eco.programmes)
    targeted = set(targeted_programmes(eco.scenario))
    tax = np.array([s.demand_driven for s in specs])
    aim = np.array([n in targeted for n in names])
    b = ps.budget_year
    pool = float(b[aim].sum())
    if pool <= 0:  # no targeted money this year: nothing to move it into
        return
    moved = r * float(b[tax].sum())
    new = np.where(tax, b * (1 - r), b)
    new = np.where(aim, new + moved * b / pool, new)
    ps.budget_year = new


def begin_quarter(eco: EconomyState) -> None:
    """New year's budgets in January; last quarter's spending kept; rates kept on budget."""
    ps = eco.programme_pop
    if eco.quarter % 4 == 0:
        for i, prog in enumerate(eco.programmes.values()):
            ps.arrays["budget_year"][i] = prog.spec.budget_in(
                eco.year, eco.c("macro.projected_nominal_growth")
            )
            ps.arrays["spent_year"][i] = 0.0
        reallocate(eco)
    ps.spent_last = ps.spent.copy()
    ps.spent = np.zeros(len(ps))
    eco.policy.money = np.zeros((len(ps), N_SECTORS))
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
