"""Sensitivity analysis of the difference between two scenarios (issue #5): which assumptions
decide whether ``A`` beats ``B``, and at which value the answer flips.

:func:`sensitivity` samples the uncertain parameters with SALib (Morris trajectories or Saltelli's
extension of the Sobol' sequence), runs scenario ``A`` and scenario ``B`` at every sample point
with the *same* member seed (common random numbers), and analyses the difference ``A - B`` of
each outcome::

    from abm.sensitivity import sensitivity
    res = sensitivity("focused", "diffuse", method="morris", samples=10)
    res.indices          # mu_star, mu_star_conf, sigma (Morris) or S1, ST (Sobol) per outcome
    res.flip             # the value of each influential parameter at which A stops beating B

Parameters (``parameters=``, ``--parameter KEY`` or ``KEY=LOW:HIGH``)
---------------------------------------------------------------------
A key is one of:

``section.name``
    A number in ``abm/calibration/netherlands.toml`` (e.g. ``rd.sigma``), set to the value in
    both scenarios (on top of each scenario's own ``[parameters]``).
``section.name[element]``
    One element of a per-sector or per-skill list (``sectors.world_demand_growth[biotech]``).
``chosen:section.name``
    A *multiplier* applied to the six chosen markets' entries of a per-sector list (the first
    six sectors: semiconductors ... chemistry); 1 is the calibration, the other entries stay.
``programme:INSTRUMENT.FIELD``
    A numeric setting of every programme of that instrument in both scenarios (e.g.
    ``programme:grant.selection_noise``); a scenario without such a programme is unchanged. For
    ``domestic_share`` of a procurement programme with a rising path (``domestic_share_end``),
    the whole path moves: the start becomes the value and the end moves by the same amount
    (clipped to [0, 1]), so the announced rise is kept.

Ranges: the calibration entry's ``range`` where it has one; the documented ranges of
:data:`EXTRA_RANGES` otherwise; or ``KEY=LOW:HIGH``. The default set, :data:`DEFAULT_PARAMETERS`
(DESIGN appendix: sigma, eta and epsilon first):

=====================================  =============  =========================================
key                                    range          what
=====================================  =============  =========================================
``rd.sigma``                           0 - 2          spillover strength (calibration range)
``rd.eta``                             0 - 2          concentration exponent (calibration range)
``rd.elasticity_long``                 0.3 - 1.5      long-run R&D user-cost elasticity
``programme:grant.selection_noise``    0 - 2          noise in grant selection (0 = on merit)
``chosen:niches.niche_share``          0 - 1.5 (x)    niche share of the chosen markets; 0 = they
                                                      grow like the rest (no head start), 1.5
                                                      takes the largest share to 0.6, the top
                                                      of the calibration range
``chosen:niches.niche_growth``         0 - 1.5 (x)    niche growth rates of the chosen markets;
                                                      0 = the niches stagnate ("wrong markets")
``labour.migration_mobility``          1 - 10         talent mobility kappa (calibration range)
``grid.congestion_cap``                0 - 0.05       grid congestion cap (calibration range)
``programme:procurement.domestic_share`` 0.2 - 0.8    domestic share of strategic procurement
``finance.coinvest_crowding_in``       0 - 1          co-investment crowding-in
=====================================  =============  =========================================

Outcomes (``outcomes=``, ``--outcome NAME``)
--------------------------------------------
``MEASURE_YEAR`` (a recorded year) or, for flows, ``MEASURE_total`` (sum over the recorded
quarters). Flows in a year are annual rates (four times the mean quarterly flow, i.e. the sum
over the year's quarters); levels and shares are the mean over the year's quarters. Measures
(:data:`MEASURES`): ``gdp_real`` (EUR/yr, 2025 prices), ``gdp`` (nominal), ``industry_share``,
``rd_intensity``, ``rd_intensity_business``, ``high_skill_talent`` (persons), ``employment``,
``unemployment_rate`` (lower is better), ``exports``, ``business_rd``, ``capital_outflow``
(lower is better), ``high_skill_net_migration`` (persons); ``abm compare``'s names
``talent_high`` and ``net_migration_high`` are accepted for the two talent measures. Default:
``gdp_real_2040`` and ``rd_intensity_2030``.

How the runs are made
---------------------
Every sample point ``p`` becomes two scenarios, ``"<A>@p"`` and ``"<B>@p"`` (the parameter values
applied, validated), and every point runs the member seeds ``0 .. runs-1`` of the root seed, the
same at every point and for both scenarios: ``SeedSequence(root_seed, spawn_key=(k,))``, as in
:mod:`abm.ensemble`. With ``workers=1`` the members run one after another in this process; with
more workers (or a ``scheduler``) all ``2 * points * runs`` members are one
:func:`abm.ensemble.run_ensemble` call (``outdir/ensemble.nc``, with its retries, failure reports
and resume: rerunning an interrupted command with the same options continues it). Both paths give
the same numbers. The difference at a point is the mean over members of the paired differences
``A_k - B_k``; a member that fails leaves its pair out, and a point with no complete pair drops
its whole Morris trajectory or Saltelli block from the analysis (recorded in the provenance).

Analysis
--------
Morris (:func:`SALib.analyze.morris.analyze`, ``num_levels`` 4): ``mu_star`` (mean absolute
elementary effect, in outcome units per full range of the parameter), ``mu_star_conf`` (95%
bootstrap half-width), ``sigma`` (spread of the effects: interactions or non-linearity) and
``mu`` (signed mean: the direction). ``samples`` trajectories, ``samples * (D + 1)`` points.
Sobol (:func:`SALib.analyze.sobol.analyze`, first and total order): ``S1``, ``S1_conf``, ``ST``,
``ST_conf`` (95% half-widths); ``samples`` a power of 2, ``samples * (D + 2)`` points. The
sampling seed is ``root_seed % 2**32``. The same functions (:func:`sample_design`,
:func:`analyze_design`) serve any function of the parameters: :func:`analyze_function`.

When does the answer flip
-------------------------
For the ``top`` most influential parameters of each outcome (by ``mu_star`` or ``ST``), the
difference over the whole sample is regressed on the parameter (ordinary least squares, a
straight line): the fitted line is the main effect of the parameter, averaged over the ranges of
the others. ``flip_value`` is where it crosses zero inside the range, i.e. where ``A`` stops
beating ``B`` ("beating" is a positive difference, or a negative one for outcomes where lower is
better); ``flip_low``/``flip_high`` are the 5% and 95% points of the crossing over 1000
bootstrap resamples of the points (a resample whose line crosses outside the range counts at
that edge). No crossing inside the range gives NaN and a note saying who wins throughout.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from abm.results import SensitivityResult
from abm.scenario import Scenario, ScenarioError, instrument_fields, load_scenario
from abm.sectors import CHOSEN_MARKETS, INSTRUMENTS, SECTORS

if TYPE_CHECKING:
    import xarray as xr

logger = logging.getLogger("abm.sensitivity")

#: The parameters varied by default (issue #5).
DEFAULT_PARAMETERS: tuple[str, ...] = (
    "rd.sigma",
    "rd.eta",
    "rd.elasticity_long",
    "programme:grant.selection_noise",
    "chosen:niches.niche_share",
    "chosen:niches.niche_growth",
    "labour.migration_mobility",
    "grid.congestion_cap",
    "programme:procurement.domestic_share",
    "finance.coinvest_crowding_in",
)
#: Ranges of keys that have no ``range`` in the calibration file (documented in the docstring).
EXTRA_RANGES: dict[str, tuple[float, float]] = {
    "programme:grant.selection_noise": (0.0, 2.0),
    "programme:procurement.domestic_share": (0.2, 0.8),
    "chosen:niches.niche_share": (0.0, 1.5),
    "chosen:niches.niche_growth": (0.0, 1.5),
}
#: The outcomes analysed by default.
DEFAULT_OUTCOMES: tuple[str, ...] = ("gdp_real_2040", "rd_intensity_2030")
#: Levels of the Morris grid.
MORRIS_LEVELS = 4
#: Bootstrap resamples for the flip interval and the index confidence intervals.
BOOTSTRAP = 1000
#: Confidence of the flip interval (5% - 95%).
FLIP_LEVEL = 0.90

_CHOSEN_IDX = np.array([SECTORS.index(s) for s in CHOSEN_MARKETS])


class SensitivityInputError(ValueError):
    """Bad input (scenario, parameter, outcome, option); raised before any member runs."""


# ----------------------------------------------------------------------------- outcomes
@dataclass(frozen=True)
class Measure:
    """A quantity of a run that outcomes are made of.

    Attributes
    ----------
    name : str
        Outcome prefix (``gdp_real`` gives ``gdp_real_2040``).
    series : callable
        Dataset -> quarterly DataArray (dimension ``time`` plus any ensemble dimensions).
    flow : bool
        A flow per quarter (annual rate in a year, sum for ``_total``) or a level/share
        (mean over the year's quarters; no ``_total``).
    units : str
        Units of the yearly value (``_total`` of a flow drops "per year").
    higher_is_better : bool
        Whether a larger value is the better outcome (decides who "beats" whom).
    description : str
        One line for tables and help.
    """

    name: str
    series: Callable[[Any], Any]
    flow: bool
    units: str
    higher_is_better: bool
    description: str


def _var(name: str) -> Callable[[Any], Any]:
    return lambda ds: ds[name]


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("gdp_real", _var("gdp_real"), True, "EUR per year", True, "real GDP (2025 prices)"),
        Measure("gdp", _var("gdp"), True, "EUR per year", True, "nominal GDP"),
        Measure(
            "industry_share", _var("industry_share"), False, "1", True, "industry share of GDP"
        ),
        Measure("rd_intensity", _var("rd_intensity"), False, "1", True, "R&D intensity (GERD/GDP)"),
        Measure(
            "rd_intensity_business",
            _var("rd_intensity_business"),
            False,
            "1",
            True,
            "business R&D intensity (BERD/GDP)",
        ),
        Measure(
            "high_skill_talent",
            lambda ds: ds["talent_stock"].sel(skill="high", drop=True),
            False,
            "persons",
            True,
            "resident high-skill labour force",
        ),
        Measure("employment", _var("employment"), False, "persons", True, "persons employed"),
        Measure(
            "unemployment_rate", _var("unemployment_rate"), False, "1", False, "unemployment rate"
        ),
        Measure(
            "exports",
            lambda ds: ds["exports"].sum("sector", skipna=False),
            True,
            "EUR per year",
            True,
            "exports of domestic output",
        ),
        Measure("business_rd", _var("business_rd"), True, "EUR per year", True, "business R&D"),
        Measure(
            "capital_outflow",
            _var("capital_outflow"),
            True,
            "EUR per year",
            False,
            "new money domestic investors place abroad",
        ),
        Measure(
            "high_skill_net_migration",
            lambda ds: ds["high_skill_immigration"] - ds["high_skill_emigration"],
            True,
            "persons per year",
            True,
            "high-skill immigrants less emigrants",
        ),
    )
}

#: Names ``abm compare`` uses for the same measures (accepted here too).
ALIASES: dict[str, str] = {
    "talent_high": "high_skill_talent",
    "net_migration_high": "high_skill_net_migration",
}

_OUTCOME_RE = re.compile(r"^([a-z_]+?)_(\d{4}|total)$")


@dataclass(frozen=True)
class Outcome:
    """A parsed outcome name: a measure in one year, or a flow's total over the run."""

    name: str
    measure: Measure
    year: int | None

    @property
    def units(self) -> str:
        """Units of the outcome's values (and of its differences)."""
        if self.year is None:
            return self.measure.units.replace(" per year", "")
        return self.measure.units

    @property
    def higher_is_better(self) -> bool:
        """Whether ``A`` beats ``B`` when the difference ``A - B`` is positive."""
        return self.measure.higher_is_better

    @property
    def description(self) -> str:
        """One line: what and when."""
        when = "total over the recorded quarters" if self.year is None else f"in {self.year}"
        return f"{self.measure.description}, {when}"

    def value(self, ds: xr.Dataset) -> xr.DataArray:
        """The outcome of a run (or of every member of an ensemble: other dimensions stay).

        Raises
        ------
        ValueError
            The year is not recorded in ``ds``.
        """
        s = self.measure.series(ds)
        if self.year is None:
            return s.sum("time", skipna=False)
        m = ds["time"].dt.year == self.year
        if not bool(m.any()):
            raise ValueError(f"outcome '{self.name}': no quarter of {self.year} in the data")
        v = s.where(m, drop=True).mean("time", skipna=False)
        return v * 4 if self.measure.flow else v


def parse_outcome(name: str, years: Sequence[int] | None = None) -> Outcome:
    """Check and parse an outcome name (``gdp_real_2040``, ``capital_outflow_total``).

    Parameters
    ----------
    name : str
        ``MEASURE_YEAR`` or ``MEASURE_total`` (flows only); see :data:`MEASURES`.
    years : sequence of int, optional
        The recorded years; a year outside them is an error.

    Raises
    ------
    SensitivityInputError
        Unknown measure, malformed name, a total of a level, or a year not recorded.
    """
    allowed = ", ".join(MEASURES)
    m = _OUTCOME_RE.match(name.strip())
    if not m or ALIASES.get(m.group(1), m.group(1)) not in MEASURES:
        raise SensitivityInputError(
            f"unknown outcome '{name}'; expected MEASURE_YEAR (e.g. gdp_real_2040) or "
            f"MEASURE_total with MEASURE one of: {allowed}"
        )
    measure = MEASURES[ALIASES.get(m.group(1), m.group(1))]
    if m.group(2) == "total":
        if not measure.flow:
            raise SensitivityInputError(
                f"outcome '{name}': '{measure.name}' is a level or share, it has no total; "
                f"use {measure.name}_YEAR"
            )
        return Outcome(name.strip(), measure, None)
    year = int(m.group(2))
    if years is not None and year not in years:
        span = f"{min(years)}-{max(years)}" if years else "none"
        raise SensitivityInputError(
            f"outcome '{name}': year {year} is not recorded (the runs record {span}); "
            "choose a recorded year or record more quarters (--quarters)"
        )
    return Outcome(name.strip(), measure, year)


def recorded_years(start_year: int, quarters: int) -> list[int]:
    """Years with at least one recorded quarter."""
    return sorted({start_year + q // 4 for q in range(quarters)})


# ----------------------------------------------------------------------------- parameters
@dataclass(frozen=True)
class Parameter:
    """An uncertain parameter: how its value is applied to a scenario, and its range.

    Attributes
    ----------
    key : str
        Canonical key (see the module docstring for the four kinds).
    kind : {"calibration", "element", "chosen", "programme"}
        How the value is applied.
    target : str
        The calibration key, or the programme field.
    index : int or None
        Element index (``kind == "element"``).
    instrument : str or None
        Programme instrument (``kind == "programme"``).
    low, high : float
        The range sampled.
    range_source : str
        ``"calibration"``, ``"documented"`` (:data:`EXTRA_RANGES`) or ``"given"``.
    """

    key: str
    kind: Literal["calibration", "element", "chosen", "programme"]
    target: str
    index: int | None
    instrument: str | None
    low: float
    high: float
    range_source: str

    def default(self, scenario: Scenario) -> float:
        """The value ``scenario`` runs with when the parameter is not varied (NaN if the
        scenario has no programme of the instrument)."""
        if self.kind == "chosen":
            return 1.0
        if self.kind == "programme":
            for spec in scenario.programmes.values():
                if spec.instrument == self.instrument:
                    v = getattr(spec, self.target)
                    return float("nan") if v is None else float(v)
            return float("nan")
        v = scenario.calibration()[self.target]
        return float(v if self.index is None else np.asarray(v)[self.index])


def _numeric_fields(instrument: str) -> tuple[str, ...]:
    return tuple(
        name
        for name, f in instrument_fields(instrument).items()
        if f.annotation in (float, float | None, int) and name not in ("start", "end")
    )


def parse_parameter(spec: str) -> Parameter:
    """Parse ``KEY`` or ``KEY=LOW:HIGH`` into a :class:`Parameter`.

    Raises
    ------
    SensitivityInputError
        Unknown key, no range known for it, or a malformed/empty range.
    """
    from abm.calibration import calibration_ranges, load_calibration
    from abm.ensemble import EnsembleInputError, parameter_key

    key, sep, rng = spec.strip().partition("=")
    key = key.strip()
    given: tuple[float, float] | None = None
    if sep:
        try:
            lo_s, hi_s = rng.split(":")
            given = (float(lo_s), float(hi_s))
        except ValueError:
            raise SensitivityInputError(
                f"parameter '{spec}': expected KEY or KEY=LOW:HIGH (e.g. rd.sigma=0:2)"
            ) from None
        if not all(math.isfinite(v) for v in given) or not given[1] > given[0]:
            raise SensitivityInputError(
                f"parameter '{spec}': the range must be finite with LOW < HIGH"
            )
    cal = load_calibration()
    cal_ranges = calibration_ranges()
    kind: str
    index: int | None = None
    instrument: str | None = None
    if key.startswith("programme:"):
        m = re.fullmatch(r"programme:([a-z_]+)\.([a-z_]+)", key)
        if not m or m.group(1) not in INSTRUMENTS:
            raise SensitivityInputError(
                f"parameter '{key}': expected programme:INSTRUMENT.FIELD with INSTRUMENT one of: "
                f"{', '.join(INSTRUMENTS)}"
            )
        if m.group(2) not in _numeric_fields(m.group(1)):
            raise SensitivityInputError(
                f"parameter '{key}': '{m.group(2)}' is not a numeric programme setting of "
                f"{m.group(1)}; allowed: {', '.join(_numeric_fields(m.group(1)))}"
            )
        kind, target, instrument = "programme", m.group(2), m.group(1)
        default_range = EXTRA_RANGES.get(key)
    elif key.startswith("chosen:"):
        target = key.removeprefix("chosen:")
        if target not in cal:
            raise SensitivityInputError(
                f"parameter '{key}': '{target}' is not a calibration parameter (see "
                "abm/calibration/netherlands.toml)"
            )
        if np.shape(cal[target]) != (len(SECTORS),):
            raise SensitivityInputError(
                f"parameter '{key}': 'chosen:' multiplies the chosen markets' entries of a "
                f"per-sector list; '{target}' is not one"
            )
        kind = "chosen"
        default_range = EXTRA_RANGES.get(key)
    else:
        try:
            target, index, label = parameter_key(key)
        except EnsembleInputError as e:
            raise SensitivityInputError(str(e)) from None
        if index is None and np.ndim(cal[target]) > 0:
            raise SensitivityInputError(
                f"parameter '{key}': a per-sector (or per-skill) list; vary one element "
                f"('{target}[ELEMENT]') or the six chosen markets with a multiplier "
                f"('chosen:{target}')"
            )
        key = label
        kind = "calibration" if index is None else "element"
        default_range = cal_ranges.get(target)
    if given is not None:
        low, high, source = given[0], given[1], "given"
    elif default_range is not None:
        low, high = float(default_range[0]), float(default_range[1])
        source = "calibration" if kind in ("calibration", "element") else "documented"
    else:
        raise SensitivityInputError(
            f"parameter '{key}': no range known for it; give one as {key}=LOW:HIGH"
        )
    if not high > low:
        raise SensitivityInputError(f"parameter '{key}': the range [{low}, {high}] is empty")
    return Parameter(key, kind, target, index, instrument, low, high, source)  # type: ignore[arg-type]


def resolve_parameters(specs: Sequence[str] | None) -> list[Parameter]:
    """Parse the parameter specs (default :data:`DEFAULT_PARAMETERS`); duplicates are errors."""
    params = [parse_parameter(s) for s in (specs if specs else DEFAULT_PARAMETERS)]
    keys = [p.key for p in params]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise SensitivityInputError(f"parameter '{dup[0]}' given twice")
    for p in params:
        if p.kind == "element" and any(q.kind == "chosen" and q.target == p.target for q in params):
            raise SensitivityInputError(
                f"parameter '{p.key}' and 'chosen:{p.target}' both set '{p.target}'; vary one"
            )
    return params


def apply_parameters(scenario: Scenario, values: Mapping[Parameter, float]) -> Scenario:
    """A validated copy of ``scenario`` with the parameter values applied.

    Raises
    ------
    SensitivityInputError
        A value the scenario format rejects (e.g. a programme setting out of its bounds).
    """
    cal = scenario.calibration()
    over: dict[str, float | list[float]] = {}
    prog_updates: list[tuple[Parameter, float]] = []
    for p, v in values.items():
        v = float(v)
        if p.kind == "calibration":
            over[p.target] = v
        elif p.kind == "element":
            arr = np.array(over.get(p.target, cal[p.target]), dtype=float)
            arr[p.index] = v
            over[p.target] = [float(x) for x in arr]
        elif p.kind == "chosen":
            arr = np.array(over.get(p.target, cal[p.target]), dtype=float)
            arr[_CHOSEN_IDX] = arr[_CHOSEN_IDX] * v
            over[p.target] = [float(x) for x in arr]
        else:
            prog_updates.append((p, v))
    try:
        out = scenario.with_parameters(**over) if over else scenario
    except ScenarioError as e:
        raise SensitivityInputError(str(e)) from None
    if prog_updates:
        progs = dict(out.programmes)
        for p, v in prog_updates:
            for name, spec in progs.items():
                if spec.instrument != p.instrument:
                    continue
                new = spec.model_copy()
                if instrument_fields(p.instrument)[p.target].annotation is int:
                    v = float(round(v))
                try:
                    end_field = f"{p.target}_end"
                    old = getattr(new, p.target)
                    if (
                        end_field in instrument_fields(p.instrument)
                        and getattr(new, end_field) is not None
                    ):
                        shifted = getattr(new, end_field) + (v - (old or 0.0))
                        setattr(new, end_field, min(max(shifted, 0.0), 1.0))
                    setattr(new, p.target, v)
                except ValueError as e:  # pydantic.ValidationError
                    errs = e.errors() if hasattr(e, "errors") else []
                    msg = errs[0]["msg"] if errs else " ".join(str(e).split())
                    raise SensitivityInputError(
                        f"parameter '{p.key}': value {v:g} not allowed for programme '{name}' of "
                        f"scenario '{scenario.name}' ({msg})"
                    ) from None
                progs[name] = new
        out = out.model_copy(update={"programmes": progs})
    return out


# ----------------------------------------------------------------------------- design, analysis
def make_problem(names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """The SALib problem dictionary."""
    return {
        "num_vars": len(names),
        "names": list(names),
        "bounds": [[float(lo), float(hi)] for lo, hi in bounds],
    }


def _check_samples(method: str, samples: int) -> None:
    if method not in ("morris", "sobol"):
        raise SensitivityInputError(
            f"option '--method': unknown '{method}'; allowed: morris, sobol"
        )
    if isinstance(samples, bool) or int(samples) != samples or samples < 1:
        raise SensitivityInputError(f"option '--samples': must be at least 1 (got {samples})")
    if method == "sobol" and samples & (samples - 1):
        lo2 = 1 << max(int(samples).bit_length() - 1, 0)
        raise SensitivityInputError(
            f"option '--samples': Sobol (Saltelli) sampling needs a power of 2 (got {samples}; "
            f"try {lo2} or {lo2 * 2})"
        )


def group_size(method: str, num_vars: int) -> int:
    """Rows per Morris trajectory (``D + 1``) or per Saltelli block (``D + 2``)."""
    return num_vars + 1 if method == "morris" else num_vars + 2


def sample_design(
    problem: Mapping[str, Any],
    method: Literal["morris", "sobol"],
    samples: int,
    seed: int,
    num_levels: int = MORRIS_LEVELS,
) -> np.ndarray:
    """Sample points for :func:`analyze_design`.

    Morris: ``samples`` trajectories of ``D + 1`` points (:func:`SALib.sample.morris.sample`,
    ``num_levels`` grid levels). Sobol: Saltelli's scheme on a scrambled Sobol' sequence without
    second-order terms (:func:`SALib.sample.sobol.sample`), ``samples`` (a power of 2) blocks
    of ``D + 2`` points. Rows are in SALib's order (trajectory by trajectory, block by block).
    """
    _check_samples(method, samples)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(dict(problem), int(samples), num_levels=num_levels, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(dict(problem), int(samples), calc_second_order=False, seed=seed)


def analyze_design(
    problem: Mapping[str, Any],
    method: Literal["morris", "sobol"],
    X: np.ndarray,
    Y: Mapping[str, np.ndarray],
    seed: int,
    num_levels: int = MORRIS_LEVELS,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Sensitivity indices of each outcome from a design made by :func:`sample_design`.

    Trajectories (Morris) or blocks (Sobol) with a non-finite outcome are left out for that
    outcome. Returns the index table (one row per outcome and parameter, in problem order;
    Morris: ``mu_star``, ``mu_star_conf``, ``sigma``, ``mu``; Sobol: ``S1``, ``S1_conf``,
    ``ST``, ``ST_conf``; plus ``rank``, 1 = most influential by ``mu_star`` or ``ST``) and the
    number of trajectories/blocks used per outcome.
    """
    names = list(problem["names"])
    g = group_size(method, len(names))
    X = np.asarray(X, dtype=float)
    if X.shape[0] % g:
        raise ValueError(f"{X.shape[0]} rows are not whole groups of {g} ({method})")
    rows: list[dict[str, Any]] = []
    used: dict[str, int] = {}
    for outcome, y in Y.items():
        y = np.asarray(y, dtype=float).reshape(-1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"outcome '{outcome}': {y.shape[0]} values for {X.shape[0]} points")
        ok = np.isfinite(y).reshape(-1, g).all(axis=1)
        used[outcome] = int(ok.sum())
        keep = np.repeat(ok, g)
        res: dict[str, Any]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if not ok.any():
                res = {}
            elif method == "morris":
                from SALib.analyze import morris

                res = morris.analyze(
                    dict(problem),
                    X[keep],
                    y[keep],
                    num_resamples=BOOTSTRAP,
                    conf_level=0.95,
                    num_levels=num_levels,
                    seed=seed,
                )
            elif np.nanstd(y[keep]) == 0:
                res = {}  # no variance to decompose
            else:
                from SALib.analyze import sobol

                res = sobol.analyze(
                    dict(problem),
                    y[keep],
                    calc_second_order=False,
                    num_resamples=BOOTSTRAP,
                    conf_level=0.95,
                    seed=seed,
                )
        cols = (
            ("mu_star", "mu_star_conf", "sigma", "mu")
            if method == "morris"
            else ("S1", "S1_conf", "ST", "ST_conf")
        )
        for j, name in enumerate(names):
            row: dict[str, Any] = {"outcome": outcome, "parameter": name}
            for c in cols:
                row[c] = float(np.asarray(res[c])[j]) if c in res else float("nan")
            rows.append(row)
    out = pd.DataFrame(rows)
    key = "mu_star" if method == "morris" else "ST"
    out["rank"] = (
        out.groupby("outcome", sort=False)[key]
        .rank(ascending=False, method="first", na_option="bottom")
        .astype(int)
    )
    return out, used


def analyze_function(
    func: Callable[[np.ndarray], np.ndarray],
    bounds: Mapping[str, tuple[float, float]],
    method: Literal["morris", "sobol"] = "sobol",
    samples: int = 1024,
    seed: int = 1,
    outcomes: Sequence[str] | None = None,
    num_levels: int = MORRIS_LEVELS,
) -> pd.DataFrame:
    """Sensitivity indices of a plain function, through the same design and analysis code as
    :func:`sensitivity`.

    Parameters
    ----------
    func : callable
        ``func(X)`` with ``X`` of shape ``(points, D)`` (columns in the order of ``bounds``)
        returns ``(points,)`` or ``(points, K)`` values.
    bounds : mapping of str to (low, high)
        Parameter names and ranges.
    method, samples, seed, num_levels
        As in :func:`sample_design`.
    outcomes : sequence of str, optional
        Names of the K outputs (default ``y`` or ``y0 .. y{K-1}``).

    Returns
    -------
    pandas.DataFrame
        As :func:`analyze_design`.

    Examples
    --------
    >>> from SALib.test_functions import Ishigami
    >>> b = {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)}
    >>> t = analyze_function(Ishigami.evaluate, b, "sobol", 1024)  # S1 ~ 0.31, 0.44, 0.0
    """
    problem = make_problem(list(bounds), list(bounds.values()))
    X = sample_design(problem, method, samples, seed, num_levels)
    Y = np.asarray(func(X), dtype=float)
    Y = Y.reshape(len(X), -1)
    names = (
        list(outcomes)
        if outcomes
        else (["y"] if Y.shape[1] == 1 else [f"y{k}" for k in range(Y.shape[1])])
    )
    if len(names) != Y.shape[1]:
        raise ValueError(f"{len(names)} outcome names for {Y.shape[1]} outputs")
    table, _ = analyze_design(
        problem, method, X, {n: Y[:, k] for k, n in enumerate(names)}, seed, num_levels
    )
    return table


# ----------------------------------------------------------------------------- flip points
def flip_point(
    x: np.ndarray,
    diff: np.ndarray,
    low: float,
    high: float,
    *,
    higher_is_better: bool = True,
    names: tuple[str, str] = ("A", "B"),
    n_boot: int = BOOTSTRAP,
    level: float = FLIP_LEVEL,
    seed: int = 0,
) -> dict[str, Any]:
    """Where the difference ``A - B`` crosses zero along one parameter.

    Fits ``diff = c0 + c1 x`` by least squares over the points and returns the crossing
    ``-c0 / c1`` when it lies in ``[low, high]``, with a bootstrap interval over resampled
    points (``level`` two-sided; a resample crossing outside the range counts at that edge).

    Returns
    -------
    dict
        ``flip_value``, ``flip_low``, ``flip_high`` (NaN without a crossing in the range),
        ``a_wins`` (``"below"``, ``"above"``, ``"everywhere"``, ``"nowhere"`` or ``""``),
        ``diff_at_low``, ``diff_at_high`` (the fitted difference at the ends), ``note``.
    """
    a, b = names
    x = np.asarray(x, dtype=float)
    d = np.asarray(diff, dtype=float)
    ok = np.isfinite(x) & np.isfinite(d)
    x, d = x[ok], d[ok]
    nan = float("nan")
    out: dict[str, Any] = {
        "flip_value": nan,
        "flip_low": nan,
        "flip_high": nan,
        "a_wins": "",
        "diff_at_low": nan,
        "diff_at_high": nan,
        "note": "",
    }
    if len(x) < 3 or np.unique(x).size < 2:
        out["note"] = f"too few points to fit ({len(x)} with {np.unique(x).size} distinct values)"
        return out
    sign = 1.0 if higher_is_better else -1.0

    def fit(xs: np.ndarray, ds: np.ndarray) -> tuple[float, float]:
        xm = xs.mean()
        sxx = float(((xs - xm) ** 2).sum())
        if sxx == 0.0:
            return nan, nan
        c1 = float(((xs - xm) * (ds - ds.mean())).sum() / sxx)
        return float(ds.mean() - c1 * xm), c1

    c0, c1 = fit(x, d)
    d_lo, d_hi = c0 + c1 * low, c0 + c1 * high
    out["diff_at_low"], out["diff_at_high"] = d_lo, d_hi
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    crossings = np.full(n_boot, nan)
    same_slope = 0
    for i in range(n_boot):
        b0, b1 = fit(x[idx[i]], d[idx[i]])
        if not np.isfinite(b1) or b1 == 0.0:
            continue
        same_slope += int(np.sign(b1) == np.sign(c1))
        crossings[i] = min(max(-b0 / b1, low), high)
    crossings = crossings[np.isfinite(crossings)]
    fits = f"straight-line fit over {len(x)} points"
    wins_lo, wins_hi = sign * d_lo > 0, sign * d_hi > 0
    if c1 == 0.0 or wins_lo == wins_hi:
        inside = float(np.mean((crossings > low) & (crossings < high))) if crossings.size else 0.0
        who = f"{a} beats {b}" if wins_lo else f"{b} beats {a}"
        out["a_wins"] = "everywhere" if wins_lo else "nowhere"
        out["note"] = (
            f"no crossing in [{low:g}, {high:g}]: {who} throughout (fitted difference "
            f"{d_lo:.3g} to {d_hi:.3g}; {fits}; {inside:.0%} of resamples cross inside)"
        )
        return out
    x0 = -c0 / c1
    out["flip_value"] = float(x0)
    q = (1 - level) / 2
    if crossings.size:
        out["flip_low"] = float(np.quantile(crossings, q))
        out["flip_high"] = float(np.quantile(crossings, 1 - q))
    out["a_wins"] = "below" if wins_lo else "above"
    edge = ""
    if crossings.size and (out["flip_low"] <= low or out["flip_high"] >= high):
        edge = "; the interval reaches the edge of the range"
    stable = same_slope / n_boot
    out["note"] = (
        f"{a} beats {b} {out['a_wins']} {x0:.3g} ({fits}; slope sign kept in {stable:.0%} of "
        f"{n_boot} resamples{edge})"
    )
    return out


def flip_table(
    samples: pd.DataFrame,
    indices: pd.DataFrame,
    parameters: Sequence[Parameter],
    outcomes: Sequence[Outcome],
    *,
    top: int = 3,
    names: tuple[str, str] = ("A", "B"),
    defaults: Mapping[str, float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The "when does the answer flip" table: :func:`flip_point` for the ``top`` parameters
    of each outcome (by ``rank`` in ``indices``).

    Columns: ``outcome``, ``parameter``, ``rank``, ``default`` (the value the scenarios run with
    unless varied), ``flip_value``, ``flip_low``, ``flip_high``, ``a_wins``, ``diff_at_low``,
    ``diff_at_high``, ``note``.
    """
    by_key = {p.key: p for p in parameters}
    rows = []
    for oc in outcomes:
        sub = indices[indices["outcome"] == oc.name].sort_values("rank").head(top)
        for _, r in sub.iterrows():
            p = by_key[r["parameter"]]
            res = flip_point(
                samples[p.key].to_numpy(),
                samples[oc.name].to_numpy(),
                p.low,
                p.high,
                higher_is_better=oc.higher_is_better,
                names=names,
                seed=seed,
            )
            rows.append(
                {
                    "outcome": oc.name,
                    "parameter": p.key,
                    "rank": int(r["rank"]),
                    "default": (defaults or {}).get(p.key, float("nan")),
                    **res,
                }
            )
    cols = [
        "outcome",
        "parameter",
        "rank",
        "default",
        "flip_value",
        "flip_low",
        "flip_high",
        "a_wins",
        "diff_at_low",
        "diff_at_high",
        "note",
    ]
    return pd.DataFrame(rows, columns=cols)


# ----------------------------------------------------------------------------- running
def run_outcomes(
    scenario: Scenario | str,
    seed: int | np.random.SeedSequence,
    outcomes: Sequence[Outcome],
    *,
    quarters: int | None = None,
    scale: float | None = None,
    check_accounts: bool = True,
) -> dict[str, float]:
    """Run one member in this process and return its outcomes (NaN for a year not recorded)."""
    from abm.model import EconomyModel

    ds = (
        EconomyModel(scenario, seed, quarters=quarters, scale=scale, check_accounts=check_accounts)
        .run()
        .to_dataset()
    )
    years = set(ds["time"].dt.year.values.tolist())
    return {
        oc.name: float(oc.value(ds)) if oc.year is None or oc.year in years else float("nan")
        for oc in outcomes
    }


def _point_scenarios(
    a: Scenario, b: Scenario, params: Sequence[Parameter], X: np.ndarray
) -> list[tuple[Scenario, Scenario]]:
    out = []
    for p, row in enumerate(X):
        vals = dict(zip(params, row, strict=True))
        sa = apply_parameters(a, vals).model_copy(update={"name": f"{a.name}@{p}"})
        sb = apply_parameters(b, vals).model_copy(update={"name": f"{b.name}@{p}"})
        out.append((sa, sb))
    return out


def _run_in_process(
    pairs: list[tuple[Scenario, Scenario]],
    outcomes: Sequence[Outcome],
    runs: int,
    root_seed: int,
    quarters: int,
    scale: float | None,
    check_accounts: bool,
    progress: bool,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    from tqdm import tqdm

    from abm.ensemble import member_seed

    rows, failures = [], []
    with tqdm(
        total=2 * len(pairs) * runs,
        unit="member",
        desc="sensitivity",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    ) as bar:
        for p, pair in enumerate(pairs):
            for k in range(runs):
                for role, sc in zip(("a", "b"), pair, strict=True):
                    try:
                        vals = run_outcomes(
                            sc,
                            member_seed(root_seed, k),
                            outcomes,
                            quarters=quarters,
                            scale=scale,
                            check_accounts=check_accounts,
                        )
                    except Exception as e:  # noqa: BLE001 - reported, the others go on
                        vals = {oc.name: float("nan") for oc in outcomes}
                        failures.append(
                            {
                                "scenario": sc.name,
                                "point": p,
                                "member": k,
                                "error": f"{type(e).__name__}: {' '.join(str(e).split())}"[:500],
                            }
                        )
                    rows.append(
                        {"point": p, "member": k, "role": role, "scenario": sc.name, **vals}
                    )
                    bar.update(1)
    return pd.DataFrame(rows), failures


def _run_dask(
    pairs: list[tuple[Scenario, Scenario]],
    outcomes: Sequence[Outcome],
    runs: int,
    root_seed: int,
    quarters: int,
    scale: float | None,
    check_accounts: bool,
    progress: bool,
    workers: int | None,
    scheduler: str | None,
    output: Path,
    log: Callable[[str], None],
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    import xarray as xr

    from abm.ensemble import EnsembleInputError, run_ensemble

    scenarios = [sc for pair in pairs for sc in pair]
    try:
        res = run_ensemble(
            scenarios,
            runs=runs,
            root_seed=root_seed,
            output=output,
            quarters=quarters,
            scale=scale,
            check_accounts=check_accounts,
            workers=workers,
            scheduler=scheduler,
            resume=True,
            progress=progress,
            log=log,
        )
    except EnsembleInputError as e:
        raise SensitivityInputError(str(e)) from None
    failures = [
        {
            "scenario": f.scenario,
            "point": int(f.scenario.rsplit("@", 1)[1]),
            "member": f.member,
            "error": f.error,
        }
        for f in res.failures
    ]
    role_of = {}
    for p, (sa, sb) in enumerate(pairs):
        role_of[sa.name] = (p, "a")
        role_of[sb.name] = (p, "b")
    with xr.open_dataset(res.path) as ds:
        member = ds["member"].values
        values = {
            oc.name: oc.value(ds).transpose("scenario", "realization").values for oc in outcomes
        }
        names = [str(s) for s in ds["scenario"].values]
    rows = []
    for i, name in enumerate(names):
        p, role = role_of[name]
        for r in range(len(member)):
            rows.append(
                {
                    "point": p,
                    "member": int(member[r]),
                    "role": role,
                    "scenario": name,
                    **{oc.name: float(values[oc.name][i, r]) for oc in outcomes},
                }
            )
    members = pd.DataFrame(rows).sort_values(["point", "member", "role"], ignore_index=True)
    return members, failures


def _paired_differences(
    members: pd.DataFrame, outcomes: Sequence[Outcome], points: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Mean over members of the paired differences ``A_k - B_k`` per point; pairs counted."""
    a = members[members["role"] == "a"].set_index(["point", "member"])
    b = members[members["role"] == "b"].set_index(["point", "member"])
    diff = a[[oc.name for oc in outcomes]] - b[[oc.name for oc in outcomes]]
    mean = diff.groupby(level="point").mean().reindex(range(points))
    pairs = diff.notna().all(axis=1).groupby(level="point").sum().reindex(range(points))
    return mean, pairs.fillna(0).astype(int).to_numpy()


def _figures(
    indices: pd.DataFrame,
    flip: pd.DataFrame,
    samples: pd.DataFrame,
    outcomes: Sequence[Outcome],
    params: Sequence[Parameter],
    method: str,
    names: tuple[str, str],
    outdir: Path,
) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    figs: dict[str, Path] = {}
    n = len(outcomes)
    fig, axes = plt.subplots(1, n, figsize=(5.2 * n, 0.45 * len(params) + 1.8), squeeze=False)
    for ax, oc in zip(axes[0], outcomes, strict=True):
        sub = indices[indices["outcome"] == oc.name].sort_values("rank", ascending=False)
        y = np.arange(len(sub))
        if method == "morris":
            top_value = float(np.nanmax(np.abs(sub["mu_star"]))) if len(sub) else 0.0
            e = int(np.floor(np.log10(top_value))) if top_value > 0 else 0
            f = 10.0**-e
            ax.barh(y, sub["mu_star"] * f, xerr=sub["mu_star_conf"] * f, capsize=2)
            unit = " ".join(x for x in (f"x 1e{e}" if e else "", oc.units) if x and x != "1")
            label = f"mu* of {names[0]} - {names[1]}" + (f" ({unit})" if unit else "")
            ax.set_xlabel(label, fontsize=9)
        else:
            h = 0.38
            ax.barh(y + h / 2, sub["ST"], h, xerr=sub["ST_conf"], label="ST", color="tab:orange")
            ax.barh(y - h / 2, sub["S1"], h, xerr=sub["S1_conf"], label="S1", color="tab:blue")
            ax.set_xlabel("Sobol index of the difference")
            ax.legend(loc="lower right", fontsize=8)
        ax.set_yticks(y, sub["parameter"], fontsize=8)
        ax.set_title(oc.name, fontsize=10)
    fig.suptitle(f"{'Morris' if method == 'morris' else 'Sobol'}: {names[0]} - {names[1]}")
    fig.tight_layout()
    figs["indices"] = outdir / "indices.png"
    fig.savefig(figs["indices"], dpi=110)
    plt.close(fig)

    if len(flip):
        by_key = {p.key: p for p in params}
        cols = int(flip.groupby("outcome").size().max())
        fig, axes = plt.subplots(n, cols, figsize=(4.2 * cols, 3.3 * n), squeeze=False)
        for i, oc in enumerate(outcomes):
            sub = flip[flip["outcome"] == oc.name].reset_index(drop=True)
            for j in range(cols):
                ax = axes[i][j]
                if j >= len(sub):
                    ax.axis("off")
                    continue
                r = sub.iloc[j]
                p = by_key[r["parameter"]]
                ax.scatter(samples[p.key], samples[oc.name], s=10, alpha=0.6)
                ax.plot([p.low, p.high], [r["diff_at_low"], r["diff_at_high"]], color="k", lw=1)
                ax.axhline(0.0, color="grey", lw=0.8, ls="--")
                if np.isfinite(r["flip_value"]):
                    ax.axvline(r["flip_value"], color="tab:red", lw=1)
                    if np.isfinite(r["flip_low"]):
                        ax.axvspan(r["flip_low"], r["flip_high"], color="tab:red", alpha=0.15)
                ax.set_xlabel(p.key, fontsize=8)
                ax.set_ylabel(f"{oc.name} diff", fontsize=8)
                ax.tick_params(labelsize=7)
        fig.suptitle(f"When does the answer flip: {names[0]} - {names[1]}")
        fig.tight_layout()
        figs["flip"] = outdir / "flip.png"
        fig.savefig(figs["flip"], dpi=110)
        plt.close(fig)
    return figs


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def sensitivity(
    a: str | os.PathLike[str] | Scenario,
    b: str | os.PathLike[str] | Scenario,
    method: Literal["morris", "sobol"] = "morris",
    samples: int | None = None,
    parameters: Sequence[str] | None = None,
    outcomes: Sequence[str] | None = None,
    root_seed: int = 1,
    outdir: str | os.PathLike[str] = "outputs/sensitivity",
    quarters: int | None = None,
    scale: float | None = None,
    workers: int | None = None,
    progress: bool = True,
    *,
    runs: int = 1,
    top: int = 3,
    check_accounts: bool = True,
    scheduler: str | None = None,
    num_levels: int = MORRIS_LEVELS,
    log: Callable[[str], None] | None = None,
) -> SensitivityResult:
    """Sensitivity of the difference ``A - B`` of each outcome to the uncertain parameters.

    Parameters
    ----------
    a, b : str, path or Scenario
        The two scenarios (shipped names or TOML files); outcomes are differences ``a - b``.
    method : {"morris", "sobol"}
        Morris elementary effects (screening) or Sobol first-order and total indices.
    samples : int, optional
        Morris trajectories (default 10; ``samples * (D + 1)`` points) or Sobol base samples
        (a power of 2, default 64; ``samples * (D + 2)`` points).
    parameters : sequence of str, optional
        Keys, or ``KEY=LOW:HIGH`` (see the module docstring); default
        :data:`DEFAULT_PARAMETERS`.
    outcomes : sequence of str, optional
        Outcome names (see the module docstring); default :data:`DEFAULT_OUTCOMES`.
    root_seed : int
        Member ``k`` of every point runs with ``SeedSequence(root_seed, spawn_key=(k,))``; the
        sampling and bootstrap seed is ``root_seed % 2**32``.
    outdir : path
        Folder for ``indices.csv``, ``flip.csv``, ``samples.csv``, ``members.csv``,
        ``sensitivity.json``, ``indices.png``, ``flip.png`` (and ``ensemble.nc`` with dask).
    quarters, scale : optional
        Recorded quarters and persons per talent agent (default: the scenarios').
    workers : int, optional
        1: run the members one after another in this process; more (default: one per core):
        a local dask cluster through :func:`abm.ensemble.run_ensemble`.
    progress : bool
        Show a progress bar on stderr.
    runs : int
        Member seeds per point; the difference at a point is the mean of the paired
        differences.
    top : int
        Parameters per outcome in the flip table.
    check_accounts : bool
        Run the stock-flow checks in every member (a failing member is left out and reported).
    scheduler : str, optional
        Address of an existing dask scheduler (instead of a local cluster).
    num_levels : int
        Levels of the Morris grid.
    log : callable, optional
        Receives one-line notes (default: the ``abm.sensitivity`` logger).

    Returns
    -------
    SensitivityResult
        Indices, flip table, samples, figures, output folder and provenance.

    Raises
    ------
    SensitivityInputError
        Bad input, before any member runs and without writing files.
    """
    t0 = time.perf_counter()
    note = log or logger.info
    if method not in ("morris", "sobol"):
        raise SensitivityInputError(
            f"option '--method': unknown '{method}'; allowed: morris, sobol"
        )
    if samples is None:
        samples = 10 if method == "morris" else 64
    _check_samples(method, samples)
    if isinstance(runs, bool) or int(runs) != runs or runs < 1:
        raise SensitivityInputError(f"option '--runs': must be at least 1 (got {runs})")
    if int(top) != top or top < 1:
        raise SensitivityInputError(f"option '--top': must be at least 1 (got {top})")
    if not isinstance(root_seed, int | np.integer) or not 0 <= root_seed < 2**63:
        raise SensitivityInputError(
            f"option '--seed': the root seed must be an integer in [0, 2**63) (got {root_seed})"
        )
    if workers is not None and workers < 1:
        raise SensitivityInputError(f"option '--workers': must be at least 1 (got {workers})")
    if workers is not None and scheduler:
        raise SensitivityInputError("options '--workers' and '--scheduler' cannot be combined")
    if quarters is not None and (int(quarters) != quarters or quarters < 1):
        raise SensitivityInputError(f"option '--quarters': must be at least 1 (got {quarters})")
    if scale is not None and not (math.isfinite(scale) and scale >= 1):
        raise SensitivityInputError(
            f"option '--scale': must be at least 1 person per agent (got {scale})"
        )
    if num_levels < 2:
        raise SensitivityInputError(f"num_levels must be at least 2 (got {num_levels})")
    try:
        sa = a if isinstance(a, Scenario) else load_scenario(a)
        sb = b if isinstance(b, Scenario) else load_scenario(b)
    except ScenarioError as e:
        raise SensitivityInputError(str(e)) from None
    if sa.name == sb.name:
        raise SensitivityInputError(
            f"scenarios A and B are both named '{sa.name}'; compare two different scenarios"
        )
    q = int(quarters or sa.run.quarters)
    if quarters is None and sb.run.quarters != sa.run.quarters:
        raise SensitivityInputError(
            f"scenarios record different numbers of quarters ({sa.run.quarters}, "
            f"{sb.run.quarters}); pass --quarters"
        )
    if sa.run.start_year != sb.run.start_year:
        raise SensitivityInputError("scenarios A and B start in different years")
    years = recorded_years(sa.run.start_year, q)
    outs = [parse_outcome(o, years) for o in (outcomes or DEFAULT_OUTCOMES)]
    onames = [o.name for o in outs]
    if len(set(onames)) != len(onames):
        dup = next(n for n in onames if onames.count(n) > 1)
        raise SensitivityInputError(f"outcome '{dup}' given twice")
    params = resolve_parameters(parameters)
    for p in params:
        if p.kind == "programme" and not any(
            s.instrument == p.instrument for sc in (sa, sb) for s in sc.programmes.values()
        ):
            raise SensitivityInputError(
                f"parameter '{p.key}': neither '{sa.name}' nor '{sb.name}' has a "
                f"'{p.instrument}' programme"
            )
    for sc in (sa, sb):  # both ends of every range must make valid scenarios
        for end in ("low", "high"):
            apply_parameters(sc, {p: getattr(p, end) for p in params})

    seed = int(root_seed % 2**32)
    problem = make_problem([p.key for p in params], [(p.low, p.high) for p in params])
    X = sample_design(problem, method, int(samples), seed, num_levels)
    pairs = _point_scenarios(sa, sb, params, X)
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise SensitivityInputError(f"option '-o': {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    in_process = workers == 1 and not scheduler
    note(
        f"{method}: {len(params)} parameters, {len(X)} points x {runs} run(s) x 2 scenarios = "
        f"{2 * len(X) * runs} members ({'in this process' if in_process else 'dask'})"
    )
    t_run = time.perf_counter()
    if in_process:
        members, failures = _run_in_process(
            pairs, outs, int(runs), int(root_seed), q, scale, check_accounts, progress
        )
        ensemble_path = None
    else:
        ensemble_path = out / "ensemble.nc"
        members, failures = _run_dask(
            pairs,
            outs,
            int(runs),
            int(root_seed),
            q,
            scale,
            check_accounts,
            progress,
            workers,
            scheduler,
            ensemble_path,
            note,
        )
    run_seconds = time.perf_counter() - t_run
    diffs, npairs = _paired_differences(members, outs, len(X))
    samples_df = pd.DataFrame(X, columns=[p.key for p in params])
    samples_df.insert(0, "point", np.arange(len(X)))
    for oc in outs:
        samples_df[oc.name] = diffs[oc.name].to_numpy()
    samples_df["pairs"] = npairs

    indices, used = analyze_design(
        problem,
        method,
        X,
        {oc.name: samples_df[oc.name].to_numpy() for oc in outs},
        seed,
        num_levels,
    )
    defaults = {
        p.key: p.default(sa) if np.isfinite(p.default(sa)) else p.default(sb) for p in params
    }
    names = (sa.name, sb.name)
    flip = flip_table(
        samples_df, indices, params, outs, top=top, names=names, defaults=defaults, seed=seed
    )
    figures = _figures(indices, flip, samples_df, outs, params, method, names, out)
    _write_csv(indices, out / "indices.csv")
    _write_csv(flip, out / "flip.csv")
    _write_csv(samples_df, out / "samples.csv")
    _write_csv(members, out / "members.csv")
    from abm.output import _version

    g = group_size(method, len(params))
    provenance: dict[str, Any] = {
        "model_version": _version(),
        "created": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "a": sa.name,
        "b": sb.name,
        "difference": f"{sa.name} - {sb.name}",
        "method": method,
        "samples": int(samples),
        "num_levels": int(num_levels) if method == "morris" else None,
        "points": int(len(X)),
        "runs": int(runs),
        "members": int(2 * len(X) * runs),
        "root_seed": int(root_seed),
        "sampling_seed": seed,
        "seed_scheme": "member k of every point and both scenarios runs with "
        "numpy.random.SeedSequence(root_seed, spawn_key=(k,)) (common random numbers)",
        "quarters": q,
        "scale": float(scale if scale is not None else sa.run.scale),
        "check_accounts": bool(check_accounts),
        "execution": "in-process" if in_process else "dask (abm.ensemble.run_ensemble)",
        "ensemble": str(ensemble_path) if ensemble_path else None,
        "parameters": {
            p.key: {
                "low": p.low,
                "high": p.high,
                "range_source": p.range_source,
                "kind": p.kind,
                "default": defaults[p.key],
            }
            for p in params
        },
        "outcomes": {
            oc.name: {
                "units": oc.units,
                "higher_is_better": oc.higher_is_better,
                "description": oc.description,
            }
            for oc in outs
        },
        "groups_used": {
            k: f"{v} of {len(X) // g} {'trajectories' if method == 'morris' else 'blocks'}"
            for k, v in used.items()
        },
        "failures": failures,
        "flip_method": "least-squares line of the difference on the parameter over the sample; "
        f"{FLIP_LEVEL:.0%} bootstrap interval from {BOOTSTRAP} resamples of the points",
        "salib_version": _salib_version(),
        "run_seconds": round(run_seconds, 2),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    tmp = out / ".sensitivity.json.tmp"
    tmp.write_text(json.dumps(provenance, indent=1, default=str))
    os.replace(tmp, out / "sensitivity.json")
    if failures:
        note(f"{len(failures)} member(s) failed; see {out / 'sensitivity.json'}")
    return SensitivityResult(
        a=sa.name,
        b=sb.name,
        method=method,
        outcomes=[oc.name for oc in outs],
        indices=indices,
        flip=flip,
        samples=samples_df,
        figures=figures,
        outdir=out,
        provenance=provenance,
    )


def _salib_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("SALib")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"
