"""Scenario files: TOML, validated on load.

A scenario names the programmes the government runs and may override calibration parameters::

    name = "diffuse"
    description = "..."
    extends = "laissez_faire"          # optional: a shipped scenario's name or a path

    [run]
    quarters = 60                      # recorded quarters (after the burn-in)

    [parameters]
    "rd.sigma" = 0.5                   # any calibration key, same shape as in the calibration

    [programmes.wbso]
    instrument = "rd_tax_credit"
    budget = 1.5e9                     # euros per year in the start year
    budget_growth = 0.02               # per year
    targets = "all"                    # or a list of sectors
    start = 2026
    end = 2040

    [uncertain]
    "rd.sigma" = [0.0, 2.0]            # range for sweeps and sensitivity analysis

Unknown keys, wrong types, out-of-range values and unknown sectors are errors that name the file,
the key and what is allowed (:class:`ScenarioError`). ``extends`` merges tables key by key (the
child wins); a programme table in the child replaces keys of the parent's programme of the same
name, and ``enabled = false`` removes an inherited programme.
"""

from __future__ import annotations

from abm.scenario.loading import (
    SCENARIO_DIR,
    instrument_of,
    load_scenario,
    programme_union,
    shipped_scenarios,
    validate_data,
)
from abm.scenario.schema import (
    DefenceSettings,
    ProgrammeSpec,
    RunSettings,
    Scenario,
    ScenarioError,
    instrument_fields,
)

__all__ = [
    "SCENARIO_DIR",
    "DefenceSettings",
    "ProgrammeSpec",
    "RunSettings",
    "Scenario",
    "ScenarioError",
    "instrument_fields",
    "instrument_of",
    "load_scenario",
    "programme_union",
    "shipped_scenarios",
    "validate_data",
]
