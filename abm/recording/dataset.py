"""The run as an xarray Dataset (zero, never NaN, where absent) and its firm snapshots.

Recording never imports the model: it reads the records a run kept (one per recorded quarter,
keyed by the names in :data:`abm.recording.variables.VARIABLES`) and its snapshots; the
``programme`` coordinate comes from the scenario layer (:func:`abm.scenario.programme_union`).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Protocol

import numpy as np
import pandas as pd
import xarray as xr

from abm.io.provenance import provenance_attrs
from abm.recording.variables import PER_PERSON_PER_QUARTER, TP, VARIABLES
from abm.scenario import instrument_of, programme_union
from abm.sectors import SECTORS, SKILLS


class RecordedRun(Protocol):
    """What the dataset is built from (an ``EconomyModel`` after ``run()``)."""

    records: list[Any]  # QuarterRecord
    snapshots: list[dict[str, np.ndarray]]
    programme_names: list[str]
    scenario: Any
    seed: Any
    scale: float
    burn_in: int
    check_accounts_enabled: bool


#: Attributes of the time coordinate (its units and calendar are the NetCDF encoding's):
#: CF 1.11 asks a calendar with leap seconds unstated to say so in ``units_metadata``.
TIME_ATTRS: dict[str, str] = {
    "long_name": "start of quarter",
    "standard_name": "time",
    "axis": "T",
    "bounds": "time_bnds",
    "units_metadata": "leap_seconds: none",
}
#: Attributes of the snapshot time coordinate.
SNAPSHOT_TIME_ATTRS: dict[str, str] = {
    "long_name": "start of the snapshot quarter",
    "standard_name": "time",
    "units_metadata": "leap_seconds: none",
}
#: Global attributes of a run's file the firm snapshots repeat (they may travel alone).
SNAPSHOT_PROVENANCE = (
    "institution",
    "source",
    "history",
    "references",
    "comment",
    "model_version",
    "git_commit",
    "git_modified",
    "scenario",
    "seed",
    "root_seed",
    "member",
    "seed_scheme",
    "scale",
)


def quarter_bounds(dates: list[_dt.date]) -> tuple[np.ndarray, np.ndarray]:
    """Time coordinate (quarter starts) and ``time_bnds`` (start, next quarter's start)."""
    starts = pd.to_datetime(dates).values.astype("datetime64[ns]")
    ends = (pd.to_datetime(dates) + pd.offsets.QuarterBegin(startingMonth=1)).values.astype(
        "datetime64[ns]"
    )
    return starts, np.stack([starts, ends], axis=1)


def records_to_dataset(model: RecordedRun) -> xr.Dataset:
    """Build the run's Dataset from the model's records (zero, never NaN, where absent)."""
    recs = model.records
    if not recs:
        raise ValueError("the model has no recorded quarters yet; call run() first")
    time, bnds = quarter_bounds([r.date for r in recs])
    progs = programme_union([model.scenario])
    data_vars: dict[str, Any] = {}
    for name, (dims, units, long_name, cm) in VARIABLES.items():
        arr = np.array([getattr(r, name) for r in recs], dtype=float)
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
            "time": ("time", time, TIME_ATTRS),
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
    ds["time_bnds"] = (("time", "nv"), bnds, {})  # CF: bounds carry no attributes of their own
    instruments = [instrument_of(p, [model.scenario]) for p in progs]
    ds["programme_instrument"] = (
        "programme",
        np.array(instruments, dtype=object),
        {"long_name": "instrument type of the programme"},
    )
    ds.attrs.update(provenance_attrs(model))
    ds.attrs.update(agent_counts(model))
    return ds


def agent_counts(model: Any) -> dict[str, int]:
    """Global attributes ``talent_agents`` and ``firm_agents``: the run's agents at its end
    (talent agents, the foreign pool included, and firm agents)."""
    out = {}
    for attr, pop in (("talent_agents", "talent_pop"), ("firm_agents", "firm_pop")):
        if hasattr(model, pop):
            out[attr] = int(len(getattr(model, pop)))
    return out


def snapshot_dataset(model: RecordedRun) -> xr.Dataset | None:
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
    prov = provenance_attrs(model)
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
                    "long_name": "sector of the firm agent (a code of flag_meanings; -1 = padding)",
                    "flag_values": np.arange(len(SECTORS), dtype=np.int64),
                    "flag_meanings": " ".join(SECTORS),
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
                    "long_name": "real gross output per worker, 2025 euros per person per quarter",
                    "units": PER_PERSON_PER_QUARTER,
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
        coords={"snapshot_time": ("snapshot_time", times, SNAPSHOT_TIME_ATTRS)},
        attrs={
            "Conventions": "CF-1.11",
            "title": f"focus-abm firm-level snapshots of scenario '{model.scenario.name}'",
            **{k: v for k, v in prov.items() if k in SNAPSHOT_PROVENANCE},
        },
    )
