"""Self-contained HTML reports of a scenario comparison (issue #5), rendered from the jinja2
template ``templates/report.html.j2`` with its style sheet ``templates/report.css``.

:func:`make_report` renders a :class:`~abm.analysis.results.CompareResult` (and, when given, a
:class:`~abm.analysis.results.SensitivityResult` and the
:class:`~abm.analysis.validate.ValidationReport` of ``abm validate``) as **one** HTML file that
a colleague can open offline or attach to an e-mail: figures are embedded as base64 ``data:``
URIs, the style sheet and script are inline, and a Content-Security-Policy forbids the browser
to fetch anything from elsewhere. The file holds the question and the 2030 targets, an "at a
glance" summary, each scenario's settings, the comparison and targets tables and figures, the
sensitivity analysis, the validation table, and provenance. Every text is escaped by the
template engine; the file is written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined

from abm.analysis.literature import LiteratureReport
from abm.analysis.outcomes import TARGET_YEAR, TARGETS, label
from abm.analysis.results import CompareResult, SensitivityResult
from abm.analysis.validate import ValidationReport
from abm.io.atomic import write_text_atomic
from abm.io.provenance import REPORT_LIBRARIES, library_versions, model_version, now_iso
from abm.render.format import NA
from abm.render.html import KeyValues, figure, key_values
from abm.render.report_comparison import comparison, glance, outcome_scales, targets
from abm.render.report_scenarios import scenario_card, scenario_settings
from abm.render.report_sensitivity import literature_section, sensitivity, validation
from abm.scenario import Scenario

#: Captions of the comparison's and sensitivity analysis' figures, by name.
FIGURE_CAPTIONS: dict[str, str] = {
    "paired_differences": "Paired differences against the reference (member by member, same "
    "seed), with their 90% bootstrap intervals, the unpaired intervals, and the share of members "
    "beating the reference",
    "value_added_by_sector": "Value added by sector, and its paired difference against the "
    "reference",
    "indices": "Sensitivity indices of each outcome difference",
    "flip": "When does the answer flip: each outcome difference against its most influential "
    "parameters, with the fitted line and the flip point",
}
#: Captions of other figures, by name prefix.
FIGURE_PREFIXES: dict[str, str] = {
    "fan_": "Fan chart across members: {}",
    "diff_": "Paired difference against the reference: {}",
    "paired_": "Paired differences against the reference: {}",
    "hist_": "Distribution across members: {}",
    "morris_": "Morris screening (mu*, sigma): {}",
    "sobol_": "Sobol indices: {}",
    "flip_": "When does the answer flip: {}",
    "scatter_": "Outcome difference against the parameter: {}",
}
#: What the question says about each target's starting point.
TARGET_NOTES: dict[str, str] = {
    "industry_share": "value added of the manufacturing-type sectors, about 12.5% in 2025",
    "rd_intensity": "business and public, about 2.2% in 2025",
}
# Nothing may be fetched: images only as data: URIs, inline style and script only.
CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

_ENV = Environment(
    loader=PackageLoader("abm.render", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def caption(name: str) -> str:
    """The caption of a figure by its name."""
    if name in FIGURE_CAPTIONS:
        return FIGURE_CAPTIONS[name]
    for prefix, fmt in FIGURE_PREFIXES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return fmt.format(label(name[len(prefix) :]))
    return label(name)[:1].upper() + label(name)[1:]


@dataclass
class Section:
    """A section of the page: its anchor, heading and what the template draws in it."""

    id: str
    heading: str
    data: Any = None
    figures: Any = None


def _figures(items: Mapping[str, Path | str]) -> list[Any]:
    return [figure(p, str(n), caption(str(n))) for n, p in items.items()]


def _provenance(
    cr: CompareResult,
    sr: SensitivityResult | None,
    v: ValidationReport | pd.DataFrame | None,
    created: str,
) -> list[tuple[str, KeyValues]]:
    prov = dict(cr.provenance or {})
    runs = prov.get("runs", prov.get("realizations", NA))
    seed = prov.get("root_seed", prov.get("seed", NA))
    ref = f" (reference: {cr.scenarios[0]})" if cr.scenarios else ""
    rows: list[tuple[str, Any]] = [
        ("report created (UTC)", created),
        ("model version", prov.get("model_version", model_version())),
        ("scenarios", ", ".join(cr.scenarios) + ref),
        ("members per scenario", runs),
        ("root seed", seed),
        (
            "member seeds",
            f"member k of every scenario runs with "
            f"numpy.random.SeedSequence({seed}).spawn(runs)[k]",
        ),
    ]
    rows += [
        (f"comparison {k}", prov[k])
        for k in ("quarters", "scale", "created", "date_created")
        if k in prov
    ]
    if cr.ensemble is not None:
        rows.append(("ensemble file", str(cr.ensemble)))
    if cr.outdir is not None:
        rows.append(("comparison files", str(cr.outdir)))
    if sr is not None:
        root = (sr.provenance or {}).get("root_seed", NA)
        rows.append(
            (
                "sensitivity analysis",
                f"{sr.method}, {sr.a} \u2212 {sr.b}, {len(sr.samples)} points, root seed {root}",
            )
        )
        if sr.outdir is not None:
            rows.append(("sensitivity files", str(sr.outdir)))
    else:
        rows.append(("sensitivity analysis", "not included"))
    if isinstance(v, ValidationReport):
        rows.append(
            (
                "validation",
                f"{v.scenario}: {v.runs} run(s), root seed {v.seed}, {v.quarters} quarters",
            )
        )
    elif v is None:
        rows.append(("validation", "not included"))
    blocks = [("", key_values(rows, "provenance-table"))]
    shown = {"model_version", "runs", "root_seed", "quarters", "scale", "created", "date_created"}
    rest = [(k, x) for k, x in prov.items() if k not in shown]
    if rest:
        blocks.append(("Comparison provenance, as recorded", key_values(rest)))
    if sr is not None and sr.provenance:
        blocks.append(("Sensitivity provenance, as recorded", key_values(sr.provenance.items())))
    versions = library_versions(REPORT_LIBRARIES, with_platform=True)
    blocks.append(
        (
            "Library versions (where this report was made)",
            key_values(versions.items(), "library-versions"),
        )
    )
    return blocks


def render_report(
    cr: CompareResult,
    sr: SensitivityResult | None = None,
    v: ValidationReport | pd.DataFrame | None = None,
    title: str | None = None,
    scenarios: Mapping[str, Scenario | str] | None = None,
    literature: LiteratureReport | None = None,
) -> str:
    """The report page as HTML text (see :func:`make_report`)."""
    missing = [c for c in ("outcome", "scenario", "mean") if c not in cr.table.columns]
    if missing:
        raise ValueError(f"CompareResult.table lacks the column(s) {', '.join(missing)}")
    title = title or ("Focused versus diffuse innovation policy: " + ", ".join(cr.scenarios))
    created = now_iso()
    scales = outcome_scales(cr.table)
    settings = scenario_settings(list(cr.scenarios), scenarios, cr.ensemble, cr.provenance or {})
    sections = [
        Section("question", "The question"),
        Section("summary", "At a glance", glance(cr, scales)),
        Section(
            "scenarios",
            "Scenarios",
            [scenario_card(n, settings[n], i == 0) for i, n in enumerate(cr.scenarios)],
        ),
        Section("comparison", "Comparison", comparison(cr, scales)),
        Section("targets", f"The {TARGET_YEAR} targets", targets(cr)),
        Section("figures", "Comparison figures", _figures(cr.figures)),
    ]
    if sr is not None:
        sections.append(
            Section("sensitivity", "Sensitivity analysis", sensitivity(sr), _figures(sr.figures))
        )
    if v is not None:
        sections.append(Section("validation", "Validation", validation(v)))
    if literature is not None:
        sections.append(
            Section(
                "literature",
                "Each policy channel against its published figure",
                literature_section(literature),
            )
        )
    sections.append(Section("provenance", "Provenance", _provenance(cr, sr, v, created)))
    prov = cr.provenance or {}
    subtitle = f"{', '.join(cr.scenarios)}; reference {cr.scenarios[0] if cr.scenarios else ''}"
    runs = prov.get("runs", prov.get("realizations"))
    if runs is not None:
        subtitle += f"; {runs} members per scenario"
    if "root_seed" in prov:
        subtitle += f"; root seed {prov['root_seed']}"
    subtitle += f"; created {created} UTC"
    return _ENV.get_template("report.html.j2").render(
        title=title,
        subtitle=subtitle,
        sections=sections,
        version=model_version(),
        csp=CSP,
        css=_ENV.loader.get_source(_ENV, "report.css")[0],
        script=_ENV.loader.get_source(_ENV, "report.js")[0],
        targets=TARGETS,
        target_year=TARGET_YEAR,
        target_notes=TARGET_NOTES,
    )


def make_report(
    compare_result: CompareResult,
    sensitivity_result: SensitivityResult | None = None,
    validation: ValidationReport | pd.DataFrame | None = None,
    output: str | os.PathLike[str] = "report.html",
    title: str | None = None,
    *,
    scenarios: Mapping[str, Scenario | str] | None = None,
    literature: LiteratureReport | None = None,
) -> Path:
    """Render a comparison (and optionally sensitivity and validation) as one HTML file.

    Parameters
    ----------
    compare_result : CompareResult
        The comparison; ``scenarios[0]`` is the reference. ``table`` needs at least the
        columns ``outcome``, ``scenario`` and ``mean``; the other documented columns are shown
        as "n/a" when absent or NaN.
    sensitivity_result : SensitivityResult, optional
        Adds the sensitivity section (indices, flip table, sampled ranges, figures).
    validation : ValidationReport or pandas.DataFrame, optional
        The result of :func:`abm.validate.validate` (or its ``to_frame()``); adds the
        validation table.
    output : str or path-like
        The HTML file to write (folders are created).
    title : str, optional
        Page title (default: "Focused versus diffuse innovation policy: A, B, ...").
    scenarios : mapping of str to Scenario or TOML text, optional
        Settings of the scenarios by name. Scenarios not given here are taken from the
        comparison's provenance (``scenario_toml``), its ensemble file (variable
        ``scenario_toml``), or the shipped scenario of that name, in this order.
    literature : LiteratureReport, optional
        The table of :func:`abm.analysis.literature.run_literature`; adds its section.

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        If ``compare_result.table`` lacks a required column (nothing is written).
    """
    text = render_report(
        compare_result, sensitivity_result, validation, title, scenarios, literature
    )
    return write_text_atomic(output, text)
