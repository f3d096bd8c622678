"""The report's scenario cards: each scenario's resolved settings (description, programmes,
parameter overrides, defence orders, uncertain ranges, the TOML text), found in the given
scenarios, the comparison's provenance, the ensemble file or the shipped scenarios."""

from __future__ import annotations

import contextlib
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xarray as xr

from abm.render.format import NA, compact, finite, num, plain
from abm.render.html import Cell, Table, table
from abm.scenario import Scenario, ScenarioError, load_scenario
from abm.sectors import CHOSEN_MARKETS

#: Settings shown for each instrument besides budget, targets and dates.
INSTRUMENT_KEYS: dict[str, tuple[str, ...]] = {
    "rd_tax_credit": ("rate_first", "rate_second", "rate_starter", "bracket", "track_budget"),
    "innovation_box": ("box_rate", "track_budget"),
    "grant": ("selection_noise", "grant_share"),
    "procurement": ("domestic_share", "domestic_share_end"),
    "coinvestment": ("match_ratio",),
    "mission_agency": ("delay_quarters", "failure_probability"),
    "talent_attraction": ("immigration_boost",),
}


@dataclass
class Card:
    """One scenario's card; ``toml`` is None when its settings were found nowhere."""

    name: str
    reference: bool
    toml: str | None = None
    description: str = ""
    programmes: Table | None = None
    tables: list[Table] = field(default_factory=list)


def _from_ensemble(path: Path | None) -> dict[str, str]:
    """Resolved TOML text by scenario name from an ensemble file's ``scenario_toml``."""
    if path is None or not Path(path).exists():
        return {}
    try:
        with xr.open_dataset(path, decode_times=False) as ds:
            if "scenario_toml" not in ds or "scenario" not in ds["scenario_toml"].dims:
                return {}
            names = [str(s) for s in ds["scenario"].values]
            texts = [str(t) for t in ds["scenario_toml"].values]
        return dict(zip(names, texts, strict=True))
    except (OSError, ValueError, KeyError, RuntimeError):
        return {}


def scenario_settings(
    names: Sequence[str],
    scenarios: Mapping[str, Scenario | str] | None,
    ensemble: Path | None,
    provenance: Mapping[str, Any],
) -> dict[str, tuple[str, dict[str, Any]] | None]:
    """Resolved TOML text and its parsed table for each scenario, from (in this order) the
    given Scenario objects or TOML texts, the comparison's provenance (``scenario_toml`` as a
    dict or JSON text by name), the ensemble file, or the shipped scenario of that name."""
    given = {
        str(k): v.to_toml() if isinstance(v, Scenario) else str(v)
        for k, v in (scenarios or {}).items()
    }
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
                from_file = _from_ensemble(ensemble)
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


def _targets_cell(targets: Any) -> Cell:
    """A programme's targets; the six chosen markets by that name (listed in the tooltip)."""
    if isinstance(targets, list):
        names = ", ".join(str(t) for t in targets)
        if set(targets) == set(CHOSEN_MARKETS) and len(targets) == len(CHOSEN_MARKETS):
            return Cell("the six chosen markets", title=names)
        return Cell(names)
    if targets == "size":
        return Cell("all sectors, in proportion to their size")
    if targets == "all":
        return Cell("all sectors")
    return Cell(targets)


def _budget_text(p: Mapping[str, Any]) -> str:
    path = p.get("budget_path")
    if isinstance(path, Mapping) and path:
        items = sorted(path.items())
        return "path: " + "; ".join(f"{y}: {plain(float(v) / 1e9)}" for y, v in items)
    budget = p.get("budget", 0.0)
    text = f"{plain(float(budget) / 1e9)} a year" if finite(budget) else NA
    growth = p.get("budget_growth", 0.0)
    if finite(growth) and float(growth) != 0.0:
        text += f", {float(growth):+.1%} a year"
    return text


def _programmes(progs: Mapping[str, Any]) -> Table:
    rows = []
    for pname, p in progs.items():
        if not isinstance(p, Mapping) or p.get("enabled", True) is False:
            continue
        inst = str(p.get("instrument", ""))
        extra = [f"{k} = {plain(p[k])}" for k in INSTRUMENT_KEYS.get(inst, ()) if k in p]
        rows.append(
            [
                pname,
                inst,
                Cell(_budget_text(p), "nowrap"),
                _targets_cell(p.get("targets", "all")),
                Cell(f"{p.get('start', '')}\u2013{p.get('end', '')}", "nowrap"),
                "; ".join(extra),
            ]
        )
    return table(
        ["programme", "instrument", "budget (EUR bn)", "targets", "years", "settings"],
        rows,
        caption="Programmes",
    )


def scenario_card(name: str, settings: tuple[str, dict[str, Any]] | None, ref: bool) -> Card:
    """The card of one scenario."""
    if settings is None:
        return Card(name, ref)
    text, data = settings
    card = Card(name, ref, text, data.get("description") or "")
    if data.get("programmes"):
        card.programmes = _programmes(data["programmes"])
    defence = {k: v for k, v in (data.get("defence") or {}).items() if v not in (None, False, 0.0)}
    uncertain = {
        k: f"{num(v[0], 4)} to {num(v[1], 4)}" for k, v in (data.get("uncertain") or {}).items()
    }
    for items, header, caption in (
        (data.get("parameters") or {}, ["calibration parameter", "value"], "Parameter overrides"),
        (
            defence,
            ["defence order setting", "value"],
            "Defence orders (the defence budget path is common to every scenario)",
        ),
        (
            uncertain,
            ["uncertain parameter", "range"],
            "Uncertain parameters (for sweeps and sensitivity analysis)",
        ),
    ):
        if items:
            rows = [[k, v if items is uncertain else compact(v)] for k, v in items.items()]
            card.tables.append(table(header, rows, caption=caption))
    return card
