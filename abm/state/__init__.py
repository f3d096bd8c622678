"""The economy's state: populations (struct of arrays), typed sector-level state, the quarter's
flows, the accounts and the names of sectors and skills.

The names below load their module when first used (:func:`abm.lazy.exports`), so that the names
of sectors and skills (:mod:`abm.state.sectors`, which the scenario schema reads) come without
the kernels and numba.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from abm.lazy import exports

if TYPE_CHECKING:
    from abm.state.economy import EconomyState, Shock
    from abm.state.flows import QuarterFlows
    from abm.state.populations import Population

__all__ = ["EconomyState", "Population", "QuarterFlows", "Shock"]

__getattr__, __dir__ = exports(
    __name__,
    {
        "EconomyState": "abm.state.economy",
        "Shock": "abm.state.economy",
        "QuarterFlows": "abm.state.flows",
        "Population": "abm.state.populations",
    },
)
