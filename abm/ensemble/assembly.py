"""Assembly: the final ensemble file, written from the shards one block of members at a time so
the driver's memory stays bounded whatever the member count.

Layout: dimensions ``scenario``, ``realization``, ``time``, ``sector``, ``skill``,
``programme`` (the union over the scenarios, zero where a scenario has no such programme) and
``nv``; ``realization`` is the CF coordinate (``standard_name = "realization"``); along it, the
coordinates ``member`` (the seed's spawn key) and, with parameter points, ``point`` and one
``param_*`` coordinate per varied parameter. ``member_ok(scenario, realization)`` is 1 for a
member written and 0 for one that failed (its values are NaN, the fill value). Provenance is in
the global attributes as numbers or JSON text.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from pathlib import Path
from typing import Any

import netCDF4
import numpy as np
import xarray as xr

from abm.ensemble.plan import SEED_SCHEME, Plan
from abm.ensemble.results import EnsembleError, MemberFailure
from abm.ensemble.shards import expected_vars, local_writes, shard_name, spread_programmes
from abm.io.atomic import atomic_path
from abm.io.netcdf import encoding_for, interrupts_held
from abm.io.provenance import (
    REFERENCES,
    calibration_toml,
    code_attrs,
    command_line,
    model_version,
    now_iso,
)
from abm.recording import quarter_bounds
from abm.scenario import programme_union

#: Realizations per chunk of the final file (and per block read from shards when assembling).
BLOCK = 64


def _time_axis(plan: Plan) -> list[_dt.date]:
    """The first day of every recorded quarter."""
    return [_dt.date(plan.start_year + q // 4, 3 * (q % 4) + 1, 1) for q in range(plan.quarters)]


#: Units of the dimensional calibration values a sweep or sample can vary (by name, as in
#: abm/calibration/netherlands.toml, where money is euros a year unless the name says
#: otherwise); every other calibration value is a share, rate, elasticity or multiplier ("1").
_CALIBRATION_UNITS = {
    "gdp_2025": "EUR year-1",
    "compensation_per_job": "EUR year-1",
    "talent_cost_per_resident": "EUR",
    "largest_firm_sales": "EUR year-1",
    "largest_firm_rd": "EUR year-1",
    "corporate_bracket": "EUR year-1",
    "defence_budget_2025": "EUR year-1",
    "defence_budget_2035": "EUR year-1",
    "waiting_list_mw": "MW",
}
#: Units of the programme fields a sweep can vary that are not shares or rates.
_PROGRAMME_UNITS = {"budget": "EUR year-1", "bracket": "EUR year-1"}


def parameter_units(key: str) -> str:
    """The CF units of a varied parameter's coordinate (``param_*``): money in euros
    (``EUR year-1`` for amounts a year), ``1`` for shares, rates, elasticities, counts and the
    multipliers of ``chosen:`` keys."""
    base = key.split("[", 1)[0]
    if base.startswith("chosen:"):
        return "1"
    name = base.rsplit(".", 1)[-1]
    if base.startswith("programme:"):
        return _PROGRAMME_UNITS.get(name, "1")
    return _CALIBRATION_UNITS.get(name, "1")


def _coords(
    plan: Plan, template: xr.Dataset, progs: list[str], time_vals: np.ndarray
) -> tuple[dict[str, Any], list[str]]:
    """The file's coordinates, and the names of those along ``realization``."""
    M = plan.realizations
    member = np.array([plan.member_of(r) for r in range(M)], dtype=np.int64)
    coords: dict[str, Any] = {
        "scenario": (
            "scenario",
            np.array(plan.names, dtype=object),
            {"long_name": "scenario compared (shared member seeds: common random numbers)"},
        ),
        "realization": (
            "realization",
            np.arange(M, dtype=np.int64),
            {
                "standard_name": "realization",
                "units": "1",
                "long_name": "ensemble member (realization = point * runs + member)",
            },
        ),
        "member": (
            "realization",
            member,
            {
                "long_name": "member seed index k",
                "units": "1",
                "comment": f"seed = numpy.random.SeedSequence(root_seed={plan.root_seed}, "
                "spawn_key=(member,)) = SeedSequence(root_seed).spawn(runs)[member]",
            },
        ),
        "time": ("time", time_vals, dict(template["time"].attrs)),
        "sector": ("sector", template["sector"].values, dict(template["sector"].attrs)),
        "skill": ("skill", template["skill"].values, dict(template["skill"].attrs)),
        "programme": (
            "programme",
            np.array(progs, dtype=object),
            {"long_name": "government innovation programme (union over the scenarios)"},
        ),
    }
    coord_names = ["member"]
    if plan.points:
        coords["point"] = (
            "realization",
            np.array([plan.point_of(r) for r in range(M)], dtype=np.int64),
            {"long_name": "parameter point index (row of the sweep grid or sample)", "units": "1"},
        )
        coord_names.append("point")
        for j, o in enumerate(plan.design.overrides):  # type: ignore[union-attr]
            lab, name = o.key, o.coordinate
            coords[name] = (
                "realization",
                np.array([plan.points[plan.point_of(r)][j] for r in range(M)], dtype=float),
                {
                    "long_name": f"value of the varied parameter {lab}",
                    "parameter": lab,
                    "units": parameter_units(lab),
                },
            )
            coord_names.append(name)
    return coords, coord_names


def _skeleton(
    plan: Plan,
    template: xr.Dataset,
    failures: list[MemberFailure],
    eid: str,
) -> tuple[xr.Dataset, list[str], np.ndarray]:
    """Everything of the final file but the member variables: coordinates, per-scenario
    variables, ``member_ok`` (all 0) and the global attributes; the coordinates along
    ``realization`` and the time axis."""
    S, M = len(plan.scenarios), plan.realizations
    progs = programme_union(plan.scenarios)
    time_vals, bnds = quarter_bounds(_time_axis(plan))
    coords, coord_names = _coords(plan, template, progs, time_vals)
    instruments = dict(
        zip(template["programme"].values, template["programme_instrument"].values, strict=True)
    )
    for sc in plan.scenarios:
        for p, spec in sc.programmes.items():
            instruments.setdefault(p, spec.instrument)
    skeleton = xr.Dataset(
        {
            "time_bnds": (("time", "nv"), bnds, {}),  # CF: bounds take the time's attributes
            "programme_instrument": (
                "programme",
                np.array([instruments.get(p, "") for p in progs], dtype=object),
                {"long_name": "instrument type of the programme"},
            ),
            "scenario_toml": (
                "scenario",
                np.array([sc.to_toml() for sc in plan.scenarios], dtype=object),
                {"long_name": "the fully resolved scenario as TOML text (before sweep values)"},
            ),
            "scale": (
                "scenario",
                np.array(plan.scales, dtype=float),
                {"long_name": "real persons one talent agent stands for", "units": "1"},
            ),
            "burn_in_quarters": (
                "scenario",
                np.array([sc.run.burn_in for sc in plan.scenarios], dtype=np.int32),
                {
                    "long_name": "number of unrecorded burn-in quarters before the first "
                    "recorded quarter",
                    "units": "1",
                },
            ),
            "calibration_toml": (
                "scenario",
                np.array(
                    [calibration_toml(sc.calibration()) for sc in plan.scenarios], dtype=object
                ),
                {
                    "long_name": "the calibration each scenario ran with, as TOML text (before "
                    "sweep or sample values, which the param_* coordinates give)"
                },
            ),
            "member_ok": (
                ("scenario", "realization"),
                np.zeros((S, M), dtype=np.int8),
                {
                    "long_name": "member written (1) or failed after retries (0, values NaN)",
                    "flag_values": np.array([0, 1], dtype=np.int8),
                    "flag_meanings": "failed written",
                    "units": "1",
                },
            ),
        },
        coords=coords,
        attrs=_global_attrs(plan, template, failures, eid),
    )
    return skeleton, coord_names, time_vals


def _create_variables(
    nc: netCDF4.Dataset, template: xr.Dataset, coord_names: list[str], M: int
) -> dict[str, Any]:
    """The member variables of the final file (chunked by ``BLOCK`` realizations)."""
    out = {}
    for v, dims in expected_vars(template).items():
        shape = [nc.dimensions[d].size for d in dims]
        chunks = (1, min(M, BLOCK), *[max(1, s) for s in shape])
        var = nc.createVariable(
            v,
            "f8",
            ("scenario", "realization", *dims),
            zlib=True,
            complevel=4,
            chunksizes=chunks,
            fill_value=np.nan,
        )
        attrs = {k: a for k, a in template[v].attrs.items() if k != "_FillValue"}
        attrs["coordinates"] = " ".join(coord_names)
        var.setncatts(attrs)
        out[v] = var
    return out


def _read_shard(
    path: Path, variables: dict[str, tuple[str, ...]], p_index: dict[str, int]
) -> dict[str, np.ndarray]:
    """A shard's member variables, programmes spread over the union (zero where absent)."""
    out = {}
    with netCDF4.Dataset(path) as sh:
        sh.set_auto_mask(False)
        sp = [str(p) for p in sh.variables["programme"][:]]
        for v, dims in variables.items():
            a = np.asarray(sh.variables[v][:], dtype=float)
            out[v] = spread_programmes(a, dims, sp, p_index)
    return out


def assemble(
    plan: Plan,
    template: xr.Dataset,
    parts: Path,
    output: Path,
    failures: list[MemberFailure],
    eid: str,
) -> None:
    """Write the final file from the shards, one block of ``BLOCK`` realizations at a time
    (the driver never holds more than one block of members)."""
    S, M = len(plan.scenarios), plan.realizations
    variables = expected_vars(template)
    skeleton, coord_names, time_vals = _skeleton(plan, template, failures, eid)
    enc = encoding_for(skeleton)
    enc["member_ok"] = {"dtype": "int8"}
    for v in ("time", "time_bnds"):  # CF: no fill value on a coordinate or its bounds
        enc[v]["_FillValue"] = None
    failed = {(f.scenario, f.realization) for f in failures}
    p_index = {str(p): j for j, p in enumerate(skeleton["programme"].values)}
    with atomic_path(output) as tmp:
        with local_writes(), interrupts_held():
            skeleton.to_netcdf(tmp, mode="w", format="NETCDF4", engine="netcdf4", encoding=enc)
        ok = np.zeros((S, M), dtype=np.int8)
        with netCDF4.Dataset(tmp, "a") as nc:
            out = _create_variables(nc, template, coord_names, M)
            for i, name in enumerate(plan.names):
                for r0 in range(0, M, BLOCK):
                    r1 = min(M, r0 + BLOCK)
                    block = {v: np.full((r1 - r0, *out[v].shape[2:]), np.nan) for v in variables}
                    for r in range(r0, r1):
                        if (name, r) in failed:
                            continue
                        path = parts / shard_name(i, name, r)
                        if not ok.any():  # the shards' time axis is the file's
                            with netCDF4.Dataset(path) as sh:
                                _check_time(sh, time_vals, path)
                        for v, a in _read_shard(path, variables, p_index).items():
                            block[v][r - r0] = a
                        ok[i, r] = 1
                    for v in variables:
                        out[v][i, r0:r1] = block[v]
            nc.variables["member_ok"][:] = ok


def _check_time(sh: Any, expected: np.ndarray, path: Path) -> None:
    t = sh.variables["time"]
    got = netCDF4.num2date(
        t[:], t.units, getattr(t, "calendar", "standard"), only_use_cftime_datetimes=False
    )
    got = np.array([np.datetime64(d.isoformat()) for d in got], dtype="datetime64[ns]")
    if got.shape != expected.shape or not np.array_equal(got, expected):
        raise EnsembleError(
            f"{path}: the member's time axis ({got[0]} ...) differs from the ensemble's "
            f"({expected[0]} ...); this is a bug, please report it"
        )


def _global_attrs(
    plan: Plan, template: xr.Dataset, failures: list[MemberFailure], eid: str
) -> dict[str, Any]:
    now = now_iso()
    overrides = plan.design.overrides if plan.design else ()
    keep = (
        "Conventions",
        "institution",
        "source",
        "comment",
        "library_versions",
        "accounting_checks",
        "calibration_file_sha256",
    )
    attrs = {k: template.attrs[k] for k in keep if k in template.attrs}
    call = (
        f"abm.ensemble.run_ensemble({plan.names!r}, runs={plan.runs}, "
        f"root_seed={plan.root_seed}, quarters={plan.quarters}, scale={plan.scales[0]:g})"
    )
    attrs.update(
        {
            "title": (
                f"focus-abm ensemble: {', '.join(plan.names)}; {plan.realizations} "
                "realizations each"
            ),
            "history": f"{now} focus-abm {model_version()}: {command_line(call)}",
            "references": REFERENCES,
            **code_attrs(),
            "date_created": now,
            "accounting_checks": int(plan.check_accounts),
            "ensemble_id": eid,
            "root_seed": np.int64(plan.root_seed),
            "runs": np.int64(plan.runs),
            "realizations": np.int64(plan.realizations),
            "members": np.int64(plan.total),
            "members_failed": np.int64(len(failures)),
            "failures": json.dumps([f.as_dict() for f in failures]),
            "seed_scheme": SEED_SCHEME,
            "scenarios": json.dumps(plan.names),
            "quarters": np.int64(plan.quarters),
            "parameters": json.dumps({o.key: o.coordinate for o in overrides}),
            "parameter_points": np.int64(len(plan.points)),
            "sweep": json.dumps(plan.design.sweep if plan.design else {}),
            "sample": json.dumps(plan.design.sample if plan.design else {}),
        }
    )
    return attrs


#: The index a ``--layout cdo`` ensemble folder gets when every member file is written.
CDO_INDEX = "ensemble.json"


def member_file(name: str, r: int) -> str:
    """File name of scenario ``name``'s member at realization ``r`` in a ``--layout cdo``
    folder."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:40]
    return f"{safe}_r{r:07d}.nc"


def export_members(
    plan: Plan,
    parts: Path,
    folder: Path,
    failures: list[MemberFailure],
    eid: str,
) -> None:
    """``--layout cdo``: one file per member in ``folder`` (``<scenario>_r<realization>.nc``,
    each like a single run in the cdo layout, with its seeds and parameter values as global
    attributes), then ``ensemble.json`` listing them; every file is written atomically."""
    from abm.io.atomic import write_text_atomic
    from abm.io.netcdf import write_netcdf

    failed = {(f.scenario, f.realization) for f in failures}
    files = []
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(plan.names):
        for r in range(plan.realizations):
            if (name, r) in failed:
                continue
            with xr.open_dataset(parts / shard_name(i, name, r)) as sh:
                ds = sh.load()
            ds.attrs.update(
                {
                    "realization": np.int64(r),
                    "point": np.int64(plan.point_of(r) if plan.points else 0),
                    "parameters": json.dumps(plan.parameters(r)),
                    "runs": np.int64(plan.runs),
                }
            )
            path = folder / member_file(name, r)
            with local_writes():
                write_netcdf(ds, path, layout="cdo")
            files.append(
                {"scenario": name, "realization": r, "member": plan.member_of(r), "file": path.name}
            )
    index = {
        "ensemble_id": eid,
        "layout": "cdo",
        "root_seed": plan.root_seed,
        "runs": plan.runs,
        "realizations": plan.realizations,
        "scenarios": plan.names,
        "seed_scheme": SEED_SCHEME,
        "parameters": plan.param_labels,
        "members": files,
        "members_failed": len(failures),
        "failures": [f.as_dict() for f in failures],
        "history": f"{now_iso()} focus-abm {model_version()}: {command_line()}",
    }
    write_text_atomic(folder / CDO_INDEX, json.dumps(index, indent=1))
