"""Outcome names for exploratory modelling: a grammar over the registry's measures.

The grammar extends the names of :func:`abm.analysis.outcomes.parse_outcome` (``MEASURE_YEAR``,
``MEASURE_total``) with year ranges, trajectories and differences; ``MEASURE`` is a name of
:data:`abm.analysis.outcomes.MEASURES` (or a comparison alias such as ``talent_high``):

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
from abm.analysis.outcomes import ALIASES, MEASURES, Measure, annual_value, parse_outcome

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
