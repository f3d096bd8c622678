"""Threads change the speed, never the results: ``threads=1`` and ``threads=2`` runs give the
same datasets bit for bit (fixed chunks, per-agent draws, shared counts updated in order)."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from abm import EconomyModel
from kernels.cache import kernel_threads


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba has one thread here")
@pytest.mark.parametrize("scenario", ["diffuse", "focused_defence"])
def test_one_and_two_threads_give_identical_datasets(scenario):
    runs = [  # threads used at any scale here: the kernels' threaded twins at a coarse scale
        EconomyModel(
            scenario, seed=3, scale=2000, quarters=6, threads=t, threads_from_scale=math.inf
        ).run()
        for t in (None, 2)
    ]
    a, b = (m.to_dataset() for m in runs)
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert a.attrs["talent_agents"] == b.attrs["talent_agents"]
    for k in runs[0].talent_pop.fields:  # and the agents themselves
        np.testing.assert_array_equal(runs[0].talent_pop.arrays[k], runs[1].talent_pop.arrays[k])
    assert runs[0].threads == 1 and runs[1].threads == 2
    # the two-thread run may draw ahead on the helper thread (abm.state.draws; where it does:
    # tests/abm/test_draws.py), the one-thread run never does
    assert not runs[0].draws.enabled and runs[1].draws.enabled
    assert runs[0].draws.pending == runs[1].draws.pending == ()


def test_threads_are_used_from_a_fine_enough_scale(monkeypatch):
    """Asked for, threads are used at ``THREADS_FROM_SCALE`` persons per agent and finer; a
    coarser run uses one (its parallel loops are too small to pay for waking the threads)."""
    from abm.model_args import THREADS_FROM_SCALE, effective_threads

    monkeypatch.delenv("ABM_THREADS_FROM_SCALE", raising=False)

    assert effective_threads(2, THREADS_FROM_SCALE) == 2
    assert effective_threads(2, 1.0) == 2
    assert effective_threads(2, THREADS_FROM_SCALE * 1.01) == 1
    assert effective_threads(1, 1.0) == 1
    assert effective_threads(2, 2000.0, from_scale=math.inf) == 2
    assert effective_threads(2, 5.0, from_scale=2.0) == 1
    for bad in (0.0, -1.0, math.nan):
        with pytest.raises(ValueError, match="threads_from_scale"):
            effective_threads(2, 5.0, from_scale=bad)
    monkeypatch.setenv("ABM_THREADS_FROM_SCALE", "inf")  # what reaches ensemble workers
    assert effective_threads(2, 2000.0) == 2
    assert effective_threads(2, 2000.0, from_scale=10.0) == 1  # the argument wins
    monkeypatch.setenv("ABM_THREADS_FROM_SCALE", "ten")
    with pytest.raises(ValueError, match="ABM_THREADS_FROM_SCALE"):
        effective_threads(2, 5.0)
    monkeypatch.delenv("ABM_THREADS_FROM_SCALE")
    if numba.config.NUMBA_NUM_THREADS < 2:
        return  # numba has one thread here: no model asks for two
    m = EconomyModel("laissez_faire", seed=1, scale=2000, quarters=1, threads=2)
    assert m.threads == 1 and m.threads_requested == 2
    m = EconomyModel(
        "laissez_faire", seed=1, scale=2000, quarters=1, threads=2, threads_from_scale=2000
    )
    assert m.threads == 2 and m.threads_requested == 2


def test_thread_counts_are_checked():
    assert kernel_threads(None) == 1
    assert kernel_threads(1) == 1
    with pytest.raises(ValueError, match="positive integer"):
        kernel_threads(0)
    with pytest.raises(ValueError, match="positive integer"):
        kernel_threads(1.5)
    with pytest.raises(ValueError, match="thread pool"):
        kernel_threads(numba.config.NUMBA_NUM_THREADS + 1)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba has one thread here")
def test_abm_run_threads_1_and_2_write_the_same_numbers(tmp_path, monkeypatch):
    """The command line's ``--threads``: the two files hold the same values bit for bit (the
    threads used at the test's coarse scale too)."""
    import xarray as xr
    from click.testing import CliRunner

    import abm.model_args
    from abm.cli import main

    monkeypatch.setattr(abm.model_args, "THREADS_FROM_SCALE", math.inf)

    paths = []
    for t in (1, 2):
        out = tmp_path / f"t{t}.nc"
        args = ["run", "diffuse", "--scale", "2000", "--quarters", "4", "--no-progress"]
        r = CliRunner().invoke(main, [*args, "--threads", str(t), "-o", str(out)])
        assert r.exit_code == 0, r.output
        paths.append(out)
    with xr.open_dataset(paths[0]) as a, xr.open_dataset(paths[1]) as b:
        assert set(a.data_vars) == set(b.data_vars)
        for name in a.data_vars:
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
        assert a.attrs["talent_agents"] == b.attrs["talent_agents"] > 0


def test_abm_run_rejects_bad_thread_counts():
    from click.testing import CliRunner

    from abm.cli import main

    r = CliRunner().invoke(main, ["run", "diffuse", "--threads", "0", "--no-progress"])
    assert r.exit_code == 2 and "--threads" in r.output
    big = str(numba.config.NUMBA_NUM_THREADS + 1)
    r = CliRunner().invoke(main, ["run", "diffuse", "--threads", big, "--no-progress"])
    assert r.exit_code == 2 and "--threads" in r.output


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba has one thread here")
def test_talent_programmes_choose_the_same_people_on_one_and_two_threads(monkeypatch):
    """Two talent programmes with large budgets, one aimed at technical people (a list of
    sectors): their shocks, drawn on the helper thread with two threads, pick the same people as
    on one, and with two threads the draws made ahead on the helper are taken (not dropped) when
    the programmes recruit."""
    from abm import load_scenario
    from abm.state.draws import DrawsAhead

    sc = load_scenario("laissez_faire")
    data = sc.model_dump(exclude={"source_file"})
    base = {"instrument": "talent_attraction", "budget_growth": 0.0}
    data["programmes"]["wide"] = {**base, "budget": 8e9}
    data["programmes"]["aimed"] = {**base, "budget": 5e9, "targets": ["semiconductors"]}
    scenario = type(sc).model_validate(data)
    taken: list[str] = []
    take = DrawsAhead.take_keyed

    def spy(self, name, key, compute):
        if name in self._started:
            taken.append(name)
        return take(self, name, key, compute)

    monkeypatch.setattr(DrawsAhead, "take_keyed", spy)
    runs = [
        EconomyModel(
            scenario, seed=4, scale=2000, quarters=4, threads=t, threads_from_scale=math.inf
        ).run()
        for t in (1, 2)
    ]
    # the first recorded quarter recruits the whole stock, later ones only the replacements
    assert taken.count("talent_attraction") >= 1
    a, b = (m.talent_pop.arrays for m in runs)
    marks = np.unique(a["attracted"])
    assert marks.size == 3 and marks[0] == 0  # people of both programmes (marked 1 + index)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    np.testing.assert_array_equal(
        runs[0].to_dataset()["talent_attracted"].values,
        runs[1].to_dataset()["talent_attracted"].values,
    )
