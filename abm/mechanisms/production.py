"""Production: plans, labour demand, vacancies and layoffs; output and intermediate inputs.

Plans: Q*_i = min(max(0, e_i (1 + iota) - inventory_i), kappa_s K_i): planned output covers
expected demand plus desired inventories (iota = ``firms.inventory_target``) within capital
capacity (kappa_s from the capital-output ratio and utilisation, FACTS). Production staff
Q*_i / a_i are split by the sector's skill mix; R&D staff (high skill) = rho_L RD_i / w_i with
rho_L = ``rd.personnel_share``. Vacancies are the gaps in agent units (stochastic rounding with
the firm's own shock); a surplus above ``firms.hoarding_margin`` of the need is shed, half of
it per quarter, at random (labour hoarding). Output Q_i = min(Q*_i, a_i N_i) with N_i
production staff; intermediate inputs sum_j A[j,s] Q_i are bought at sector prices (the
input-output matrix); non-personnel R&D (1 - rho_L of R&D) is bought from services.
"""

from __future__ import annotations

import numpy as np

from abm.mechanisms.labour import job_arrays
from abm.state.economy import EconomyState, Shock
from abm.state.flows import QuarterFlows
from abm.state.sectors import HIGH, N_SECTORS, N_SKILLS, SECTOR_INDEX
from kernels import talent
from kernels.firms import payroll
from kernels.production import (
    plan_firms,
    plan_firms_parallel,
    produce_firms,
    produce_firms_parallel,
)

K = N_SKILLS


def plan(eco: EconomyState, f: QuarterFlows) -> None:
    """Production plans, labour demand by skill, vacancies and layoffs (module docstring)."""
    fp = eco.firm_pop
    tp = eco.talent_pop
    st = eco.structure
    wages = eco.firm_wages()
    key0, key1, q = eco.shock_key()
    par = eco.threads > 1
    planned, rd_staff, want, p_fire, sheds = (plan_firms_parallel if par else plan_firms)(
        fp.expected, fp.inventory, fp.capital, fp.productivity, fp.sector, fp.key, st.kappa,
        st.skill_mix, wages, fp.rd_target, st.rd_labour_share, eco.c("firms.inventory_target"),
        eco.scale, 1 + eco.c("firms.hoarding_margin"), HIGH, key0, key1, q, int(Shock.ROUND),
        eco.labour.staff,
    )  # fmt: skip
    f.plan = planned
    f.rd_staff_desired = rd_staff
    # labour hoarding: only a surplus above the margin is shed, half of it per quarter
    if sheds.any():
        f.layoffs = talent.layoffs(
            tp.id, tp.abroad, *job_arrays(eco), p_fire, key0, key1, q, int(Shock.FIRE), eco.threads,
            sheds,
        )  # fmt: skip
    f.vacancies = np.maximum(want - eco.labour.staff, 0)


def produce(eco: EconomyState, f: QuarterFlows) -> None:
    """Output, R&D actually staffed, and purchases of intermediate inputs (module docstring)."""
    fp = eco.firm_pop
    st = eco.structure
    wages = eco.firm_wages()
    staff = eco.labour.staff
    persons, bill, persons_k, bill_k, persons_s, bill_s = payroll(
        staff, wages, eco.scale, fp.sector, N_SECTORS
    )
    f.employment_persons = persons
    f.wage_bill, f.bill_sector, f.bill_skill = bill, bill_s, bill_k
    f.employment_sector, f.employment_skill = persons_s, persons_k
    par = eco.threads > 1
    q, inventory, rd, rd_staff, rd_wages, f.interm_by_firm, f.interm_demand = (
        produce_firms_parallel if par else produce_firms
    )(
        f.plan, f.rd_staff_desired, fp.productivity, fp.sector, persons, staff, wages, st.io,
        eco.sectors.price_index, eco.scale, HIGH, st.rd_labour_share, fp.inventory,
        SECTOR_INDEX["services"],
    )  # fmt: skip
    fp.output = q
    fp.inventory = inventory
    fp.rd = rd
    f.rd_staff = rd_staff
    f.rd_wages = rd_wages
