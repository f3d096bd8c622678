"""The `abm` command: run, scenarios, bad input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from abm.cli import main


def test_run_writes_a_cf_netcdf_file_that_opens(tmp_path):
    out = tmp_path / "d.nc"
    r = CliRunner().invoke(
        main,
        [
            "run",
            "diffuse",
            "--seed",
            "1",
            "--quarters",
            "5",
            "--scale",
            "1000",
            "-o",
            str(out),
            "--no-progress",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "industry share" in r.output and "R&D intensity" in r.output
    assert [p.name for p in tmp_path.iterdir()] == ["d.nc"]  # no temporary file left
    ds = xr.open_dataset(out)
    assert ds.attrs["Conventions"].startswith("CF-")
    for a in (
        "title",
        "institution",
        "source",
        "history",
        "references",
        "scenario_toml",
        "seed",
        "library_versions",
        "model_version",
    ):
        assert ds.attrs[a], a
    assert ds["time"].encoding["units"].startswith("days since")
    assert "calendar" in ds["time"].encoding
    assert ds["time_bnds"].shape == (5, 2)
    assert np.all(ds["time_bnds"].values[:, 0] == ds["time"].values)
    assert ds["gdp"].attrs["units"] == "EUR"
    snaps = xr.open_dataset(out, group="firm_snapshots")
    assert snaps.sizes["firm"] > 0 and (snaps["firm_employment"] >= 0).all()
    ds.close()
    snaps.close()


def test_ncdump_reads_the_header(tmp_path, system_tool):
    ncdump = system_tool("ncdump")
    out = tmp_path / "d.nc"
    r = CliRunner().invoke(
        main,
        [
            "run",
            "laissez_faire",
            "--quarters",
            "4",
            "--scale",
            "2000",
            "-o",
            str(out),
            "--no-progress",
        ],
    )
    assert r.exit_code == 0, r.output
    head = subprocess.run(
        [ncdump, "-h", str(out)], capture_output=True, text=True, check=True
    ).stdout
    assert 'gdp:units = "EUR"' in head and ':Conventions = "CF-1.11"' in head
    assert "group: firm_snapshots" in head
    assert 'time:bounds = "time_bnds"' in head and 'time:calendar = "proleptic_gregorian"' in head
    assert ":coordinates" not in head  # no stray global attribute


def test_scenarios_lists_the_shipped_ones():
    r = CliRunner().invoke(main, ["scenarios"])
    assert r.exit_code == 0
    assert "diffuse" in r.output and "laissez_faire" in r.output


@pytest.mark.parametrize(
    ("args", "text", "needle"),
    [
        (["run", "atlantis"], None, "unknown scenario 'atlantis'"),
        (["run", "{bad}"], 'name = "x"\n[run\n', "malformed TOML"),
        (["run", "{bad}"], 'name = "x"\nflavour = "spicy"\n', "key 'flavour': unknown key"),
        (
            ["run", "{bad}"],
            'name = "x"\nschema = 2\n[programmes.g]\ninstrument = "grant"\nbudget = -5.0\n',
            "key 'programmes.g.budget'",
        ),
        (["run", "diffuse", "--quarters", "0"], None, "--quarters"),
    ],
)
def test_bad_input_exits_nonzero_with_one_line_and_no_output(tmp_path, args, text, needle):
    bad = tmp_path / "bad.toml"
    if text is not None:
        bad.write_text(text)
    out = tmp_path / "out.nc"
    args = [a.replace("{bad}", str(bad)) for a in args] + ["-o", str(out), "--no-progress"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], r.output
    if text is not None:
        assert str(bad) in lines[0]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (["bad.toml"] if text else [])


def test_the_installed_command_runs():
    r = subprocess.run([sys.executable, "-m", "abm.cli", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "run" in r.stdout
