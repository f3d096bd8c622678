"""Compatibility re-exports (one release): the sensitivity analysis lives in
:mod:`abm.analysis.sensitivity` (parameters, studies), :mod:`abm.analysis.design` (SALib),
:mod:`abm.analysis.flip` (flip points) and :mod:`abm.analysis.outcomes` (outcome names);
:func:`sensitivity` with the command in :mod:`abm.cli.sensitivity`; the in-process runs in
:mod:`abm.ensemble.points`."""

from __future__ import annotations

from abm.analysis.design import (
    BOOTSTRAP,
    MORRIS_LEVELS,
    analyze_design,
    analyze_function,
    group_size,
    make_problem,
    sample_design,
)
from abm.analysis.errors import SensitivityInputError
from abm.analysis.flip import FLIP_LEVEL, flip_point, flip_table
from abm.analysis.outcome_names import Outcome, parse_outcome
from abm.analysis.outcomes import ALIASES, MEASURES, Measure
from abm.analysis.results import SensitivityResult
from abm.analysis.sensitivity import (
    DEFAULT_OUTCOMES,
    DEFAULT_PARAMETERS,
    EXTRA_RANGES,
    Parameter,
    apply_parameters,
    parse_parameter,
    resolve_parameters,
)
from abm.analysis.series import recorded_years
from abm.cli.sensitivity import sensitivity
from abm.ensemble.points import run_outcomes

__all__ = [
    "ALIASES",
    "BOOTSTRAP",
    "DEFAULT_OUTCOMES",
    "DEFAULT_PARAMETERS",
    "EXTRA_RANGES",
    "FLIP_LEVEL",
    "MEASURES",
    "MORRIS_LEVELS",
    "Measure",
    "Outcome",
    "Parameter",
    "SensitivityInputError",
    "SensitivityResult",
    "analyze_design",
    "analyze_function",
    "apply_parameters",
    "flip_point",
    "flip_table",
    "group_size",
    "make_problem",
    "parse_outcome",
    "parse_parameter",
    "recorded_years",
    "resolve_parameters",
    "run_outcomes",
    "sample_design",
    "sensitivity",
]
