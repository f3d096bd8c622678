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
