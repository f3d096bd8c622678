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

K = N_SKILLS


def plan(eco: EconomyState, f: QuarterFlows) -> None:
    """Production plans, labour demand by skill, vacancies and layoffs (module docstring)."""
    fp = eco.firm_pop
    tp = eco.talent_pop
    st = eco.structure
    iota = eco.c("firms.inventory_target")
    cap = st.kappa[fp.sector] * fp.capital
    planned = np.clip(fp.expected * (1 + iota) - fp.inventory, 0.0, cap)
    f.plan = planned
    wages = eco.firm_wages()
    rd_staff = st.rd_labour_share * fp.rd_target / wages[:, HIGH]
    desired = planned[:, None] / fp.productivity[:, None] * st.skill_mix[fp.sector]
    desired[:, HIGH] += rd_staff
    f.rd_staff_desired = rd_staff
    want = desired / eco.scale
    u = eco.shocks(fp.key, Shock.ROUND, K)
    want = np.floor(want + u).astype(np.int64)
    have = eco.labour.staff
    # labour hoarding: only a surplus above the margin is shed, half of it per quarter
    margin = 1 + eco.c("firms.hoarding_margin")
    surplus = np.where(have > np.ceil(want * margin), (have - want + 1) // 2, 0)
    if surplus.any():
        p_fire = np.divide(surplus, have, out=np.zeros(have.shape), where=have > 0)
        key0, key1, q = eco.shock_key()
        f.layoffs = talent.layoffs(
            tp.id, tp.abroad, *job_arrays(eco), p_fire, key0, key1, q, int(Shock.FIRE), eco.threads
        )
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
    rd_staff = np.minimum(f.rd_staff_desired, staff[:, HIGH] * eco.scale)
    prod_staff = persons - rd_staff
    q = np.minimum(f.plan, fp.productivity * prod_staff)
    q = np.maximum(q, 0.0)
    fp.output = q
    fp.inventory = fp.inventory + q
    rd_wages = rd_staff * wages[:, HIGH]
    rd = rd_wages / st.rd_labour_share
    fp.rd = rd
    f.rd_staff = rd_staff
    f.rd_wages = rd_wages
    # intermediate purchases by supplying sector (euros), per firm total
    interm = st.io[:, fp.sector] * q[None, :] * eco.sectors.price_index[:, None]  # S x n
    rd_purchases = rd - rd_wages
    f.interm_by_firm = interm.sum(axis=0) + rd_purchases
    d = interm.sum(axis=1)
    d[SECTOR_INDEX["services"]] += rd_purchases.sum()
    f.interm_demand = d
