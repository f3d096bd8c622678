"""Quarterly series of output datasets (one run or an ensemble): public innovation money, annual
means, the complete calendar years, and the members an ensemble holds."""

from __future__ import annotations

from collections import Counter

import numpy as np
import xarray as xr

#: Instruments whose money is not innovation-policy money (the same in every scenario).
NOT_INNOVATION_MONEY = ("public_research",)


def innovation_budget(ds: xr.Dataset, start: int = 2026, end: int = 2040) -> xr.DataArray:
    """Public money for innovation spent from ``start`` to ``end`` (inclusive), euros.

    DESIGN §3: programme outlays plus tax expenditures (credit, box), co-investment at its
    committed amount; public research (and defence) are excluded: the same in every scenario.
    Sums ``programme_spending`` over time and over every programme whose
    ``programme_instrument`` is not public research. Works on ensembles (other dims are kept).
    """
    if "programme_spending" not in ds:
        raise KeyError("dataset has no 'programme_spending' variable")
    years = ds["time"].dt.year
    window = (years >= start) & (years <= end)
    if not bool(window.any()):
        raise ValueError(f"dataset has no quarter between {start} and {end}")
    counted = ~ds["programme_instrument"].isin(list(NOT_INNOVATION_MONEY))
    spent = ds["programme_spending"].where(window, 0.0).where(counted, 0.0)
    out = spent.sum(dim=("time", "programme"))
    out.attrs = {"units": "EUR", "long_name": f"public innovation money {start}-{end}, euros"}
    return out


def annual_mean(da: xr.DataArray, year: int) -> xr.DataArray:
    """Mean of a quarterly variable over the quarters of ``year``."""
    m = da["time"].dt.year == year
    if not bool(m.any()):
        raise ValueError(f"no quarter of {year} in the data")
    return da.where(m, drop=True).mean("time")


def recorded_years(start_year: int, quarters: int) -> list[int]:
    """Years with at least one recorded quarter."""
    return sorted({start_year + q // 4 for q in range(quarters)})


def complete_years(ds: xr.Dataset) -> list[int]:
    """Calendar years with all four quarters in ``ds``, in order."""
    counts = Counter(int(y) for y in ds["time"].dt.year.values)
    return sorted(y for y, c in counts.items() if c == 4)


def member_ok(ds: xr.Dataset) -> np.ndarray:
    """Boolean (scenario, realization): the members written (``member_ok == 1``)."""
    shape = (ds.sizes["scenario"], ds.sizes["realization"])
    if "member_ok" not in ds:
        return np.ones(shape, dtype=bool)
    return np.asarray(ds["member_ok"].transpose("scenario", "realization").values) == 1


def by_member(da: xr.DataArray) -> np.ndarray:
    """The values of a (scenario, realization) array as floats, in that order."""
    return np.asarray(da.transpose("scenario", "realization").values, dtype=float)
