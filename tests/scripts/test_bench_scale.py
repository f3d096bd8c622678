"""``scripts/bench_scale.py``: rounds pooled, speed-ups by scale, the markdown tables."""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "scripts" / "bench_scale.py")
bench_scale = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_scale)


def _run(scale: float, threads: int, wall: list[float], agents: float = 1000.0) -> dict:
    return {
        "kind": "model",
        "scale": scale,
        "threads": threads,
        "talent_agents": agents - 50,
        "firm_agents": 50.0,
        "agents": agents,
        "wall_ms": wall,
        "cpu_ms": wall,
        "median_ms": sorted(wall)[len(wall) // 2],
        "min_ms": min(wall),
        "peak_rss_bytes": 2**30,
    }


def test_rounds_pool_their_quarters_and_keep_each_round_median():
    pooled = bench_scale.pool_rounds(
        [_run(1, 1, [10.0, 12.0, 11.0]), _run(1, 1, [20.0, 22.0, 21.0], agents=1100.0)]
    )
    assert pooled["rounds"] == 2
    assert pooled["wall_ms"] == [10.0, 12.0, 11.0, 20.0, 22.0, 21.0]
    assert pooled["median_ms"] == pytest.approx(16.0) and pooled["min_ms"] == 10.0
    assert pooled["round_medians_ms"] == [11.0, 21.0]
    assert pooled["agents"] == pytest.approx(1050.0)
    assert pooled["ns_per_agent"] == pytest.approx(16.0e6 / 1050.0)
    with pytest.raises(ValueError, match="no runs"):
        bench_scale.pool_rounds([])


def test_speedups_compare_one_thread_with_more_by_scale_and_round():
    results = [
        bench_scale.pool_rounds([_run(20, 1, [30.0]), _run(20, 1, [40.0])]),
        bench_scale.pool_rounds([_run(20, 2, [20.0]), _run(20, 2, [20.0])]),
        bench_scale.pool_rounds([_run(1, 2, [5.0])]),  # no one-thread run at 1:1: no ratio
    ]
    (s,) = bench_scale.speedups(results)
    assert (s["scale"], s["threads"]) == (20, 2)
    assert s["median_ratio"] == pytest.approx(35.0 / 20.0)
    assert s["min_ratio"] == pytest.approx(30.0 / 20.0)
    assert s["per_round"] == pytest.approx([1.5, 2.0])
    # a round whose two-thread run failed: the others stay paired by their round
    two = _run(20, 2, [25.0]) | {"round": 1}
    results[1] = bench_scale.pool_rounds([two])
    (s,) = bench_scale.speedups(results)
    assert s["per_round"] == pytest.approx([40.0 / 25.0])
    md = bench_scale.speedup_table(results, [{"memory stream (x)": 1.25, "logarithms (y)": 1.8}])
    assert "| 1:20 | 2 | 1.40x | 1.20x | 1.60x | 1.25x | 1.80x |" in md.splitlines()


def test_the_script_rejects_zero_rounds():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_scale.py"), "--rounds", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "--rounds" in proc.stderr


def test_bamengine_table_shows_its_first_period_beside_the_timed_median():
    b = {"agents": 610_000, "first_ms": 1220.0, "median_ms": 152.5, "min_ms": 140.0}
    b["ns_per_agent"] = b["median_ms"] * 1e6 / b["agents"]
    md = bench_scale.bam_table({610_000: b}).splitlines()
    assert md[0].startswith("| bamengine agents | first period ms (untimed) |")
    assert md[2] == "| 610,000 | 1,220.0 | 152.5 | 140.0 | 2,000 / 250 |"
    # no untimed period (--bam-warmup 0), or a JSON from before the first period was kept
    for first in ({"first_ms": None}, {}):
        row = {k: v for k, v in b.items() if k != "first_ms"} | first
        assert bench_scale.bam_table({610_000: row}).splitlines()[2] == (
            "| 610,000 | - | 152.5 | 140.0 | - / 250 |"
        )


def test_the_children_run_the_quarters_and_periods_the_parent_was_given(tmp_path):
    """The options reach the child processes (they once ran their own defaults: 6 quarters,
    10 + 20 bamengine periods, whatever the parent was asked)."""
    ns = argparse.Namespace(quarters=2, warmup=0, bam_periods=3, bam_warmup=1)
    assert bench_scale.bam_child_args(ns, 610)[-3:] == ["--child", "bam", "610"]
    out = tmp_path / "bs"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench_scale.py"),
            "--scales",
            "1000",
            "--threads",
            "1",
            "--quarters",
            "2",
            "--warmup",
            "0",
            "--no-ceiling",
            "--bam-max-agents",
            "0",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads((out / "bench_scale.json").read_text())
    (r,) = doc["results"]
    assert r["scale"] == 1000 and r["threads"] == 1 and len(r["wall_ms"]) == 2
    assert "| 1:1000 |" in (out / "bench_scale.md").read_text()
