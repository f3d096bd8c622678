"""focus-abm: an agent-based model of focused versus diffuse industrial policy.

Python API::

    from abm import EconomyModel, load_scenario, run
    model = run("diffuse", seed=1, quarters=8)
    ds = model.to_dataset()
"""

from __future__ import annotations

__version__ = "0.1.0"

from abm.accounts import AccountingError
from abm.model import EconomyModel, run
from abm.scenario import Scenario, ScenarioError, load_scenario, shipped_scenarios

__all__ = [
    "AccountingError",
    "EconomyModel",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_scenario",
    "run",
    "shipped_scenarios",
]
