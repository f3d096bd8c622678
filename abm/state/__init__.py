"""The economy's state: populations (struct of arrays), typed sector-level state, the quarter's
flows, the accounts and the names of sectors and skills."""

from __future__ import annotations

from abm.state.economy import EconomyState, Shock
from abm.state.flows import QuarterFlows
from abm.state.populations import Population

__all__ = ["EconomyState", "Population", "QuarterFlows", "Shock"]
