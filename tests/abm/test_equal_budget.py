"""Equal budget (docs/model.md §9): focused and mission_agency spend the same public innovation
money over 2026-2040 as diffuse, within 1%, in every run; proven from the outputs'
programme_spending."""

from __future__ import annotations

import pytest

from abm import EconomyModel
from abm.analysis import innovation_budget


@pytest.mark.parametrize("seed", [1, 2])
def test_focused_and_mission_agency_match_diffuse_within_one_percent(seed):
    budgets = {}
    for name in ("diffuse", "focused", "focused_defence", "mission_agency"):
        ds = EconomyModel(name, seed=seed, scale=4000).run().to_dataset()
        assert int(ds["time"].dt.year[-1]) == 2040  # the whole 2026-2040 window
        budgets[name] = float(innovation_budget(ds))
    assert budgets["diffuse"] > 50e9  # ~EUR 4.5-5 bn a year over 15 years
    for name in ("focused", "focused_defence", "mission_agency"):
        assert budgets[name] == pytest.approx(budgets["diffuse"], rel=0.01), name


def test_laissez_faire_spends_no_innovation_money_but_the_same_public_research():
    lf = EconomyModel("laissez_faire", seed=1, scale=4000, quarters=8).run().to_dataset()
    d = EconomyModel("diffuse", seed=1, scale=4000, quarters=8).run().to_dataset()
    assert float(innovation_budget(lf, 2026, 2027)) == 0.0
    assert float(innovation_budget(d, 2026, 2027)) > 5e9
    pr = lambda ds: float(ds["programme_spending"].sel(programme="public_research").sum())  # noqa: E731
    assert pr(lf) == pytest.approx(pr(d), rel=1e-12)


def test_innovation_budget_rejects_a_window_outside_the_data():
    ds = EconomyModel("diffuse", seed=1, scale=4000, quarters=2).run().to_dataset()
    with pytest.raises(ValueError, match="no quarter between 2050 and 2051"):
        innovation_budget(ds, 2050, 2051)
