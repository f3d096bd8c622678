"""Compatibility re-exports (one release): the HTML report is rendered by
:mod:`abm.render.report` (jinja2 templates in ``abm/render/templates/``); :func:`report` with the
command lives in :mod:`abm.cli.report`."""

from __future__ import annotations

from abm.analysis.outcomes import TARGETS as _TARGETS
from abm.cli.report import ReportInputError, report
from abm.render.report import make_report, render_report

#: The 2030 targets of the policy, as (outcome, description).
TARGETS: tuple[tuple[str, str], ...] = tuple((t.outcome, t.description) for t in _TARGETS)

__all__ = ["TARGETS", "ReportInputError", "make_report", "render_report", "report"]
