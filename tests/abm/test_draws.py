"""Draws made ahead on a helper thread (``abm.state.draws``): the same bits as drawn in place,
started only in a serial stretch, checked against what their owner asks for."""

from __future__ import annotations

import math
import multiprocessing
import sys
import threading
import time
from pathlib import Path

import numba
import numpy as np
import pytest

from abm import EconomyModel
from abm.state.draws import DrawsAhead


def _streams(seed: int = 7) -> dict[str, np.random.Generator]:
    return {"a": np.random.default_rng(seed), "b": np.random.default_rng(seed + 1)}


def _beta(n: int):
    def draw(rng: np.random.Generator) -> tuple[np.ndarray, str]:
        return rng.beta(2.0, 5.0, n), threading.current_thread().name

    return draw


def test_a_draw_made_ahead_has_the_bits_of_the_same_draw_in_place():
    ahead, here = DrawsAhead(_streams(), enabled=True), DrawsAhead(_streams(), enabled=False)
    for draws in (ahead, here):
        draws.ahead("a", (1000,), _beta(1000))
    with ahead.serial():
        assert ahead.pending == ("a",)
        values, thread = ahead.take("a", (1000,), _beta(1000))
    expected, here_thread = here.take("a", (1000,), _beta(1000))
    np.testing.assert_array_equal(values, expected)
    assert thread.startswith("abm-draws") and here_thread == threading.current_thread().name
    assert ahead.pending == here.pending == ()
    # the stream goes on from where the draw left it, as in place
    np.testing.assert_array_equal(
        ahead.take("a", (5,), _beta(5))[0], here.take("a", (5,), _beta(5))[0]
    )


def test_a_draw_queued_but_never_in_a_serial_stretch_is_made_when_taken():
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead("b", (50,), _beta(50))
    values, thread = draws.take("b", (50,), _beta(50))
    assert thread == threading.current_thread().name
    np.testing.assert_array_equal(values, np.random.default_rng(8).beta(2.0, 5.0, 50))


def test_a_draw_taken_with_another_key_or_queued_twice_is_an_error():
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead("a", (10,), _beta(10))
    with pytest.raises(RuntimeError, match="queued already"):
        draws.ahead("a", (10,), _beta(10))
    with draws.serial():
        pass
    with pytest.raises(RuntimeError, match=r"stream 'a': the draw queued was \(10,\).*\(11,\)"):
        draws.take("a", (11,), _beta(11))
    assert draws.pending == ()


def test_a_queued_draw_never_started_is_checked_too_and_left_undrawn():
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead("b", (10,), _beta(10))
    with pytest.raises(RuntimeError, match=r"stream 'b': the draw queued was \(10,\).*\(12,\)"):
        draws.take("b", (12,), _beta(12))
    # the stream was not consumed by the refused draw
    np.testing.assert_array_equal(
        draws.take("b", (4,), _beta(4))[0], np.random.default_rng(8).beta(2.0, 5.0, 4)
    )


def test_a_serial_stretch_for_named_streams_starts_only_theirs():
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead("a", (10,), _beta(10))
    draws.ahead("b", (10,), _beta(10))
    with draws.serial("b"):
        assert draws._queued.keys() == {"a"} and draws._started.keys() == {"b"}
        assert draws.take("b", (10,), _beta(10))[1].startswith("abm-draws")
    with draws.serial():
        assert draws.take("a", (10,), _beta(10))[1].startswith("abm-draws")


def test_disabled_draws_queue_nothing_and_draw_in_place():
    draws = DrawsAhead(_streams(), enabled=False)
    draws.ahead("a", (10,), _beta(10))
    with draws.serial():
        assert draws.pending == ()
    assert draws.take("a", (10,), _beta(10))[1] == threading.current_thread().name


def _child(queue) -> None:
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead("a", (100,), _beta(100))
    with draws.serial():
        queue.put(draws.take("a", (100,), _beta(100))[0].sum())


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_a_process_forked_after_the_helper_ran_makes_its_own():
    parent = DrawsAhead(_streams(), enabled=True)  # the helper thread exists before the fork
    parent.ahead("a", (100,), _beta(100))
    with parent.serial():
        expected = parent.take("a", (100,), _beta(100))[0].sum()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child's draw hung: it waited for the parent's helper thread")
    assert child.exitcode == 0 and queue.get(timeout=5) == expected


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="numba has one thread here")
def test_a_two_thread_run_draws_on_the_helper_in_its_serial_stretches(monkeypatch):
    """Each quarter the matching's service order and looks start while the vacancy rows are
    listed, and the innovation jumps (queued at the start of the quarter) while the matching
    kernel runs: both submitted from ``abm.mechanisms.labour.match``, labour's first. The
    immigration uniforms (queued after production) start while the goods market is rationed
    (``abm.mechanisms.goods.clear``), the talent programme's draws (queued after the exits)
    while the entrants' agents are registered, and migration's retirement and
    emigration lotteries (queued after the labour market, but not in the burn-in's last quarter,
    which sets the emigration base rate) while the investment plans are drawn
    (``abm.mechanisms.investment.plan``)."""
    import abm.state.draws as draws_module

    calls: list[tuple[str, str, str]] = []
    submit = draws_module.ThreadPoolExecutor.submit

    def spy(self, fn, *args, **kwargs):
        caller = sys._getframe(3)  # spy <- serial <- contextmanager's __enter__ <- the block
        where = f"{Path(caller.f_code.co_filename).stem}.{caller.f_code.co_name}"
        job = fn.args[1] if getattr(fn, "func", None) is draws_module._job else fn
        name = getattr(job, "func", job).__qualname__  # a stream's draw: partial(draw, generator)

        def run(*a, **k):
            calls.append((name, where, threading.current_thread().name))
            return fn(*a, **k)

        return submit(self, run, *args, **kwargs)

    monkeypatch.setattr(draws_module.ThreadPoolExecutor, "submit", spy)
    model = EconomyModel("diffuse", seed=1, scale=2000, quarters=2, threads=2,
                         threads_from_scale=math.inf)  # fmt: skip
    model.run()
    lotteries = ("_lottery_compute.<locals>.<lambda>", "investment.plan")
    quarter = [
        ("match.<locals>.service", "labour.match"),
        ("_jumps.<locals>.<lambda>", "labour.match"),
        ("_abroad_compute.<locals>.<lambda>", "goods.clear"),
        lotteries,
    ]
    last_burn = [x for x in quarter if x != lotteries]
    # from 2026 on the talent programme's draws too, started by the entrants' registration
    programme = ("_high_abroad_compute.<locals>.<lambda>", "entry_exit.enter_firms")
    seen = [(name, where) for name, where, _ in calls]
    burn = 4 * model.burn_in - 1
    assert seen[:burn] == quarter * (model.burn_in - 1) + last_burn
    recorded = [seen[burn + 5 * q : burn + 5 * q + 5] for q in range(2)]
    assert len(seen) == burn + 10
    assert recorded == [[*quarter, programme]] * 2
    assert all(thread.startswith("abm-draws") for _, _, thread in calls)
    assert model.draws.pending == ()


def test_keyed_draws_run_on_the_helper_and_refuse_a_streams_name():
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead_keyed("keyed", ("k", 1), lambda: threading.current_thread().name)
    assert draws.pending == ("keyed",)
    with draws.serial():
        thread = draws.take_keyed("keyed", ("k", 1), lambda: "in place")
    assert thread.startswith("abm-draws") and draws.pending == ()
    assert draws.take_keyed("keyed", ("k", 1), lambda: "in place") == "in place"
    with pytest.raises(ValueError, match="keyed draws 'a': that is a stream's name"):
        draws.ahead_keyed("a", (1,), lambda: 0)
    draws.ahead_keyed("keyed", ("k", 1), lambda: 0)
    with pytest.raises(RuntimeError, match="the draw queued was"):
        draws.take_keyed("keyed", ("k", 2), lambda: 0)
    draws.ahead_keyed("keyed", ("k", 3), lambda: 1)  # dropped, queued or started
    draws.drop_keyed("keyed")
    draws.ahead_keyed("keyed", ("k", 4), lambda: 2)
    with draws.serial():
        draws.drop_keyed("keyed")
    assert draws.pending == ()
    draws.drop_keyed("keyed")  # nothing queued: nothing to do
    off = DrawsAhead(_streams(), enabled=False)
    off.ahead_keyed("keyed", (1,), lambda: threading.current_thread().name)
    assert off.pending == () and off.take_keyed("keyed", (1,), lambda: "here") == "here"


def test_an_error_in_the_helper_comes_back_through_take():
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead("a", (3,), lambda rng: rng.beta(-1.0, 2.0, 3))  # numpy: a <= 0
    with draws.serial():
        with pytest.raises(ValueError, match="a <= 0"):
            draws.take("a", (3,), lambda rng: rng.beta(-1.0, 2.0, 3))
    assert draws.pending == ()


def test_a_quarter_that_stopped_inside_a_serial_stretch_cannot_queue_again():
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead("a", (10,), _beta(10))
    with pytest.raises(ZeroDivisionError), draws.serial():
        1 / 0  # noqa: B018 - a mechanism failing in the stretch
    assert draws.pending == ("a",)
    with pytest.raises(RuntimeError, match="stream 'a': a draw is queued already"):
        draws.ahead("a", (10,), _beta(10))


def test_a_draw_the_helper_cannot_take_is_made_in_place(monkeypatch):
    import abm.state.draws as draws_module

    closed = draws_module.ThreadPoolExecutor(max_workers=1)
    closed.shutdown()
    monkeypatch.setattr(draws_module, "_helper", lambda: closed)
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead("a", (20,), _beta(20))
    with draws.serial():
        values, thread = draws.take("a", (20,), _beta(20))
    assert thread == threading.current_thread().name
    np.testing.assert_array_equal(values, np.random.default_rng(7).beta(2.0, 5.0, 20))


def _child_takes(draws: DrawsAhead, queue) -> None:
    try:
        draws.take("a", (10,), _beta(10))
        queue.put("took")
    except RuntimeError as e:
        queue.put(str(e))


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_a_child_forked_while_a_draw_runs_fails_on_it_instead_of_waiting():
    release = threading.Event()

    def slow(rng: np.random.Generator) -> tuple[np.ndarray, str]:
        release.wait(30)
        return _beta(10)(rng)

    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead("a", (10,), slow)
    with draws.serial():
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_child_takes, args=(draws, queue))
        child.start()
        message = queue.get(timeout=60)
        child.join(timeout=60)
        release.set()
        values, _ = draws.take("a", (10,), _beta(10))  # the parent's draw is whole
    assert "forked while its draw (10,) ran" in message
    np.testing.assert_array_equal(values, np.random.default_rng(7).beta(2.0, 5.0, 10))


def test_a_serial_stretch_starts_with_its_first_draw_running_on_an_idle_helper(monkeypatch):
    """The helper needs the interpreter's lock to start a draw, which Python on the model's
    thread (Mesa's registration) gives up only every switch interval: a stretch enters its
    block once the first draw it started runs. A stretch whose draws wait behind a draw still
    running, its own model's or another's (the helper is shared), does not wait for them."""
    import abm.state.draws as draws_module

    monkeypatch.setattr(draws_module, "START_WAIT", 30.0)
    started, release = threading.Event(), threading.Event()

    def first() -> int:
        started.set()
        release.wait(30)
        return 1

    draws, other = DrawsAhead(_streams(), enabled=True), DrawsAhead(_streams(), enabled=True)
    draws.ahead_keyed("warm", (0,), lambda: 0)  # the helper thread exists and waits for work
    with draws.serial():
        assert draws.take_keyed("warm", (0,), lambda: 0) == 0
    draws.ahead_keyed("first", (1,), first)
    try:
        with draws.serial():
            assert started.is_set() and draws._started["first"][1].running()
            draws.ahead_keyed("second", (2,), lambda: 2)
            other.ahead_keyed("third", (3,), lambda: 3)
            begun = time.perf_counter()
            with draws.serial():
                pass
            with other.serial():
                waited = time.perf_counter() - begun
    finally:
        release.set()
    assert draws.take_keyed("first", (1,), lambda: 0) == 1
    assert draws.take_keyed("second", (2,), lambda: 0) == 2
    assert other.take_keyed("third", (3,), lambda: 0) == 3
    assert waited < 10 and draws.pending == other.pending == ()
    assert draws_module._jobs.waiting == 0  # every job counted has ended


def test_busy_while_a_started_draw_runs_and_the_free_threads_leave_it_a_core():
    """``busy`` is True from a draw's start on the helper until it ends; a model's
    ``free_threads()`` is one fewer than ``threads`` then (at least one)."""
    release = threading.Event()
    draws = DrawsAhead(_streams(), enabled=True)
    draws.ahead_keyed("keyed", (1,), lambda: release.wait(10))
    assert not draws.busy  # queued, not started
    m = EconomyModel("diffuse", seed=3, scale=2000, quarters=1)
    m.draws, m.threads = draws, 3
    with draws.serial():
        assert draws.busy and m.free_threads() == 2
        m.threads = 1
        assert m.free_threads() == 1
        release.set()
        assert draws.take_keyed("keyed", (1,), lambda: False) is True
    assert not draws.busy and m.free_threads() == 1
    m.threads = 2
    assert m.free_threads() == 2
