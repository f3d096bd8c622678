"""Member values of the key outcomes of ``abm compare`` (:data:`KEY_OUTCOMES`): per-year values
at 2030 and the end year, cumulative and late-period real GDP, growth, and the value-for-money
rows against the counterfactual (extra real GDP per euro of innovation money, undiscounted and
discounted at :data:`DISCOUNT_RATE`; net fiscal cost). Conventions as in
:mod:`abm.analysis.compare`; nothing here renders or writes files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from abm.analysis.errors import CompareError
from abm.analysis.outcome_names import annual_value
from abm.analysis.outcomes import (
    COUNTERFACTUAL,
    DISCOUNT_RATE,
    KEY_OUTCOMES,
    LATE_YEARS,
    REGISTRY,
    TARGET_YEAR,
)
from abm.analysis.series import (
    NOT_INNOVATION_MONEY,
    by_member,
    complete_years,
    innovation_budget,
    member_ok,
)


def check_outcomes(outcomes: Sequence[str] | None) -> list[str]:
    """The selected key outcomes in table order (all when none are given)."""
    if outcomes is None or len(outcomes) == 0:
        return list(KEY_OUTCOMES)
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    bad = [o for o in outcomes if o not in KEY_OUTCOMES]
    if bad:
        raise CompareError(
            f"option '--outcome': unknown {', '.join(repr(b) for b in bad)}; allowed: "
            + ", ".join(KEY_OUTCOMES)
        )
    return [o for o in KEY_OUTCOMES if o in set(outcomes)]


def key_years(ds: xr.Dataset) -> dict[str, Any]:
    """Complete years of the data: base (first), end (last) and the key years of the table."""
    complete = complete_years(ds)
    if not complete:
        raise CompareError(
            "the ensemble has no complete calendar year (4 recorded quarters); run at least "
            "--quarters 4"
        )
    base, end = complete[0], complete[-1]
    key = sorted({end} | ({TARGET_YEAR} if TARGET_YEAR in complete else set()))
    return {"base": base, "end": end, "key": key}


def outcome_values(
    ds: xr.Dataset, outcomes: Sequence[str] | None = None, ok: np.ndarray | None = None
) -> dict[tuple[str, int], np.ndarray]:
    """Member values of the key outcomes.

    Parameters
    ----------
    ds : xarray.Dataset
        An ensemble (dims ``scenario``, ``realization``, ``time``, ...).
    outcomes : sequence of str, optional
        Names of :data:`KEY_OUTCOMES` (default all).
    ok : numpy.ndarray of bool, optional
        (scenario, realization) members to keep (default: ``member_ok == 1``); the others are
        NaN.

    Returns
    -------
    dict
        ``(outcome, year) -> array (scenario, realization)``, in table order. Per-year
        outcomes at 2030 (if complete) and the end year; cumulative ones (``innovation_money``,
        ``gdp_per_euro``) over the first to the end year, keyed by the end year.
    """
    selected, _ = available(ds, check_outcomes(outcomes))
    ok = member_ok(ds) if ok is None else ok
    yrs = key_years(ds)
    base, end = yrs["base"], yrs["end"]
    out: dict[tuple[str, int], np.ndarray] = {}
    for name in selected:
        o = KEY_OUTCOMES[name]
        if name == "innovation_money":
            out[(name, end)] = by_member(innovation_budget(ds, base, end))
        elif name == "gdp_per_euro":
            out[(name, end)] = _gdp_per_euro(ds, base, end)
        elif name == "gdp_per_euro_discounted":
            out[(name, end)] = _gdp_per_euro(ds, base, end, DISCOUNT_RATE)
        elif name == "net_fiscal_cost":
            out[(name, end)] = _net_fiscal_cost(ds, base, end)
        elif name == "gdp_real_cumulative":
            out[(name, end)] = by_member(_window_sum(ds, "gdp_real", base, end))
        elif name == "gdp_real_late":
            first = max(base, end - LATE_YEARS + 1)
            out[(name, end)] = by_member(_window_sum(ds, "gdp_real", first, end)) / (
                end - first + 1
            )
        elif name == "gdp_growth":
            for y in yrs["key"]:
                if y != base:
                    out[(name, y)] = _growth(ds, base, y)
        else:
            for y in yrs["key"]:
                out[(name, y)] = by_member(annual_value(REGISTRY[o.measure], ds, y))
    for k, x in out.items():
        x = np.array(x, dtype=float)
        x[~ok] = np.nan
        out[k] = x
    return out


#: Key outcomes that need a variable older ensemble files may lack.
_NEEDS: dict[str, str] = {
    "gdp_real_per_capita": "gdp_real_per_capita",
    "gdp_real_per_worker": "gdp_real_per_worker",
    "net_fiscal_cost": "government_balance",
}


def available(ds: xr.Dataset, selected: Sequence[str]) -> tuple[list[str], list[str]]:
    """The selected key outcomes the dataset can give, and those it lacks a variable for."""
    kept = [n for n in selected if _NEEDS.get(n, "gdp_real") in ds]
    return kept, [n for n in selected if n not in kept]


def _growth(ds: xr.Dataset, base: int, year: int) -> np.ndarray:
    """Average annual growth of real GDP from ``base`` to ``year``."""
    gdp = REGISTRY["gdp_real"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = by_member(annual_value(gdp, ds, year)) / by_member(annual_value(gdp, ds, base))
        return np.power(ratio, 1.0 / (year - base)) - 1.0


def _window_sum(ds: xr.Dataset, var: str, base: int, end: int, rate: float = 0.0) -> xr.DataArray:
    """``var`` summed over the quarters of ``base``..``end``, each discounted to the start of
    ``base`` at ``rate`` a year."""
    yr = ds["time"].dt.year
    window = (yr >= base) & (yr <= end)
    da = ds[var]
    if rate:
        t = (yr - base) + (ds["time"].dt.month - 1) / 12.0
        da = da * (1.0 + rate) ** (-t)
    return da.where(window, 0.0).sum("time")


def _net_fiscal_cost(ds: xr.Dataset, base: int, end: int) -> np.ndarray:
    """Extra government borrowing against the counterfactual over ``base``..``end``."""
    names = [str(s) for s in ds["scenario"].values]
    x = np.full((len(names), ds.sizes["realization"]), np.nan)
    if COUNTERFACTUAL in names:
        borrowing = -by_member(_window_sum(ds, "government_balance", base, end))
        x = borrowing - borrowing[names.index(COUNTERFACTUAL)][None, :]
        x[names.index(COUNTERFACTUAL)] = np.nan
    return x


def _innovation_money_discounted(ds: xr.Dataset, base: int, end: int, rate: float):
    """Innovation money (as :func:`innovation_budget`) discounted at ``rate`` a year."""
    counted = ~ds["programme_instrument"].isin(list(NOT_INNOVATION_MONEY))
    spent = ds[["programme_spending"]].assign(
        programme_spending=ds["programme_spending"].where(counted, 0.0).sum("programme")
    )
    spent["time"] = ds["time"]
    return _window_sum(spent, "programme_spending", base, end, rate)


def _gdp_per_euro(ds: xr.Dataset, base: int, end: int, rate: float = 0.0) -> np.ndarray:
    """Cumulative real GDP above the counterfactual per euro of innovation money (both
    discounted to ``base`` at ``rate`` a year)."""
    names = [str(s) for s in ds["scenario"].values]
    x = np.full((len(names), ds.sizes["realization"]), np.nan)
    if COUNTERFACTUAL in names:
        cum = by_member(_window_sum(ds, "gdp_real", base, end, rate))
        money = by_member(
            _innovation_money_discounted(ds, base, end, rate)
            if rate
            else innovation_budget(ds, base, end)
        )
        extra = cum - cum[names.index(COUNTERFACTUAL)][None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(money > 0, extra / np.where(money > 0, money, 1.0), np.nan)
        x[names.index(COUNTERFACTUAL)] = np.nan
    return x
