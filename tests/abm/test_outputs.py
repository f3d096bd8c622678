"""Files every tool of the field opens (issue #16): CF units and attributes (the IOOS
compliance-checker reports only the currency unit), CDO and NCO read the files, zarr stores equal
the NetCDF files, and a file alone says which calibration, code and seeds made it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from abm import EconomyModel, load_scenario
from abm.cli import main
from abm.ensemble import EnsembleInputError, run_ensemble
from abm.io import write_netcdf
from abm.recording import snapshot_dataset
from abm.recording.variables import PER_PERSON_PER_QUARTER, VARIABLES

ROOT = Path(__file__).resolve().parents[2]
Q, SCALE = 2, 4000.0
TINY = ["--quarters", str(Q), "--scale", str(int(SCALE)), "--no-progress"]
# the ensembles run on the session's dask scheduler (tests/conftest.py): what is checked here is
# the files, and starting a local cluster per ensemble cost seconds each (the local cluster, and
# --workers from the command line, are tested in test_ensemble.py)
ENSEMBLE = {"runs": 2, "root_seed": 3, "quarters": Q, "scale": SCALE}


def _run(tmp_path: Path, name: str, *extra: str) -> Path:
    out = tmp_path / name
    r = CliRunner().invoke(main, ["run", "laissez_faire", "-o", str(out), *TINY, *extra])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def singles(tmp_path_factory):
    """The single-run files several tests read, each written once: `abm run laissez_faire`
    (TINY) in the default and the cdo layout and to 2026Q4, and the firm snapshots of that
    4-quarter run as a file of their own."""
    tmp = tmp_path_factory.mktemp("singles")
    model = EconomyModel("laissez_faire", 1, quarters=4, scale=SCALE).run()
    return {
        "default": _run(tmp, "d.nc"),
        "cdo": _run(tmp, "cdo.nc", "--layout", "cdo"),
        "four": _run(tmp, "four.nc", "--quarters", "4"),
        "snapshots": write_netcdf(snapshot_dataset(model), tmp / "snapshots.nc"),
    }


@pytest.fixture(scope="module")
def ensembles(tmp_path_factory, scheduler):
    """The same sweep ensemble as a NetCDF file, a zarr store and a --layout cdo folder."""
    tmp = tmp_path_factory.mktemp("ensembles")
    kw = {**ENSEMBLE, "sweep": ["rd.sigma=0,1"], "scheduler": scheduler}
    names = ["laissez_faire", "diffuse"]
    nc = run_ensemble(names, output=tmp / "e.nc", **kw)
    zarr = run_ensemble(names, output=tmp / "e.zarr", **kw)
    cdo = run_ensemble(names, output=tmp / "e_cdo", layout="cdo", **kw)
    return {"nc": nc.path, "zarr": zarr.path, "cdo": cdo.path, "tmp": tmp}


# ----------------------------------------------------------------------------- CF
def _checker_errors(path: Path) -> list[str]:
    """The IOOS compliance-checker's (cf:1.11) errors on ``path``, one string each."""
    checker = shutil.which("compliance-checker") or str(
        Path(sys.executable).parent / "compliance-checker"
    )
    out = path.with_suffix(".cf.json")
    subprocess.run(
        [checker, "--test=cf:1.11", "--format=json_new", f"--output={out}", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = next(iter(json.loads(out.read_text()).values()))["cf:1.11"]

    def failed(items: list[dict]) -> list[str]:
        msgs = []
        for item in items:
            score, possible = item["value"]
            if score < possible:
                msgs.extend(item["msgs"])
            msgs.extend(failed(item.get("children", [])))
        return msgs

    return failed(report["high_priorities"])  # what the checker reports as errors


def test_the_cf_checker_reports_only_the_currency_unit(singles, ensembles):
    pytest.importorskip("compliance_checker", reason="pip install compliance-checker")
    single, snaps, cdo = singles["default"], singles["snapshots"], singles["cdo"]
    member = sorted(ensembles["cdo"].glob("*.nc"))[0]
    currency = re.compile(r'^units for (\w+), "([^"]*)" are not recognized by UDUNITS$')
    paths = (single, ensembles["nc"], snaps, member, cdo)
    # one checker process per file, as many at once as there are cores (seconds each)
    with ThreadPoolExecutor(max_workers=min(len(paths), os.cpu_count() or 1)) as pool:
        found = dict(zip(paths, pool.map(_checker_errors, paths), strict=True))
    for path in paths:
        errors = found[path]
        assert errors, f"{path.name}: the checker found nothing (not even the currency)"
        with xr.open_dataset(path) as ds:
            for msg in errors:
                m = currency.match(msg)
                assert m, f"{path.name}: an error that is not the currency unit: {msg}"
                var, units = m.groups()
                assert units.split()[0] == "EUR" and ds[var].attrs["units"] == units, msg


def test_units_say_per_person_per_quarter_and_years():
    assert VARIABLES["wage"][1] == "EUR person-1 quarter-1"
    assert VARIABLES["wage_by_skill"][1] == VARIABLES["productivity"][1] == VARIABLES["wage"][1]
    assert VARIABLES["knowledge_intensity"][1] == "year"
    money = [n for n, v in VARIABLES.items() if "EUR" in v[1]]
    assert all("euro" in VARIABLES[n][2] for n in money)  # the long name says euros
    for name, (_, units, long_name, _) in VARIABLES.items():  # every per-person amount says so
        if "per person" in long_name or "per employed person" in long_name:
            assert units == PER_PERSON_PER_QUARTER, name
        elif units.startswith("EUR"):
            assert units == "EUR", name
    assert VARIABLES["gdp_real_per_capita"][1] == PER_PERSON_PER_QUARTER


def _udunits_apart_from_our_words(units: str) -> bool:
    """Whether ``units`` is UDUNITS syntax once its three words UDUNITS lacks (EUR, person,
    quarter: docs/outputs.md §2) are replaced by units it knows."""
    cf_units = pytest.importorskip("cf_units", reason="pip install compliance-checker")
    known = re.sub(r"\bEUR\b", "m", units)
    known = re.sub(r"\bperson\b", "kg", re.sub(r"\bquarter\b", "s", known))
    try:
        cf_units.Unit(known)
    except ValueError:
        return False
    return True


def test_every_unit_is_udunits_but_for_the_currency_persons_and_quarters(singles, ensembles):
    assert not _udunits_apart_from_our_words("euros per quarter")  # the check can fail
    path, snaps = singles["four"], singles["snapshots"]
    seen = set()
    for f in (path, snaps, ensembles["nc"]):
        with netCDF4.Dataset(f) as nc:
            groups = [nc, *nc.groups.values()]
            for g in groups:
                for name, var in g.variables.items():
                    if "units" in var.ncattrs() and name not in ("time", "snapshot_time"):
                        seen.add(var.units)
                        assert _udunits_apart_from_our_words(var.units), (f.name, name, var.units)
    assert {"EUR", PER_PERSON_PER_QUARTER, "year", "1"} <= seen


def test_cf_attributes_directly(singles, ensembles):
    """What the checker looks at, checked without it: flags, coordinate units, time."""
    path = singles["four"]  # to 2026Q4: one firm snapshot
    with netCDF4.Dataset(path) as nc:
        assert nc.dimensions["time"].isunlimited()  # NCO's record dimension
        t = nc.variables["time"]
        assert t.units_metadata == "leap_seconds: none" and t.calendar == "proleptic_gregorian"
        assert nc.variables["time_bnds"].ncattrs() == []  # bounds inherit from time
        g = nc.groups["firm_snapshots"]
        flags = g.variables["firm_sector"]
        assert list(flags.flag_values) == list(range(8)) and len(flags.flag_meanings.split()) == 8
        assert g.variables["snapshot_time"].units_metadata == "leap_seconds: none"
        assert g.variables["firm_productivity"].units == "EUR person-1 quarter-1"
        assert g.getncattr("history") and g.getncattr("references")
    with netCDF4.Dataset(ensembles["nc"]) as nc:
        for name, var in nc.variables.items():
            if var.dimensions == ("realization",) or name == "burn_in_quarters":
                assert "units" in var.ncattrs(), name
        assert nc.variables["param_rd__sigma"].units == "1"
        assert nc.variables["burn_in_quarters"].units == "1"
        assert nc.variables["time"].units_metadata == "leap_seconds: none"


# ----------------------------------------------------------------------------- CDO, NCO
def test_cdo_reads_every_time_dependent_variable_of_a_cdo_layout_file(singles, system_tool):
    cdo = system_tool("cdo")
    path = singles["cdo"]
    r = subprocess.run([cdo, "showname", str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Unsupported" not in r.stderr, r.stderr
    names = set(r.stdout.split())
    assert set(VARIABLES) <= names, sorted(set(VARIABLES) - names)
    with xr.open_dataset(path) as ds:  # the codes name the sectors
        assert ds["sector"].dtype.kind == "i" and ds["sector"].attrs["flag_meanings"].split()[
            0
        ] == ("semiconductors")
        with xr.open_dataset(singles["default"]) as default:
            for v in VARIABLES:
                np.testing.assert_array_equal(ds[v].values, default[v].values, err_msg=v)


def test_cdo_averages_the_members_of_a_cdo_layout_ensemble(ensembles, system_tool):
    cdo = system_tool("cdo")
    files = sorted(str(p) for p in ensembles["cdo"].glob("diffuse_r*.nc"))
    out = ensembles["tmp"] / "mean.nc"
    r = subprocess.run(
        [cdo, "-s", "ensmean", *files, str(out)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(out) as mean, xr.open_dataset(ensembles["nc"]) as ens:
        want = ens["gdp"].sel(scenario="diffuse").mean("realization").values
        np.testing.assert_allclose(mean["gdp"].values, want, rtol=1e-12)


def test_ncra_averages_a_default_single_run_file(singles, tmp_path, system_tool):
    ncra = system_tool("ncra")
    path = singles["default"]
    out = tmp_path / "avg.nc"
    r = subprocess.run([ncra, "-O", str(path), str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with xr.open_dataset(out, decode_times=False) as avg, xr.open_dataset(path) as ds:
        assert avg.sizes["time"] == 1
        np.testing.assert_allclose(avg["gdp"].values[0], ds["gdp"].values.mean(), rtol=1e-12)
        np.testing.assert_allclose(avg["value_added"].values[0], ds["value_added"].mean("time"))


def test_ensemble_members_in_the_cdo_layout_equal_the_netcdf_file(ensembles):
    index = json.loads((ensembles["cdo"] / "ensemble.json").read_text())
    assert index["layout"] == "cdo" and len(index["members"]) == 8
    with xr.open_dataset(ensembles["nc"]) as ens:
        for entry in index["members"]:
            with xr.open_dataset(ensembles["cdo"] / entry["file"]) as one:
                assert "realization" not in one.dims and one["sector"].dtype.kind == "i"
                assert int(one.attrs["realization"]) == entry["realization"]
                assert int(one.attrs["member"]) == entry["member"] == entry["realization"] % 2
                assert json.loads(one.attrs["parameters"])["rd.sigma"] == float(
                    ens["param_rd__sigma"].values[entry["realization"]]
                )
                sel = ens.sel(scenario=entry["scenario"], realization=entry["realization"])
                codes = one["programme"].attrs["flag_meanings"].split()
                for v in VARIABLES:
                    got = one[v]
                    want = sel[v]
                    if "programme" in want.dims:
                        want = want.sel(programme=codes)
                    np.testing.assert_array_equal(got.values, want.values, err_msg=v)


# ----------------------------------------------------------------------------- zarr
def _assert_same(a: xr.Dataset, b: xr.Dataset) -> None:
    assert sorted(a.variables) == sorted(b.variables)
    for v in a.variables:
        x, y = a[v].values, b[v].values
        if x.dtype.kind in "OUT" or y.dtype.kind in "OUT":
            assert [str(q) for q in x.ravel()] == [str(q) for q in y.ravel()], v
        else:
            np.testing.assert_array_equal(x, y, err_msg=v)
    skip = {"history", "date_created", "complete"}
    assert {k: str(v) for k, v in a.attrs.items() if k not in skip} == {
        k: str(v) for k, v in b.attrs.items() if k not in skip
    }


def test_a_zarr_store_opens_with_the_values_of_the_netcdf_file(ensembles):
    with xr.open_dataset(ensembles["nc"]) as nc, xr.open_zarr(ensembles["zarr"]) as z:
        _assert_same(nc, z)
        assert z["gdp"].chunks[:2] == ((1, 1), (1,) * 4)  # one chunk per member
        assert int(z.attrs["complete"]) == 1


def test_abm_ensemble_writes_zarr_and_cdo_layouts_from_the_command_line(
    ensembles, scheduler, tmp_path
):
    args = ["ensemble", "laissez_faire", "diffuse", "--runs", "2", "--seed", "3", "--sweep",
            "rd.sigma=0,1", "--scheduler", scheduler, *TINY]  # fmt: skip
    store = tmp_path / "cli.zarr"
    r = CliRunner().invoke(main, [*args, "-o", str(store)])
    assert r.exit_code == 0, r.output
    assert not list(tmp_path.glob("*.parts"))  # written in place: no shards
    with xr.open_dataset(ensembles["nc"]) as nc, xr.open_zarr(store) as z:
        _assert_same(nc, z)
    folder = tmp_path / "cli_cdo"
    r = CliRunner().invoke(main, [*args, "--layout", "cdo", "-o", str(folder)])
    assert r.exit_code == 0, r.output
    index = json.loads((folder / "ensemble.json").read_text())
    assert sorted(e["file"] for e in index["members"]) == sorted(
        p.name for p in ensembles["cdo"].glob("*.nc")
    )
    with xr.open_dataset(folder / index["members"][-1]["file"]) as one:
        with xr.open_dataset(ensembles["cdo"] / index["members"][-1]["file"]) as same:
            for v in VARIABLES:
                np.testing.assert_array_equal(one[v].values, same[v].values, err_msg=v)


def test_a_zarr_store_resumes_a_member_left_half_written(ensembles, scheduler, tmp_path):
    import zarr

    store = tmp_path / "r.zarr"
    shutil.copytree(ensembles["zarr"], store)
    group = zarr.open_group(str(store), mode="r+")
    group["member_ok"][1, 2] = 0  # as if interrupted while member (1, 2) was written
    group["gdp"][1, 2] = np.full(Q, 1.0)
    kw = {**ENSEMBLE, "sweep": ["rd.sigma=0,1"], "scheduler": scheduler}
    with pytest.raises(EnsembleInputError, match="pass --resume"):
        run_ensemble(["laissez_faire", "diffuse"], output=store, **kw)
    res = run_ensemble(["laissez_faire", "diffuse"], output=store, resume=True, **kw)
    assert (res.computed, res.reused) == (1, 7)
    with xr.open_dataset(ensembles["nc"]) as nc, res.open() as z:
        _assert_same(nc, z)


# ----------------------------------------------------------------------------- provenance
def test_a_changed_calibration_value_is_found_in_the_output(singles, tmp_path, monkeypatch):
    import abm.calibration as calibration

    text = calibration.CALIBRATION_FILE.read_text()
    changed = text.replace("quit_rate = { value = 0.01,", "quit_rate = { value = 0.0125,")
    assert changed != text
    mine = tmp_path / "netherlands.toml"
    mine.write_text(changed)
    monkeypatch.setattr(calibration, "CALIBRATION_FILE", mine)
    calibration._raw.cache_clear()
    try:
        out = _run(tmp_path, "c.nc")
    finally:
        monkeypatch.undo()
        calibration._raw.cache_clear()
    plain = singles["default"]
    with xr.open_dataset(out) as ds, xr.open_dataset(plain) as ref:
        cal = tomllib.loads(ds.attrs["calibration_toml"])
        assert cal["labour"]["quit_rate"] == 0.0125
        assert tomllib.loads(ref.attrs["calibration_toml"])["labour"]["quit_rate"] == 0.01
        assert ds.attrs["calibration_file_sha256"] != ref.attrs["calibration_file_sha256"]
        assert (
            cal["niches"]["niche_share"]
            == tomllib.loads(ref.attrs["calibration_toml"])["niches"]["niche_share"]
        )


def test_a_file_says_its_code_version_libraries_and_seeds(tmp_path):
    path = _run(tmp_path, "s.nc", "--seed", "4")
    with xr.open_dataset(path) as ds:
        a = ds.attrs
        versions = json.loads(a["library_versions"])
        assert {"scipy", "SALib", "numpy", "numba", "xarray"} <= set(versions)
        assert a["seed"] == 4 and isinstance(a["seed"], np.integer)
        assert a["history"].endswith("abm run laissez_faire -o " + str(path) + " " + " ".join(TINY)
                                     + " --seed 4")  # fmt: skip
        assert a["model_version"]
        git = shutil.which("git")
        if git and (ROOT / ".git").exists():
            head = subprocess.run([git, "-C", str(ROOT), "rev-parse", "HEAD"],
                                  capture_output=True, text=True).stdout.strip()  # fmt: skip
            assert a["git_commit"] == head and int(a["git_modified"]) in (0, 1)
        for doc in re.findall(r"(?:docs|abm)/[\w/.]+\.(?:md|toml)", a["references"]):
            assert (ROOT / doc).is_file(), doc
        assert "DESIGN" not in a["references"]


def test_docs_and_code_cite_only_documents_of_the_repository():
    # the design notes are not part of the repository: what users need is in docs/
    files = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "abm").rglob("*.py"),
             *(ROOT / "kernels").glob("*.py"), *(ROOT / "abm").rglob("*.toml")]  # fmt: skip
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"\bDESIGN\b", text), f"{f.relative_to(ROOT)} cites DESIGN"
        for doc in set(re.findall(r"\bdocs/[\w-]+\.md\b", text)):
            assert (ROOT / doc).is_file(), f"{f.relative_to(ROOT)} cites {doc}"


def test_history_from_python_names_the_call():
    ds = EconomyModel("laissez_faire", np.random.SeedSequence(5, spawn_key=(2,)), quarters=1,
                      scale=SCALE).run().to_dataset()  # fmt: skip
    h = ds.attrs["history"]
    assert (
        "abm.EconomyModel('laissez_faire', seed=numpy.random.SeedSequence(5, spawn_key=(2,))" in h
    )
    assert h.split(": ", 1)[1].startswith(("python", "interactive"))
    assert int(ds.attrs["root_seed"]) == 5 and int(ds.attrs["member"]) == 2


def test_ensemble_files_record_calibration_and_seeds(ensembles):
    with xr.open_dataset(ensembles["nc"]) as ds:
        assert ds.attrs["root_seed"] == 3 and ds["member"].values.tolist() == [0, 1, 0, 1]
        cal = tomllib.loads(str(ds["calibration_toml"].sel(scenario="diffuse").values))
        assert cal["rd"]["sigma"] == load_scenario("diffuse").calibration()["rd.sigma"]
        assert "run_ensemble" in ds.attrs["history"] and ds.attrs.get("git_commit", "x")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--layout", "cdo", "-o", "{tmp}/e.nc"], "with --layout cdo the output is a folder"),
        (["-o", "{tmp}/e.txt"], "must end in .nc, or .zarr for a zarr store"),
        (["--layout", "grib"], "'--layout'"),
    ],
)
def test_ensemble_outputs_that_do_not_fit_their_layout(tmp_path, args, needle):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = CliRunner().invoke(main, ["ensemble", "diffuse", *args, *TINY])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.output
    assert list(tmp_path.iterdir()) == []
