"""Expectations and prices: adaptive expected demand, mark-ups that follow market shares.

e_i(t) = e_i(t-1) + alpha (d_i(t-1) (1 + g_s) - e_i(t-1)), with d_i last quarter's real sales
plus the share of demand it could not serve, and g_s the sector's smoothed demand growth;
alpha = ``firms.expectation_weight`` (assumption). Price p_i = (1 + mu_i) unit cost, unit cost
= wage cost per unit of output + sum_j A[j,s] P_j + non-personnel R&D per unit (docs/model.md
§6.2); the mark-up follows mu_i(t) = mu_i(t-1) (1 + upsilon (f_i(t-1) - f_i(t-2)) /
f_i(t-2)) with upsilon = ``firms.markup_upsilon`` (Dosi, Fagiolo & Roventini 2010), bounded
between half and twice (plus 5 points) its 2025 level.
"""

from __future__ import annotations

import numpy as np

from abm.state.economy import EconomyState
from abm.state.flows import QuarterFlows
from kernels.market import expect_and_price as expect_and_price_kernel
from kernels.market import expect_and_price_parallel


def expect_and_price(eco: EconomyState, f: QuarterFlows) -> None:
    """Expected demand and prices of every firm (module docstring)."""
    fp = eco.firm_pop
    st = eco.structure
    # sum_j A[j, s] P_j depends on the firm's sector alone: summed per sector, with the memory
    # layout of the per-firm sum (a column gather: numpy sums each column pairwise), so the
    # same bits at the cost of a few sectors instead of S x firms
    sectors = np.arange(st.io.shape[1])
    interm = (st.io[:, sectors] * eco.sectors.price_index[:, None]).sum(axis=0)
    fp.expected, fp.markup, fp.price = (
        expect_and_price_parallel if eco.threads > 1 else expect_and_price_kernel
    )(
        fp.sector, fp.sales_real, fp.unserved, fp.expected, fp.share, fp.share_prev, fp.markup,
        fp.productivity, eco.firm_wages(), eco.trends.demand_growth, st.markup0, st.skill_mix,
        interm, st.rd_nonlabour_cost, eco.c("firms.expectation_weight"),
        eco.c("firms.markup_upsilon"),
    )  # fmt: skip
