"""R&D and innovation: knowledge stocks, innovation and imitation, the R&D rule, the user cost.

Innovation (``kernels.innovation.innovate``; docs/model.md §6.8, Dosi, Fagiolo & Roventini 2010):
effort = R&D staff per employee over the sector's 2025 ratio (size-free); a share xi
(``rd.innovation_share``) goes to innovation, the rest to imitation; success probabilities
1 - exp(-zeta effort m_s) with spillover multiplier m_s = 1 + sigma (k_s/k_ref)^eta, k_s the
sector's knowledge stock over annual value added (sigma, eta, zeta: assumptions with ranges);
an innovation multiplies productivity by 1 + x, x ~ Beta on [``rd.jump_low``, ``rd.jump_high``].
Knowledge: K_s <- (1 - delta_K/4) K_s + BERD_s + public research_s + dual-use knowledge_s
(delta_K = ``rd.knowledge_depreciation``, 15% a year: Hall, Mairesse & Mohnen 2010); mission
research widens the innovation draws instead (``abm.policy.mission_agency``).
R&D rule: the planned R&D-to-sales ratio r_i adjusts partially, ln r_i <- (1 - lambda) ln r_i +
lambda ln(nu_i u_i^-eps_LR), and planned R&D is r_i sales_i; lambda = 1 - (1 - eps_SR/eps_LR)^(1/4)
(Bloom, Griffith & Van Reenen 2002: eps_SR ~ 0.1, eps_LR ~ 1), nu_i the firm's own 2025 ratio at
unit user cost (the sector's nu_s for entrants), so R&D keeps pace with sales.
User cost u_i = (1 - (credit + grant + w_box box benefit) / R&D) / o_s, the box weighted by
``rd.box_user_cost_weight`` (FACTS: 0.28 vs 0.70 euro of extra R&D per euro for box vs WBSO)
and o_s = m_s / m_s,2025 the sector's technological opportunity: the cost of R&D per unit of
expected innovation, since the success probability per unit of effort rises with m_s. Knowledge
that others fund (public research, government-funded business R&D) thus crowds in
private R&D through opportunity, with the same elasticity as its price, not an imposed ratio.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from abm.policy import mission_agency
from abm.state.economy import EconomyState, Shock
from abm.state.flows import QuarterFlows
from abm.state.sectors import N_SECTORS
from kernels.innovation import innovate_keyed, innovate_keyed_parallel
from kernels.rd import plan_rd_firms, plan_rd_firms_parallel, user_cost
from kernels.sectors import sector_order, sector_sums

S = N_SECTORS


def innovate(eco: EconomyState, f: QuarterFlows) -> None:
    """Knowledge stocks, innovation and imitation, and the R&D plan for next quarter."""
    fp = eco.firm_pop
    c = eco.c
    staff = np.maximum(f.employment_persons, 1e-9)
    rs = f.rd_staff / staff / np.maximum(fp.rd_norm, 1e-12)
    xi = c("rd.innovation_share")
    va_s = sector_sums(fp.sector, f.va_firm, S)
    berd_s = sector_sums(fp.sector, fp.rd, S)
    dk = c("rd.knowledge_depreciation") / 4
    sec = eco.sectors
    sec.knowledge = (1 - dk) * sec.knowledge + berd_s + f.public_rd_knowledge + f.dual_use_knowledge
    widen = mission_agency.widening(eco, sec.knowledge)
    intensity = sec.knowledge / np.maximum(4 * va_s, 1e-9)
    k_ref = sec.knowledge.sum() / max(4 * va_s.sum(), 1e-9)
    # technological opportunity: the spillover multiplier m_s, relative to its 2025 level
    opportunity = 1 + c("rd.sigma") * (intensity / max(k_ref, 1e-12)) ** c("rd.eta")
    if eco.quarter < 0 or sec.opportunity_2025 is None:
        sec.opportunity_2025 = opportunity.copy()
    sec.opportunity = opportunity / sec.opportunity_2025
    lo, hi = c("rd.jump_low"), c("rd.jump_high")
    jump = lo + (hi * (1 + widen[fp.sector]) - lo) * eco.draws.take("innovation", *_jumps(eco))
    order, start = sector_order(fp.sector, S)  # np.argsort(kind='stable') and its bounds
    key0, key1, q = eco.shock_key()
    # each firm's eight keyed uniforms (Shock.INNOVATE): success of innovation and imitation,
    # four peers and the pick, drawn inside the kernel
    innovate_kernel = innovate_keyed_parallel if eco.threads > 1 else innovate_keyed
    newp, innov, _imit = innovate_kernel(
        fp.sector, fp.productivity, xi * rs, (1 - xi) * rs, intensity, k_ref, c("rd.sigma"),
        c("rd.eta"), c("rd.zeta_in"), c("rd.zeta_im"), jump, fp.key, key0, key1, q,
        int(Shock.INNOVATE), order, start,
    )  # fmt: skip
    fp.productivity = newp
    f.innovations = sector_sums(fp.sector, innov.astype(float), S)
    f.knowledge_intensity = intensity
    plan_rd(eco)


def _jumps(eco: EconomyState) -> tuple[tuple, Callable[[np.random.Generator], np.ndarray]]:
    """The quarter's standard jump draws, one Beta(a, b) variate per firm row: their key (the
    parameters and the number of firms) and the draw itself (``abm.state.draws``)."""
    a_, b_ = eco.c("rd.jump_beta")
    n = len(eco.firm_pop)
    return (float(a_), float(b_), n), lambda rng: rng.beta(a_, b_, n)


def draw_ahead(eco: EconomyState) -> None:
    """Queue the quarter's jump draws for the helper thread (``abm.state.draws``; with
    ``threads > 1``). The number of firms does not change before innovation, which checks it."""
    eco.draws.ahead("innovation", *_jumps(eco))


def plan_rd(eco: EconomyState) -> None:
    """Next quarter's R&D: partial adjustment of the log R&D-to-sales ratio towards its
    user-cost target, then the ratio applied to sales (docs/model.md §6.8: adjust the ratio, never
    the level, or planned R&D falls ever further behind nominally growing sales)."""
    fp = eco.firm_pop
    c = eco.c
    eps_l, eps_s = c("rd.elasticity_long"), c("rd.elasticity_short")
    lam = 1 - (1 - min(eps_s / max(eps_l, 1e-9), 0.99)) ** 0.25
    # the user cost per unit of expected innovation: the price of R&D after support, over the
    # sector's technological opportunity (success per euro rises with the spillover multiplier)
    # (kernels.rd.plan_rd_firms: ucost = clip(1 - s, 0.05, 1) / O, T = max(nu ucost^-eps_l,
    # 1e-9), rho' = exp((1 - lam) log max(rho, 1e-9) + lam log T), planned R&D rho' max(sales, 0))
    plan = plan_rd_firms_parallel if eco.threads > 1 else plan_rd_firms
    fp.rd_ratio, fp.rd_target = plan(
        fp.subsidy_rate, eco.sectors.opportunity, fp.sector, fp.rd_nu, fp.rd_ratio, fp.sales,
        float(eps_l), float(lam),
    )  # fmt: skip


def update_user_cost(
    eco: EconomyState, f: QuarterFlows, credit: np.ndarray, grants: np.ndarray
) -> None:
    """Each firm's effective R&D subsidy rate (1 - user cost) from this quarter's support.

    During the burn-in the 2025 user cost holds in every scenario (the WBSO and box were in
    force), so all scenarios enter 2026 alike.
    """
    fp = eco.firm_pop
    if eco.quarter < 0:
        fp.subsidy_rate = np.clip(np.full(len(fp), eco.structure.subsidy_2025), 0.0, 0.9)
        return
    # clip((credit + grants + w box) / max(rd, 1e-9), 0, 0.9), 0 without R&D (kernels.rd)
    box = np.asarray(f.box_benefit, dtype=np.float64)
    if box.ndim == 0:  # no box this quarter (QuarterFlows' default)
        box = np.full(len(fp), float(box))
    box_weight = float(eco.c("rd.box_user_cost_weight"))
    fp.subsidy_rate = user_cost(credit, grants, box, box_weight, fp.rd)
