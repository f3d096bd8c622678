"""The EMA Workbench entry point: keywords in, a mapping that computes outcomes by name out."""

from __future__ import annotations

import math

import numpy as np
import pytest

from abm.analysis.outcome_names import OutcomeNameError
from abm.ema import EMA_OUTCOMES, parameter_from_keyword, run_model
from abm.sensitivity import SensitivityInputError

TINY = {"quarters": 8, "scale": 4000.0, "seed": 3}  # records 2026-2027


def test_run_model_lists_the_recorded_default_outcomes_and_their_differences_as_floats():
    out = run_model(**TINY)  # focused against diffuse, 2026-2027
    listed = [o for o in EMA_OUTCOMES if not o.endswith(("_2030", "_2040"))]
    assert set(out) == set(listed) | {f"{o}_diff" for o in listed}
    assert all(type(v) is float for v in out.values())
    assert math.isfinite(out["capital_outflow_total"]) and out["capital_outflow_total"] > 0
    # a year past the horizon is an error, not NaN; and not a KeyError (EMA would make it None)
    with pytest.raises(OutcomeNameError, match="2040 is past the horizon"):
        out["gdp_real_2040"]
    assert "gdp_real_2040" not in out and "gdp_real_2027" in out
    with pytest.raises(SensitivityInputError, match="2030 is past the horizon"):
        run_model(outcomes=["industry_share_2030"], **TINY)  # listed: checked before running


def test_any_name_of_the_grammar_is_computed_when_read():
    out = run_model(**TINY)
    ds, base = out.dataset, out.baseline
    gdp = ds["gdp_real"].values
    np.testing.assert_array_equal(out["gdp_real"], gdp)  # the trajectory
    np.testing.assert_array_equal(out["gdp_real_diff"], gdp - base["gdp_real"].values)
    np.testing.assert_array_equal(out["TIME"], 2026 + np.arange(8) / 4)
    assert out["gdp_real_2027"] == pytest.approx(gdp[4:].sum(), rel=1e-12)  # a flow: the sum
    rd = ds["rd_intensity"].values
    assert out["rd_intensity_mean_2026_2027"] == pytest.approx(rd.mean(), rel=1e-12)
    assert out["rd_intensity_2026"] == pytest.approx(rd[:4].mean(), rel=1e-12)  # a share: mean
    assert out["talent_high_2027"] == out["high_skill_talent_2027"]  # the comparison's alias
    mean_diff = out["gdp_real_mean_2026_2027_diff"]
    assert mean_diff == pytest.approx(out["gdp_real_diff"].sum() / 2, rel=1e-9)
    for name, needle in [
        ("joy_2030", "unknown outcome 'joy_2030'"),
        ("gdp_real_mean_2027_2026", "runs backwards"),
        ("gdp_real_mean_2026_2031", "2031 is past the horizon"),
        ("gdp_real_2025", "before the first recorded year"),
        ("industry_share_total", "has no total"),
        ("TIME_diff", "unknown outcome"),
    ]:
        with pytest.raises(OutcomeNameError, match=needle):
            out[name]
    alone = run_model(baseline=None, outcomes="gdp_real_2026", **TINY)
    with pytest.raises(OutcomeNameError, match="needs a baseline"):
        alone["gdp_real_2026_diff"]


def test_regime_is_the_scenario_and_a_baseline_equal_to_it_runs_once():
    a = run_model(regime="diffuse", outcomes=["gdp_real_2026"], **TINY)
    b = run_model(scenario="diffuse", baseline=None, outcomes=["gdp_real_2026"], **TINY)
    assert a["gdp_real_2026"] == b["gdp_real_2026"] and a["gdp_real_2026_diff"] == 0.0
    assert a.baseline is a.dataset
    with pytest.raises(SensitivityInputError, match="regime or as scenario, not both"):
        run_model(regime="diffuse", scenario="focused", **TINY)


def test_the_difference_is_scenario_minus_baseline_run_with_the_same_seed():
    oc = ["gdp_real_2027", "high_skill_talent_2027"]
    both = run_model(outcomes=oc, **TINY)
    a = run_model(scenario="focused", baseline=None, outcomes=oc, **TINY)
    b = run_model(scenario="diffuse", baseline=None, outcomes=oc, **TINY)
    assert set(a) == set(oc)  # no baseline, no differences
    for o in oc:
        assert both[o] == a[o]
        assert both[f"{o}_diff"] == pytest.approx(a[o] - b[o], rel=1e-12)


def test_a_parameter_keyword_changes_the_outcome_and_runs_are_reproducible():
    oc = "gdp_real_2027,rd_intensity_2027"  # EMA constants may pass a string
    low = run_model(baseline=None, outcomes=oc, rd__sigma=0.0, **TINY)
    high = run_model(baseline=None, outcomes=oc, rd__sigma=2.0, **TINY)
    again = run_model(baseline=None, outcomes=oc, rd__sigma=2.0, **TINY)
    assert high == again
    assert high["gdp_real_2027"] != low["gdp_real_2027"]
    # the way EMA calls it: one dict of parameters, levers and constants
    experiment = {"chosen__niches__niche_share": 0.0, "programme__grant__selection_noise": 2.0}
    noisy = run_model(**experiment, baseline=None, outcomes=oc, **TINY)
    assert noisy["gdp_real_2027"] != run_model(baseline=None, outcomes=oc, **TINY)["gdp_real_2027"]
    # the key as written (rd.sigma) is the keyword's twin
    dotted = run_model(baseline=None, outcomes=oc, **{"rd.sigma": 2.0}, **TINY)
    assert dotted == high


@pytest.mark.parametrize(
    ("keyword", "key"),
    [
        ("rd__sigma", "rd.sigma"),
        ("chosen__niches__niche_share", "chosen:niches.niche_share"),
        ("programme__grant__selection_noise", "programme:grant.selection_noise"),
        ("sectors__world_demand_growth__biotech", "sectors.world_demand_growth[biotech]"),
        ("rd.sigma", "rd.sigma"),
        ("programme:grant.selection_noise", "programme:grant.selection_noise"),
    ],
)
def test_keywords_map_to_sensitivity_keys(keyword, key):
    assert parameter_from_keyword(keyword) == key


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"rd__nonsense": 1.0}, "not a calibration parameter"),
        ({"sigma": 1.0}, "expected section__name"),
        ({"rd__sigma": float("nan")}, "finite"),
        ({"scenario": "nowhere"}, "unknown scenario"),
        ({"outcomes": ["joy_2030"]}, "unknown outcome"),
        ({"rd.sigma": 1.0, "rd__sigma": 2.0}, "'rd.sigma' is given twice"),
        ({"regime": 3}, "expected a scenario name"),
        (
            {
                "baseline": "laissez_faire",
                "scenario": "diffuse",
                "programme__procurement__budget": 1,
            },
            "'procurement' programme",
        ),
    ],
)
def test_bad_keywords_raise_before_running(kwargs, needle):
    with pytest.raises(SensitivityInputError, match=needle):
        run_model(**{**TINY, **kwargs})
