"""Randomness: per-mechanism streams and counter-based per-agent shocks (docs/model.md §8)."""

from __future__ import annotations

import numpy as np

from abm import EconomyModel, load_scenario


def _with_budget(budget: float):
    sc = load_scenario("diffuse")
    data = sc.model_dump(exclude={"source_file"})
    data["programmes"]["grants"]["budget"] = budget
    return type(sc).model_validate(data)


def test_changing_a_programme_budget_leaves_unrelated_draws_unchanged():
    a = EconomyModel(_with_budget(0.6e9), seed=11, scale=2000, quarters=2)
    b = EconomyModel(_with_budget(3.0e9), seed=11, scale=2000, quarters=2)
    a.run()
    b.run()
    # per-agent shocks are a function of (seed, agent id, quarter, mechanism) only
    ids = np.arange(1, 200, dtype=np.int64)
    for mech in range(1, 10):
        np.testing.assert_array_equal(a.shocks(ids, mech, 4), b.shocks(ids, mech, 4))
    # mechanism streams are spawned from the member seed, not from the scenario
    c = EconomyModel(_with_budget(0.6e9), seed=11, scale=2000, quarters=2)
    d = EconomyModel(_with_budget(3.0e9), seed=11, scale=2000, quarters=2)
    for name in c.streams:
        np.testing.assert_array_equal(c.streams[name].random(5), d.streams[name].random(5))
    # and the budget change does change outcomes
    assert not np.array_equal(
        a.to_dataset()["programme_spending"].values, b.to_dataset()["programme_spending"].values
    )


def test_shocks_differ_by_agent_quarter_mechanism_and_seed():
    m = EconomyModel("diffuse", seed=1, scale=2000, quarters=1)
    ids = np.arange(1, 1001, dtype=np.int64)
    u = m.shocks(ids, 1, 1)[:, 0]
    assert 0.4 < u.mean() < 0.6 and u.min() >= 0 and u.max() < 1
    assert not np.array_equal(u, m.shocks(ids, 2, 1)[:, 0])
    m.quarter += 1
    assert not np.array_equal(u, m.shocks(ids, 1, 1)[:, 0])
    other = EconomyModel("diffuse", seed=2, scale=2000, quarters=1)
    other.quarter = m.quarter - 1
    assert not np.array_equal(u, other.shocks(ids, 1, 1)[:, 0])
