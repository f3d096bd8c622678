"""The EMA Workbench entry point: keywords in, a dict of scalar outcomes out."""

from __future__ import annotations

import math

import pytest

from abm.ema import EMA_OUTCOMES, parameter_from_keyword, run_model
from abm.sensitivity import SensitivityInputError

TINY = {"quarters": 8, "scale": 4000.0, "seed": 3}  # records 2026-2027


def test_run_model_returns_every_outcome_and_its_difference_as_floats():
    out = run_model(**TINY)  # focused against diffuse
    assert set(out) == set(EMA_OUTCOMES) | {f"{o}_diff" for o in EMA_OUTCOMES}
    assert all(type(v) is float for v in out.values())
    # outcomes in years the run does not record are NaN, the keys stay
    assert math.isnan(out["gdp_real_2040"]) and math.isnan(out["gdp_real_2040_diff"])
    assert math.isfinite(out["capital_outflow_total"]) and out["capital_outflow_total"] > 0


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


@pytest.mark.parametrize(
    ("keyword", "key"),
    [
        ("rd__sigma", "rd.sigma"),
        ("chosen__niches__niche_share", "chosen:niches.niche_share"),
        ("programme__grant__selection_noise", "programme:grant.selection_noise"),
        ("sectors__world_demand_growth__biotech", "sectors.world_demand_growth[biotech]"),
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
