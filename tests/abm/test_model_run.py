"""A run through the Python API: outputs, determinism, calibration band of the first quarter."""

from __future__ import annotations

import numpy as np
import pytest

from abm import EconomyModel, shipped_scenarios
from abm.recording import VARIABLES

REQUIRED = [
    "gdp",
    "gdp_real",
    "consumption",
    "value_added",
    "industry_share",
    "rd_intensity",
    "rd_intensity_business",
    "rd_intensity_public",
    "employment",
    "unemployment_rate",
    "vacancies",
    "wage",
    "wage_by_skill",
    "productivity",
    "firms",
    "entries",
    "exits",
    "talent_stock",
    "talent_emigration",
    "talent_immigration",
    "high_skill_emigration",
    "high_skill_immigration",
    "capital_outflow",
    "investment",
    "exports",
    "imports",
    "programme_spending",
    "government_balance",
    "government_debt",
    "defence_procurement",
    "defence_domestic_share",
    "grid_use",
]


def test_dataset_has_every_required_variable_with_units_and_no_nan(diffuse_run):
    ds = diffuse_run.to_dataset()
    for name in REQUIRED:
        assert name in ds, name
        assert ds[name].attrs["units"], name
        assert ds[name].attrs["long_name"], name
        assert np.all(np.isfinite(ds[name].values)), name
    assert set(ds.dims) >= {"time", "sector", "skill", "programme"}
    assert ds.sizes["time"] == 6
    assert str(ds.time.values[0])[:10] == "2026-01-01"
    assert ds["value_added"].dims == ("time", "sector")
    assert ds["wage_by_skill"].dims == ("time", "skill")
    assert ds["programme_spending"].dims == ("time", "programme")
    assert set(VARIABLES) <= set(ds.data_vars)


def test_first_quarter_is_in_the_calibrated_band(diffuse_run):
    ds = diffuse_run.to_dataset()
    gdp_annual = float(ds["gdp"][0]) * 4
    assert 1.05e12 <= gdp_annual <= 1.35e12
    assert 0.02 <= float(ds["unemployment_rate"][0]) <= 0.10
    # value added sums to GDP (no product taxes), industry share is its share
    va = ds["value_added"][0].values
    assert va.sum() == pytest.approx(float(ds["gdp"][0]), rel=1e-9)
    ind = va[[0, 1, 2, 4, 5, 6]].sum() / va.sum()
    assert float(ds["industry_share"][0]) == pytest.approx(ind, rel=1e-12)


def test_programme_spending_is_zero_not_nan_where_a_scenario_has_no_programme():
    lf = EconomyModel("laissez_faire", seed=1, scale=1000, quarters=2).run().to_dataset()
    assert lf.sizes["programme"] > 0  # union of the shipped scenarios' programmes
    innovation = lf["programme_instrument"] != "public_research"
    assert np.all(lf["programme_spending"].where(innovation, 0.0).values == 0.0)
    assert np.all(np.isfinite(lf["programme_spending"].values))
    assert float(lf["programme_spending"].sel(programme="public_research").sum()) > 0
    d = EconomyModel("diffuse", seed=1, scale=1000, quarters=2).run().to_dataset()
    assert list(d.programme.values) == list(lf.programme.values)
    assert float(d["programme_spending"].sel(programme="wbso").sum()) > 0


def test_same_seed_same_outputs_other_seed_differs():
    a = EconomyModel("diffuse", seed=3, scale=1000, quarters=3).run().to_dataset()
    b = EconomyModel("diffuse", seed=3, scale=1000, quarters=3).run().to_dataset()
    c = EconomyModel("diffuse", seed=4, scale=1000, quarters=3).run().to_dataset()
    for v in a.data_vars:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)
    assert not np.array_equal(a["gdp"].values, c["gdp"].values)


def test_money_is_in_real_euros_whatever_the_scale():
    """GDP and employment do not scale with the number of agents."""
    coarse = EconomyModel("diffuse", seed=1, scale=2000, quarters=1).run().to_dataset()
    fine = EconomyModel("diffuse", seed=1, scale=500, quarters=1).run().to_dataset()
    assert float(coarse["gdp"][0]) == pytest.approx(float(fine["gdp"][0]), rel=0.15)
    assert float(coarse["employment"][0]) == pytest.approx(float(fine["employment"][0]), rel=0.05)


@pytest.mark.parametrize("name", sorted(shipped_scenarios()))
def test_every_shipped_scenario_runs_a_few_quarters(name):
    """Smoke test: each shipped scenario runs 3 quarters with a fixed seed, checks on."""
    m = EconomyModel(name, seed=7, scale=2000, quarters=3).run()
    ds = m.to_dataset()
    assert ds.sizes["time"] == 3
    assert np.all(np.isfinite(ds["gdp"].values)) and np.all(ds["gdp"].values > 0)


def test_the_build_pauses_the_garbage_collector_and_restores_it(monkeypatch):
    import gc

    from abm.mechanisms import build
    from abm.mesa_core import collector_paused

    seen = []
    real = build.build_economy

    def spy(eco):
        seen.append(gc.isenabled())
        return real(eco)

    import abm.model

    monkeypatch.setattr(abm.model.build, "build_economy", spy)
    EconomyModel("diffuse", seed=1, scale=2000, quarters=1)
    assert seen == [False]  # off while the economy is built
    assert gc.isenabled()  # on again after the build
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a failing build")
    assert gc.isenabled()


def test_a_quarter_freezes_the_objects_made_before_it_and_unfreezes_them(monkeypatch):
    """The collector skips the long-lived agents inside a quarter (``gc.freeze``), and sees them
    again after it; a program's own freeze is kept, and a failing quarter unfreezes too."""
    import gc

    import abm.model
    from abm.garbage import old_objects_frozen

    m = EconomyModel("diffuse", seed=1, scale=2000, quarters=3)
    firm = next(iter(m._firm_agents.values()))
    seen = []
    real = abm.model.goods.clear

    def spy(eco, f):
        seen.append((gc.get_freeze_count(), gc.is_tracked(firm)))
        return real(eco, f)

    monkeypatch.setattr(abm.model.goods, "clear", spy)
    assert gc.get_freeze_count() == 0
    m.step()
    frozen, tracked = seen[0]
    # the firm agents made in the build are among the frozen objects, still tracked
    assert frozen >= len(m._firm_agents) and tracked
    assert gc.get_freeze_count() == 0  # all back in the collector's generations
    gc.freeze()  # a program's own freeze: the quarter leaves it alone
    try:
        before = gc.get_freeze_count()
        m.step()
        # nothing more frozen inside (frozen objects may be freed), and still frozen after
        assert 0 < seen[1][0] <= before and 0 < gc.get_freeze_count() <= before
    finally:
        gc.unfreeze()
    with pytest.raises(RuntimeError), old_objects_frozen():
        assert gc.get_freeze_count() > 0
        raise RuntimeError("a failing quarter")
    assert gc.get_freeze_count() == 0
    gc.disable()
    try:
        with old_objects_frozen():
            assert gc.get_freeze_count() == 0  # the collector off: nothing to skip
    finally:
        gc.enable()


def test_a_failing_quarter_unfreezes_the_collector(monkeypatch):
    import gc

    import abm.model

    m = EconomyModel("diffuse", seed=1, scale=2000, quarters=3)

    def broken(eco, f):
        assert gc.get_freeze_count() > 0
        raise RuntimeError("a broken mechanism")

    monkeypatch.setattr(abm.model.goods, "clear", broken)
    with pytest.raises(RuntimeError, match="a broken mechanism"):
        m.step()
    assert gc.get_freeze_count() == 0


def test_quarters_of_two_threads_share_one_freeze_and_collections_wait_for_both():
    import gc
    import threading

    from abm.garbage import collect_garbage, old_objects_frozen

    inside, leave = threading.Event(), threading.Event()

    def other_quarter():
        with old_objects_frozen():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=other_quarter)
    t.start()
    try:
        assert inside.wait(10)
        with old_objects_frozen():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() > 0  # the other thread's quarter still runs
        assert collect_garbage() is False  # the frozen objects would be out of its reach
    finally:
        leave.set()
        t.join(10)
    assert gc.get_freeze_count() == 0
    assert collect_garbage() is True


def test_a_program_that_only_steps_models_frees_the_ones_it_dropped(monkeypatch):
    """Frozen quarters never start a full collection themselves (``gc.freeze`` sets the
    collector's counts to zero): every ``FULL_COLLECTION_EVERY``-th quarter ends with one."""
    import gc
    import weakref

    import abm.garbage

    monkeypatch.setattr(abm.garbage, "FULL_COLLECTION_EVERY", 3)
    m = EconomyModel("diffuse", seed=2, scale=2000, quarters=4)
    dropped = EconomyModel("diffuse", seed=2, scale=2000, quarters=1)  # burn-ins are quarters
    gc.collect()  # the model's objects now old: only a full collection can free them
    gone = weakref.ref(dropped)
    del dropped
    monkeypatch.setitem(abm.garbage._freeze, "quarters", 0)
    m.step()
    m.step()
    assert gone() is not None  # no full collection yet (the counts start again each quarter)
    m.step()
    assert gone() is None


def test_a_dropped_model_is_freed_and_ids_count_per_model():
    """Mesa 3.3 kept every model alive through ``Agent._ids`` (mesa#3179): no longer."""
    import gc
    import weakref

    m = EconomyModel("diffuse", seed=2, scale=2000, quarters=1)
    gone = weakref.ref(m)
    del m
    gc.collect()
    assert gone() is None
    again = EconomyModel("diffuse", seed=2, scale=2000, quarters=1)
    ids = sorted(a.unique_id for a in again.agents)
    assert ids[0] == 1 and len(set(ids)) == len(ids)  # Mesa's ids count from 1 per model


def test_an_ensemble_member_leaves_no_model_behind(monkeypatch):
    """A worker frees its members' models once they reach its threshold of agents."""
    import gc
    import weakref

    import abm.ensemble.worker as worker
    from abm.ensemble.plan import Task
    from abm.scenario import load_scenario

    made: list[weakref.ref] = []

    def tracked(*args, **kwargs):
        m = EconomyModel(*args, **kwargs)
        made.append(weakref.ref(m))
        return m

    monkeypatch.setattr(worker, "EconomyModel", tracked)
    monkeypatch.setattr(worker, "_dropped", [0])
    task = Task(load_scenario("diffuse"), 0, 0, 0, 7, 2, 2000.0, False, 1)
    gc.disable()  # only the worker's own collections
    try:
        ds, info = worker.run_member(task)
        assert ds.sizes["time"] == 2 and info["seconds"] > 0
        agents = worker._dropped[0]
        assert agents > 0 and made[0]() is not None  # below the threshold: not collected yet
        monkeypatch.setattr(worker, "COLLECT_AFTER_AGENTS", 2 * agents)
        worker.run_member(task)
        assert len(made) == 2 and made[0]() is None and made[1]() is None
        assert worker._dropped[0] == 0
    finally:
        gc.enable()
