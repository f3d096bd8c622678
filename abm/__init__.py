"""focus-abm: an agent-based model of focused versus diffuse industrial policy.

Python API::

    from abm import EconomyModel, load_scenario, run
    model = run("diffuse", seed=1, quarters=8)
    ds = model.to_dataset()

The names below load their module when first used (:func:`abm.lazy.exports`), so that the
command line and ``import abm.scenario`` do not import the model, numba and Mesa.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from abm.lazy import exports

__version__ = "0.1.0"

if TYPE_CHECKING:
    from abm.model import EconomyModel, run
    from abm.scenario import Scenario, ScenarioError, load_scenario, shipped_scenarios
    from abm.state.accounts import AccountingError

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

__getattr__, __dir__ = exports(
    __name__,
    {
        "AccountingError": "abm.state.accounts",
        "EconomyModel": "abm.model",
        "run": "abm.model",
        "Scenario": "abm.scenario",
        "ScenarioError": "abm.scenario",
        "load_scenario": "abm.scenario",
        "shipped_scenarios": "abm.scenario",
    },
)
