"""``scripts/bench_members.py``: threads within a member against members side by side."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "bench_members", ROOT / "scripts" / "bench_members.py"
)
bench_members = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_members)


def test_throughput_is_members_over_the_pooled_median_against_one_member_on_one_thread():
    results = {
        bench_members.REFERENCE: [[[500.0, 520.0]], [[540.0, 560.0]]],  # median 530
        "one member, 2 threads": [[[400.0, 440.0]], [[420.0, 460.0]]],  # median 430
        "2 members at once, 1 thread each": [[[600.0], [620.0]], [[580.0], [640.0]]],  # 610
    }
    rows = {r["configuration"]: r for r in bench_members.summary(results)}
    assert rows[bench_members.REFERENCE]["throughput"] == pytest.approx(1.0)
    assert rows["one member, 2 threads"]["throughput"] == pytest.approx(530 / 430)
    two = rows["2 members at once, 1 thread each"]
    assert two["members"] == 2 and two["median_ms"] == pytest.approx(610.0)
    assert two["throughput"] == pytest.approx(2 * 530 / 610)
    assert two["round_medians_ms"] == pytest.approx([610.0, 610.0])
    md = bench_members.table(list(rows.values())).splitlines()
    assert "| 2 members at once, 1 thread each | 2 | - | 610.0 | 1.74x | 610.0, 610.0 |" in md


def test_the_script_runs_the_three_configurations_at_a_coarse_scale(tmp_path):
    out = tmp_path / "m.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_members.py"),
            "--scale",
            "1000",
            "--quarters",
            "2",
            "--warmup",
            "0",
            "--rounds",
            "1",
            "--json",
            str(out),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out.read_text())
    assert [r["members"] for r in doc["rows"]] == [1, 1, 2]
    for name, rounds in doc["results_ms"].items():
        assert all(len(m) == 2 and min(m) > 0 for rnd in rounds for m in rnd), name
    # 1:1000 is coarser than the model's threshold for threads: one in use, and a note says so
    assert "| one member, 2 threads | 1 | 1 |" in proc.stdout
    assert "THREADS_FROM_SCALE" in proc.stdout
    assert [r["threads_in_use"] for r in doc["rows"]] == [1, 1, 1]


def test_the_script_refuses_one_core():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_members.py"), "--cores", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "--cores" in proc.stderr
