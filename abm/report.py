"""Self-contained HTML reports of a scenario comparison (issue #5).

:func:`make_report` renders a :class:`~abm.results.CompareResult` (and, when given, a
:class:`~abm.results.SensitivityResult` and the :class:`~abm.validate.ValidationReport` of
``abm validate``) as **one** HTML file that a colleague can open offline or attach to an e-mail:
figures are embedded as base64 ``data:`` URIs, the style sheet is inline, and a
Content-Security-Policy forbids the browser to fetch anything from elsewhere. The file holds

- the question (focused versus diffuse; the 2030 targets: industry >= 15% of GDP and
  R&D >= 3% of GDP) and an "at a glance" summary of the headline differences;
- each scenario's settings: description, programmes (instrument, budget, targets, dates,
  instrument settings), parameter overrides, defence settings, and the resolved TOML;
- the comparison table (means, 90% ranges across members, paired differences against the
  reference with their 90% intervals, the unpaired interval, and the probability of beating
  the reference), the targets table, and every comparison figure;
- the sensitivity analysis (indices, "when does the answer flip", sampled ranges, figures);
- the validation table of ``abm validate``;
- provenance: model version, seeds, runs, scenarios, dates, library versions.

:func:`report` runs the comparison (:func:`abm.compare.compare`), optionally the sensitivity
analysis of the first two scenarios (:func:`abm.sensitivity.sensitivity`) and the validation of
the first (:func:`abm.validate.validate`), then calls :func:`make_report`. The command
``abm report`` (:mod:`abm.report_cli`) wraps it.

All text is escaped with :func:`html.escape`; the file is written under a temporary name in the
target folder and renamed when complete, so a reader never sees half a report.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import html
import inspect
import json
import math
import os
import platform
import re
import sys
import tempfile
import tomllib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from abm.sectors import CHOSEN_MARKETS

if TYPE_CHECKING:
    from abm.results import CompareResult, SensitivityResult
    from abm.scenario import Scenario
    from abm.validate import ValidationReport

#: The 2030 targets of the policy the comparison is about (DESIGN §1).
TARGETS: tuple[tuple[str, str], ...] = (
    ("industry_share", "industry (manufacturing-type sectors) at least 15% of GDP in 2030"),
    ("rd_intensity", "R&D expenditure (business and public) at least 3% of GDP in 2030"),
)

#: Readable names of the usual outcomes; others are shown with underscores as spaces.
OUTCOME_LABELS: dict[str, str] = {
    "gdp": "GDP (nominal)",
    "gdp_real": "real GDP (2025 prices)",
    "gdp_real_growth": "real GDP growth",
    "consumption": "household consumption",
    "investment_total": "business investment",
    "industry_share": "industry share of GDP",
    "rd_intensity": "R&D intensity (share of GDP)",
    "rd_intensity_business": "business R&D intensity (share of GDP)",
    "rd_intensity_public": "public R&D intensity (share of GDP)",
    "business_rd": "business R&D expenditure",
    "employment": "employment",
    "unemployment_rate": "unemployment rate",
    "talent_emigration": "emigration of the labour force",
    "talent_immigration": "immigration of the labour force",
    "high_skill_emigration": "high-skill emigration",
    "high_skill_immigration": "high-skill immigration",
    "high_skill_net_migration": "high-skill net migration",
    "talent_stock": "resident labour force",
    "capital_outflow": "capital outflow (new money placed abroad)",
    "exports": "exports",
    "imports": "imports",
    "productivity": "labour productivity",
    "government_balance": "government balance",
    "government_debt": "government debt",
    "programme_spending": "public innovation money spent",
}

#: Captions of the comparison's and sensitivity analysis' figures, by name.
_FIGURE_CAPTIONS: dict[str, str] = {
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
_FIGURE_PREFIXES: dict[str, str] = {
    "fan_": "Fan chart across members: {}",
    "diff_": "Paired difference against the reference: {}",
    "paired_": "Paired differences against the reference: {}",
    "hist_": "Distribution across members: {}",
    "morris_": "Morris screening (mu*, sigma): {}",
    "sobol_": "Sobol indices: {}",
    "flip_": "When does the answer flip: {}",
    "scatter_": "Outcome difference against the parameter: {}",
}

_LIBRARIES: tuple[str, ...] = (
    "focus-abm",
    "numpy",
    "pandas",
    "xarray",
    "numba",
    "mesa",
    "scipy",
    "SALib",
    "matplotlib",
    "dask",
    "netCDF4",
)

_CSS = """
:root { --fg: #1d2330; --muted: #5b6473; --line: #d5dae3; --band: #f3f5f9; --accent: #1f5fa8;
  --good: #1b7a3d; --bad: #b3261e; }
* { box-sizing: border-box; }
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.1em; }
h2 { font-size: 1.3em; margin-top: 2.2em; padding-bottom: 0.2em; border-bottom: 2px solid
  var(--line); }
h3 { font-size: 1.08em; margin: 1.6em 0 0.4em; }
p.sub, .muted { color: var(--muted); }
nav.toc { background: var(--band); border: 1px solid var(--line); border-radius: 6px;
  padding: 8px 16px; margin: 16px 0; }
nav.toc ol { margin: 4px 0; padding-left: 20px; columns: 2; }
a { color: var(--accent); }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 0.92em; }
table.data { width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
  vertical-align: top; }
thead th { background: var(--band); border-bottom: 2px solid var(--line); }
td.nowrap { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group th { background: #e8edf5; font-weight: 600; }
tr.ref td { color: var(--muted); }
.yes { color: var(--good); font-weight: 600; }
.no { color: var(--bad); font-weight: 600; }
td.better { color: var(--good); font-weight: 600; }
td.worse { color: var(--bad); font-weight: 600; }
caption { caption-side: top; text-align: left; font-weight: 600; padding: 4px 0; }
figure { margin: 16px 0 28px; break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 0.9em; margin-top: 4px; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
pre { background: var(--band); border: 1px solid var(--line); padding: 8px 12px;
  overflow-x: auto; font-size: 0.85em; line-height: 1.35; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 4px 16px 8px;
  margin: 12px 0; }
.note { background: #fff7e0; border-left: 4px solid #e0a800; padding: 6px 12px; }
ul.glance li { margin: 4px 0; }
@media print { nav.toc { display: none; } body { max-width: none; } }
"""

# After load, mark every image with whether the browser decoded it (used by the browser test).
_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.getElementsByTagName("img");
  for (var i = 0; i < imgs.length; i++) {
    var ok = imgs[i].complete && imgs[i].naturalWidth > 0;
    imgs[i].setAttribute("data-rendered", ok ? "1" : "0");
  }
  document.body.setAttribute("data-images", String(imgs.length));
});
"""

# Nothing may be fetched: images only as data: URIs, inline style and script only.
_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'"
)

_NA = "n/a"


class ReportInputError(ValueError):
    """Bad input to :func:`report`: a one-line message naming the argument.

    Attributes
    ----------
    param : str or None
        The argument of :func:`report` at fault (``"runs"``, ``"output"``, ...), or None when
        the fault is in the scenarios as a whole.
    detail : str
        The message without the argument's name.
    """

    def __init__(self, detail: str, param: str | None = None) -> None:
        super().__init__(f"{param}: {detail}" if param else detail)
        self.param = param
        self.detail = detail


# --------------------------------------------------------------------------- small helpers


def _esc(x: Any) -> str:
    """Escape any value for HTML text or attribute content."""
    return html.escape(str(x), quote=True)


def _finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _num(v: Any, digits: int = 3, signed: bool = False, decimals: int | None = None) -> str:
    """``v`` with ``decimals`` decimals (default: about ``digits`` significant digits),
    thousands separators and a true minus sign; ``signed`` adds ``+`` to positive values."""
    if not _finite(v):
        return _NA
    v = float(v)
    a = abs(v)
    if decimals is None:
        decimals = 0 if a == 0 else max(0, min(6, digits - 1 - math.floor(math.log10(a))))
    s = f"{v:,.{decimals}f}"
    if s.lstrip("-").strip("0.,") == "":  # rounded to zero: no sign
        s = s.lstrip("-")
    elif signed and v > 0:
        s = "+" + s
    return s.replace("-", "\u2212")


def _pct(v: Any) -> str:
    return f"{float(v):.0%}" if _finite(v) else _NA


def _compare_outcomes() -> dict[str, Any]:
    """:data:`abm.compare.OUTCOMES` (labels and display units), or empty if not available."""
    try:
        from abm.compare import OUTCOMES
    except ImportError:
        return {}
    return dict(OUTCOMES)


def _split_year(name: str) -> tuple[str, str | None]:
    """``"gdp_real_2040"`` -> ``("gdp_real", "2040")``; other names -> ``(name, None)``."""
    m = re.fullmatch(r"(.+)_((?:19|20|21)\d\d)", name)
    return (m.group(1), m.group(2)) if m else (name, None)


def _label(outcome: str) -> str:
    spec = _compare_outcomes().get(outcome)
    if spec is not None and getattr(spec, "label", None):
        return str(spec.label)
    if outcome in OUTCOME_LABELS:
        return OUTCOME_LABELS[outcome]
    base, year = _split_year(str(outcome))
    if year is not None and (base in OUTCOME_LABELS or base in _compare_outcomes()):
        return f"{_label(base)}, {year}"
    return str(outcome).replace("_", " ")


def _sensitivity_outcome(name: str) -> Any:
    """:func:`abm.sensitivity.parse_outcome` of ``name``, or None when it does not parse."""
    try:
        from abm.sensitivity import parse_outcome
    except ImportError:
        return None
    try:
        return parse_outcome(str(name))
    except ValueError:
        return None


def _sensitivity_label(name: str) -> str:
    oc = _sensitivity_outcome(name)
    return str(oc.description) if oc is not None else _label(name)


def _difference_scale(outcome: str, values: Iterable[Any] = ()) -> _Scale:
    """How to show differences ``a - b`` of a sensitivity outcome (``MEASURE_YEAR``)."""
    oc = _sensitivity_outcome(outcome)
    if oc is not None:
        sc = _scale_for(oc.units, values)
        return _Scale(sc.factor, sc.diff_unit or sc.unit, "")
    spec = _compare_outcomes().get(_split_year(str(outcome))[0])
    if spec is not None:
        return _Scale(float(spec.scale), str(spec.diff_units), "")
    return _Scale(1.0, "", "")


def _year(v: Any) -> str:
    if not _finite(v):
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    f = float(v)
    return str(int(f)) if f.is_integer() else str(v)


def _caption(name: str) -> str:
    if name in _FIGURE_CAPTIONS:
        return _FIGURE_CAPTIONS[name]
    for prefix, fmt in _FIGURE_PREFIXES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return fmt.format(_label(name[len(prefix) :]))
    return _label(name)[:1].upper() + _label(name)[1:]


@dataclass(frozen=True)
class _Scale:
    """How an outcome's numbers are shown: value x ``factor`` in ``unit`` with ``decimals``
    (None: about three significant digits); differences in ``diff_unit`` when it differs."""

    factor: float
    unit: str
    diff_unit: str
    decimals: int | None = None
    diff_decimals: int | None = None

    def value(self, v: Any) -> str:
        return _num(float(v) * self.factor, decimals=self.decimals) if _finite(v) else _NA

    def diff(self, v: Any) -> str:
        if not _finite(v):
            return _NA
        s = _num(float(v) * self.factor, signed=True, decimals=self.diff_decimals)
        return f"{s} {self.diff_unit}" if self.diff_unit else s

    def interval(self, lo: Any, hi: Any, signed: bool = False) -> str:
        if not (_finite(lo) and _finite(hi)):
            return _NA
        d = self.diff_decimals if signed else self.decimals
        return (
            f"{_num(float(lo) * self.factor, signed=signed, decimals=d)} to "
            f"{_num(float(hi) * self.factor, signed=signed, decimals=d)}"
        )


def _scale_for(units: Any, values: Iterable[Any], outcome: str | None = None) -> _Scale:
    """How to show an outcome: from :data:`abm.compare.OUTCOMES` when it knows the outcome,
    else chosen from the units and the size of the values."""
    spec = _compare_outcomes().get(outcome) if outcome else None
    if spec is not None:
        return _Scale(
            float(spec.scale),
            str(spec.display_units),
            "" if spec.diff_units == spec.display_units else str(spec.diff_units),
            int(spec.decimals),
            int(spec.diff_decimals),
        )
    u = "" if units is None or (isinstance(units, float) and math.isnan(units)) else str(units)
    u = u.strip()
    finite = [abs(float(v)) for v in values if _finite(v)]
    big = max(finite) if finite else 0.0
    if u in ("1", "", "fraction", "share", "ratio") and finite and big <= 1.5:
        return _Scale(100.0, "%", "pp")
    if "EUR" in u:
        if big >= 1e9:
            return _Scale(1e-9, u.replace("EUR", "EUR bn", 1), "")
        if big >= 1e6:
            return _Scale(1e-6, u.replace("EUR", "EUR mn", 1), "")
        return _Scale(1.0, u, "")
    if u in ("1", "") or "person" in u:
        what = "" if u in ("1", "") else f" {u}"
        if big >= 1e6:
            return _Scale(1e-6, f"million{what}", "")
        if big >= 1e4:
            return _Scale(1e-3, f"thousand{what}", "")
        return _Scale(1.0, u if u not in ("1", "") else "count", "")
    return _Scale(1.0, u, "")


@dataclass
class _Cell:
    """A table cell: text (escaped when rendered) with optional class, span and tooltip."""

    text: Any
    cls: str = ""
    colspan: int = 1
    header: bool = False
    title: str = ""

    def render(self) -> str:
        tag = "th" if self.header else "td"
        attrs = ""
        if self.cls:
            attrs += f' class="{_esc(self.cls)}"'
        if self.colspan > 1:
            attrs += f' colspan="{int(self.colspan)}"'
        if self.title:
            attrs += f' title="{_esc(self.title)}"'
        if self.header and self.colspan > 1:
            attrs += ' scope="colgroup"'
        return f"<{tag}{attrs}>{_esc(self.text)}</{tag}>"


def _table(
    header: Sequence[str | _Cell],
    rows: Iterable[tuple[str, Sequence[Any]] | Sequence[Any]],
    caption: str | None = None,
    table_id: str | None = None,
    cls: str = "data",
) -> str:
    """An HTML table. Rows are cell sequences, or ``(row_class, cells)`` tuples."""
    out = [f'<table class="{_esc(cls)}"' + (f' id="{_esc(table_id)}"' if table_id else "") + ">"]
    if caption:
        out.append(f"<caption>{_esc(caption)}</caption>")
    heads = [h if isinstance(h, _Cell) else _Cell(h, header=True, cls="") for h in header]
    for h in heads:
        h.header = True
    out.append("<thead><tr>" + "".join(h.render() for h in heads) + "</tr></thead><tbody>")
    for row in rows:
        row_cls = ""
        if isinstance(row, tuple) and len(row) == 2 and isinstance(row[0], str):
            row_cls, row = row
        cells = [c if isinstance(c, _Cell) else _Cell(c) for c in row]
        attr = f' class="{_esc(row_cls)}"' if row_cls else ""
        out.append(f"<tr{attr}>" + "".join(c.render() for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _mime(data: bytes, path: Path) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    head = data[:512].lstrip().lower()
    if path.suffix.lower() == ".svg" or head.startswith(b"<svg") or b"<svg" in head:
        return "image/svg+xml"
    return None


def _figure(path: Path | str, name: str, caption: str | None = None) -> str:
    """A ``<figure>`` with the image embedded as a base64 data URI (or a visible note)."""
    caption = caption or _caption(name)
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as e:
        warnings.warn(f"report: figure '{name}' not embedded: {e}", stacklevel=3)
        return f'<p class="note">Figure {_esc(name)} could not be read: {_esc(e)}</p>'
    mime = _mime(data, p)
    if mime is None:
        warnings.warn(f"report: figure '{name}' ({p}) is not a PNG, JPEG, GIF or SVG", stacklevel=3)
        return f'<p class="note">Figure {_esc(name)} ({_esc(p.name)}) is not an image.</p>'
    b64 = base64.b64encode(data).decode("ascii")
    alt = f"{caption} (figure '{name}')"
    return (
        f'<figure id="fig-{_esc(name)}"><img src="data:{mime};base64,{b64}" alt="{_esc(alt)}" '
        f'loading="eager"><figcaption>{_esc(caption)}</figcaption></figure>'
    )


def _plain(v: Any) -> str:
    """A setting's value as written: up to six significant digits, thousands separators."""
    if isinstance(v, bool | str) or v is None:
        return str(v)
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:,.6g}" if math.isfinite(v) else str(v)
    return str(v)


def _compact(v: Any) -> str:
    """Containers of scalars on one line (``a, b`` or ``k: v, k: v``), else JSON."""
    if isinstance(v, Mapping):
        if all(not isinstance(x, Mapping | list | tuple) for x in v.values()):
            return ", ".join(f"{k}: {_plain(x)}" for k, x in v.items())
        return "; ".join(f"{k}: {_compact(x)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        if all(not isinstance(x, Mapping | list | tuple) for x in v):
            return "; ".join(_plain(x) for x in v)
        return json.dumps(v, default=str)
    return _plain(v)


def _pretty(v: Any) -> tuple[str, str | None]:
    """A provenance value as (one-line text, folded full text or None)."""
    if isinstance(v, str):
        s = v.strip()
        if s[:1] in "{[":
            try:
                v = json.loads(s)
            except ValueError:
                pass
    if isinstance(v, str):
        if "\n" in v.strip() or len(v) > 200:
            first = v.strip().splitlines()[0] if v.strip() else ""
            return first[:80] + "\u2026", v
        return v, None
    line = _compact(v)
    if len(line) <= 200:
        return line, None
    n = len(v) if isinstance(v, Mapping | list | tuple) else 0
    return f"{n} entries", json.dumps(v, indent=1, default=str)


def _kv_table(items: Iterable[tuple[str, Any]], table_id: str | None = None) -> str:
    """A two-column table; long or multi-line values fold into a ``<details>``."""
    rows = []
    for k, v in items:
        line, full = _pretty(v)
        if full is None:
            cell = _esc(line)
        else:
            cell = f"<details><summary>{_esc(line)}</summary><pre>{_esc(full)}</pre></details>"
        rows.append(f"<tr><th>{_esc(k)}</th><td>{cell}</td></tr>")
    ident = f' id="{_esc(table_id)}"' if table_id else ""
    return f'<table class="kv"{ident}><tbody>' + "".join(rows) + "</tbody></table>"


def _version(lib: str) -> str:
    try:
        return metadata.version(lib)
    except metadata.PackageNotFoundError:
        if lib == "focus-abm":
            from abm import __version__

            return __version__
        return "not installed"


def _lib_versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "platform": platform.platform(terse=True)}
    out.update({lib: _version(lib) for lib in _LIBRARIES})
    return out


# --------------------------------------------------------------------------- scenario settings


def _settings_from_ensemble(path: Path | None) -> dict[str, str]:
    """Resolved TOML text by scenario name from an ensemble file's ``scenario_toml``."""
    if path is None or not Path(path).exists():
        return {}
    try:
        import xarray as xr

        with xr.open_dataset(path, decode_times=False) as ds:
            if "scenario_toml" not in ds or "scenario" not in ds["scenario_toml"].dims:
                return {}
            names = [str(s) for s in ds["scenario"].values]
            texts = [str(t) for t in ds["scenario_toml"].values]
        return dict(zip(names, texts, strict=True))
    except (OSError, ValueError, KeyError, RuntimeError):
        return {}


def _scenario_settings(
    names: Sequence[str],
    scenarios: Mapping[str, Scenario | str] | None,
    ensemble: Path | None,
    provenance: Mapping[str, Any],
) -> dict[str, tuple[str, dict[str, Any]] | None]:
    """Resolved TOML text and its parsed table for each scenario, from (in this order) the
    given Scenario objects or TOML texts, the ensemble file, the comparison's provenance
    (``scenario_toml`` as a dict or JSON text by name), or the shipped scenario of that name."""
    from abm.scenario import Scenario, ScenarioError, load_scenario

    given: dict[str, str] = {}
    for k, v in (scenarios or {}).items():
        given[str(k)] = v.to_toml() if isinstance(v, Scenario) else str(v)
    recorded: dict[str, str] = {}
    prov = provenance.get("scenario_toml") or provenance.get("scenarios_toml")
    if isinstance(prov, str):
        with contextlib.suppress(ValueError):
            prov = json.loads(prov)
    if isinstance(prov, Mapping):
        recorded = {str(k): str(v) for k, v in prov.items()}
    from_file: dict[str, str] | None = None
    out: dict[str, tuple[str, dict[str, Any]] | None] = {}
    for name in names:
        text = given.get(name) or recorded.get(name)
        if not text:
            if from_file is None:
                from_file = _settings_from_ensemble(ensemble)
            text = from_file.get(name)
        if not text:
            try:
                text = load_scenario(name).to_toml()
            except ScenarioError:
                text = None
        if not text:
            out[name] = None
            continue
        try:
            out[name] = (text, tomllib.loads(text))
        except tomllib.TOMLDecodeError:
            out[name] = (text, {})
    return out


def _targets_cell(targets: Any) -> _Cell:
    """A programme's targets; the six chosen markets by that name (listed in the tooltip)."""
    if isinstance(targets, list):
        names = ", ".join(str(t) for t in targets)
        if set(targets) == set(CHOSEN_MARKETS) and len(targets) == len(CHOSEN_MARKETS):
            return _Cell("the six chosen markets", title=names)
        return _Cell(names)
    if targets == "size":
        return _Cell("all sectors, in proportion to their size")
    if targets == "all":
        return _Cell("all sectors")
    return _Cell(targets)


#: Settings shown for each instrument besides budget, targets and dates.
_INSTRUMENT_KEYS: dict[str, tuple[str, ...]] = {
    "rd_tax_credit": ("rate_first", "rate_second", "rate_starter", "bracket", "track_budget"),
    "innovation_box": ("box_rate", "track_budget"),
    "grant": ("selection_noise", "grant_share"),
    "procurement": ("domestic_share", "domestic_share_end"),
    "coinvestment": ("match_ratio",),
    "mission_agency": ("delay_quarters", "failure_probability"),
    "talent_attraction": ("immigration_boost",),
}


def _budget_text(p: Mapping[str, Any]) -> str:
    path = p.get("budget_path")
    if isinstance(path, Mapping) and path:
        items = sorted(path.items())
        return "path: " + "; ".join(f"{y}: {_plain(float(v) / 1e9)}" for y, v in items)
    budget = p.get("budget", 0.0)
    text = f"{_plain(float(budget) / 1e9)} a year" if _finite(budget) else _NA
    growth = p.get("budget_growth", 0.0)
    if _finite(growth) and float(growth) != 0.0:
        text += f", {float(growth):+.1%} a year"
    return text


def _scenario_card(name: str, settings: tuple[str, dict[str, Any]] | None, ref: bool) -> str:
    head = f'<div class="card" id="scenario-{_esc(name)}"><h3>{_esc(name)}'
    head += " (reference)</h3>" if ref else "</h3>"
    if settings is None:
        return (
            head + '<p class="note">The settings of this scenario were not recorded with the '
            "comparison and it is not a shipped scenario.</p></div>"
        )
    text, data = settings
    parts = [head]
    desc = data.get("description") or ""
    parts.append(f"<p>{_esc(desc) if desc else '<em>(no description)</em>'}</p>")
    progs = data.get("programmes") or {}
    if progs:
        rows = []
        for pname, p in progs.items():
            if not isinstance(p, Mapping) or p.get("enabled", True) is False:
                continue
            inst = str(p.get("instrument", ""))
            extra = []
            for k in _INSTRUMENT_KEYS.get(inst, ()):
                if k in p:
                    v = p[k]
                    extra.append(f"{k} = {_plain(v)}")
            rows.append(
                [
                    pname,
                    inst,
                    _Cell(_budget_text(p), "nowrap"),
                    _targets_cell(p.get("targets", "all")),
                    _Cell(f"{p.get('start', '')}\u2013{p.get('end', '')}", "nowrap"),
                    "; ".join(extra),
                ]
            )
        parts.append(
            _table(
                ["programme", "instrument", "budget (EUR bn)", "targets", "years", "settings"],
                rows,
                caption="Programmes",
            )
        )
    else:
        parts.append("<p>No programmes: no innovation policy.</p>")
    params = data.get("parameters") or {}
    if params:
        parts.append(
            _table(
                ["calibration parameter", "value"],
                [[k, _compact(v)] for k, v in params.items()],
                caption="Parameter overrides",
            )
        )
    defence = {k: v for k, v in (data.get("defence") or {}).items() if v not in (None, False, 0.0)}
    if defence:
        parts.append(
            _table(
                ["defence order setting", "value"],
                [[k, _compact(v)] for k, v in defence.items()],
                caption="Defence orders (the defence budget path is common to every scenario)",
            )
        )
    uncertain = data.get("uncertain") or {}
    if uncertain:
        parts.append(
            _table(
                ["uncertain parameter", "range"],
                [[k, f"{_num(v[0], 4)} to {_num(v[1], 4)}"] for k, v in uncertain.items()],
                caption="Uncertain parameters (for sweeps and sensitivity analysis)",
            )
        )
    parts.append(
        f"<details><summary>Resolved scenario (TOML)</summary><pre>{_esc(text)}</pre></details>"
    )
    parts.append("</div>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- sections


def _get(row: Mapping[str, Any], key: str) -> Any:
    v = row.get(key, float("nan"))
    return float("nan") if v is None else v


def _outcome_scales(table: pd.DataFrame) -> dict[str, _Scale]:
    scales = {}
    for outcome, g in table.groupby("outcome", sort=False):
        units = g["units"].iloc[0] if "units" in g else ""
        values = np.concatenate(
            [
                pd.to_numeric(g[c], errors="coerce").to_numpy()
                for c in ("mean", "p05", "p95")
                if c in g
            ]
        )
        scales[str(outcome)] = _scale_for(units, values, str(outcome))
    return scales


def _period(outcome: str, year: Any, provenance: Mapping[str, Any]) -> str:
    """The year of a row, or ``base-year`` for outcomes cumulated over the whole run."""
    spec = _compare_outcomes().get(outcome)
    base = (
        (provenance.get("years") or {}).get("base")
        if isinstance(provenance.get("years"), Mapping)
        else None
    )
    if spec is not None and not spec.per_year and base is not None and _finite(year):
        return f"{base}\u2013{_year(year)}"
    return _year(year)


def _direction(outcome: str) -> bool | None:
    """True when higher is better, False when lower is, None when not known."""
    spec = _compare_outcomes().get(outcome)
    return None if spec is None else bool(spec.higher_is_better)


def _notes(provenance: Mapping[str, Any]) -> str:
    notes = provenance.get("notes") or []
    if isinstance(notes, str):
        notes = [notes]
    if not notes:
        return ""
    items = "".join(f"<li>{_esc(n)}</li>" for n in notes)
    return f'<div class="note"><b>Notes from the comparison</b><ul>{items}</ul></div>'


def _comparison_section(cr: CompareResult, scales: dict[str, _Scale]) -> str:
    table = cr.table
    prov = cr.provenance or {}
    ref = cr.scenarios[0] if cr.scenarios else ""
    header = [
        "year",
        "scenario",
        _Cell("mean", "num"),
        _Cell("90% range across members", "num"),
        _Cell(f"paired difference against {ref}", "num"),
        _Cell("90% interval (paired)", "num"),
        _Cell("90% interval (unpaired)", "num"),
        _Cell(f"P(beats {ref})", "num"),
    ]
    rows: list[Any] = []
    lower_better = []
    for outcome, g in table.groupby("outcome", sort=False):
        outcome = str(outcome)
        sc = scales[outcome]
        higher = _direction(outcome)
        if higher is False:
            lower_better.append(_label(outcome))
        unit = f" ({sc.unit})" if sc.unit else ""
        diff_unit = f"; differences in {sc.diff_unit}" if sc.diff_unit else ""
        if higher is False:
            diff_unit += "; lower is better"
        rows.append(
            ("group", [_Cell(f"{_label(outcome)}{unit}{diff_unit}", header=True, colspan=8)])
        )
        for r in g.to_dict("records"):
            is_ref = str(r.get("scenario")) == ref
            d = _get(r, "diff_mean")
            lo, hi = _get(r, "diff_low"), _get(r, "diff_high")
            verdict = ""
            if higher is not None and _finite(lo) and _finite(hi):
                above, below = float(lo) > 0, float(hi) < 0
                if above or below:
                    verdict = "better" if above == higher else "worse"
            rows.append(
                (
                    "ref" if is_ref else "",
                    [
                        _period(outcome, r.get("year"), prov),
                        r.get("scenario", ""),
                        _Cell(sc.value(_get(r, "mean")), "num"),
                        _Cell(sc.interval(_get(r, "p05"), _get(r, "p95")), "num"),
                        _Cell(
                            "reference" if is_ref else sc.diff(d),
                            f"num {verdict}".strip(),
                            title=f"interval on the {verdict} side of zero" if verdict else "",
                        ),
                        _Cell("" if is_ref else sc.interval(lo, hi, signed=True), "num"),
                        _Cell(
                            ""
                            if is_ref
                            else sc.interval(
                                _get(r, "unpaired_low"), _get(r, "unpaired_high"), signed=True
                            ),
                            "num",
                        ),
                        _Cell("" if is_ref else _pct(_get(r, "prob_better")), "num"),
                    ],
                )
            )
    lower = (
        f" (lower is better for {', '.join(_esc(x) for x in lower_better)})" if lower_better else ""
    )
    explain = (
        "<p>Each scenario's <b>mean</b> and the <b>90% range</b> (5th to 95th percentile) "
        "across ensemble members. The <b>paired difference</b> compares member <i>k</i> of a "
        f"scenario with member <i>k</i> of the reference <b>{_esc(ref)}</b>: both run with the "
        "same seed, so they share their random shocks wherever they have not diverged (common "
        "random numbers). Its <b>90% interval</b> is a bootstrap interval of the mean "
        "difference; the <b>unpaired</b> interval is what the same ensembles would give "
        "without pairing. <b>P(beats)</b> is the share of paired members in which the scenario "
        f"does better than the reference{lower}. A difference is green when its paired "
        "interval lies wholly on the better side of zero, red when wholly on the worse "
        "side.</p>"
    )
    return (
        explain
        + _notes(prov)
        + _table(header, rows, table_id="comparison-table")
        + (_sector_table(cr))
    )


def _sector_table(cr: CompareResult) -> str:
    """``value_added_by_sector.csv`` of the comparison's folder, folded, when it exists."""
    if cr.outdir is None:
        return ""
    path = Path(cr.outdir) / "value_added_by_sector.csv"
    try:
        df = pd.read_csv(path)
    except (OSError, ValueError):
        return ""
    if df.empty or not {"sector", "scenario", "mean"} <= set(df.columns):
        return ""
    sc = _scale_for("EUR/year", pd.to_numeric(df["mean"], errors="coerce"))
    ref = cr.scenarios[0] if cr.scenarios else ""
    rows = []
    for r in df.to_dict("records"):
        is_ref = str(r.get("scenario")) == ref
        rows.append(
            (
                "ref" if is_ref else "",
                [
                    r.get("sector", ""),
                    _year(r.get("year")),
                    r.get("scenario", ""),
                    _Cell(sc.value(_get(r, "mean")), "num"),
                    _Cell("reference" if is_ref else sc.diff(_get(r, "diff_mean")), "num"),
                    _Cell(
                        ""
                        if is_ref
                        else sc.interval(_get(r, "diff_low"), _get(r, "diff_high"), signed=True),
                        "num",
                    ),
                ],
            )
        )
    table = _table(
        [
            "sector",
            "year",
            "scenario",
            _Cell(f"value added ({sc.unit})", "num"),
            _Cell(f"paired difference against {ref}", "num"),
            _Cell("90% interval (paired)", "num"),
        ],
        rows,
        table_id="sector-table",
    )
    return (
        "<details><summary>Value added by sector (from value_added_by_sector.csv)</summary>"
        f"{table}</details>"
    )


def _targets_section(cr: CompareResult) -> str:
    t = cr.targets
    if t is None or len(t) == 0:
        return "<p>No targets were evaluated (the runs may not reach 2030).</p>"
    rows = []
    for r in t.to_dict("records"):
        thr = _get(r, "threshold")
        sc = _scale_for("1", [thr, _get(r, "mean")])
        met_ok = _met(r.get("met"))
        pct = "%" if sc.unit == "%" else ""
        rows.append(
            [
                r.get("scenario", ""),
                r.get("target", ""),
                _Cell(sc.value(thr) + pct, "num"),
                _Cell(sc.value(_get(r, "mean")) + pct, "num"),
                _Cell(_pct(_get(r, "share_meeting")), "num"),
                _Cell(
                    _NA if met_ok is None else "yes" if met_ok else "no",
                    "" if met_ok is None else "yes" if met_ok else "no",
                ),
            ]
        )
    return _table(
        [
            "scenario",
            "target",
            _Cell("threshold", "num"),
            _Cell("ensemble mean", "num"),
            _Cell("share of members meeting it", "num"),
            "met by the mean",
        ],
        rows,
        table_id="targets-table",
    )


def _headline_row(g: pd.DataFrame, outcome: str) -> Mapping[str, Any] | None:
    """The row of a scenario's outcome at 2030 for the target outcomes, else the last year."""
    if g.empty:
        return None
    years = pd.to_numeric(g["year"], errors="coerce") if "year" in g else pd.Series(dtype=float)
    if outcome in dict(TARGETS) and (years == 2030).any():
        return g[years.to_numpy() == 2030].iloc[0].to_dict()
    if years.notna().any():
        return g.loc[years.idxmax()].to_dict()
    return g.iloc[-1].to_dict()


def _met(v: Any) -> bool | None:
    """A ``met`` cell as True/False, or None when it was not evaluated (NaN, None)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return bool(v)


def _glance_section(cr: CompareResult, scales: dict[str, _Scale]) -> str:
    table = cr.table
    if not cr.scenarios:
        return ""
    ref = cr.scenarios[0]
    prov = cr.provenance or {}
    items = []
    outcomes = [str(o) for o in table["outcome"].drop_duplicates()]
    headline = [o for o in ("gdp_real", "industry_share", "rd_intensity") if o in outcomes]
    headline = headline or outcomes[:3]
    for s in cr.scenarios[1:]:
        for o in headline:
            r = _headline_row(table[(table["outcome"] == o) & (table["scenario"] == s)], o)
            if r is None or not _finite(_get(r, "diff_mean")):
                continue
            sc = scales[o]
            lo, hi = _get(r, "diff_low"), _get(r, "diff_high")
            where = ""
            if _finite(lo) and _finite(hi):
                side = (
                    "above zero"
                    if float(lo) > 0
                    else "below zero"
                    if float(hi) < 0
                    else "includes zero"
                )
                where = f" (90% interval {sc.interval(lo, hi, signed=True)}, {side})"
            diff = sc.diff(r["diff_mean"])
            if not sc.diff_unit and sc.unit:
                diff += f" {sc.unit}"
            prob = _get(r, "prob_better")
            beats = f"; {s} beats {ref} in {_pct(prob)} of paired members" if _finite(prob) else ""
            label = _label(o)
            items.append(
                f"{label[:1].upper()}{label[1:]}, {_period(o, r.get('year'), prov)}: "
                f"{s} \u2212 {ref} = {diff}{where}{beats}."
            )
    t = cr.targets
    if t is not None and len(t) and {"target", "scenario", "met"} <= set(t.columns):
        for target, g in t.groupby("target", sort=False):
            groups: dict[bool | None, list[str]] = {True: [], False: [], None: []}
            for r in g.to_dict("records"):
                mean = _get(r, "mean")
                sc = _scale_for("1", [mean, _get(r, "threshold")])
                detail = []
                if _finite(mean):
                    detail.append(sc.value(mean) + ("%" if sc.unit == "%" else ""))
                if _finite(_get(r, "share_meeting")):
                    detail.append(f"{_pct(r['share_meeting'])} of members")
                text = str(r.get("scenario", ""))
                groups[_met(r.get("met"))].append(
                    text + (f" ({', '.join(detail)})" if detail else "")
                )
            parts = []
            if groups[True]:
                parts.append("met on the ensemble mean by " + "; ".join(groups[True]))
            if groups[False]:
                parts.append("not met by " + "; ".join(groups[False]))
            if groups[None]:
                parts.append("not evaluated for " + "; ".join(groups[None]))
            items.append(f"Target \u201c{target}\u201d: " + "; ".join(parts) + ".")
    if not items:
        return "<p>No paired differences to summarise.</p>"
    return '<ul class="glance">' + "".join(f"<li>{_esc(i)}</li>" for i in items) + "</ul>"


def _figures_section(figures: Mapping[str, Path | str], empty: str) -> str:
    if not figures:
        return f"<p>{_esc(empty)}</p>"
    return "\n".join(_figure(p, str(n)) for n, p in figures.items())


_INDEX_ORDER = ("ST", "ST_conf", "S1", "S1_conf", "mu_star", "mu_star_conf", "mu", "sigma")
#: Morris statistics in the outcome's units (Sobol indices are shares of variance).
_EFFECT_COLUMNS = ("mu_star", "mu_star_conf", "mu", "sigma")


def _sensitivity_section(sr: SensitivityResult) -> str:
    parts = [
        f"<p>Outcomes are differences <b>{_esc(sr.a)} \u2212 {_esc(sr.b)}</b>; method "
        f"<b>{_esc(sr.method)}</b>; {len(sr.samples)} parameter points. "
    ]
    if sr.method == "sobol":
        parts.append(
            "S1 is the share of the outcome's variance due to the parameter alone, ST the "
            "share it takes part in (with interactions); _conf columns are 95% confidence "
            "half-widths.</p>"
        )
    else:
        parts.append(
            "mu* is the mean absolute elementary effect (how much the parameter moves the "
            "outcome), sigma their standard deviation (non-linearity or interactions); "
            "mu*_conf is the 95% confidence half-width of mu*.</p>"
        )
    idx = sr.indices
    samples = sr.samples

    def scale_of(outcome: str) -> _Scale:
        if samples is not None and outcome in samples.columns:
            values = pd.to_numeric(samples[outcome], errors="coerce")
        elif idx is not None and "outcome" in idx.columns:
            sub = idx[idx["outcome"] == outcome]
            values = pd.concat(
                [pd.to_numeric(sub[c], errors="coerce") for c in _EFFECT_COLUMNS if c in sub]
                or [pd.Series(dtype=float)]
            )
        else:
            values = pd.Series(dtype=float)
        return _difference_scale(outcome, values.to_numpy())

    if idx is not None and len(idx):
        cols = [c for c in _INDEX_ORDER if c in idx.columns]
        cols += [
            c
            for c in idx.columns
            if c not in cols
            and c not in ("outcome", "parameter", "rank")
            and pd.api.types.is_numeric_dtype(idx[c])
        ]
        key = next((c for c in ("ST", "mu_star", "S1") if c in idx.columns), None)
        for outcome, g in idx.groupby("outcome", sort=False):
            if key is not None:
                g = g.sort_values(key, ascending=False, key=lambda s: s.abs())
            sc = scale_of(str(outcome))
            effect = [c for c in cols if c in _EFFECT_COLUMNS]
            unit = f" ({', '.join(effect)} in {sc.unit})" if sc.unit and effect else ""
            parts.append(
                _table(
                    ["parameter"] + [_Cell(c, "num") for c in cols],
                    [
                        [r["parameter"]]
                        + [
                            _Cell(
                                _num(_get(r, c) * sc.factor if c in effect else _get(r, c), 3),
                                "num",
                            )
                            for c in cols
                        ]
                        for r in g.to_dict("records")
                    ],
                    caption=f"Sensitivity indices: {_sensitivity_label(str(outcome))}{unit}",
                    table_id=f"indices-{outcome}",
                )
            )
    else:
        parts.append("<p>No sensitivity indices.</p>")
    flip = sr.flip
    parts.append("<h3>When does the answer flip?</h3>")
    if flip is not None and len(flip):
        parts.append(
            f"<p>For the most influential parameters: the value at which {_esc(sr.a)} stops "
            f"beating {_esc(sr.b)} (the outcome difference changes sign), with its uncertainty."
            "</p>"
        )
        has_default = "default" in flip.columns
        has_wins = "a_wins" in flip.columns
        rows = []
        for r in flip.to_dict("records"):
            fv = _get(r, "flip_value")
            lo, hi = _get(r, "flip_low"), _get(r, "flip_high")
            wins = r.get("a_wins") if has_wins else None
            wins = "" if wins is None or (isinstance(wins, float) and math.isnan(wins)) else wins
            note = r.get("note")
            note = "" if note is None or (isinstance(note, float) and math.isnan(note)) else note
            rows.append(
                [_sensitivity_label(str(r.get("outcome", ""))), r.get("parameter", "")]
                + ([_Cell(_num(_get(r, "default"), 3), "num")] if has_default else [])
                + [
                    _Cell(_num(fv, 3) if _finite(fv) else "no flip within the range", "num"),
                    _Cell(
                        f"{_num(lo, 3)} to {_num(hi, 3)}" if _finite(lo) and _finite(hi) else _NA,
                        "num",
                    ),
                ]
                + ([f"{sr.a} wins {wins}" if wins else ""] if has_wins else [])
                + [note]
            )
        parts.append(
            _table(
                ["outcome", "parameter"]
                + ([_Cell("default", "num")] if has_default else [])
                + [_Cell("flip value", "num"), _Cell("90% interval", "num")]
                + (["where"] if has_wins else [])
                + ["note"],
                rows,
                table_id="flip-table",
            )
        )
    else:
        parts.append("<p>No flip analysis.</p>")
    if samples is not None and len(samples):
        outcome_cols = [c for c in samples.columns if c in set(map(str, sr.outcomes))]
        params = (
            [str(p) for p in sr.indices["parameter"].drop_duplicates()]
            if sr.indices is not None and "parameter" in sr.indices
            else []
        )
        param_cols = [c for c in samples.columns if c in params] or [
            c
            for c in samples.columns
            if c not in outcome_cols and pd.api.types.is_numeric_dtype(samples[c])
        ]
        varied = (sr.provenance or {}).get("parameters")
        if (
            isinstance(varied, Mapping)
            and varied
            and all(isinstance(v, Mapping) for v in varied.values())
        ):
            parts.append(
                _table(
                    [
                        "parameter",
                        _Cell("low", "num"),
                        _Cell("high", "num"),
                        _Cell("default", "num"),
                        _Cell("sampled", "num"),
                        "range from",
                    ],
                    [
                        [
                            k,
                            _Cell(_num(_get(v, "low"), 3), "num"),
                            _Cell(_num(_get(v, "high"), 3), "num"),
                            _Cell(_num(_get(v, "default"), 3), "num"),
                            _Cell(
                                f"{_num(samples[k].min(), 3)} to {_num(samples[k].max(), 3)}"
                                if k in samples.columns
                                else _NA,
                                "num",
                            ),
                            v.get("range_source", ""),
                        ]
                        for k, v in varied.items()
                    ],
                    caption="Parameters varied",
                    table_id="sampled-ranges",
                )
            )
        elif param_cols:
            parts.append(
                _table(
                    ["parameter", _Cell("lowest sampled", "num"), _Cell("highest sampled", "num")],
                    [
                        [
                            c,
                            _Cell(_num(samples[c].min(), 4), "num"),
                            _Cell(_num(samples[c].max(), 4), "num"),
                        ]
                        for c in param_cols
                    ],
                    caption="Sampled parameter ranges",
                    table_id="sampled-ranges",
                )
            )
        if outcome_cols:
            rows = []
            for c in outcome_cols:
                v = pd.to_numeric(samples[c], errors="coerce").dropna()
                sc = scale_of(c)
                rows.append(
                    [
                        _sensitivity_label(c) + (f" ({sc.unit})" if sc.unit else ""),
                        _Cell(sc.diff(v.mean()) if len(v) else _NA, "num"),
                        _Cell(sc.diff(v.min()) if len(v) else _NA, "num"),
                        _Cell(sc.diff(v.max()) if len(v) else _NA, "num"),
                        _Cell(_pct((v > 0).mean()) if len(v) else _NA, "num"),
                    ]
                )
            parts.append(
                _table(
                    [
                        f"outcome ({sr.a} \u2212 {sr.b})",
                        _Cell("mean", "num"),
                        _Cell("lowest", "num"),
                        _Cell("highest", "num"),
                        _Cell("share of points > 0", "num"),
                    ],
                    rows,
                    caption="Outcome differences over the sampled points",
                    table_id="sampled-outcomes",
                )
            )
    parts.append("<h3>Figures</h3>")
    parts.append(_figures_section(sr.figures, "The sensitivity analysis produced no figures."))
    return "\n".join(parts)


def _validation_section(validation: ValidationReport | pd.DataFrame) -> str:
    if isinstance(validation, pd.DataFrame):
        frame, meta = validation, None
    else:
        frame, meta = validation.to_frame(), validation
    parts = []
    if meta is not None:
        status = (
            "every calibration target and accounting identity holds"
            if meta.ok
            else ("some calibration targets or accounting identities fail")
        )
        parts.append(
            f"<p>Validation of <b>{_esc(meta.scenario)}</b> (<code>abm validate</code>): "
            f"{_esc(meta.runs)} run(s), root seed {_esc(meta.seed)}, {_esc(meta.quarters)} "
            f'recorded quarters each: <span class="{"yes" if meta.ok else "no"}">'
            f"{_esc(status)}</span>. Stylized facts are reported, not enforced.</p>"
        )
    rows = []
    for r in frame.to_dict("records"):
        holds = bool(r.get("holds"))
        rows.append(
            [
                r.get("kind", ""),
                r.get("name", ""),
                _Cell(_num(r.get("statistic"), 4), "num"),
                r.get("target", ""),
                _Cell("yes" if holds else "no", "yes" if holds else "no"),
                r.get("detail", "") or "",
            ]
        )
    parts.append(
        _table(
            ["kind", "check", _Cell("statistic", "num"), "target", "holds", "detail"],
            rows,
            table_id="validation-table",
        )
    )
    return "\n".join(parts)


def _provenance_section(
    cr: CompareResult,
    sr: SensitivityResult | None,
    validation: ValidationReport | pd.DataFrame | None,
    created: str,
) -> str:
    prov = dict(cr.provenance or {})
    runs = prov.get("runs", prov.get("realizations", _NA))
    seed = prov.get("root_seed", prov.get("seed", _NA))
    rows: list[tuple[str, Any]] = [
        ("report created (UTC)", created),
        ("model version", prov.get("model_version", _version("focus-abm"))),
        (
            "scenarios",
            ", ".join(cr.scenarios) + (f" (reference: {cr.scenarios[0]})" if cr.scenarios else ""),
        ),
        ("members per scenario", runs),
        ("root seed", seed),
        (
            "member seeds",
            f"member k of every scenario runs with numpy.random.SeedSequence({seed})"
            ".spawn(runs)[k]",
        ),
    ]
    for key in ("quarters", "scale", "created", "date_created"):
        if key in prov:
            rows.append((f"comparison {key}", prov[key]))
    if cr.ensemble is not None:
        rows.append(("ensemble file", str(cr.ensemble)))
    if cr.outdir is not None:
        rows.append(("comparison files", str(cr.outdir)))
    if sr is not None:
        sp = sr.provenance or {}
        rows.append(
            (
                "sensitivity analysis",
                f"{sr.method}, {sr.a} \u2212 {sr.b}, {len(sr.samples)} points, root seed "
                f"{sp.get('root_seed', _NA)}",
            )
        )
        if sr.outdir is not None:
            rows.append(("sensitivity files", str(sr.outdir)))
    else:
        rows.append(("sensitivity analysis", "not included"))
    if validation is not None and not isinstance(validation, pd.DataFrame):
        rows.append(
            (
                "validation",
                f"{validation.scenario}: {validation.runs} run(s), root seed {validation.seed}, "
                f"{validation.quarters} quarters",
            )
        )
    elif validation is None:
        rows.append(("validation", "not included"))
    parts = [_kv_table(rows, table_id="provenance-table")]
    shown = {"model_version", "runs", "root_seed", "quarters", "scale", "created", "date_created"}
    rest = [(k, v) for k, v in prov.items() if k not in shown]
    if rest:
        parts.append("<h3>Comparison provenance, as recorded</h3>")
        parts.append(_kv_table(rest))
    if sr is not None and sr.provenance:
        parts.append("<h3>Sensitivity provenance, as recorded</h3>")
        parts.append(_kv_table(list(sr.provenance.items())))
    parts.append("<h3>Library versions (where this report was made)</h3>")
    parts.append(_kv_table(list(_lib_versions().items()), table_id="library-versions"))
    return "\n".join(parts)


_QUESTION = (
    "<p>Does <b>concentrating innovation money on six chosen markets</b> (semiconductors, "
    "biotechnology, defence-related technology, digital services and AI, machinery, innovative "
    "chemistry: the 2025 policy) <b>beat spreading the same money through generic "
    "instruments</b> such as the WBSO-like R&amp;D wage tax credit, for growth, industry's share "
    "of GDP, R&amp;D intensity, and talent and capital kept in the country? Scenarios are "
    "compared at <b>equal public innovation budget</b> over 2026\u20132040 (programme outlays "
    "plus tax expenditure); defence, public research and other spending are the same in every "
    "scenario.</p>"
    "<p>The 2030 targets:</p><ul>"
    "<li><b>industry \u2265 15% of GDP</b> (value added of the manufacturing-type sectors, "
    "about 12.5% in 2025);</li>"
    "<li><b>R&amp;D \u2265 3% of GDP</b> (business and public, about 2.2% in 2025).</li></ul>"
    "<p>Figures come from an agent-based model: each scenario is an ensemble of runs whose "
    "spread shows the model's own randomness, not the uncertainty of its parameters; the "
    "sensitivity analysis, when included, varies the parameters that could decide the "
    "answer.</p>"
)


# --------------------------------------------------------------------------- public API


def _check_compare(cr: CompareResult) -> None:
    missing = [c for c in ("outcome", "scenario", "mean") if c not in cr.table.columns]
    if missing:
        raise ValueError(f"CompareResult.table lacks the column(s) {', '.join(missing)}")


def _render(
    cr: CompareResult,
    sr: SensitivityResult | None,
    validation: ValidationReport | pd.DataFrame | None,
    title: str,
    scenarios: Mapping[str, Scenario | str] | None,
) -> str:
    _check_compare(cr)
    created = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    scales = _outcome_scales(cr.table)
    settings = _scenario_settings(list(cr.scenarios), scenarios, cr.ensemble, cr.provenance or {})
    sections: list[tuple[str, str, str]] = [
        ("question", "The question", _QUESTION),
        ("summary", "At a glance", _glance_section(cr, scales)),
        (
            "scenarios",
            "Scenarios",
            "\n".join(_scenario_card(n, settings[n], i == 0) for i, n in enumerate(cr.scenarios)),
        ),
        ("comparison", "Comparison", _comparison_section(cr, scales)),
        ("targets", "The 2030 targets", _targets_section(cr)),
        (
            "figures",
            "Comparison figures",
            _figures_section(cr.figures, "The comparison produced no figures."),
        ),
    ]
    if sr is not None:
        sections.append(("sensitivity", "Sensitivity analysis", _sensitivity_section(sr)))
    if validation is not None:
        sections.append(("validation", "Validation", _validation_section(validation)))
    sections.append(("provenance", "Provenance", _provenance_section(cr, sr, validation, created)))

    ref = cr.scenarios[0] if cr.scenarios else ""
    prov = cr.provenance or {}
    runs = prov.get("runs", prov.get("realizations"))
    sub = f"{', '.join(cr.scenarios)}; reference {ref}"
    if runs is not None:
        sub += f"; {runs} members per scenario"
    if "root_seed" in prov:
        sub += f"; root seed {prov['root_seed']}"
    sub += f"; created {created} UTC"
    toc = "".join(f'<li><a href="#{i}">{_esc(h)}</a></li>' for i, h, _ in sections)
    body = "\n".join(
        f'<section id="{i}"><h2>{_esc(h)}</h2>\n{s}\n</section>' for i, h, s in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_esc(_CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="focus-abm {_esc(_version("focus-abm"))}">'
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head>\n"
        f'<body><header><h1>{_esc(title)}</h1><p class="sub">{_esc(sub)}</p></header>\n'
        f'<nav class="toc"><b>Contents</b><ol>{toc}</ol></nav>\n'
        f"{body}\n"
        f"<script>{_SCRIPT}</script>\n</body></html>\n"
    )


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file next to ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_name, 0o666 & ~umask)  # mkstemp makes it private; a report is shared
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def make_report(
    compare_result: CompareResult,
    sensitivity_result: SensitivityResult | None = None,
    validation: ValidationReport | pd.DataFrame | None = None,
    output: str | os.PathLike[str] = "report.html",
    title: str | None = None,
    *,
    scenarios: Mapping[str, Scenario | str] | None = None,
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

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    ValueError
        If ``compare_result.table`` lacks a required column.

    Notes
    -----
    The file is self-contained: images are base64 ``data:`` URIs, style and script are inline,
    and its Content-Security-Policy lets the browser load nothing else. It is written under a
    temporary name in the same folder and renamed when complete.
    """
    out = Path(output)
    title = title or (
        "Focused versus diffuse innovation policy: " + ", ".join(compare_result.scenarios)
    )
    text = _render(compare_result, sensitivity_result, validation, title, scenarios)
    _write_atomic(out, text)
    return out


def _call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func`` with the keyword arguments its signature accepts.

    ``progress`` is passed only where the function takes it as a flag (a boolean default)."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return func(*args, **kwargs)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        accepted = dict(kwargs)
        if "progress" in accepted and "progress" not in params:
            accepted.pop("progress")
    else:
        accepted = {k: v for k, v in kwargs.items() if k in params}
    if "progress" in accepted and not isinstance(params["progress"].default, bool):
        accepted.pop("progress")
    return func(*args, **accepted)


def _is_ensemble_file(s: str) -> bool:
    return s.endswith((".nc", ".nc4"))


def report(
    inputs: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    runs: int = 40,
    root_seed: int = 1,
    output: str | os.PathLike[str] = "report.html",
    sensitivity_samples: int = 0,
    sensitivity_method: str = "morris",
    validate_runs: int = 0,
    quarters: int | None = None,
    scale: float | None = None,
    workers: int | None = None,
    *,
    validate_quarters: int = 200,
    sensitivity_outcomes: Sequence[str] | None = None,
    title: str | None = None,
    progress: bool = False,
) -> Path:
    """Compare scenarios, optionally analyse sensitivity and validate, and write the report.

    Parameters
    ----------
    inputs : str, path-like or sequence of them
        Scenarios (shipped names or TOML files; the first is the reference), passed to
        :func:`abm.compare.compare`. An ensemble file (``.nc``) is passed through as well.
    runs : int
        Members per scenario (>= 1).
    root_seed : int
        Root seed of the comparison, the sensitivity analysis and the validation (>= 0).
    output : str or path-like
        The HTML file (``.html`` or ``.htm``). The comparison's and sensitivity analysis'
        tables and figures are kept next to it in ``<stem>_files/compare`` and
        ``<stem>_files/sensitivity``.
    sensitivity_samples : int
        Sample size of the sensitivity analysis of the first two scenarios
        (:func:`abm.sensitivity.sensitivity`; Morris trajectories, or Sobol base samples, a
        power of 2); 0 skips it. Its outcomes are differences "second minus first", the sign of
        the comparison's paired differences.
    sensitivity_method : {"morris", "sobol"}
        Sensitivity method.
    validate_runs : int
        Runs of :func:`abm.validate.validate` for the first scenario; 0 skips it.
    quarters : int, optional
        Recorded quarters of the comparison and sensitivity runs (default: the scenarios').
    scale : float, optional
        Persons per talent agent (default: the scenarios'); also used by the validation.
    workers : int, optional
        Local worker processes for the ensembles (default: one per core).
    validate_quarters : int
        Recorded quarters of each validation run (>= 40 for the band-pass filter).
    sensitivity_outcomes : sequence of str, optional
        Outcomes of the sensitivity analysis (``MEASURE_YEAR`` or ``MEASURE_total``, see
        :mod:`abm.sensitivity`). Default: :data:`abm.sensitivity.DEFAULT_OUTCOMES`, with a year
        the runs do not reach (``--quarters`` shorter than 2026-2040) replaced by the last
        complete recorded year.
    title : str, optional
        Page title.
    progress : bool
        Show progress bars on stderr where the underlying function supports them.

    Returns
    -------
    pathlib.Path
        The written report.

    Raises
    ------
    ReportInputError
        For a bad argument (checked before anything runs).
    abm.scenario.ScenarioError
        For an unknown scenario or a malformed scenario file.
    """
    out = Path(output)
    items = [str(inputs)] if isinstance(inputs, str | os.PathLike) else [str(i) for i in inputs]
    _check_args(
        items,
        runs,
        root_seed,
        out,
        sensitivity_samples,
        sensitivity_method,
        validate_runs,
        quarters,
        scale,
        workers,
        validate_quarters,
    )
    from abm.scenario import load_scenario

    loaded: dict[str, Scenario] = {}
    for item in items:
        if not _is_ensemble_file(item):
            sc = load_scenario(item)
            if sc.name in loaded:
                raise ReportInputError(f"scenario '{sc.name}' is given twice", "inputs")
            loaded[sc.name] = sc
    scenario_items = [i for i in items if not _is_ensemble_file(i)]
    if sensitivity_samples > 0 and len(scenario_items) < 2 and len(items) == len(scenario_items):
        raise ReportInputError(
            "the sensitivity analysis compares the first two scenarios; name at least two",
            "sensitivity_samples",
        )

    outcomes = list(sensitivity_outcomes or ())
    if sensitivity_samples > 0 and loaded:
        outcomes = _check_sensitivity_outcomes(next(iter(loaded.values())), quarters, outcomes)

    from abm.compare import compare

    files = out.parent / f"{out.stem}_files"
    cr = _call(
        compare,
        items,
        runs=runs,
        root_seed=root_seed,
        outdir=files / "compare",
        quarters=quarters,
        scale=scale,
        workers=workers,
        progress=progress,
    )
    sr = None
    if sensitivity_samples > 0:
        from abm.sensitivity import sensitivity

        # differences "challenger - reference", as in the comparison table
        b, a = scenario_items[:2] if len(scenario_items) >= 2 else cr.scenarios[:2]
        sr = _call(
            sensitivity,
            a,
            b,
            method=sensitivity_method,
            outcomes=outcomes or None,
            samples=sensitivity_samples,
            root_seed=root_seed,
            outdir=files / "sensitivity",
            quarters=quarters,
            scale=scale,
            workers=workers,
            progress=progress,
        )
    vr = None
    if validate_runs > 0:
        from tqdm import tqdm

        from abm.validate import validate

        first = next(iter(loaded.values()), None) or cr.scenarios[0]
        name = first if isinstance(first, str) else first.name
        with tqdm(
            total=validate_runs,
            desc=f"validate {name}",
            unit="run",
            disable=not progress,
            file=sys.stderr,
        ) as bar:
            vr = validate(
                first,
                runs=validate_runs,
                seed=root_seed,
                quarters=validate_quarters,
                scale=scale,
                progress=bar.update,
            )
    return make_report(cr, sr, vr, out, title, scenarios=loaded)


def _check_sensitivity_outcomes(
    scenario: Scenario, quarters: int | None, outcomes: list[str]
) -> list[str]:
    """Check the sensitivity outcomes against the recorded years before anything runs.

    Without outcomes: the defaults, with years the runs do not reach replaced by the last
    complete recorded year (so a short ``quarters`` still gives an analysis)."""
    from abm.sensitivity import DEFAULT_OUTCOMES, parse_outcome, recorded_years

    q = quarters if quarters is not None else scenario.run.quarters
    start = scenario.run.start_year
    years = recorded_years(start, q)
    if not outcomes:
        last_full = start + q // 4 - 1 if q >= 4 else start
        for name in DEFAULT_OUTCOMES:
            base, year = _split_year(name)
            outcomes.append(name if year is None or int(year) in years else f"{base}_{last_full}")
        outcomes = list(dict.fromkeys(outcomes))
    for name in outcomes:
        try:
            parse_outcome(name, years)
        except ValueError as e:
            raise ReportInputError(str(e), "sensitivity_outcomes") from None
    return outcomes


def _check_args(
    items: list[str],
    runs: int,
    root_seed: int,
    out: Path,
    sensitivity_samples: int,
    sensitivity_method: str,
    validate_runs: int,
    quarters: int | None,
    scale: float | None,
    workers: int | None,
    validate_quarters: int,
) -> None:
    if not items:
        raise ReportInputError(
            "no scenario given; name at least two (the first is the reference), see `abm scenarios`"
        )
    if len(items) < 2 and not _is_ensemble_file(items[0]):
        raise ReportInputError(
            f"only one scenario ('{items[0]}'); name at least two to compare (the first is "
            "the reference)"
        )
    checks: list[tuple[bool, str, str]] = [
        (runs >= 1, "runs", f"must be at least 1 (got {runs})"),
        (root_seed >= 0, "root_seed", f"must be a non-negative integer (got {root_seed})"),
        (
            sensitivity_samples >= 0,
            "sensitivity_samples",
            f"must be 0 (skip) or positive (got {sensitivity_samples})",
        ),
        (
            sensitivity_method in ("morris", "sobol"),
            "sensitivity_method",
            f"unknown method '{sensitivity_method}'; allowed: morris, sobol",
        ),
        (
            sensitivity_method != "sobol"
            or sensitivity_samples <= 0
            or not sensitivity_samples & (sensitivity_samples - 1),
            "sensitivity_samples",
            f"Sobol (Saltelli) sampling needs a power of 2 (got {sensitivity_samples})",
        ),
        (
            validate_runs >= 0,
            "validate_runs",
            f"must be 0 (skip) or positive (got {validate_runs})",
        ),
        (
            validate_runs == 0 or validate_quarters >= 40,
            "validate_quarters",
            f"must be at least 40 for the band-pass filter (got {validate_quarters})",
        ),
        (quarters is None or quarters >= 1, "quarters", f"must be at least 1 (got {quarters})"),
        (
            scale is None or scale >= 1,
            "scale",
            f"must be at least 1 person per agent (got {scale})",
        ),
        (workers is None or workers >= 1, "workers", f"must be at least 1 (got {workers})"),
        (
            out.suffix.lower() in (".html", ".htm"),
            "output",
            f"file must end in .html (got {out})",
        ),
        (not out.is_dir(), "output", f"{out} is a folder; give a file name ending in .html"),
    ]
    for ok, param, msg in checks:
        if not ok:
            raise ReportInputError(msg, param)
