"""``abm dashboard``: a page in the browser to play with the model (docs/dashboard.md).

- :mod:`abm.dashboard.controls`: the controls, the scenario they describe and
  :class:`DashboardModel` (an ``EconomyModel`` with an optional second run, same seed);
- :mod:`abm.dashboard.figures`: the series and figures drawn from models (no browser);
- :mod:`abm.dashboard.app`: the page, Mesa's ``SolaraViz`` (imports Solara);
- :mod:`abm.dashboard.server`: serving it on 127.0.0.1, offline.

Importing this package imports none of Solara, so the command line stays quick.
"""

from __future__ import annotations

from abm.dashboard.controls import CONTROLS, DashboardError, DashboardModel, dashboard_scenario

__all__ = ["CONTROLS", "DashboardError", "DashboardModel", "dashboard_scenario"]
