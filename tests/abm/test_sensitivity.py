"""Sensitivity analysis (issue #5): SALib wiring on functions with known indices, flip points,
parameter keys, the `abm sensitivity` command end to end, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from SALib.test_functions import Ishigami

from abm.analysis.errors import SampleSizeWarning
from abm.scenario import load_scenario
from abm.sensitivity import (
    DEFAULT_PARAMETERS,
    SensitivityInputError,
    analyze_design,
    analyze_function,
    apply_parameters,
    flip_point,
    make_problem,
    parse_outcome,
    parse_parameter,
    resolve_parameters,
    sample_design,
    sensitivity,
)
from abm.sensitivity_cli import sensitivity_cmd

Q, SCALE = 8, 4000.0  # two recorded years (2026-2027) of a coarse economy
TINY = ["--quarters", str(Q), "--scale", str(SCALE), "--no-progress"]


# ----------------------------------------------------------------------------- known indices
def test_sobol_indices_of_the_ishigami_function_match_the_analytical_values():
    # analytical: S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244 (a = 7, b = 0.1)
    bounds = {"x1": (-np.pi, np.pi), "x2": (-np.pi, np.pi), "x3": (-np.pi, np.pi)}
    t = analyze_function(Ishigami.evaluate, bounds, "sobol", 2048, seed=3).set_index("parameter")
    np.testing.assert_allclose(t.loc[["x1", "x2", "x3"], "S1"], [0.314, 0.442, 0.0], atol=0.03)
    np.testing.assert_allclose(t.loc[["x1", "x2", "x3"], "ST"], [0.558, 0.442, 0.244], atol=0.03)
    assert (t[["S1_conf", "ST_conf"]] > 0).all().all()
    assert list(t.sort_values("rank").index) == ["x1", "x2", "x3"]  # by ST


def test_sobol_indices_follow_the_parameter_names_whatever_their_order():
    # the same function with its inputs declared in another order: the wiring (sample columns,
    # analysis order) must carry each index to the right name
    bounds = {"x3": (-np.pi, np.pi), "x1": (-np.pi, np.pi), "x2": (-np.pi, np.pi)}
    t = analyze_function(
        lambda X: Ishigami.evaluate(X[:, [1, 2, 0]]), bounds, "sobol", 2048, seed=3
    ).set_index("parameter")
    np.testing.assert_allclose(t.loc[["x1", "x2", "x3"], "S1"], [0.314, 0.442, 0.0], atol=0.03)
    np.testing.assert_allclose(t.loc[["x1", "x2", "x3"], "ST"], [0.558, 0.442, 0.244], atol=0.03)


def test_morris_mu_star_of_a_linear_function_is_each_coefficient_times_its_range():
    bounds = {"a": (0.0, 1.0), "b": (0.0, 2.0), "c": (-1.0, 1.0), "d": (0.0, 1.0)}
    t = analyze_function(
        lambda X: 5 * X[:, 0] - 2 * X[:, 1] + 0.25 * X[:, 2] + 0 * X[:, 3],
        bounds,
        "morris",
        6,
        seed=5,
    ).set_index("parameter")
    np.testing.assert_allclose(t["mu_star"], [5.0, 4.0, 0.5, 0.0], atol=1e-9)
    np.testing.assert_allclose(t["mu"], [5.0, -4.0, 0.5, 0.0], atol=1e-9)  # signed: direction
    np.testing.assert_allclose(t["sigma"], 0.0, atol=1e-9)  # linear: no interaction
    assert list(t.sort_values("rank").index) == ["a", "b", "c", "d"]


def test_a_failed_trajectory_is_left_out_and_the_rest_still_gives_exact_effects():
    problem = make_problem(["a", "b"], [(0, 1), (0, 1)])
    X = sample_design(problem, "morris", 5, seed=2)
    y = 3 * X[:, 0] + X[:, 1]
    y[4] = np.nan  # in the second trajectory (rows 3..5)
    t, used = analyze_design(problem, "morris", X, {"y": y}, seed=2)
    assert used == {"y": 4}
    np.testing.assert_allclose(t["mu_star"], [3.0, 1.0], atol=1e-9)


def test_sobol_samples_must_be_a_power_of_two_and_at_least_one():
    problem = make_problem(["a"], [(0, 1)])
    with pytest.raises(SensitivityInputError, match="power of 2"):
        sample_design(problem, "sobol", 6, seed=1)
    with pytest.raises(SensitivityInputError, match="at least 1"):
        sample_design(problem, "morris", 0, seed=1)


# ----------------------------------------------------------------------------- flip points
def test_flip_point_finds_a_known_crossing_with_an_interval_around_it():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 2.0, 200)
    d = 3.0 * (x - 0.8) + rng.normal(0.0, 0.3, x.size)
    r = flip_point(x, d, 0.0, 2.0, names=("focused", "diffuse"), seed=1)
    assert r["flip_value"] == pytest.approx(0.8, abs=0.05)
    assert r["flip_low"] < 0.8 < r["flip_high"] and r["flip_high"] - r["flip_low"] < 0.2
    assert r["a_wins"] == "above" and "focused beats diffuse above" in r["note"]
    # lower is better (e.g. capital outflow): the same difference means A wins below
    r2 = flip_point(x, d, 0.0, 2.0, higher_is_better=False, seed=1)
    assert r2["a_wins"] == "below" and r2["flip_value"] == pytest.approx(r["flip_value"])


def test_flip_point_without_a_crossing_in_the_range_is_nan_with_a_note():
    x = np.linspace(0.0, 1.0, 30)
    r = flip_point(x, 1.0 + x, 0.0, 1.0, names=("A", "B"))
    assert np.isnan(r["flip_value"]) and np.isnan(r["flip_low"]) and np.isnan(r["flip_high"])
    assert r["a_wins"] == "everywhere" and "A beats B throughout" in r["note"]
    r = flip_point(x, -2.0 - x, 0.0, 1.0, names=("A", "B"))
    assert r["a_wins"] == "nowhere" and "B beats A throughout" in r["note"]
    # a crossing outside the range is no crossing within it
    r = flip_point(x, x - 3.0, 0.0, 1.0)
    assert np.isnan(r["flip_value"]) and r["a_wins"] == "nowhere"


# ----------------------------------------------------------------------------- parameters
def test_default_parameters_have_the_documented_ranges():
    ps = {p.key: p for p in resolve_parameters(None)}
    assert list(ps) == list(DEFAULT_PARAMETERS)
    assert (ps["rd.sigma"].low, ps["rd.sigma"].high, ps["rd.sigma"].range_source) == (
        0.0,
        2.0,
        "calibration",
    )
    assert (ps["rd.elasticity_long"].low, ps["rd.elasticity_long"].high) == (0.3, 1.5)
    assert ps["programme:grant.selection_noise"].range_source == "documented"
    assert (ps["chosen:niches.niche_share"].low, ps["chosen:niches.niche_share"].high) == (0, 1.5)
    p = parse_parameter("rd.sigma=0.25:0.75")
    assert (p.low, p.high, p.range_source) == (0.25, 0.75, "given")


def test_applying_parameters_changes_what_it_should_and_nothing_else():
    focused, diffuse = load_scenario("focused"), load_scenario("diffuse")
    ps = {p.key: p for p in resolve_parameters(None)}
    vals = {
        ps["rd.sigma"]: 1.7,
        ps["chosen:niches.niche_share"]: 0.5,
        ps["programme:grant.selection_noise"]: 1.25,
        ps["programme:procurement.domestic_share"]: 0.3,
    }
    f2, d2 = apply_parameters(focused, vals), apply_parameters(diffuse, vals)
    base = np.asarray(focused.calibration()["niches.niche_share"])
    for sc in (f2, d2):
        cal = sc.calibration()
        assert cal["rd.sigma"] == 1.7
        np.testing.assert_allclose(cal["niches.niche_share"][:6], 0.5 * base[:6])
        np.testing.assert_allclose(cal["niches.niche_share"][6:], base[6:])
        assert sc.programmes["grants"].selection_noise == 1.25
    # the procurement path moves as a whole: 0.5 -> 0.7 becomes 0.3 -> 0.5
    assert f2.programmes["procurement"].domestic_share == pytest.approx(0.3)
    assert f2.programmes["procurement"].domestic_share_end == pytest.approx(0.5)
    assert "procurement" not in d2.programmes
    # the originals are untouched
    assert focused.programmes["grants"].selection_noise == 0.5
    assert focused.programmes["procurement"].domestic_share == 0.5


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        ("rd.nonsense", "not a calibration parameter"),
        ("niches.niche_share", "per-sector"),
        ("macro.gdp_2025", "no range known"),
        ("programme:grant.colour", "not a numeric programme setting"),
        ("programme:rocket.budget", "INSTRUMENT"),
        ("chosen:rd.sigma", "not one"),
        ("rd.sigma=2:1", "LOW < HIGH"),
        ("rd.sigma=a:b", "KEY=LOW:HIGH"),
    ],
)
def test_bad_parameter_keys_are_rejected(spec, needle):
    with pytest.raises(SensitivityInputError, match=needle):
        parse_parameter(spec)


def test_a_parameter_varied_twice_is_rejected():
    with pytest.raises(SensitivityInputError, match="given twice"):
        resolve_parameters(["rd.sigma", "rd.sigma=0:1"])
    with pytest.raises(SensitivityInputError, match="vary one"):
        resolve_parameters(["niches.niche_share[biotech]", "chosen:niches.niche_share"])


def test_outcome_names_are_checked_against_the_measures_and_the_recorded_years():
    oc = parse_outcome("capital_outflow_total")
    assert oc.year is None and not oc.higher_is_better and oc.units == "EUR"
    assert parse_outcome("gdp_real_2040").units == "EUR per year"
    # abm compare's name for the same measure
    assert (
        parse_outcome("talent_high_2040").measure is parse_outcome("high_skill_talent_2040").measure
    )
    with pytest.raises(SensitivityInputError, match="unknown outcome"):
        parse_outcome("happiness_2030")
    with pytest.raises(SensitivityInputError, match="has no total"):
        parse_outcome("industry_share_total")
    with pytest.raises(SensitivityInputError, match="2040 is not recorded"):
        parse_outcome("gdp_real_2040", [2026, 2027])


# ----------------------------------------------------------------------------- end to end
def test_command_end_to_end_writes_indices_flip_table_samples_and_figures(tmp_path):
    out = tmp_path / "sens"
    args = ["focused", "diffuse", "--method", "morris", "--samples", "2", "--workers", "1"]
    args += ["--parameter", "rd.sigma", "--parameter", "programme:grant.selection_noise"]
    args += ["--outcome", "gdp_real_2027", "--outcome", "rd_intensity_2027", "-o", str(out)]
    r = CliRunner().invoke(sensitivity_cmd, args + TINY)
    assert r.exit_code == 0, r.output
    assert "Sensitivity indices" in r.output and "When does the answer flip" in r.output
    for f in ("indices.csv", "flip.csv", "samples.csv", "members.csv", "sensitivity.json"):
        assert (out / f).is_file(), f
    assert (out / "indices.png").stat().st_size > 1000 and (out / "flip.png").is_file()

    idx = pd.read_csv(out / "indices.csv")
    assert {"outcome", "parameter", "mu_star", "mu_star_conf", "sigma"} <= set(idx.columns)
    assert len(idx) == 4 and set(idx["outcome"]) == {"gdp_real_2027", "rd_intensity_2027"}
    # the spillover strength moves the GDP difference (a lever that does nothing would be 0)
    gdp = idx[idx["outcome"] == "gdp_real_2027"].set_index("parameter")
    assert gdp.loc["rd.sigma", "mu_star"] > 0

    flip = pd.read_csv(out / "flip.csv")
    assert {"outcome", "parameter", "flip_value", "flip_low", "flip_high", "note"} <= set(
        flip.columns
    )
    assert len(flip) == 4 and flip["note"].str.len().min() > 10
    has = flip["flip_value"].notna()
    assert (flip.loc[~has, "flip_low"].isna()).all()
    assert (flip.loc[has, "flip_low"] <= flip.loc[has, "flip_high"]).all()

    # samples: 2 trajectories of 3 points, inside the ranges; the difference is A - B of the
    # members, and A and B ran with the same member seed (common random numbers)
    s = pd.read_csv(out / "samples.csv")
    assert len(s) == 2 * 3 and s["rd.sigma"].between(0, 2).all()
    assert s["programme:grant.selection_noise"].between(0, 2).all()
    m = pd.read_csv(out / "members.csv")
    a = m[m["role"] == "a"].set_index(["point", "member"])
    b = m[m["role"] == "b"].set_index(["point", "member"])
    assert list(a.index) == list(b.index)
    assert (a["scenario"].str.startswith("focused@")).all()
    np.testing.assert_allclose(
        s["gdp_real_2027"], (a["gdp_real_2027"] - b["gdp_real_2027"]).to_numpy()
    )
    prov = json.loads((out / "sensitivity.json").read_text())
    assert prov["root_seed"] == 1 and prov["parameters"]["rd.sigma"]["low"] == 0.0
    assert prov["failures"] == [] and prov["execution"] == "in-process"


def test_dask_workers_give_the_same_numbers_as_the_in_process_run(scheduler, tmp_path):
    kw = dict(
        method="morris",
        samples=1,
        parameters=["rd.sigma", "rd.eta"],
        outcomes=["gdp_real_2026"],
        quarters=4,
        scale=SCALE,
        progress=False,
    )
    with pytest.warns(SampleSizeWarning, match="--samples 2 is the smallest"):  # 1 trajectory
        one = sensitivity("focused", "diffuse", workers=1, outdir=tmp_path / "one", **kw)
    # on the session's two dask workers (tests/conftest.py), not a local cluster of its own
    with pytest.warns(SampleSizeWarning):
        two = sensitivity("focused", "diffuse", scheduler=scheduler, outdir=tmp_path / "two", **kw)
    assert one.provenance["warnings"] == two.provenance["warnings"]
    pd.testing.assert_frame_equal(one.samples, two.samples)
    pd.testing.assert_frame_equal(one.indices, two.indices)
    assert two.provenance["ensemble"] and (tmp_path / "two" / "ensemble.nc").is_file()
    assert one.outdir == tmp_path / "one" and set(one.figures) == {"indices", "flip"}


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["nowhere", "diffuse"], "unknown scenario 'nowhere'"),
        (["focused", "focused"], "both named 'focused'"),
        (["focused", "diffuse", "--samples", "0"], "'--samples': must be at least 1"),
        (["focused", "diffuse", "--method", "sobol", "--samples", "6"], "power of 2"),
        (["focused", "diffuse", "--method", "fast"], "'--method'"),
        (["focused", "diffuse", "--parameter", "rd.bogus"], "not a calibration parameter"),
        (["focused", "diffuse", "--outcome", "joy_2027"], "unknown outcome 'joy_2027'"),
        (["focused", "diffuse"], "gdp_real_2040': year 2040 is not recorded"),
        (["focused", "diffuse", "--samples", "two"], "'--samples'"),
        (
            ["diffuse", "laissez_faire", "--parameter", "programme:procurement.domestic_share"],
            "has a 'procurement' programme",
        ),
        (
            ["focused", "diffuse", "--parameter", "programme:grant.selection_noise=0:20"],
            "not allowed",
        ),
    ],
)
def test_bad_input_one_line_error_status_2_and_nothing_written(tmp_path, extra, needle):
    out = tmp_path / "sens"
    args = [*extra, "-o", str(out), *TINY]
    if "--outcome" not in extra and "2040" not in needle:
        args += ["--outcome", "gdp_real_2027"]  # the default outcomes need 60 quarters
    r = CliRunner().invoke(sensitivity_cmd, args)
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.stderr
    assert not out.exists()


def test_a_failing_member_is_left_out_reported_and_the_command_exits_3(tmp_path, monkeypatch):
    import abm.ensemble.points as points

    real = points.run_outcomes
    calls = []

    def flaky(sc, seed, outcomes, **kw):  # the real one, failing for B at point 1
        calls.append(sc.name)  # in order: A and B of point 0, then of point 1, ...
        if len(calls) == 4:
            assert sc.name == "diffuse"
            raise RuntimeError("boom")
        return real(sc, seed, outcomes, **kw)

    monkeypatch.setattr(points, "run_outcomes", flaky)
    out = tmp_path / "sens"
    args = ["focused", "diffuse", "--samples", "2", "--workers", "1", "--parameter", "rd.sigma"]
    args += ["--outcome", "gdp_real_2026", "-o", str(out), "--quarters", "4", "--scale", "4000"]
    r = CliRunner().invoke(sensitivity_cmd, [*args, "--no-progress"])
    assert r.exit_code == 3, r.output
    assert "1 member(s) failed" in r.stderr
    s = pd.read_csv(out / "samples.csv")
    assert list(s["pairs"]) == [1, 0, 1, 1] and np.isnan(s.loc[1, "gdp_real_2026"])
    prov = json.loads((out / "sensitivity.json").read_text())
    assert prov["groups_used"]["gdp_real_2026"] == "1 of 2 trajectories"
    assert prov["failures"][0]["scenario"] == "diffuse@1" and "boom" in prov["failures"][0]["error"]
    idx = pd.read_csv(out / "indices.csv")
    assert np.isfinite(idx["mu_star"]).all()  # from the trajectory that ran
