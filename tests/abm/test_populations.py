"""Struct-of-arrays populations: appends into spare room, drops in place, ids fit their type."""

from __future__ import annotations

import numpy as np
import pytest

from abm.state.populations import Population

FIELDS = {"id": np.int32, "x": np.float32, "k": np.int8}


def test_append_and_drop_keep_rows_and_order():
    pop = Population(FIELDS, "p")
    pop.append(id=np.arange(1, 11), x=np.arange(10) * 1.5, k=np.arange(10) % 3)
    x_before = pop.x
    pop.append(id=np.arange(11, 14), x=np.zeros(3), k=np.ones(3))
    assert len(pop) == 13 and pop.id.dtype == np.int32 and pop.k.dtype == np.int8
    np.testing.assert_array_equal(pop.x[:10], x_before)
    pop.drop(np.array([0, 4, 12]))
    np.testing.assert_array_equal(pop.id, [2, 3, 4, 6, 7, 8, 9, 10, 11, 12])
    np.testing.assert_array_equal(pop.x[:4], [1.5, 3.0, 4.5, 7.5])
    assert pop.row_of(6) == 3
    with pytest.raises(KeyError):
        pop.row_of(5)
    pop.drop(np.zeros(0, np.int64))
    assert len(pop) == 10


def test_assigned_arrays_are_never_changed_in_place():
    pop = Population(FIELDS, "p")
    pop.append(id=np.arange(1, 6), x=np.ones(5), k=np.zeros(5))
    shared = np.arange(5, dtype=np.float32)
    pop.x = shared  # an outside array: a drop works on a copy
    pop.drop(np.array([1]))
    np.testing.assert_array_equal(shared, np.arange(5))
    np.testing.assert_array_equal(pop.x, [0, 2, 3, 4])
    pop.append(id=[9], x=[9.0], k=[1])
    np.testing.assert_array_equal(pop.x, [0, 2, 3, 4, 9])


@pytest.mark.parametrize("threads", [1, 2])
def test_a_field_assigned_a_view_of_another_is_dropped_from_the_old_values(threads, monkeypatch):
    """``pop.x = pop.y``-like assignments: the outside field is a view of another field's
    buffer, which the drop changes in place; its kept rows are copied first."""
    import abm.state.populations as populations

    monkeypatch.setattr(populations, "PARALLEL_DROP_VALUES", 1)
    fields = {"id": np.int64, "a": np.float64, "b": np.float64}
    pop = Population(fields, "p")
    pop.append(id=np.arange(1, 9), a=np.arange(8) * 1.0, b=np.zeros(8))
    pop.b = pop.a  # the same memory as a's buffer
    pop.drop(np.array([0, 3]), threads=threads)
    np.testing.assert_array_equal(pop.a, [1, 2, 4, 5, 6, 7])
    np.testing.assert_array_equal(pop.b, [1, 2, 4, 5, 6, 7])


def test_ids_must_increase_and_fit():
    pop = Population(FIELDS, "p")
    pop.append(id=[5], x=[0.0], k=[0])
    with pytest.raises(ValueError, match="increase"):
        pop.append(id=[5], x=[0.0], k=[0])
    with pytest.raises(ValueError, match="does not fit"):
        pop.append(id=[2**31], x=[0.0], k=[0])


def test_a_drop_on_two_threads_equals_one():
    from abm.state.populations import PARALLEL_DROP_VALUES

    n = PARALLEL_DROP_VALUES // len(FIELDS) + 10
    pops = []
    for _ in range(2):
        pop = Population(FIELDS, "p")
        pop.append(id=np.arange(1, n + 1), x=np.arange(n) * 0.5, k=np.arange(n) % 7)
        pops.append(pop)
    shared = np.arange(n, dtype=np.int8) % 5
    for pop in pops:
        pop.k = shared  # an outside array: copied on the threads too, never changed
    rows = np.sort(np.random.default_rng(0).choice(n, 999, replace=False))
    pops[0].drop(rows)
    pops[1].drop(rows, threads=2)
    for k in FIELDS:
        np.testing.assert_array_equal(pops[0].arrays[k], pops[1].arrays[k])
    assert len(pops[1]) == n - 999
    np.testing.assert_array_equal(shared, np.arange(n, dtype=np.int8) % 5)
    np.testing.assert_array_equal(pops[1].k, np.delete(shared, rows))
    pops[1].append(id=[n + 5], x=[1.0], k=[3])  # the copy went to a buffer of the population's
    assert pops[1].k[-1] == 3 and len(pops[1]) == n - 998
