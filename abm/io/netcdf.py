"""NetCDF writing: CF time encoding, compression, and the atomic write of a run's file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import xarray as xr

from abm.io.atomic import atomic_path


def encoding_for(ds: xr.Dataset, start: str = "2026-01-01") -> dict[str, dict[str, Any]]:
    """NetCDF encoding: compressed floats, CF time as days since the start."""
    enc: dict[str, dict[str, Any]] = {}
    for v in ds.data_vars:
        if ds[v].dtype.kind == "f":
            enc[v] = {"zlib": True, "complevel": 4, "_FillValue": None}
    time_enc = {
        "units": f"days since {start} 00:00:00",
        "calendar": "proleptic_gregorian",
        "dtype": "float64",
        "_FillValue": None,  # CF: coordinates carry no fill value
    }
    for t in ("time", "snapshot_time", "time_bnds"):
        if t in ds.variables:
            enc[t] = dict(time_enc)
    return enc


def write_netcdf(
    ds: xr.Dataset, path: str | os.PathLike[str], snapshots: xr.Dataset | None = None
) -> Path:
    """Write ``ds`` (and the firm snapshots as group ``firm_snapshots``) to ``path`` atomically:
    to a temporary file in the same folder, renamed when complete, so a reader never sees a
    partial file and a failure leaves nothing behind."""
    with atomic_path(path) as tmp:
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
    return Path(path)
