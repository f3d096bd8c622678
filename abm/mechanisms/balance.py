"""The 2025 goods market in balance: exports by sector and the scale of import shares.

At the build every sector's gross output X_s (from FACTS value-added shares and the
intermediate shares) must equal the demand for it, or the first quarters move output between
sectors until it does (an industry share that drifts from 12.5% to 14% in the burn-in, and
labour shortages in the sectors demand pulls towards). Domestic uses U_s (consumption by
``sectors.consumption_mix``, government purchases by ``sectors.government_mix``, investment
goods by ``sectors.investment_mix``, intermediate inputs from the input-output matrix and
non-personnel R&D bought from services) are calibrated from sourced shares of GDP; the import
shares ``sectors.import_share_final`` (m_s, assumptions) are scaled by one factor theta, and
exports are the residual, E_s = X_s - (1 - theta m_s) U_s - D_s (D_s: domestic defence orders),
with theta chosen so that total exports equal gross exports less re-exports (FACTS: 83.9% of
GDP, re-exports 37% of exports). The policy-free demand is used (defence and public research at
their calibrated defaults), so every scenario starts from the same economy.
"""

from __future__ import annotations

import numpy as np

from abm.state.economy import EconomyState
from abm.state.sectors import N_SECTORS, SECTOR_INDEX

S = N_SECTORS


def balance(
    eco: EconomyState, y: float, x: np.ndarray, berd: np.ndarray, investment: float
) -> tuple[np.ndarray, np.ndarray]:
    """Exports of domestic output by sector (euros per quarter) and the import shares.

    ``y`` is quarterly GDP, ``x`` gross output, ``berd`` business R&D by sector and
    ``investment`` the quarter's investment orders (euros), all at the build.
    """
    c = eco.c
    st = eco.structure
    services = SECTOR_INDEX["services"]
    cmix = c("sectors.consumption_mix") / c("sectors.consumption_mix").sum()
    gmix = c("sectors.government_mix") / c("sectors.government_mix").sum()
    imix = c("sectors.investment_mix") / c("sectors.investment_mix").sum()
    dmix = c("government.defence_mix") / c("government.defence_mix").sum()
    defence = c("government.defence_budget_2025") / 4
    proc = defence * c("government.defence_procurement_share")
    public_rd = c("rd.public_rd_share_gdp") * y
    regular = (c("macro.government_purchases_share") * y - defence - public_rd) * gmix
    regular[services] += defence - proc + public_rd
    intermediates = st.io @ x
    intermediates[services] += (berd * (1 - st.rd_labour_share)).sum()
    uses = c("macro.consumption_share") * y * cmix + regular + investment * imix + intermediates
    directed_dom = proc * dmix * (1 - c("government.defence_import_share"))
    m = c("sectors.import_share_final")
    target = c("macro.exports_gross_share") * (1 - c("macro.reexport_share_of_exports")) * y
    theta = (target - x.sum() + uses.sum() + directed_dom.sum()) / max((m * uses).sum(), 1e-9)
    share = np.clip(theta * m, 0.0, 0.95)
    exports = x - (1 - share) * uses - directed_dom
    return np.maximum(exports, 0.02 * x), share
