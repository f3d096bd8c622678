"""Outputs: the run as an xarray Dataset with units and long names, and CF-style NetCDF files.

Flows are per quarter (``cell_methods = "time: sum"``), stocks at the end of the quarter
(``"time: point"``), rates and shares as fractions (``units = "1"``). Money is in euros of the
real economy whatever the agent scale; UDUNITS has no currency, so money variables carry
``units = "EUR"`` and a ``long_name`` that says euros (a documented choice, see docs/model.md).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from abm.sectors import SECTORS, SKILLS

if TYPE_CHECKING:
    from abm.model import EconomyModel

T = ("time",)
TS = ("time", "sector")
TK = ("time", "skill")
TP = ("time", "programme")

#: name -> (dims, units, long_name, cell_methods)
VARIABLES: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "gdp": (T, "EUR", "gross domestic product, nominal euros per quarter", "time: sum"),
    "gdp_real": (T, "EUR", "gross domestic product in 2025 prices, euros per quarter", "time: sum"),
    "consumption": (T, "EUR", "household final consumption, euros per quarter", "time: sum"),
    "government_purchases": (
        T,
        "EUR",
        "government purchases of goods and services, euros per quarter",
        "time: sum",
    ),
    "investment_total": (
        T,
        "EUR",
        "business gross fixed capital formation, euros per quarter",
        "time: sum",
    ),
    "value_added": (TS, "EUR", "gross value added by sector, euros per quarter", "time: sum"),
    "industry_share": (
        T,
        "1",
        "industry (manufacturing-type sectors) value added as a share of GDP",
        "time: mean",
    ),
    "rd_intensity": (
        T,
        "1",
        "gross R&D expenditure (business + public) as a share of GDP",
        "time: mean",
    ),
    "rd_intensity_business": (T, "1", "business R&D expenditure as a share of GDP", "time: mean"),
    "rd_intensity_public": (
        T,
        "1",
        "public R&D expenditure (universities, institutes, mission agency) as a share of GDP",
        "time: mean",
    ),
    "employment": (T, "1", "persons employed (count)", "time: point"),
    "labour_force": (T, "1", "labour force resident in the country (persons)", "time: point"),
    "unemployment_rate": (T, "1", "unemployment rate (share of the labour force)", "time: point"),
    "vacancies": (T, "1", "open vacancies at the end of the quarter (count)", "time: point"),
    "wage": (
        TS,
        "EUR",
        "average wage per employed person by sector, euros per quarter",
        "time: mean",
    ),
    "wage_by_skill": (
        TK,
        "EUR",
        "average wage per employed person by skill, euros per quarter",
        "time: mean",
    ),
    "productivity": (
        TS,
        "EUR",
        "real gross output per employed person by sector, 2025 euros per quarter",
        "time: mean",
    ),
    "employment_by_sector": (TS, "1", "persons employed by sector (count)", "time: point"),
    "firms": (TS, "1", "number of firms represented (firm agents) by sector", "time: point"),
    "entries": (TS, "1", "firm agents entering by sector", "time: sum"),
    "exits": (TS, "1", "firm agents exiting by sector", "time: sum"),
    "talent_stock": (TK, "1", "resident labour force by skill (persons)", "time: point"),
    "talent_emigration": (T, "1", "labour-force emigrants (persons per quarter)", "time: sum"),
    "talent_immigration": (T, "1", "labour-force immigrants (persons per quarter)", "time: sum"),
    "high_skill_emigration": (T, "1", "high-skill emigrants (persons per quarter)", "time: sum"),
    "high_skill_immigration": (T, "1", "high-skill immigrants (persons per quarter)", "time: sum"),
    "capital_outflow": (
        T,
        "EUR",
        "new money domestic investors place abroad, euros per quarter",
        "time: sum",
    ),
    "investment": (
        TS,
        "EUR",
        "investment goods delivered to firms by the firms' sector, euros per quarter",
        "time: sum",
    ),
    "exports": (
        TS,
        "EUR",
        "exports of domestic output by sector (re-exports excluded), euros per quarter",
        "time: sum",
    ),
    "imports": (TS, "EUR", "imports by product sector, euros per quarter", "time: sum"),
    "programme_spending": (
        TP,
        "EUR",
        "public innovation money spent by programme (outlays, tax expenditure, co-investment), euros per quarter",
        "time: sum",
    ),
    "government_balance": (
        T,
        "EUR",
        "government net lending (+) or borrowing (-), euros per quarter",
        "time: sum",
    ),
    "government_debt": (T, "EUR", "government bonds outstanding, euros", "time: point"),
    "defence_procurement": (T, "EUR", "defence equipment orders, euros per quarter", "time: sum"),
    "defence_domestic_share": (
        T,
        "1",
        "share of defence equipment orders produced domestically",
        "time: mean",
    ),
    "grid_use": (
        T,
        "EUR",
        "capacity expansion of energy-intensive firms connected to the grid, 2025 euros of capital per quarter",
        "time: sum",
    ),
    "business_rd": (T, "EUR", "business R&D expenditure, euros per quarter", "time: sum"),
    "price_index": (
        TS,
        "1",
        "output price index by sector (2025 = 1 before the burn-in)",
        "time: mean",
    ),
    "knowledge_intensity": (
        TS,
        "1",
        "knowledge stock over annual value added by sector",
        "time: point",
    ),
}


def _version() -> str:
    try:
        return metadata.version("focus-abm")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        from abm import __version__

        return __version__


def _lib_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for lib in ("numpy", "numba", "mesa", "xarray", "netCDF4", "dask", "pandas"):
        try:
            out[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            out[lib] = "not installed"
    return out


def programme_union(scenarios: list[Any]) -> list[str]:
    """Programme names of the given scenarios and of every shipped scenario, sorted: the
    ``programme`` coordinate, so files of different scenarios line up (zero where absent)."""
    from abm.scenario import load_scenario, shipped_scenarios

    names: set[str] = set()
    for sc in scenarios:
        names.update(sc.programmes)
    for path in shipped_scenarios().values():
        try:
            names.update(load_scenario(path).programmes)
        except Exception:  # noqa: BLE001 - a broken shipped file must not block output
            continue
    return sorted(names)


def _instrument_of(name: str, scenarios: list[Any]) -> str:
    from abm.scenario import load_scenario, shipped_scenarios

    for sc in scenarios:
        if name in sc.programmes:
            return sc.programmes[name].instrument
    for path in shipped_scenarios().values():
        sc = load_scenario(path)
        if name in sc.programmes:
            return sc.programmes[name].instrument
    return ""


def quarter_bounds(dates: list[_dt.date]) -> tuple[np.ndarray, np.ndarray]:
    """Time coordinate (quarter starts) and ``time_bnds`` (start, next quarter's start)."""
    starts = pd.to_datetime(dates).values.astype("datetime64[ns]")
    ends = (pd.to_datetime(dates) + pd.offsets.QuarterBegin(startingMonth=1)).values.astype(
        "datetime64[ns]"
    )
    return starts, np.stack([starts, ends], axis=1)


def records_to_dataset(model: EconomyModel) -> xr.Dataset:
    """Build the run's Dataset from the model's records (zero, never NaN, where absent)."""
    recs = model.records
    if not recs:
        raise ValueError("the model has no recorded quarters yet; call run() first")
    time, bnds = quarter_bounds([r["date"] for r in recs])
    progs = programme_union([model.scenario])
    data_vars: dict[str, Any] = {}
    for name, (dims, units, long_name, cm) in VARIABLES.items():
        arr = np.array([r[name] for r in recs], dtype=float)
        if dims == TP:
            own = arr.reshape(len(recs), len(model.programme_names))
            arr = np.zeros((len(recs), len(progs)))
            for j, p in enumerate(model.programme_names):
                arr[:, progs.index(p)] = own[:, j]
        arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
        data_vars[name] = (dims, arr, {"units": units, "long_name": long_name, "cell_methods": cm})
    ds = xr.Dataset(
        data_vars,
        coords={
            "time": (
                "time",
                time,
                {"long_name": "start of quarter", "standard_name": "time", "bounds": "time_bnds"},
            ),
            "sector": (
                "sector",
                np.array(SECTORS, dtype=object),
                {"long_name": "sector of the economy"},
            ),
            "skill": (
                "skill",
                np.array(SKILLS, dtype=object),
                {"long_name": "skill level of talent"},
            ),
            "programme": (
                "programme",
                np.array(progs, dtype=object),
                {"long_name": "government innovation programme"},
            ),
        },
    )
    ds["time_bnds"] = (("time", "nv"), bnds, {"long_name": "quarter start and end"})
    instruments = [_instrument_of(p, [model.scenario]) for p in progs]
    ds["programme_instrument"] = (
        "programme",
        np.array(instruments, dtype=object),
        {"long_name": "instrument type of the programme"},
    )
    ds.attrs.update(provenance_attrs(model))
    return ds


def provenance_attrs(model: EconomyModel) -> dict[str, Any]:
    """CF global attributes and provenance (DESIGN §4): dicts as JSON text, booleans as 0/1."""
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    sc = model.scenario
    return {
        "Conventions": "CF-1.11",
        "title": f"focus-abm run of scenario '{sc.name}'",
        "institution": "focus-abm open research tool (agent-based model of Dutch industrial policy)",
        "source": f"focus-abm {_version()} (Mesa agent-based macroeconomic model with numba kernels)",
        "history": f"{now} created by: {' '.join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))}",
        "references": "docs/model.md; DESIGN.md; calibration sources in abm/calibration/netherlands.toml",
        "comment": "Money in euros of the real economy (UDUNITS has no currency unit); flows per quarter.",
        "model_version": _version(),
        "scenario": sc.name,
        "scenario_toml": sc.to_toml(),
        "seed": str(model.seed),
        "scale": float(model.scale),
        "burn_in_quarters": int(model.burn_in),
        "library_versions": json.dumps(_lib_versions()),
        "accounting_checks": int(bool(model.check_accounts_enabled)),
        "date_created": now,
    }


def snapshot_dataset(model: EconomyModel) -> xr.Dataset | None:
    """Firm-level snapshots (size, productivity, sector) at the scenario's snapshot dates."""
    snaps = model.snapshots
    if not snaps:
        return None
    n = max(len(s["firm_id"]) for s in snaps)

    def pad(key: str, fill: float) -> np.ndarray:
        out = np.full((len(snaps), n), fill, dtype=float)
        for i, s in enumerate(snaps):
            out[i, : len(s[key])] = s[key]
        return out

    times, _ = quarter_bounds([s["date"] for s in snaps])
    return xr.Dataset(
        {
            "firm_id": (
                ("snapshot_time", "firm"),
                pad("firm_id", -1).astype(np.int64),
                {"long_name": "firm agent unique id (-1 = padding)", "units": "1"},
            ),
            "firm_sector": (
                ("snapshot_time", "firm"),
                pad("sector", -1).astype(np.int64),
                {
                    "long_name": "sector index into the sector list in the flag_meanings attribute",
                    "flag_meanings": " ".join(SECTORS),
                    "units": "1",
                },
            ),
            "firm_employment": (
                ("snapshot_time", "firm"),
                pad("employment", 0.0),
                {"long_name": "persons employed by the firm agent", "units": "1"},
            ),
            "firm_productivity": (
                ("snapshot_time", "firm"),
                pad("productivity", 0.0),
                {
                    "long_name": "real gross output per worker, 2025 euros per quarter",
                    "units": "EUR",
                },
            ),
            "firm_sales": (
                ("snapshot_time", "firm"),
                pad("sales", 0.0),
                {"long_name": "sales, euros per quarter", "units": "EUR"},
            ),
            "firm_weight": (
                ("snapshot_time", "firm"),
                pad("weight", 0.0),
                {"long_name": "real firms the agent stands for", "units": "1"},
            ),
        },
        coords={
            "snapshot_time": (
                "snapshot_time",
                times,
                {"long_name": "start of the snapshot quarter"},
            )
        },
        attrs={"title": "firm-level snapshots", "Conventions": "CF-1.11"},
    )


def encoding_for(ds: xr.Dataset, start: str = "2026-01-01") -> dict[str, dict[str, Any]]:
    """NetCDF encoding: compressed floats, CF time as days since the start."""
    enc: dict[str, dict[str, Any]] = {}
    for v in ds.data_vars:
        if ds[v].dtype.kind == "f":
            enc[v] = {"zlib": True, "complevel": 4, "_FillValue": None}
    for t in ("time", "snapshot_time"):
        if t in ds.coords:
            enc[t] = {
                "units": f"days since {start} 00:00:00",
                "calendar": "proleptic_gregorian",
                "dtype": "float64",
                "_FillValue": None,  # CF: coordinates carry no fill value
            }
    if "time_bnds" in ds:
        enc["time_bnds"] = {
            "units": f"days since {start} 00:00:00",
            "calendar": "proleptic_gregorian",
            "dtype": "float64",
            "_FillValue": None,
        }
    return enc


def write_netcdf(
    ds: xr.Dataset, path: str | os.PathLike[str], snapshots: xr.Dataset | None = None
) -> Path:
    """Write ``ds`` (and the firm snapshots as group ``firm_snapshots``) to ``path`` atomically: to a
    temporary file in the same folder, renamed when complete, so a reader never sees a partial
    file and a failure leaves nothing behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, mode="w", format="NETCDF4", engine="netcdf4", encoding=encoding_for(ds))
        if snapshots is not None:
            snapshots.to_netcdf(
                tmp,
                mode="a",
                group="firm_snapshots",
                format="NETCDF4",
                engine="netcdf4",
                encoding=encoding_for(snapshots),
            )
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
