"""The dose of focus (issue #12): ``reallocation`` moves credit and box money into targeted
market programmes at equal budget, and ``policy_money`` says where the money goes."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from click.testing import CliRunner

from abm import EconomyModel, ScenarioError, load_scenario
from abm.analysis import innovation_budget
from abm.analysis.errors import SensitivityInputError
from abm.analysis.sensitivity import plan_study, point_scenarios
from abm.cli import main
from abm.sectors import CHOSEN_MARKETS

SCALE = 5000.0


def _run(name: str, dose: float = 0.0, quarters: int = 60):
    sc = load_scenario(name).model_copy(update={"reallocation": dose})
    return EconomyModel(sc, seed=2, scale=SCALE, quarters=quarters).run().to_dataset()


@functools.cache
def _diffuse_budget() -> float:
    """The reference's innovation money: the same run at every dose, so it is run once."""
    return float(innovation_budget(_run("diffuse")))


@pytest.mark.parametrize("dose", [0.0, 0.5, 1.0])
def test_equal_budget_at_every_dose_and_policy_money_adds_up(dose):
    ref = _diffuse_budget()
    ds = _run("focused", dose)
    money = float(innovation_budget(ds))
    assert money == pytest.approx(float(ref), rel=0.01)
    assert float(ds["policy_money"].sum()) == pytest.approx(money, rel=0.01)
    six = float(ds["policy_money"].sel(sector=list(CHOSEN_MARKETS)).sum())
    if dose == 1.0:
        assert six >= 0.9 * money
        # the credit and box are gone, their money is in the targeted programmes
        spent = ds["programme_spending"].sum("time")
        assert float(spent.sel(programme=["wbso", "innovation_box"]).sum()) == 0.0


def test_a_larger_dose_sends_more_money_to_the_six_markets():
    shares = []
    for dose in (0.0, 1.0):
        ds = _run("focused", dose, quarters=8)
        pm = ds["policy_money"].sum("time")
        shares.append(float(pm.sel(sector=list(CHOSEN_MARKETS)).sum() / pm.sum()))
    assert shares[1] > shares[0] + 0.1


def test_reallocation_needs_targeted_programmes(tmp_path):
    p = tmp_path / "dose.toml"
    p.write_text('schema = 2\nname = "dose"\nextends = "diffuse"\nreallocation = 0.5\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    msg = str(e.value)
    assert str(p) in msg and "key 'reallocation'" in msg and "targeted" in msg
    p.write_text('schema = 2\nname = "dose"\nextends = "focused"\nreallocation = 1.5\n')
    with pytest.raises(ScenarioError, match="reallocation"):
        load_scenario(p)


def test_the_dose_sweeps_in_an_ensemble_and_leaves_the_reference_alone(scheduler, tmp_path):
    out = tmp_path / "dose.nc"
    r = CliRunner().invoke(
        main,
        [
            "ensemble",
            "focused",
            "diffuse",
            "--runs",
            "1",
            "--quarters",
            "4",
            "--scale",
            str(SCALE),
            "--sweep",
            "reallocation=0,1",
            "--scheduler",  # the session's dask workers (tests/conftest.py): no cluster to start
            scheduler,
            "-o",
            str(out),
            "--no-progress",
        ],
    )
    assert r.exit_code == 0, r.output
    import xarray as xr

    ds = xr.open_dataset(out)
    assert "param_reallocation" in ds.coords
    spent = ds["programme_spending"].sum("time")
    wbso = spent.sel(programme="wbso")
    doses = ds["param_reallocation"].values
    focused = wbso.sel(scenario="focused").values
    assert focused[doses == 1.0].max() == 0.0 and focused[doses == 0.0].min() > 0.0
    diffuse = wbso.sel(scenario="diffuse").values
    assert np.allclose(diffuse, diffuse[0])  # the reference keeps its credit at every dose


def test_compare_sweep_writes_the_dose_response(tmp_path):
    import pandas as pd

    out = tmp_path / "cmp"
    r = CliRunner().invoke(
        main,
        [
            "compare",
            "focused",
            "diffuse",
            "--runs",
            "2",
            "--quarters",
            "8",
            "--scale",
            str(SCALE),
            "--sweep",
            "reallocation=0,1",
            "--workers",
            "1",
            "--n-boot",
            "200",
            "--no-figures",
            "-o",
            str(out),
            "--no-progress",
        ],
    )
    assert r.exit_code == 0, r.output
    dose = pd.read_csv(out / "dose_response.csv")
    assert set(dose["value"]) == {0.0, 1.0}
    assert set(dose["scenario"]) == {"focused"}  # diffuse, left alone, is the reference
    assert set(dose["reference"]) == {"diffuse"}
    assert (dose["members"] == 2).all()
    assert (dose["diff_low"] <= dose["diff_mean"]).all()
    assert (dose["diff_mean"] <= dose["diff_high"]).all()
    # the tables compare the scenarios at the first dose, from the same members
    table = pd.read_csv(out / "comparison.csv")
    assert not table.empty
    assert "Dose-response over reallocation" in (out / "dose_response.md").read_text()
    assert "reallocation" in r.output


def test_compare_sweep_is_refused_for_files_and_for_two_parameters(tmp_path):
    r = CliRunner().invoke(
        main,
        [
            "compare",
            "focused",
            "diffuse",
            "--sweep",
            "reallocation=0,1",
            "--sweep",
            "rd.sigma=0.1,0.2",
            "-o",
            str(tmp_path / "o"),
            "--no-progress",
        ],
    )
    assert r.exit_code != 0
    assert "one --sweep" in r.output
    assert not (tmp_path / "o" / "ensemble.nc").exists()


def test_sensitivity_varies_the_dose_in_the_targeted_scenario_only():
    """``abm sensitivity focused diffuse --parameter reallocation``: the dose applies to
    ``focused``; ``diffuse`` (no targeted programmes) is what it is compared with, as in a sweep;
    two scenarios without targeted programmes refuse the parameter."""
    kw = dict(
        method="morris",
        samples=2,
        outcomes=None,
        root_seed=1,
        quarters=None,
        scale=None,
        workers=1,
        runs=1,
        top=1,
        check_accounts=False,
        scheduler=None,
    )
    study = plan_study("focused", "diffuse", parameters=["reallocation"], **kw)
    pairs = point_scenarios(study, np.array([[0.0], [0.75]]))
    assert [a.reallocation for a, _ in pairs] == [0.0, 0.75]
    assert [b.reallocation for _, b in pairs] == [0.0, 0.0]
    with pytest.raises(SensitivityInputError, match="reallocation"):
        plan_study("diffuse", "laissez_faire", parameters=["reallocation"], **kw)
