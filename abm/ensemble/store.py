"""Zarr stores: an ensemble written in place, member by member, for very large ensembles.

``-o FILE.zarr`` makes :func:`abm.ensemble.run_ensemble` write a zarr store instead of shards
and a final NetCDF file. The store is created with its full dimensions (the same coordinates,
variables and attributes as the NetCDF file, :mod:`abm.ensemble.assembly`), every member
variable chunked by one member (``(1, 1, time, ...)``) and filled with NaN where unwritten; each
finished member is written in place into its region, ``[scenario i, realization r]`` of every
member variable (its own chunks: zarr's region assignment, what xarray's
``to_zarr(region=...)`` does, without re-reading the store's metadata for every member), then
its ``member_ok`` is set to 1. A member interrupted while being written keeps ``member_ok == 0``,
so ``--resume`` redoes it; the members already written are kept. ``xarray.open_zarr`` opens the
store with the values the NetCDF file would hold.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np
import xarray as xr
import zarr

from abm.ensemble.plan import Plan
from abm.ensemble.results import EnsembleInputError, MemberFailure
from abm.ensemble.shards import expected_vars, local_writes, spread_programmes
from abm.io.netcdf import interrupts_held

#: The store's record of which ensemble it holds (a global attribute).
ID_ATTR = "ensemble_id"
#: Zarr format 2: consolidated metadata (one read opens the store) is part of its
#: specification, and the readers of other languages (R, Julia) read it.
ZARR_FORMAT = 2


def _encoding(skeleton: xr.Dataset, member_vars: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    """Zarr encoding: CF time as days since the start (as in the NetCDF file), NaN as the fill
    value of the member variables (chunks never written read as NaN)."""
    enc: dict[str, dict[str, Any]] = {}
    start = str(np.datetime_as_string(skeleton["time"].values[0], unit="D"))
    time_enc = {
        "units": f"days since {start} 00:00:00",
        "calendar": "proleptic_gregorian",
        "dtype": "float64",
    }
    for t in ("time", "time_bnds"):
        enc[t] = dict(time_enc)
    for v in member_vars:
        enc[v] = {"_FillValue": np.nan}
    return enc


def create_store(
    path: Path,
    plan: Plan,
    template: xr.Dataset,
    skeleton: xr.Dataset,
    coord_names: list[str],
) -> None:
    """Write the store's metadata, coordinates and per-scenario variables; the member
    variables are lazy NaN arrays that are never computed (their chunks stay unwritten)."""
    S, M = len(plan.scenarios), plan.realizations
    member_vars = expected_vars(template)
    ds = skeleton.copy()
    for v, dims in member_vars.items():
        shape = (S, M, *(ds.sizes[d] if d in ds.sizes else template.sizes[d] for d in dims))
        chunks = (1, 1, *shape[2:])
        attrs = {k: a for k, a in template[v].attrs.items() if k != "_FillValue"}
        attrs["coordinates"] = " ".join(coord_names)
        ds[v] = (("scenario", "realization", *dims), da.full(shape, np.nan, chunks=chunks), attrs)
    ds["member_ok"] = ds["member_ok"].chunk({"scenario": 1, "realization": 1})
    ds.attrs["complete"] = np.int8(0)
    with local_writes(), interrupts_held():
        ds.to_zarr(
            path,
            mode="w",
            compute=False,
            encoding=_encoding(skeleton, member_vars),
            zarr_format=ZARR_FORMAT,
            consolidated=True,
        )


def _members_ok(path: Path) -> np.ndarray:
    with xr.open_zarr(path) as ds:
        return np.asarray(ds["member_ok"].values)


def written_members(path: Path, plan: Plan, eid: str) -> set[tuple[int, int]]:
    """The (scenario, realization) members already in an existing store of this ensemble.

    Raises
    ------
    EnsembleInputError
        The store is unreadable or holds another ensemble.
    """
    try:
        with xr.open_zarr(path) as ds:
            got = ds.attrs.get(ID_ATTR)
            ok = np.asarray(ds["member_ok"].values)
            names = [str(s) for s in ds["scenario"].values]
    except Exception as e:  # noqa: BLE001 - not a store we can continue
        raise EnsembleInputError(
            f"--resume: {path} is not a readable ensemble store ({type(e).__name__}); remove it "
            "to start afresh"
        ) from None
    if got != eid or names != plan.names or ok.shape != (len(plan.names), plan.realizations):
        raise EnsembleInputError(
            f"--resume: {path} holds a different ensemble; use the same scenarios and options, "
            "or another output file"
        )
    return {(int(i), int(r)) for i, r in zip(*np.nonzero(ok == 1), strict=True)}


def _member_arrays(
    ds: xr.Dataset, variables: Mapping[str, tuple[str, ...]], programmes: list[str]
) -> dict[str, np.ndarray]:
    """A member's variables as float arrays, programmes spread over the union (zero where the
    scenario has none), as :func:`abm.ensemble.assembly.assemble` does."""
    own = [str(p) for p in ds["programme"].values]
    index = {p: j for j, p in enumerate(programmes)}
    out = {}
    for v, dims in variables.items():
        out[v] = spread_programmes(np.asarray(ds[v].values, dtype=float), dims, own, index)
    return out


class ZarrSink:
    """Writes finished members into a store in place (see the module docstring)."""

    def __init__(self, path: Path, plan: Plan, template: xr.Dataset, programmes: list[str]):
        self.path = path
        self.plan = plan
        self.variables = expected_vars(template)
        self.programmes = programmes
        self._open: Any = None

    def _arrays(self) -> dict[str, Any]:
        if self._open is None:
            group = zarr.open_group(str(self.path), mode="r+", use_consolidated=False)
            self._open = {v: group[v] for v in [*self.variables, "member_ok"]}
        return self._open

    def write(self, ds: xr.Dataset, info: Mapping[str, Any], i: int, r: int) -> None:
        """Member ``(i, r)``'s values into its chunks, then ``member_ok = 1``.

        The member variables are plain float64 arrays (no encoding but the NaN fill value), so
        they are written with zarr itself, one chunk each, into arrays opened once: several
        times faster than ``to_zarr(region=...)``, which reads the store's metadata per call."""
        arrays = _member_arrays(ds, self.variables, self.programmes)
        store = self._arrays()
        with interrupts_held():
            for v, a in arrays.items():
                store[v][i, r] = a
            store["member_ok"][i, r] = 1

    def saved(self) -> int:
        """Members written so far."""
        return int((_members_ok(self.path) == 1).sum())


def finish_store(path: Path, failures: list[MemberFailure]) -> None:
    """Record the failures in the store's attributes, mark it complete and consolidate its
    metadata (so ``xarray.open_zarr`` reads it in one request)."""
    with interrupts_held():
        group = zarr.open_group(str(path), mode="r+")
        group.attrs.update(
            {
                "members_failed": len(failures),
                "failures": json.dumps([f.as_dict() for f in failures]),
                "complete": 1,
            }
        )
        zarr.consolidate_metadata(str(path))


def store_complete(path: Path, eid: str) -> bool:
    """Whether ``path`` is the complete store of this ensemble with no failed member."""
    try:
        group = zarr.open_group(str(path), mode="r")
        attrs = dict(group.attrs)
    except Exception:  # noqa: BLE001 - unreadable: not complete
        return False
    if attrs.get(ID_ATTR) != eid or attrs.get("complete") != 1 or attrs.get("members_failed", 1):
        return False
    try:
        return bool((_members_ok(path) == 1).all())
    except Exception:  # noqa: BLE001 - unreadable: not complete
        return False
