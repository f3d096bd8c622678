"""``scripts/bench_phases.py``: per-phase speed-up, parallelism and idle core time."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_phases", ROOT / "scripts" / "bench_phases.py")
bench_phases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_phases)


def _result(threads: int, phases: dict[str, tuple[float, float]], quarter: float) -> dict:
    return {
        "threads": threads,
        "quarter_ms": [quarter, quarter + 2.0, quarter - 2.0],
        "phases": {k: {"wall_ms": w, "cpu_ms": c} for k, (w, c) in phases.items()},
    }


def test_rows_rank_the_phases_by_the_core_time_left_idle():
    one = _result(1, {"a": (40.0, 40.0), "b": (30.0, 30.0), "tiny": (0.1, 0.1)}, 70.0)
    many = _result(2, {"a": (20.0, 40.0), "b": (30.0, 30.0), "tiny": (0.1, 0.2)}, 50.0)
    rs = bench_phases.rows(one, many)
    assert [r["phase"] for r in rs] == ["b", "a"]  # "tiny" is below half a millisecond
    b, a = rs
    assert b["idle_ms"] == pytest.approx(30.0) and b["parallelism"] == pytest.approx(1.0)
    assert a["idle_ms"] == pytest.approx(0.0) and a["speedup"] == pytest.approx(2.0)
    md = bench_phases.table(one, many).splitlines()
    assert md[2] == "| b | 30.0 | 30.0 | 1.00x | 1.00 | 30.0 |"
    assert md[-1] == "| the quarter | 70.0 | 50.0 | 1.40x | - | 30.0 (phases shown) |"


def test_the_script_rejects_one_thread():
    with pytest.raises(SystemExit) as err:
        bench_phases.main(["--threads", "1"])
    assert err.value.code == 2


def test_the_script_times_the_phases_of_the_real_step(tmp_path):
    """End to end at a coarse scale: the step's statements, inside its context
    (``old_objects_frozen``), each timed on both thread counts."""
    import json
    import subprocess
    import sys

    out = tmp_path / "phases.json"
    cmd = [sys.executable, str(ROOT / "scripts" / "bench_phases.py"), "--scale", "2000"]
    cmd += ["--quarters", "1", "--warmup", "0", "--json", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    res = json.loads(out.read_text())
    runs = [res[k] for k in res if isinstance(res[k], dict) and "phases" in res[k]]
    assert len(runs) == 2
    for run in runs:
        assert "labour.match" in run["phases"] and "with" not in run["phases"]
        assert "self.quarter += 1" in run["phases"] and len(run["quarter_ms"]) == 1
