"""Ensemble files as inputs of a comparison: open one, or check that several pair up (one model
version, root seed, member seeds, parameter points and time axis) and merge them along
``scenario``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from abm.analysis.compare import NEEDED, OPTIONAL
from abm.analysis.errors import CompareError


def is_ensemble_file(x: str | os.PathLike[str]) -> bool:
    """Whether an input names an ensemble file (``.nc``/``.nc4``) rather than a scenario."""
    return Path(x).suffix.lower() in (".nc", ".nc4")


def open_ensembles(paths: Sequence[str | os.PathLike[str]]) -> xr.Dataset:
    """Open one ensemble file, or merge several along ``scenario``.

    Parameters
    ----------
    paths : sequence of path
        Ensemble NetCDF files written by :func:`abm.ensemble.run_ensemble`.

    Returns
    -------
    xarray.Dataset
        The ensemble (one file: opened as is; several: the variables a comparison needs,
        merged along ``scenario`` in the order given, ``programme`` the union of the files').

    Raises
    ------
    CompareError
        A file is missing or not an ensemble; the files come from different model versions,
        root seeds, member seeds, parameter points or time axes; a scenario is in two files.
    """

    paths = [Path(p) for p in paths]
    dss: list[xr.Dataset] = []
    try:
        for p in paths:
            if not p.is_file():
                raise CompareError(f"{p}: no such ensemble file")
            try:
                d = xr.open_dataset(p)
            except Exception as e:  # noqa: BLE001 - any reader failure is bad input
                raise CompareError(
                    f"{p}: cannot be read as NetCDF ({' '.join(str(e).split())[:200]})"
                ) from None
            dss.append(d)
            if "scenario" not in d.dims or "realization" not in d.dims:
                raise CompareError(
                    f"{p}: not an ensemble file (no 'scenario' and 'realization' dimensions); "
                    "make one with `abm ensemble`, or give scenario names"
                )
        if len(dss) == 1:
            return dss[0]
        _check_compatible(paths, dss)
        merged = _merge(dss)
    except BaseException:
        for d in dss:
            d.close()
        raise
    for d in dss:
        d.close()
    merged.attrs["source_files"] = ", ".join(str(p) for p in paths)
    return merged


def _check_compatible(paths: list[Path], dss: list[xr.Dataset]) -> None:
    p0, d0 = paths[0], dss[0]
    seen = {str(s): p0 for s in d0["scenario"].values}
    for p, d in zip(paths[1:], dss[1:], strict=True):
        a, b = d0.attrs.get("model_version"), d.attrs.get("model_version")
        if a is None or b is None or str(a) != str(b):
            raise CompareError(
                f"{p} comes from model version {b} but {p0} from {a}; compare ensembles of one "
                "model version (rerun them)"
            )
        a, b = d0.attrs.get("root_seed"), d.attrs.get("root_seed")
        if a is None or b is None or int(a) != int(b):
            raise CompareError(
                f"{p} has root seed {b} but {p0} has {a}: the members are not paired; run the "
                "ensembles with the same --seed"
            )
        ma = d0["member"].values if "member" in d0.coords else None
        mb = d["member"].values if "member" in d.coords else None
        if ma is None or mb is None or ma.shape != mb.shape or not np.array_equal(ma, mb):
            raise CompareError(
                f"{p} has member seeds {_describe_members(mb)} but {p0} has "
                f"{_describe_members(ma)}: the members are not paired; run the ensembles "
                "with the same --runs and --seed"
            )
        pa = [c for c in d0.coords if c == "point" or str(c).startswith("param_")]
        pb = [c for c in d.coords if c == "point" or str(c).startswith("param_")]
        if sorted(pa) != sorted(pb) or any(
            not np.array_equal(d0[c].values, d[c].values) for c in pa
        ):
            raise CompareError(
                f"{p} and {p0} have different parameter points (sweep or sample); the members "
                "are not paired"
            )
        if d0.sizes["time"] != d.sizes["time"] or not np.array_equal(
            d0["time"].values, d["time"].values
        ):
            raise CompareError(
                f"{p} has {d.sizes['time']} quarters from {_first(d)} but {p0} has "
                f"{d0.sizes['time']} from {_first(d0)}; run the ensembles with the same --quarters"
            )
        for s in d["scenario"].values:
            if str(s) in seen:
                raise CompareError(f"scenario '{s}' is in both {seen[str(s)]} and {p}")
            seen[str(s)] = p


def _describe_members(m: np.ndarray | None) -> str:
    if m is None:
        return "(none)"
    if m.size and np.array_equal(m, np.arange(m.size)):
        return f"0..{m.size - 1}"
    return "[" + ", ".join(str(int(v)) for v in m[:8]) + (", ...]" if m.size > 8 else "]")


def _first(d: xr.Dataset) -> str:
    return str(d["time"].values[0])[:10] if d.sizes["time"] else "-"


def _merge(dss: list[xr.Dataset]) -> xr.Dataset:

    progs: list[str] = []
    instruments: dict[str, str] = {}
    for d in dss:
        for p, ins in zip(d["programme"].values, d["programme_instrument"].values, strict=True):
            if str(p) not in instruments:
                progs.append(str(p))
            instruments.setdefault(str(p), str(ins))
    keep = [*NEEDED, *OPTIONAL, "member_ok", "scale"]
    parts = []
    for d in dss:
        sub = d[[v for v in keep if v in d]].load()
        sub = sub.assign_coords(programme=[str(p) for p in sub["programme"].values])
        sub["programme_spending"] = sub["programme_spending"].reindex(
            programme=progs, fill_value=0.0
        )
        parts.append(sub.reindex(programme=progs))
    merged = xr.concat(parts, dim="scenario", coords="minimal", compat="override", join="outer")
    merged["programme_instrument"] = (
        "programme",
        np.array([instruments[p] for p in progs], dtype=object),
        {"long_name": "instrument type of the programme"},
    )
    merged.attrs = dict(dss[0].attrs)
    merged.attrs["scenarios"] = ", ".join(str(s) for s in merged["scenario"].values)
    merged.attrs.pop("ensemble_id", None)
    return merged
