"""The command line never lies (issue #17): non-finite and empty scenarios are errors, a sample too
small for intervals is said, progress bars only on a terminal, a member of an ensemble can be
rerun alone, and tests that need a system tool skip on a bare machine."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner

from abm.analysis.design import interval_warning
from abm.cli import main
from abm.io.progress import PlainProgress, progress_bar
from abm.scenario import ScenarioError, load_scenario, validate_data

TINY = ["--quarters", "2", "--scale", "4000"]


# ----------------------------------------------------------------------------- input sanity
@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        (
            'name = "x"\nextends = "diffuse"\n[programmes.wbso]\nbudget = inf\n',
            "programmes.wbso.budget",
            "inf",
        ),
        ('name = "x"\n[parameters]\n"rd.sigma" = nan\n', "parameters.rd.sigma", "nan"),
        (
            'name = "x"\n[parameters]\n"niches.niche_share" = [0.1, 0.2, -inf]\n',
            "parameters.niches.niche_share[2]",
            "-inf",
        ),
        ('name = "x"\n[run]\nscale = inf\n', "run.scale", "inf"),
        ('name = "x"\n[uncertain]\n"rd.sigma" = [0.0, nan]\n', "uncertain.rd.sigma[1]", "nan"),
    ],
    ids=["budget-inf", "parameter-nan", "list-minus-inf", "scale-inf", "range-nan"],
)
@pytest.mark.parametrize("command", ["run", "ensemble"])
def test_non_finite_numbers_are_one_line_errors_naming_file_and_key(
    tmp_path, text, key, value, command
):
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    out = tmp_path / "out.nc"
    r = CliRunner().invoke(main, [command, str(bad), "-o", str(out), "--no-progress", *TINY])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1, r.output
    assert lines[0].startswith(f"error: {bad}: key '{key}': must be a finite number (got {value})")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_a_non_finite_number_in_a_parent_names_the_parent(tmp_path):
    parent = tmp_path / "parent.toml"
    parent.write_text('name = "p"\nextends = "diffuse"\n[programmes.grants]\nbudget = nan\n')
    child = tmp_path / "child.toml"
    child.write_text('name = "c"\nextends = "parent.toml"\n')
    with pytest.raises(ScenarioError, match=r"parent\.toml: key 'programmes\.grants\.budget'"):
        load_scenario(child)


def test_non_finite_values_from_python_are_refused_too():
    data = load_scenario("diffuse").model_dump(exclude={"source_file"})
    data["programmes"]["grants"]["budget"] = float("inf")
    with pytest.raises(ScenarioError, match="<mine>: key 'programmes.grants.budget': must be"):
        validate_data(data, "<mine>")


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# only a comment\n", "schema = 2\n"],
    ids=["0-bytes", "blank", "comment", "schema"],
)
def test_an_empty_scenario_file_is_an_error(tmp_path, text):
    empty = tmp_path / "empty.toml"
    empty.write_text(text)
    out = tmp_path / "out.nc"
    r = CliRunner().invoke(main, ["run", str(empty), "-o", str(out), "--no-progress", *TINY])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and f"{empty}: the scenario file is empty" in lines[0], r.output
    assert not out.exists()


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_non_finite_option_values_are_refused(tmp_path, value):
    out = tmp_path / "x.nc"
    r = CliRunner().invoke(main, ["run", "diffuse", "--scale", value, "-o", str(out)])
    assert r.exit_code == 2
    assert r.output.strip().startswith("error: option '--scale': must be a finite number")
    assert not out.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["ensemble", "diffuse", "--sweep", "rd.sigma=0:inf:3", "-o", "{tmp}/e.nc"],
        ["ensemble", "diffuse", "--sweep", "rd.sigma=0,nan", "-o", "{tmp}/e.nc"],
        ["compare", "focused", "diffuse", "--sweep", "reallocation=0,inf", "-o", "{tmp}/cmp"],
    ],
    ids=["ensemble-range-inf", "ensemble-nan", "compare-inf"],
)
def test_non_finite_sweep_values_are_one_line_errors_and_leave_nothing(tmp_path, args):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = CliRunner().invoke(main, [*args, "--quarters", "4", "--scale", "4000", "--no-progress"])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "values must be finite numbers" in lines[0], r.output
    assert list(tmp_path.iterdir()) == []  # no output folder either


@pytest.mark.parametrize("command", ["ensemble", "compare"])
def test_an_empty_scenario_file_is_an_error_for_ensembles_too(tmp_path, command):
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing\n")
    args = [command, str(empty), *(["diffuse"] if command == "compare" else [])]
    r = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "out"), "--no-progress"])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and f"{empty}: the scenario file is empty" in lines[0], r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.toml"]


# ----------------------------------------------------------------------------- sensitivity
def test_interval_warning_names_the_smallest_sample_that_gives_intervals():
    assert interval_warning("morris", {"gdp_real_2030": 2, "rd_intensity_2030": 5}) is None
    text = interval_warning("morris", {"gdp_real_2030": 1, "rd_intensity_2030": 1})
    assert "too small for confidence intervals" in text and "--samples 2 is the smallest" in text
    assert "mu_star_conf is 0 and sigma NaN" in text
    text = interval_warning("sobol", {"y": 0})
    assert "0 complete base samples for y" in text and "S1_conf and ST_conf" in text


def test_sensitivity_with_one_trajectory_warns_on_stderr(tmp_path):
    args = ["sensitivity", "focused", "diffuse", "--samples", "1", "--workers", "1",
            "--parameter", "rd.sigma", "--outcome", "gdp_real_2026", "--quarters", "4",
            "--scale", "4000", "--no-progress", "-o", str(tmp_path / "s")]  # fmt: skip
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    warn = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(warn) == 1 and "--samples 2 is the smallest that gives intervals" in warn[0]
    assert "mu_star_conf" in r.stdout  # the table is still printed


# ----------------------------------------------------------------------------- progress
def test_progress_off_a_terminal_is_a_plain_line_per_tenth():
    out = io.StringIO()
    with progress_bar(20, "ensemble", "member", file=out) as bar:
        assert isinstance(bar, PlainProgress)
        for _ in range(20):
            bar.update(1)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [ln.split(":")[1].split("%")[0].strip() for ln in lines] == [
        str(p) for p in range(10, 101, 10)
    ]
    assert lines[-1].startswith("ensemble: 100% (20 of 20 members")


def test_an_interrupted_plain_progress_ends_with_where_it_stopped():
    out = io.StringIO()
    bar = progress_bar(40, "x", "run", file=out, initial=4)
    bar.update(2)
    bar.set_postfix(failed=1)
    bar.close()
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("x: 15% (6 of 40 runs, failed 1)")
    silent = io.StringIO()
    with progress_bar(10, "x", enabled=False, file=silent) as quiet:
        quiet.update(10)
    assert silent.getvalue() == ""


def test_every_progress_display_goes_through_progress_bar():
    # a bare tqdm(...) anywhere would write carriage returns into log files again
    root = Path(__file__).resolve().parents[2] / "abm"
    users = [p.relative_to(root).as_posix() for p in root.rglob("*.py")
             if re.search(r"^\s*(from tqdm|import tqdm)", p.read_text(), re.M)]  # fmt: skip
    assert users == ["io/progress.py"]


def test_abm_run_writes_plain_progress_lines_into_a_log(tmp_path):
    r = CliRunner().invoke(main, ["run", "laissez_faire", "-o", str(tmp_path / "l.nc"), *TINY])
    assert r.exit_code == 0, r.output
    assert "\r" not in r.stderr
    lines = r.stderr.splitlines()
    assert (
        lines and all("% (" in ln for ln in lines) and "100% (2 of 2 quarters" in lines[-1]
    )  # the recorded ones


# ----------------------------------------------------------------------------- one member
def test_run_by_member_has_no_realization_dimension_and_says_its_seeds(tmp_path):
    out = tmp_path / "m.nc"
    args = ["run", "laissez_faire", "--root-seed", "7", "--member", "2", "-o", str(out)]
    r = CliRunner().invoke(main, [*args, "--no-progress", *TINY])
    assert r.exit_code == 0, r.output
    assert "root seed 7, member 2" in r.stdout
    with xr.open_dataset(out) as ds:
        assert "realization" not in ds.dims and "realization" not in ds.variables
        assert int(ds.attrs["root_seed"]) == 7 and int(ds.attrs["member"]) == 2
        assert "seed" not in ds.attrs and "spawn_key=(member,)" in ds.attrs["seed_scheme"]
    default = CliRunner().invoke(main, ["run", "laissez_faire", "--member", "0", *TINY,
                                        "--no-progress"], catch_exceptions=False)  # fmt: skip
    assert default.exit_code == 0 and "root seed 1, member 0" in default.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--seed", "3", "--member", "1"], "option '--seed' cannot be combined"),
        (["--root-seed", "3"], "option '--root-seed' needs '--member K'"),
        (["--member", "-1"], "option '--member'"),
        (["--root-seed", "-2", "--member", "0"], "option '--root-seed'"),
    ],
)
def test_member_options_that_do_not_go_together(tmp_path, args, needle):
    out = tmp_path / "x.nc"
    r = CliRunner().invoke(main, ["run", "laissez_faire", *args, "-o", str(out), *TINY])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], r.output
    assert not out.exists()


def test_a_plain_run_records_its_seed_as_an_integer(tmp_path):
    out = tmp_path / "s.nc"
    r = CliRunner().invoke(main, ["run", "laissez_faire", "--seed", "5", "-o", str(out), *TINY,
                                  "--no-progress"])  # fmt: skip
    assert r.exit_code == 0, r.output
    with xr.open_dataset(out) as ds:
        assert isinstance(ds.attrs["seed"], np.integer) and ds.attrs["seed"] == 5
        assert "root_seed" not in ds.attrs and "member" not in ds.attrs


# ----------------------------------------------------------------------------- bare machine
@pytest.mark.parametrize("tool", ["ncdump", "cdo", "ncra", "chromium"])
def test_a_missing_system_tool_skips_with_its_package_and_fails_on_ci(
    monkeypatch, system_tool, tool
):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"not installed \(Debian: apt-get install"):
        system_tool(tool)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI installs it in .ci/run"):
        system_tool(tool)
