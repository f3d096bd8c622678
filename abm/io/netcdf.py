"""NetCDF writing: CF time encoding, compression, the atomic write of a run's file (``time`` the
unlimited dimension, so NCO's record operators such as ``ncra`` work), with Ctrl-C and SIGTERM
held until a write is complete; and the ``cdo`` layout (integer ``sector``, ``skill`` and
``programme`` coordinates with ``flag_values``/``flag_meanings``, which CDO reads)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
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


#: File layouts: ``default`` keeps the string coordinates the analysis selects by name;
#: ``cdo`` writes them as integer codes with ``flag_values``/``flag_meanings`` (CDO skips every
#: variable along a string coordinate).
LAYOUTS = ("default", "cdo")
#: The string coordinates the ``cdo`` layout codes as integers.
CODED_COORDINATES = ("sector", "skill", "programme")


def _words(names: list[str]) -> str:
    """Names as CF ``flag_meanings`` words (blank-separated, no blanks inside a word)."""
    return " ".join("_".join(str(n).split()) or "_" for n in names)


def cdo_layout(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with ``sector``, ``skill`` and ``programme`` as integer coordinates 0..n-1 whose
    ``flag_values``/``flag_meanings`` name the codes, and ``programme_instrument`` coded the
    same way (CDO reads neither string coordinates nor string variables); values unchanged."""
    out = ds.copy()
    for dim in CODED_COORDINATES:
        if dim not in out.coords:
            continue
        names = [str(x) for x in out[dim].values]
        codes = np.arange(len(names), dtype=np.int32)
        attrs = {
            **{k: v for k, v in out[dim].attrs.items() if k != "units"},
            "long_name": f"{out[dim].attrs.get('long_name', dim)} (code; names in flag_meanings)",
            "flag_values": codes,
            "flag_meanings": _words(names),
        }
        out = out.assign_coords({dim: (dim, codes, attrs)})
    if "programme_instrument" in out.data_vars:
        values = [str(x) for x in out["programme_instrument"].values]
        kinds = sorted(set(values))
        out["programme_instrument"] = (
            out["programme_instrument"].dims,
            np.array([kinds.index(v) for v in values], dtype=np.int32),
            {
                "long_name": "instrument type of the programme (code; names in flag_meanings)",
                "flag_values": np.arange(len(kinds), dtype=np.int32),
                "flag_meanings": _words([k or "none" for k in kinds]),
            },
        )
    out.attrs["layout"] = "cdo"
    return out


def write_netcdf(
    ds: xr.Dataset,
    path: str | os.PathLike[str],
    snapshots: xr.Dataset | None = None,
    *,
    layout: str = "default",
) -> Path:
    """Write ``ds`` (and the firm snapshots as group ``firm_snapshots``) to ``path`` atomically:
    to a temporary file in the same folder, renamed when complete, so a reader never sees a
    partial file and a failure leaves nothing behind. ``time`` is the unlimited (record)
    dimension; ``layout="cdo"`` codes the string coordinates (:func:`cdo_layout`)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)} (got {layout!r})")
    if layout == "cdo":
        ds = cdo_layout(ds)
    unlimited = ["time"] if "time" in ds.dims else []
    with interrupts_held(), atomic_path(path) as tmp:
        ds.to_netcdf(
            tmp,
            mode="w",
            format="NETCDF4",
            engine="netcdf4",
            encoding=encoding_for(ds),
            unlimited_dims=unlimited,
        )
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
