"""Mesa conventions: running, steps, the burn-in in ``__init__``, seeds, the DataCollector and
``mesa.batch_run``."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
import pytest

from abm import EconomyModel, load_scenario
from abm.collect import FIRM_REPORTERS, MODEL_REPORTER_FIELDS

TINY = {"scale": 5000.0, "quarters": 3}


def test_while_running_step_takes_exactly_the_recorded_quarters():
    m = EconomyModel("diffuse", seed=1, **TINY)
    assert (m.steps, m.quarter, len(m.records), m.running) == (0, 0, 0, True)  # burnt in
    steps = 0
    while m.running:
        m.step()
        steps += 1
    assert steps == m.steps == len(m.records) == 3
    assert [r.date.isoformat() for r in m.records] == ["2026-01-01", "2026-04-01", "2026-07-01"]
    with pytest.raises(RuntimeError, match="the run is over"):
        m.step()
    assert m.run() is m and len(m.records) == 3  # nothing left to run


def test_stepping_by_hand_and_mesa_run_model_give_the_run():
    a = EconomyModel("focused", seed=2, **TINY).run().to_dataset()
    m = EconomyModel("focused", seed=2, **TINY)
    m.run_model()  # Mesa's: while self.running: self.step()
    assert m.to_dataset().equals(a)


def test_model_reporters_are_the_dataset_and_have_no_nan_rows():
    m = EconomyModel("focused", seed=1, **TINY).run()
    df = m.datacollector.get_model_vars_dataframe()
    ds = m.to_dataset()
    assert isinstance(m.datacollector, mesa.DataCollector)
    assert list(df.columns) == list(MODEL_REPORTER_FIELDS)
    assert list(df.index) == [0, 1, 2] and not df.isna().any().any()
    assert list(pd.to_datetime(df["date"])) == list(pd.to_datetime(ds["time"].values))
    for name in MODEL_REPORTER_FIELDS[1:]:
        want = ds[name].values
        want = want.sum(axis=1) if want.ndim == 2 else want  # programme spending: the total
        np.testing.assert_allclose(df[name].to_numpy(float), want, rtol=1e-12, err_msg=name)
    with pytest.raises(UserWarning, match="No agent reporters"):  # off by default
        m.datacollector.get_agent_vars_dataframe()


def test_agent_reporters_collect_the_firms_every_interval_and_in_the_last_quarter():
    kw = {"scale": 5000.0, "quarters": 5, "collect_agents": True, "agent_interval": 2}
    m = EconomyModel("diffuse", seed=1, **kw).run()
    firms = m.datacollector.get_agent_vars_dataframe()
    assert list(firms.columns) == list(FIRM_REPORTERS)
    assert sorted(set(firms.index.get_level_values("Step"))) == [1, 3, 4]
    last = firms.xs(4, level="Step")
    fp = m.firm_pop
    assert list(last.index) == fp.id.tolist()
    np.testing.assert_array_equal(last["productivity"], fp.productivity)
    np.testing.assert_array_equal(last["employees"], m.firm_employment().sum(axis=1))
    uid = int(fp.id[7])
    assert last.loc[uid, "sector"] == m.firms[uid].sector
    assert last.loc[uid, "market_share"] == m.firms[uid].market_share
    with pytest.raises(ValueError, match="agent_interval must be >= 1"):
        EconomyModel("diffuse", seed=1, collect_agents=True, agent_interval=0, **TINY)


def test_seed_none_draws_fresh_entropy_that_repeats_the_run():
    a = EconomyModel("diffuse", **TINY)
    b = EconomyModel("diffuse", **TINY)
    assert isinstance(a.seed, int) and a.seed != b.seed
    ds = a.run().to_dataset()
    assert ds.attrs["seed"] == str(a.seed)
    again = EconomyModel("diffuse", seed=int(ds.attrs["seed"]), **TINY).run().to_dataset()
    assert again.equals(ds)
    # rng is Mesa's name for the seed
    assert EconomyModel("diffuse", rng=a.seed, **TINY).run().to_dataset().equals(ds)
    with pytest.raises(ValueError, match="seed or rng, not both"):
        EconomyModel("diffuse", seed=1, rng=1, **TINY)
    with pytest.raises(TypeError, match="seed: expected an integer"):
        EconomyModel("diffuse", seed="one", **TINY)


def test_batch_run_returns_the_series_for_two_values_and_two_iterations_that_differ():
    results = mesa.batch_run(
        EconomyModel,
        parameters={"scenario": ["diffuse", "focused"], **TINY},
        iterations=2,
        max_steps=100,
        data_collection_period=1,
        display_progress=False,
    )
    df = pd.DataFrame(results)
    assert len(df) == 2 * 2 * 3  # scenarios x iterations x recorded quarters
    assert set(MODEL_REPORTER_FIELDS) <= set(df.columns)
    assert not df[list(MODEL_REPORTER_FIELDS)].isna().any().any()
    runs = df.groupby(["scenario", "iteration"])
    assert runs.ngroups == 4 and all(list(g["Step"]) == [0, 1, 2] for _, g in runs)
    gdp = df.set_index(["scenario", "iteration", "Step"])["gdp_real"].sort_index()
    for sc in ("diffuse", "focused"):
        assert not np.array_equal(gdp[sc, 0].to_numpy(), gdp[sc, 1].to_numpy())  # fresh seeds


def test_batch_run_takes_scenario_objects_in_a_list_and_seeds():
    sc = load_scenario("laissez_faire")
    results = mesa.batch_run(
        EconomyModel,
        parameters={"scenario": [sc], "seed": [4], "scale": 5000.0, "quarters": 2},
        max_steps=100,
        data_collection_period=1,
        display_progress=False,
    )
    direct = EconomyModel(sc, seed=4, scale=5000.0, quarters=2).run().to_dataset()
    np.testing.assert_array_equal([r["gdp_real"] for r in results], direct["gdp_real"].values)
    with pytest.raises(TypeError, match="put a Scenario in a list"):
        EconomyModel(("name", "laissez_faire"), seed=1, **TINY)  # what batch_run makes of it
