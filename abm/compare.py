"""Compatibility re-exports (one release): the comparison's analysis lives in
:mod:`abm.analysis.compare`, its outcomes in :mod:`abm.analysis.outcomes`, its statistics in
:mod:`abm.analysis.stats`, its Markdown in :mod:`abm.render.markdown`, and :func:`compare` with
the command in :mod:`abm.cli.compare`."""

from __future__ import annotations

from abm.analysis.compare import (
    NEEDED,
    SECTOR_COLUMNS,
    TABLE_COLUMNS,
    TARGET_COLUMNS,
    analyse,
    outcome_values,
)
from abm.analysis.errors import CompareError
from abm.analysis.inputs import open_ensembles
from abm.analysis.outcomes import COUNTERFACTUAL, TARGET_YEAR
from abm.analysis.outcomes import KEY_OUTCOMES as OUTCOMES
from abm.analysis.outcomes import TARGETS as _TARGETS
from abm.analysis.outcomes import KeyOutcome as Outcome
from abm.analysis.results import CompareResult
from abm.analysis.stats import LEVEL, paired_interval, unpaired_interval
from abm.cli.compare import compare, compare_dataset, written_files
from abm.render.markdown import table_markdown, targets_markdown, to_markdown

#: The 2030 targets as (outcome, threshold, description).
TARGETS: tuple[tuple[str, float, str], ...] = tuple(
    (t.outcome, t.threshold, t.text) for t in _TARGETS
)

__all__ = [
    "COUNTERFACTUAL",
    "LEVEL",
    "NEEDED",
    "OUTCOMES",
    "SECTOR_COLUMNS",
    "TABLE_COLUMNS",
    "TARGETS",
    "TARGET_COLUMNS",
    "TARGET_YEAR",
    "CompareError",
    "CompareResult",
    "Outcome",
    "analyse",
    "compare",
    "compare_dataset",
    "open_ensembles",
    "outcome_values",
    "paired_interval",
    "table_markdown",
    "targets_markdown",
    "to_markdown",
    "unpaired_interval",
    "written_files",
]
