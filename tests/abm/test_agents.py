"""Mesa agents are views over the array state, found by stable unique_id."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from abm import EconomyModel
from abm.agents import Firm, Investor, Programme, Talent


def test_firm_agent_reads_and_writes_its_row():
    m = EconomyModel("diffuse", seed=2, scale=2000, quarters=1)
    uid = int(m.firm_pop.id[5])
    f = m.firms[uid]
    assert isinstance(f, Firm) and isinstance(f, mesa.Agent)
    assert f.productivity == m.firm_pop.productivity[5]
    f.productivity = 123.0
    assert m.firm_pop.productivity[5] == 123.0
    assert f.sector in (
        "semiconductors",
        "biotech",
        "defence_tech",
        "digital_ai",
        "machinery",
        "chemistry",
        "other_industry",
        "services",
    )
    assert f in m.agents
    assert len(m.agents_by_type[Investor]) == len(m.investor_pop)
    assert len(m.agents_by_type[Programme]) == len(m.programme_pop)


def test_exited_firms_leave_the_model_and_rows_stay_consistent():
    m = EconomyModel("diffuse", seed=2, scale=2000, quarters=12).run()
    ids = m.firm_pop.id
    assert np.all(np.diff(ids) > 0)  # stable ids, order kept by compaction
    exited = m.to_dataset()["exits"].sum()
    assert float(exited) > 0  # some firms exited in 12 quarters
    registered = {a.unique_id for a in m.agents_by_type[Firm]}
    assert registered == set(ids.tolist())
    # talent employer rows point at existing firms
    emp = m.talent_pop.employer
    assert emp.max() < len(m.firm_pop) and emp.min() >= -1
    # a firm view survives compaction: it follows its uid, not its old row
    uid = int(ids[-1])
    assert m.firms[uid].row == len(ids) - 1
    with pytest.raises(KeyError):
        m.firms[10**9]


def test_talent_handles_are_made_on_demand():
    m = EconomyModel("diffuse", seed=2, scale=2000, quarters=1)
    tid = int(m.talent_pop.id[10])
    t = m.talent[tid]
    assert isinstance(t, Talent)
    assert t.skill in ("low", "medium", "high")
    if t.employer_row >= 0:
        assert t.wage > 0 and t.employer.unique_id == int(m.firm_pop.id[t.employer_row])
    assert tid in m.talent and 10**12 not in m.talent
    assert t not in m.agents  # not registered: a 1:1 run has ten million of them
