"""The talent step at model level: counts kept in step with the agents, common random numbers
when an agent is removed, and the migration kernel's probability held to the mechanism's."""

from __future__ import annotations

import numpy as np

from abm import EconomyModel
from abm.mechanisms.labour import job_arrays, talent_wages
from abm.mechanisms.migration import migration_response
from abm.state.economy import Shock
from kernels import talent
from kernels.events import event_uniforms, lottery_rows
from kernels.migration import emigration_probability_py


def test_staff_and_residents_follow_the_agents_every_quarter():
    m = EconomyModel("focused", seed=4, scale=2000, quarters=6)
    while m.quarter < m.quarters:
        m.step()
        residents, staff = m.recount_talent()
        np.testing.assert_array_equal(m.labour.residents, residents)
        np.testing.assert_array_equal(m.labour.staff, staff)
        assert m.talent_pop.employer.max() < len(m.firm_pop)
        assert (m.talent_pop.employer[m.talent_pop.abroad == 1] == -1).all()


def _without(m: EconomyModel, row: int) -> EconomyModel:
    """The same model with talent agent ``row`` removed (counts adjusted)."""
    tp = m.talent_pop
    if tp.employer[row] >= 0:
        talent.separate(np.array([row]), *job_arrays(m))
    if tp.abroad[row] == 0:
        m.labour.residents[tp.skill[row]] -= 1
    tp.drop(np.array([row]))
    return m


def test_removing_one_agent_leaves_every_other_agents_draws_and_choices_unchanged():
    a = EconomyModel("diffuse", seed=9, scale=2000, quarters=2)
    b = EconomyModel("diffuse", seed=9, scale=2000, quarters=2)
    a.step()
    b.step()
    tp = a.talent_pop
    gone = int(np.flatnonzero(tp.employer >= 0)[len(tp) // 3])  # an employed agent
    gone_id = int(tp.id[gone])
    _without(b, gone)
    keep = np.flatnonzero(a.talent_pop.id != gone_id)
    key0, key1, q = a.shock_key()
    for mech in Shock:
        ua = event_uniforms(key0, key1, a.talent_pop.id, q, int(mech))
        ub = event_uniforms(key0, key1, b.talent_pop.id, q, int(mech))
        np.testing.assert_array_equal(ua[keep], ub)
        ra, _ = lottery_rows(a.talent_pop.id, key0, key1, q, int(mech), 0.02)
        rb, _ = lottery_rows(b.talent_pop.id, key0, key1, q, int(mech), 0.02)
        ids_a = set(a.talent_pop.id[ra].tolist()) - {gone_id}
        assert ids_a == set(b.talent_pop.id[rb].tolist())
    # and the quits and searches of everybody else are the same
    out = []
    for m in (a, b):
        tp = m.talent_pop
        seekers, _ = talent.quits_and_search(
            tp.id,
            tp.abroad,
            *job_arrays(m),
            0.7 * m.labour.skill_wage,
            0.97,
            0.05,
            0.55,
            key0,
            key1,
            q,
            int(Shock.QUIT),
            int(Shock.SEARCH),
        )
        out.append((set(tp.id[seekers].tolist()), tp.employer.copy(), tp.id.copy()))
    assert out[0][0] - {gone_id} == out[1][0]
    np.testing.assert_array_equal(out[0][1][keep], out[1][1])


def test_the_kernels_emigration_probability_is_the_mechanisms():
    m = EconomyModel("diffuse", seed=3, scale=2000, quarters=1)
    m.step()
    tp = m.talent_pop
    home = np.flatnonzero(tp.abroad == 0)
    resp = migration_response(m, emigrate=True)
    here = np.where(tp.employer[home] >= 0, talent_wages(m, home), tp.reservation[home])
    fw = m.cal["labour.foreign_wage_ratio"] * m.labour.foreign_wage_level
    kappa, cost = m.cal["labour.migration_mobility"], m.cal["labour.moving_cost"]
    p0 = m.labour.p0_emigrate
    for j in range(0, home.size, max(home.size // 200, 1)):
        k = tp.skill[home[j]]
        p = emigration_probability_py(p0, fw[k], float(here[j]), kappa, cost)
        assert abs(p - p0 * resp[j]) <= 1e-12 * p0


def test_the_immigration_response_by_skill_is_the_mechanisms():
    from abm.mechanisms.migration import _immigration_response_by_skill

    m = EconomyModel("diffuse", seed=3, scale=2000, quarters=1)
    m.step()
    tp = m.talent_pop
    away = np.flatnonzero(tp.abroad == 1)
    np.testing.assert_allclose(
        _immigration_response_by_skill(m)[tp.skill[away]],
        migration_response(m, emigrate=False),
        rtol=1e-15,
    )
