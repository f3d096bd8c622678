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
        # pooled median 530 (the median of the rounds' medians, 500 and 535, would be 517.5)
        bench_members.REFERENCE: [[[500.0]], [[530.0, 540.0]]],
        "one member, 2 threads": [[[400.0, 440.0]], [[420.0, 460.0]]],  # median 430
        "2 members at once, 1 thread each": [[[600.0], [620.0]], [[580.0], [640.0]]],  # 610
    }
    rows = {r["configuration"]: r for r in bench_members.summary(results)}
    assert rows[bench_members.REFERENCE]["median_ms"] == pytest.approx(530.0)
    assert rows[bench_members.REFERENCE]["round_medians_ms"] == pytest.approx([500.0, 535.0])
    assert rows[bench_members.REFERENCE]["throughput"] == pytest.approx(1.0)
    assert rows["one member, 2 threads"]["throughput"] == pytest.approx(530 / 430)
    two = rows["2 members at once, 1 thread each"]
    assert two["members"] == 2 and two["median_ms"] == pytest.approx(610.0)
    assert two["throughput"] == pytest.approx(2 * 530 / 610)
    assert two["round_medians_ms"] == pytest.approx([610.0, 610.0])
    md = bench_members.table(list(rows.values())).splitlines()
    assert "| 2 members at once, 1 thread each | 2 | - | 610.0 | 1.74x | 610.0, 610.0 |" in md


def test_members_side_by_side_count_only_the_quarters_all_of_them_were_timing():
    fast = [[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]]  # done at 3 s
    slow = [[0.5, 2.0], [2.0, 3.5], [3.5, 5.0]]  # from 3 s on it ran alone
    # the window runs from 0.5 s (the last first start) to 3.0 s (the first last end)
    assert bench_members.overlapping([fast, slow]) == [
        pytest.approx([1000.0, 1000.0]),
        pytest.approx([1500.0]),
    ]
    other = [[0.2, 1.2], [1.2, 2.4], [2.4, 3.0]]
    assert bench_members.overlapping([fast, other]) == [
        pytest.approx([1000.0, 1000.0]),
        pytest.approx([1000.0, 1200.0, 600.0]),
    ]
    # a window that keeps none of one member's quarters: all of every member's count
    assert bench_members.overlapping([fast, [[0.5, 3.5]]]) == [
        pytest.approx([1000.0] * 3),
        pytest.approx([3000.0]),
    ]
    # a member alone: all of its quarters
    assert bench_members.overlapping([[[0.0, 0.25], [0.25, 0.5]]]) == [pytest.approx([250.0] * 2)]


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
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(out.read_text())
    assert [r["members"] for r in doc["rows"]] == [1, 1, 2]
    for name, rounds in doc["results_ms"].items():
        for rnd in rounds:
            # a member alone times both quarters; members side by side keep the quarters of
            # the window in which both were timing (or all, when it holds none of one's)
            sizes = [len(m) for m in rnd]
            assert all(1 <= k <= 2 for k in sizes) and (len(rnd) > 1 or sizes == [2]), name
            assert all(q > 0 for m in rnd for q in m), name
    # 1:1000 is coarser than the model's threshold for threads: one in use, and a note says so
    assert "| one member, 2 threads | 1 | 1 |" in proc.stdout
    assert "THREADS_FROM_SCALE" in proc.stdout
    assert [r["threads_in_use"] for r in doc["rows"]] == [1, 1, 1]


@pytest.mark.parametrize("args", [["--cores", "1"], ["--scale", "0.5"]])
def test_the_script_refuses_one_core_or_a_scale_below_one(args):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_members.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and args[0] in proc.stderr
