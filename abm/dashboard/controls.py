"""The dashboard's controls and its model: a scenario built from the controls' values, and
:class:`DashboardModel`, an :class:`~abm.EconomyModel` that can carry a second run (the
comparison pane) with the same seed.

Every control is a parameter key of the one override parser (:mod:`abm.scenario.overrides`,
the keys of ``abm ensemble --sweep`` and ``abm sensitivity``), so the dashboard sets a value
exactly as a sweep would. A value equal to what the scenario already runs with is not applied,
so the dashboard's default run is ``abm run SCENARIO --seed N`` bit for bit. A control that a
scenario cannot use (the dose of focus without targeted market programmes, the procurement
share without a procurement programme) is not applied either: the dashboard greys it out and
says why (:func:`not_applicable`), where the scenario file would be an error.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

import numpy as np

from abm.garbage import collect_garbage
from abm.model import EconomyModel
from abm.scenario import Scenario, ScenarioError, load_scenario
from abm.scenario.overrides import apply_overrides, parse_key
from abm.scenario.schema import targeted_programmes


class DashboardError(ValueError):
    """Bad input to the dashboard (a seed, a port); the message is one line."""


@dataclass(frozen=True)
class Control:
    """A slider of the dashboard.

    Attributes
    ----------
    name : str
        The keyword of :class:`DashboardModel` (``spillover_exponent``).
    key : str
        The parameter key it sets (``rd.eta``; see :mod:`abm.scenario.overrides`).
    label : str
        What the slider says.
    low, high, step : float
        The slider's range and step (the calibration's or the sensitivity analysis's range,
        widened to the values the format allows where that helps).
    """

    name: str
    key: str
    label: str
    low: float
    high: float
    step: float

    def default(self, scenario: Scenario) -> float:
        """The value ``scenario`` runs with (the slider's start; the range's low end where the
        scenario has no such setting)."""
        v = parse_key(self.key).default(scenario)
        return self.low if math.isnan(v) else v


#: The sliders, in the order shown.
CONTROLS: tuple[Control, ...] = (
    Control("reallocation", "reallocation", "Dose of focus (reallocation)", 0.0, 1.0, 0.05),
    Control("spillover_exponent", "rd.eta", "Spillover exponent η", 0.0, 2.0, 0.05),
    Control(
        "talent_mobility",
        "labour.migration_mobility",
        "Talent mobility κ",
        1.0,
        10.0,
        0.25,
    ),
    Control("grid_cap", "grid.congestion_cap", "Grid cap", 0.0, 0.05, 0.0025),
    Control(
        "procurement_domestic_share",
        "programme:procurement.domestic_share",
        "Procurement domestic share",
        0.0,
        1.0,
        0.05,
    ),
)
CONTROL_NAMES: tuple[str, ...] = tuple(c.name for c in CONTROLS)
#: The comparison pane's "no second run" value.
NO_COMPARISON = "none"


def not_applicable(control: Control, scenario: Scenario) -> str | None:
    """Why ``scenario`` cannot use ``control`` (one sentence), or None when it can."""
    if control.name == "reallocation" and not targeted_programmes(scenario):
        return (
            f"{scenario.name} has no targeted market programmes, so there is nothing to move "
            "the credit and box money into: the dose of focus does not apply"
        )
    if control.name == "procurement_domestic_share" and not any(
        p.instrument == "procurement" for p in scenario.programmes.values()
    ):
        return f"{scenario.name} has no procurement programme: its domestic share does not apply"
    return None


def dashboard_scenario(
    scenario: Scenario | str, values: Mapping[str, float | None]
) -> tuple[Scenario, dict[str, str], dict[str, float]]:
    """The scenario the controls describe.

    Parameters
    ----------
    scenario : Scenario or str
        A shipped scenario's name, a TOML path or a scenario.
    values : mapping
        Control name (:data:`CONTROL_NAMES`) -> value; None or absent leaves the scenario's.

    Returns
    -------
    (Scenario, dict, dict)
        The scenario with the values applied; control name -> why it was not applied
        (:func:`not_applicable`); parameter key -> value of the overrides applied.

    Raises
    ------
    ScenarioError
        An unknown scenario, an unknown control, a value outside the control's range or one
        the scenario format rejects.
    """
    unknown = sorted(set(values) - set(CONTROL_NAMES))
    if unknown:
        raise ScenarioError(f"unknown control {unknown[0]!r} (allowed: {', '.join(CONTROL_NAMES)})")
    sc = load_scenario(scenario) if not isinstance(scenario, Scenario) else scenario
    notes: dict[str, str] = {}
    overrides = []
    for c in CONTROLS:
        v = values.get(c.name)
        if v is None:
            continue
        if not c.low <= float(v) <= c.high:  # the sliders' ranges: the model's plausible ones
            raise ScenarioError(
                f"control '{c.name}' ({c.key}): {float(v):g} is outside {c.low:g}..{c.high:g}"
            )
        reason = not_applicable(c, sc)
        if reason is not None:
            notes[c.name] = reason
            continue
        o = parse_key(c.key)
        if math.isclose(float(v), o.default(sc), rel_tol=1e-12, abs_tol=1e-15):
            continue  # the scenario's own value: the run stays bit for bit the scenario's
        overrides.append((o, float(v)))
    return apply_overrides(sc, overrides), notes, {o.key: v for o, v in overrides}


def parse_seed(seed: int | str) -> int:
    """A seed given as a number or typed into the page: a non-negative integer.

    Raises
    ------
    DashboardError
        Anything else.
    """
    text = str(seed).strip()
    if isinstance(seed, bool) or not text.isdigit():
        raise DashboardError(f"seed must be a non-negative integer (got {str(seed)!r})")
    return int(text)


class DashboardModel(EconomyModel):
    """An :class:`~abm.EconomyModel` built from the dashboard's controls, with an optional
    second run of another scenario with the same seed (``model.twin``).

    ``step()`` is the model's own quarter (``EconomyModel.step``), followed by the twin's own
    ``step()``: there is no second implementation of the schedule. All keywords, as Mesa's
    ``SolaraViz`` passes them on Reset.

    Parameters
    ----------
    scenario : str or Scenario
        The scenario of the main pane.
    seed : int or str
        The member seed (a string typed into the page is parsed).
    compare : str, optional
        The second pane's scenario (same seed and controls), or ``"none"``.
    reallocation, spillover_exponent, talent_mobility, grid_cap : float, optional
        The controls (:data:`CONTROLS`); None keeps the scenario's value.
    procurement_domestic_share : float, optional
        The same.
    scale, quarters : optional
        Persons per talent agent, recorded quarters (default: the scenario's).
    check_accounts : bool
        Run the stock-flow checks after every quarter.
    start_values : mapping, optional
        Control name -> the slider's starting position, which means "the scenario's own
        value": a slider left there does not override a scenario switched to on Reset.
    fallback_seed : int, optional
        The page's setting: bad input is not raised but reported in ``problems`` (a seed that
        is not a number runs this seed; a second-pane scenario that cannot be built or a
        rejected control value runs without it), so a typo never replaces the page with a
        traceback.

    Attributes
    ----------
    notes : dict
        Control name -> why the main scenario does not use it.
    applied : dict
        Parameter key -> value of the overrides the main run runs with.
    twin : EconomyModel or None
        The second pane's run.
    twin_notes : dict
        The same for the twin's scenario.
    problems : list of str
        With ``fallback_seed``: the input that was not used, and why.

    Raises
    ------
    ScenarioError
        An unknown scenario or a value the scenario format rejects (without
        ``fallback_seed``; with it, only an unknown main scenario).
    DashboardError
        A seed that is not a non-negative integer (without ``fallback_seed``).
    """

    def __init__(
        self,
        scenario: str | Scenario = "focused",
        seed: int | str = 1,
        compare: str = NO_COMPARISON,
        reallocation: float | None = None,
        spillover_exponent: float | None = None,
        talent_mobility: float | None = None,
        grid_cap: float | None = None,
        procurement_domestic_share: float | None = None,
        scale: float | None = None,
        quarters: int | None = None,
        check_accounts: bool = True,
        start_values: Mapping[str, float] | None = None,
        fallback_seed: int | None = None,
    ) -> None:
        # Reset builds a new model and drops the old one, a reference cycle that only a full
        # collection frees (builds pause the collector): free it before building another (when
        # no quarter runs with the older objects frozen, abm.garbage)
        collect_garbage()
        given = {
            "reallocation": reallocation,
            "spillover_exponent": spillover_exponent,
            "talent_mobility": talent_mobility,
            "grid_cap": grid_cap,
            "procurement_domestic_share": procurement_domestic_share,
        }
        start = dict(start_values or {})
        self.controls = {
            k: v
            for k, v in given.items()
            if v is not None and not (k in start and math.isclose(float(v), float(start[k])))
        }
        self.problems: list[str] = []
        lenient = fallback_seed is not None
        try:
            number = parse_seed(seed)
        except DashboardError as e:
            if not lenient:
                raise
            number = int(fallback_seed)  # type: ignore[arg-type]
            self.problems.append(f"{e}: ran seed {number}")
        try:
            sc, self.notes, self.applied = dashboard_scenario(scenario, self.controls)
        except ScenarioError as e:
            if not lenient:
                raise
            sc, self.notes, self.applied = dashboard_scenario(scenario, {})
            self.problems.append(f"{e}: ran without the controls")
        twin_sc, self.twin_notes = None, {}
        if compare and compare != NO_COMPARISON:
            try:
                twin_sc, self.twin_notes, _ = dashboard_scenario(compare, self.controls)
            except ScenarioError as e:
                if not lenient:
                    raise
                self.problems.append(f"second pane: {e}: not run")
        self.twin: EconomyModel | None = None  # the burn-in below steps the main run only
        # held by a step and by whatever reads the runs for the page (:meth:`reading`): Mesa's
        # play steps on a thread of its own while the page may render on another
        self._lock = threading.RLock()
        super().__init__(sc, number, scale=scale, quarters=quarters, check_accounts=check_accounts)
        if twin_sc is not None:
            self.twin = EconomyModel(
                twin_sc, number, scale=self.scale, quarters=self.quarters,
                check_accounts=check_accounts,
            )  # fmt: skip

    def step(self) -> None:
        """One recorded quarter of the main run, then of the twin (the model's own steps)."""
        with self._lock:
            recorded = self.quarter >= 0  # burn-in quarters run in __init__, not as Mesa steps
            super().step()
            if recorded and self.twin is not None and self.twin.running:
                self.twin.step()

    def reading(self) -> AbstractContextManager[bool]:
        """The lock to hold while reading the runs (``with model.reading(): ...``).

        Mesa's ▶ steps the model on a worker thread while a browser event can render the page
        on another; a figure built from a model in mid-quarter would mix two quarters (firm
        arrays resized by entry and exit, a record without its collector row). Reading under
        this lock waits for the quarter to finish.
        """
        return self._lock

    def runs(self) -> list[tuple[str, EconomyModel]]:
        """``(label, model)`` of the main run and of the twin, if any."""
        out: list[tuple[str, EconomyModel]] = [(self.scenario.name, self)]
        if self.twin is not None:
            label = self.twin.scenario.name
            out.append((label if label != self.scenario.name else f"{label} (2nd)", self.twin))
        return out


def slider_values(scenario: Scenario) -> dict[str, float]:
    """Each control's starting value for ``scenario`` (rounded to its step)."""
    out = {}
    for c in CONTROLS:
        v = float(np.clip(c.default(scenario), c.low, c.high))
        out[c.name] = v
    return out


__all__ = [
    "CONTROLS",
    "CONTROL_NAMES",
    "NO_COMPARISON",
    "Control",
    "DashboardError",
    "DashboardModel",
    "dashboard_scenario",
    "not_applicable",
    "parse_seed",
    "slider_values",
]
