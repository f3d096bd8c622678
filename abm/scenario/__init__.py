"""Scenario files: TOML, validated on load.

A scenario names the programmes the government runs and may override calibration parameters::

    schema = 1                         # optional: the scenario schema version (absent means 1)
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

Each programme table is validated by its instrument's own model (:mod:`abm.scenario.instruments`,
one class per instrument; :data:`ProgrammeSpec` is their union, discriminated on ``instrument``),
so a field of another instrument is an error. Unknown keys, wrong types, out-of-range values,
unknown sectors and a ``schema`` newer or older than :data:`SCHEMA_VERSION` are errors that name
the file, the key and what is allowed (:class:`ScenarioError`). ``extends`` merges tables key
by key (the child wins); a programme table in the child replaces keys of the parent's programme
of the same name (and keeps its instrument), and ``enabled = false`` removes an inherited
programme. Each file of a chain is checked against :data:`SCHEMA_VERSION` on its own.
"""

from __future__ import annotations

from abm.scenario.instruments import INSTRUMENT_SPECS, ProgrammeBase
from abm.scenario.loading import (
    SCENARIO_DIR,
    SCHEMA_CHANGES,
    SCHEMA_VERSION,
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
    "INSTRUMENT_SPECS",
    "SCENARIO_DIR",
    "SCHEMA_CHANGES",
    "SCHEMA_VERSION",
    "DefenceSettings",
    "ProgrammeBase",
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
