"""Mesa agents are views over the array state, found by stable unique_id."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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


def test_bulk_registration_leaves_mesa_as_agent_by_agent_creation():
    """``register_many``/``deregister_many`` (firm entry and exit) give Mesa the same agents,
    ids and registries, in the same order, as creating and removing them one at a time."""
    from abm.mesa_core import deregister_many, register_many

    def state(model):
        return (
            [(type(a).__name__, a.unique_id) for a in model._agents],
            [a.unique_id for a in model.agents_by_type[Firm]],
            [a.unique_id for a in model.agents],
        )

    one, bulk = (mesa.Model(seed=1) for _ in range(2))
    a = [Firm(one) for _ in range(5)] + [Investor(one) for _ in range(2)]
    b = register_many(bulk, Firm, 5) + register_many(bulk, Investor, 2)
    assert [x.unique_id for x in a] == [x.unique_id for x in b] == list(range(1, 8))
    assert all(x.model is bulk and x.pos is None for x in b)
    assert state(one) == state(bulk)
    for x in (a[1], a[3], a[5]):
        x.remove()
    deregister_many(bulk, [b[1], b[3], b[5]])
    deregister_many(bulk, [b[1]])  # removed already: ignored, as Agent.remove does
    assert state(one) == state(bulk)
    assert len(bulk.agents_by_type[Investor]) == 1 and len(bulk.agents) == 4
    more_a, more_b = [Firm(one) for _ in range(3)], register_many(bulk, Firm, 3)
    assert [x.unique_id for x in more_a] == [x.unique_id for x in more_b] == [8, 9, 10]
    assert state(one) == state(bulk) and register_many(bulk, Firm, 0) == []


def test_bulk_registration_respects_an_agent_class_with_its_own_init():
    from abm.mesa_core import register_many

    class Counted(mesa.Agent):
        made = 0

        def __init__(self, model):
            super().__init__(model)
            type(self).made += 1

    model = mesa.Model(seed=1)
    agents = register_many(model, Counted, 4)
    assert Counted.made == 4 and len(model.agents_by_type[Counted]) == 4
    assert [x.unique_id for x in agents] == [1, 2, 3, 4]


def test_bulk_registration_respects_an_init_after_agent_in_the_method_order():
    """``Agent.__init__`` calls ``super().__init__``: a mixin listed after ``Agent`` runs."""
    from abm.mesa_core import register_many

    class Tagged:
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tag = "set"

    class Mixed(mesa.Agent, Tagged):
        pass

    model = mesa.Model(seed=1)
    agents = register_many(model, Mixed, 3)
    assert [x.tag for x in agents] == ["set"] * 3 and len(model.agents) == 3


def test_bulk_registration_frees_removed_agents_and_keeps_lengths():
    """The agent sets' weak references behave as Mesa's own: a removed agent dropped by the
    caller leaves every registry, and the lengths count the agents left."""
    import gc

    from abm.mesa_core import deregister_many, register_many

    model = mesa.Model(seed=1)
    agents = register_many(model, Firm, 6)
    deregister_many(model, agents[::2])
    assert len(model.agents) == len(model.agents_by_type[Firm]) == 3
    del agents[::2]
    gc.collect()
    assert [a.unique_id for a in model.agents] == [2, 4, 6]
    kept = register_many(model, Firm, 2)
    assert [a.unique_id for a in model.agents_by_type[Firm]] == [2, 4, 6, 7, 8]
    del agents, kept
    gc.collect()
    assert len(model.agents) == 5  # the model still holds them: Mesa's registry is strong


def test_bulk_registration_keeps_the_compact_instance_layout():
    """Agents made in bulk share their class's attribute keys: no dict of their own, so one
    object per agent for the garbage collector, for these agents and every later one (CPython
    3.11 gives each instance a dict once a batch of bare instances used the shared keys up).
    In a fresh interpreter, where no agent of the class exists yet."""
    code = textwrap.dedent(
        """
        import gc, mesa
        from abm.agents import Firm
        from abm.mesa_core import register_many

        def dicts():
            return sum(type(o) is dict for o in gc.get_objects())

        gc.disable()
        model = mesa.Model(seed=1)
        d0 = dicts()
        bulk = register_many(model, Firm, 3000)
        one = [Firm(model) for _ in range(100)]
        more = register_many(model, Firm, 3000)
        print(dicts() - d0)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.split()[-1]) < 50  # the registries' own dicts, not one per agent


def test_bulk_removal_respects_an_agent_class_with_its_own_remove():
    from abm.mesa_core import deregister_many, register_many

    class Placed(mesa.Agent):
        removed = 0

        def remove(self):
            type(self).removed += 1
            super().remove()

    model = mesa.Model(seed=1)
    agents = register_many(model, Placed, 3)
    deregister_many(model, agents[:2])
    assert Placed.removed == 2 and len(model.agents) == 1


def test_bulk_registration_takes_the_bulk_path_for_firms(monkeypatch):
    """Firms are registered without a call of ``Model.register_agent`` per agent."""
    from abm.mesa_core import register_many

    model = mesa.Model(seed=1)
    calls = []
    monkeypatch.setattr(type(model), "register_agent", lambda self, a: calls.append(a))
    monkeypatch.setattr("abm.mesa_core.Model.register_agent", type(model).register_agent)
    register_many(model, Firm, 3)
    assert calls == [] and len(model.agents_by_type[Firm]) == 3


def test_bulk_registration_keeps_mesa_agent_sets_weak():
    """The agent sets hold bulk-registered agents by weak reference with their own removal
    callback, as ``AgentSet.add`` does: an agent that no registry holds any more leaves them."""
    import gc

    from abm.mesa_core import deregister_many, register_many

    model = mesa.Model(seed=1)
    agents = register_many(model, Firm, 4)
    deregister_many(model, [agents[0], agents[0], agents[1]])  # a repeat is ignored
    assert [a.unique_id for a in model.agents] == [3, 4]
    assert len(model.agents_by_type[Firm]) == 2 and agents[0] not in model.agents
    third = agents[2]
    del model._agents[third], agents, third  # held by nothing but the weak sets now
    gc.collect()
    assert [a.unique_id for a in model.agents] == [4]
    assert [a.unique_id for a in model.agents_by_type[Firm]] == [4]
