"""``scripts/bench_step.py``: a whole quarter, then its statements one by one (in the step's
context), at a coarse scale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_phases_of_the_step_are_timed_and_sum_to_a_quarter():
    cmd = [sys.executable, str(ROOT / "scripts" / "bench_step.py"), "--scales", "2000"]
    cmd += ["--quarters", "2", "--warmup", "1", "--in-process"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = {ln.split()[0]: ln.split() for ln in done.stdout.splitlines() if ln.strip()}
    assert "labour.match" in lines and "with" not in lines
    phases = float(lines["sum"][3])
    quarter = float(lines["model.step()"][2])
    assert phases > 0 and quarter > 0 and 0.3 < phases / quarter < 3.0


def _bench_step():
    """``scripts/bench_step.py`` as a module (it pins the thread pools in the environment when
    imported: put back here)."""
    import importlib.util
    import os

    saved = dict(os.environ)
    spec = importlib.util.spec_from_file_location("bench_step", ROOT / "scripts" / "bench_step.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return module


class _Context:
    def __init__(self, log: list) -> None:
        self.log = log

    def __enter__(self) -> None:
        self.log.append("enter")

    def __exit__(self, *exc: object) -> None:
        self.log.append("exit")


def test_run_plan_holds_a_context_from_where_it_stands_to_the_end_even_on_an_error():
    import pytest

    bs = _bench_step()
    log: list = []
    plan = [
        ("a", compile("log.append('a')", "<t>", "exec")),
        (bs.WITH, compile("Context(log)", "<t>", "eval")),
        ("b", compile("log.append('b')", "<t>", "exec")),
        ("c", compile("log.append('c')", "<t>", "exec")),
    ]
    ns = {"log": log, "Context": _Context}
    seen: list = []
    bs.run_plan(plan, ns, lambda label, code: (seen.append(label), exec(code, ns)))
    assert log == ["a", "enter", "b", "c", "exit"] and seen == ["a", "b", "c"]
    assert bs.timed_labels(plan) == ["a", "b", "c"]
    log.clear()
    broken = [*plan[:3], ("d", compile("1 / 0", "<t>", "exec"))]
    with pytest.raises(ZeroDivisionError):
        bs.run_plan(broken, ns, lambda label, code: exec(code, ns))
    assert log == ["a", "enter", "b", "exit"]


class _AfterTheBlock:
    def step(self):
        """A quarter with a statement after its block."""
        with _Context([]):
            self.x = 1
        self.quarter += 1


class _Named:
    def step(self):
        """A quarter with a named context."""
        with _Context([]) as c:
            self.x = c
            self.quarter += 1


def test_schedule_refuses_a_step_it_would_time_wrongly():
    import pytest

    bs = _bench_step()
    with pytest.raises(SystemExit, match="after the end of its 'with' block"):
        bs.schedule(_AfterTheBlock)
    with pytest.raises(SystemExit, match="not one bare context"):
        bs.schedule(_Named)
