"""NetCDF writing: CF time encoding, compression, and the atomic write of a run's file, with
Ctrl-C and SIGTERM held until a write is complete."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import xarray as xr

from abm.io.atomic import atomic_path


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM while a NetCDF file is written, then deliver them.

    xarray writes under a lock it does not take back on an exception: an interrupt raised in
    the middle of a write (Ctrl-C, or the ``KeyboardInterrupt`` the ensemble command turns a
    batch system's SIGTERM into) leaves the lock held, and the ``close`` that follows waits for
    it forever. A signal that arrives during the block is sent again when it ends, to the
    handlers that were there before. Outside the main thread (no signal handlers there) the
    block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    handlers = {s: h for s, h in handlers.items() if h is not None}  # None: not set from Python
    for s in handlers:
        signal.signal(s, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        for s, handler in handlers.items():
            signal.signal(s, handler)
        for s in dict.fromkeys(pending):
            signal.raise_signal(s)


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
    with interrupts_held(), atomic_path(path) as tmp:
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
