"""Outcome names for exploratory modelling: a grammar over the registry's measures.

The grammar extends the names of :func:`parse_outcome` (``MEASURE_YEAR``, ``MEASURE_total``:
the names of ``abm sensitivity`` and ``abm report``) with year ranges, trajectories and
differences; ``MEASURE`` is a name of :data:`abm.analysis.outcomes.MEASURES` (or a comparison
alias such as ``talent_high``):

==============================  ==========================================================
name                            value
==============================  ==========================================================
``MEASURE_YEAR``                the annual value in YEAR: a flow's annual rate (sum over the
                                year's quarters), a level's or share's mean over them
``MEASURE_mean_YEAR1_YEAR2``    the mean annual value over YEAR1 to YEAR2, both included
                                (mean over their quarters; times four for a flow)
``MEASURE_total``               a flow's sum over the recorded quarters
``MEASURE``                     the trajectory: one value per recorded quarter, as in the
                                output dataset (flows per quarter)
``TIME``                        the recorded quarters as decimal years (2026.0, 2026.25, ...)
``<any of the first four>_diff``  scenario minus baseline (run with the same seed)
==============================  ==========================================================

Scalars are Python floats, trajectories 1-D numpy arrays. A year the run does not record is an
error, not NaN. :func:`parse_name` checks a name without data; :func:`check_years` checks it
against the recorded years; :func:`value` computes it from a run's dataset (and the baseline's).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import xarray as xr

from abm.analysis.errors import SensitivityInputError
from abm.analysis.outcomes import ALIASES, MEASURES, Measure

# ----------------------------------------------------------------------------- outcome names
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
        if self.year is None:
            return self.measure.series(ds).sum("time", skipna=False)
        return annual_value(self.measure, ds, self.year, self.name)


def annual_value(
    measure: Measure, ds: xr.Dataset, year: int, name: str | None = None
) -> xr.DataArray:
    """A measure in ``year``: a flow's annual rate, a level's annual mean (see the module)."""
    m = ds["time"].dt.year == year
    if not bool(m.any()):
        raise ValueError(f"outcome '{name or measure.name}': no quarter of {year} in the data")
    v = measure.series(ds).where(m, drop=True).mean("time", skipna=False)
    return v * 4 if measure.flow else v


def parse_outcome(name: str, years: Sequence[int] | None = None) -> Outcome:
    """Check and parse an outcome name (``gdp_real_2040``, ``capital_outflow_total``).

    Parameters
    ----------
    name : str
        ``MEASURE_YEAR`` or ``MEASURE_total`` (flows only); see :data:`MEASURES` (and the
        comparison's names in :data:`ALIASES`).
    years : sequence of int, optional
        The recorded years; a year outside them is an error.

    Raises
    ------
    SensitivityInputError
        Unknown measure, malformed name, a total of a level, or a year not recorded.
    """
    m = _OUTCOME_RE.match(name.strip())
    if not m or ALIASES.get(m.group(1), m.group(1)) not in MEASURES:
        raise SensitivityInputError(
            f"unknown outcome '{name}'; expected MEASURE_YEAR (e.g. gdp_real_2040) or "
            f"MEASURE_total with MEASURE one of: {', '.join(MEASURES)}"
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


Form = Literal["year", "mean", "total", "series", "time"]

#: The name of the time axis of the trajectories (EMA Workbench's plots read ``TIME``).
TIME = "TIME"
_MEAN_RE = re.compile(r"([a-z_]+?)_mean_(\d{4})_(\d{4})")


class OutcomeNameError(SensitivityInputError):
    """An outcome name outside the grammar, a difference without a baseline, or a year the run
    does not record; the message is one line."""


@dataclass(frozen=True)
class OutcomeName:
    """A parsed outcome name.

    Attributes
    ----------
    name : str
        The name as given (stripped).
    form : {"year", "mean", "total", "series", "time"}
        What is computed (see the module docstring).
    measure : Measure or None
        The registry entry (None for ``TIME``).
    years : tuple of int
        ``(YEAR,)``, ``(YEAR1, YEAR2)`` or ``()``.
    diff : bool
        Scenario minus baseline.
    """

    name: str
    form: Form
    measure: Measure | None
    years: tuple[int, ...] = ()
    diff: bool = False

    @property
    def scalar(self) -> bool:
        """A number (a ``ScalarOutcome``), not a trajectory (a ``TimeSeriesOutcome``)."""
        return self.form in ("year", "mean", "total")


def _measure(base: str, name: str) -> Measure:
    m = MEASURES.get(ALIASES.get(base, base))
    if m is None:
        _unknown(name)
    return m


def _unknown(name: str) -> None:
    raise OutcomeNameError(
        f"unknown outcome '{name}'; expected MEASURE_YEAR (e.g. gdp_real_2040), "
        "MEASURE_mean_YEAR_YEAR, MEASURE_total, MEASURE (a trajectory) or TIME, each but TIME "
        f"optionally with _diff, with MEASURE one of: {', '.join(MEASURES)}"
    )


def parse_name(name: str) -> OutcomeName:
    """Check and parse an outcome name of the grammar (no data needed).

    Raises
    ------
    OutcomeNameError
        A name outside the grammar, a mean over a reversed range, a total of a level.
    """
    if not isinstance(name, str):
        raise OutcomeNameError(f"outcome names are strings, got {name!r}")
    name = name.strip()
    if name == TIME:
        return OutcomeName(name, "time", None)
    body, diff = (name[: -len("_diff")], True) if name.endswith("_diff") else (name, False)
    if body == TIME:
        _unknown(name)
    if m := _MEAN_RE.fullmatch(body):
        y1, y2 = int(m.group(2)), int(m.group(3))
        if y2 < y1:
            raise OutcomeNameError(f"outcome '{name}': the range {y1}-{y2} runs backwards")
        return OutcomeName(name, "mean", _measure(m.group(1), name), (y1, y2), diff)
    if ALIASES.get(body, body) in MEASURES:
        return OutcomeName(name, "series", MEASURES[ALIASES.get(body, body)], (), diff)
    try:
        oc = parse_outcome(body)
    except SensitivityInputError as e:
        if "unknown outcome" in str(e):
            _unknown(name)
        raise OutcomeNameError(str(e).replace(f"'{body}'", f"'{name}'", 1)) from None
    if oc.year is None:
        return OutcomeName(name, "total", oc.measure, (), diff)
    return OutcomeName(name, "year", oc.measure, (oc.year,), diff)


def check_years(on: OutcomeName, years: Sequence[int], what: str = "the run") -> None:
    """Raise unless every year ``on`` needs is among the recorded ``years``.

    Raises
    ------
    OutcomeNameError
        A year before the first or after the last recorded year.
    """
    if not on.years:
        return
    if not years:
        raise OutcomeNameError(f"outcome '{on.name}': {what} records no quarter")
    first, last = min(years), max(years)
    for y in on.years:
        if y > last:
            raise OutcomeNameError(
                f"outcome '{on.name}': {y} is past the horizon ({what} records {first}-{last}); "
                "record more quarters (quarters=...) or choose an earlier year"
            )
        if y < first:
            raise OutcomeNameError(
                f"outcome '{on.name}': {y} is before the first recorded year ({what} records "
                f"{first}-{last})"
            )


def recorded_years(ds: xr.Dataset) -> list[int]:
    """The calendar years with at least one recorded quarter."""
    return sorted(set(ds["time"].dt.year.values.tolist()))


def _one(on: OutcomeName, ds: xr.Dataset) -> float | np.ndarray:
    m = on.measure
    if on.form == "time":
        t = ds["time"]
        return (t.dt.year + (t.dt.month - 1) / 12).values.astype(float)
    assert m is not None and m.series is not None
    if on.form == "series":
        return np.asarray(m.series(ds).values, dtype=float).copy()
    if on.form == "total":
        return float(m.series(ds).sum("time", skipna=False))
    if on.form == "year":
        return float(annual_value(m, ds, on.years[0], on.name))
    y1, y2 = on.years
    year = ds["time"].dt.year
    v = m.series(ds).where((year >= y1) & (year <= y2), drop=True).mean("time", skipna=False)
    return float(v * 4 if m.flow else v)


def value(
    on: OutcomeName, ds: xr.Dataset, baseline: xr.Dataset | None = None
) -> float | np.ndarray:
    """The outcome ``on`` of the run ``ds`` (minus the ``baseline`` run for a difference).

    Raises
    ------
    OutcomeNameError
        A difference without a baseline, a year either run does not record, or trajectories
        of different quarters.
    """
    check_years(on, recorded_years(ds))
    if not on.diff:
        return _one(on, ds)
    if baseline is None:
        raise OutcomeNameError(
            f"outcome '{on.name}': a difference needs a baseline run (baseline is None)"
        )
    check_years(on, recorded_years(baseline), "the baseline run")
    if on.form == "series" and not np.array_equal(ds["time"].values, baseline["time"].values):
        raise OutcomeNameError(
            f"outcome '{on.name}': the scenario and the baseline record different quarters"
        )
    return _one(on, ds) - _one(on, baseline)


__all__ = [
    "TIME",
    "OutcomeName",
    "OutcomeNameError",
    "check_years",
    "parse_name",
    "recorded_years",
    "value",
]
