"""Shards: one NetCDF file per finished member in ``FILE.parts/``, written atomically as it
arrives; checked on resume (a shard that cannot be read, lacks a variable or carries another
member's metadata is redone)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import dask
import netCDF4
import numpy as np
import xarray as xr

from abm.ensemble.plan import Plan
from abm.io.atomic import write_text_atomic
from abm.io.netcdf import write_netcdf

#: The shard folder's record of which ensemble it belongs to.
MANIFEST = "ensemble.json"


def shard_name(i: int, name: str, r: int) -> str:
    """File name of scenario ``i``'s shard of realization ``r``."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:40]
    return f"s{i:03d}_r{r:07d}_{safe}.nc"


def write_manifest(parts: Path, eid: str, config: Mapping[str, Any]) -> None:
    """Record the ensemble a shard folder belongs to."""
    write_text_atomic(
        parts / MANIFEST, json.dumps({"ensemble_id": eid, "config": config}, indent=1)
    )


def expected_vars(template: xr.Dataset) -> dict[str, tuple[str, ...]]:
    """Member variables (those along time, not the shared ``time_bnds``) and their dims."""
    return {
        v: tuple(template[v].dims)
        for v in template.data_vars
        if "time" in template[v].dims and v != "time_bnds" and template[v].dtype.kind == "f"
    }


def validate_shard(path: Path, expect: Mapping[str, Any]) -> str | None:
    """Why a shard cannot be kept (or None if it can): it must open, carry this ensemble's id
    and the member's metadata, and hold every variable with ``quarters`` time steps readable.

    ``expect`` has keys ``ensemble_id``, ``scenario``, ``scenario_index``, ``realization``,
    ``member``, ``quarters`` and ``variables`` (name -> dims)."""
    try:
        with netCDF4.Dataset(path) as nc:
            nc.set_auto_mask(False)
            attrs = {k: nc.getncattr(k) for k in nc.ncattrs()}
            for k in ("id", "scenario", "scenario_index", "realization", "member"):
                got = attrs.get(f"ensemble_{k}")
                want = expect["ensemble_id" if k == "id" else k]
                if got is None or (str(got) if isinstance(want, str) else int(got)) != want:
                    return f"wrong member metadata (ensemble_{k} = {got!r}, expected {want!r})"
            if nc.dimensions["time"].size != expect["quarters"]:
                return f"{nc.dimensions['time'].size} quarters, expected {expect['quarters']}"
            for v, dims in expect["variables"].items():
                if v not in nc.variables:
                    return f"variable '{v}' missing"
                if tuple(nc.variables[v].dimensions) != tuple(dims):
                    return f"variable '{v}' has dims {nc.variables[v].dimensions}, expected {dims}"
                nc.variables[v][:]  # decompress: a truncated file fails here
            nc.variables["programme"][:]
    except Exception as e:  # noqa: BLE001 - any failure to read means: redo the member
        return f"cannot be read ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
    return None


def clean_temporaries(folder: Path, prefix: str = ".") -> None:
    """Remove temporary files an interrupted write left in ``folder``."""
    for p in folder.glob(f"{prefix}*.tmp"):
        with contextlib.suppress(OSError):
            p.unlink()


def write_shard(
    ds: xr.Dataset, info: dict[str, Any], plan: Plan, i: int, r: int, eid: str, parts: Path
) -> Path:
    """Write one member's dataset, with its ensemble metadata, as its shard."""
    k = plan.member_of(r)
    ds.attrs.update(
        {
            "ensemble_id": eid,
            "ensemble_scenario": plan.names[i],
            "ensemble_scenario_index": np.int64(i),
            "ensemble_realization": np.int64(r),
            "ensemble_member": np.int64(k),
            "ensemble_point": np.int64(plan.point_of(r) if plan.points else 0),
            "ensemble_parameters": json.dumps(plan.parameters(r)),
            "ensemble_member_seconds": float(info.get("seconds", 0.0)),
            "ensemble_worker": f"{info.get('host', '?')}:{info.get('pid', '?')}",
            "ensemble_numba_threads": np.int64(info.get("numba_threads", 0)),
            "ensemble_numba_max_threads": np.int64(info.get("numba_max_threads", 0)),
        }
    )
    with local_writes():
        return write_netcdf(ds, parts / shard_name(i, plan.names[i], r))


def local_writes() -> contextlib.AbstractContextManager[Any]:
    """Write files with local locks: with a distributed Client as dask's default scheduler,
    xarray would take a distributed lock (a scheduler round trip) for every variable."""
    return dask.config.set(scheduler="synchronous")


def kept_shards(
    plan: Plan,
    parts: Path,
    eid: str,
    variables: Mapping[str, tuple[str, ...]],
    note: Callable[[str], None],
) -> set[tuple[int, int]]:
    """The (scenario, realization) members whose shards can be kept; the others are removed
    (and so redone)."""
    done: set[tuple[int, int]] = set()
    bad = 0
    for i, name in enumerate(plan.names):
        for r in range(plan.realizations):
            path = parts / shard_name(i, name, r)
            if not path.exists():
                continue
            expect = {
                "ensemble_id": eid,
                "scenario": name,
                "scenario_index": i,
                "realization": r,
                "member": plan.member_of(r),
                "quarters": plan.quarters,
                "variables": variables,
            }
            why = validate_shard(path, expect)
            if why is None:
                done.add((i, r))
            else:
                bad += 1
                note(f"shard {path.name} {why}: redoing it")
                path.unlink(missing_ok=True)
    note(
        f"resuming: {len(done)} of {plan.total} members kept"
        + (f", {bad} corrupt shard(s) redone" if bad else "")
    )
    return done


def spread_programmes(
    a: np.ndarray, dims: tuple[str, ...], own: list[str], index: dict[str, int]
) -> np.ndarray:
    """A member's array with its own programmes (``own``, along the ``programme`` dimension of
    ``dims``) spread over the ensemble's union (``index``: name -> position), zero where the
    member's scenario has no such programme; arrays without that dimension pass through."""
    if "programme" not in dims:
        return a
    ax = dims.index("programme")
    full = np.zeros((*a.shape[:ax], len(index), *a.shape[ax + 1 :]))
    sl: list[Any] = [slice(None)] * a.ndim
    sl[ax] = [index[p] for p in own]
    full[tuple(sl)] = a
    return full
