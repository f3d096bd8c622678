"""Benchmark start-up: how long a fresh process takes to the first recorded quarter.

Each measurement is a fresh Python process with numba's cache already warm (a first, untimed
process fills it when it is cold and says so). It times, with the wall clock and with the
process's CPU time (user + sys; on a machine shared with other work the CPU time is what the
start-up costs, the wall clock what a user waits):

- ``import``: ``python -c "import abm"``, the whole process (interpreter start-up included);
- ``first quarter``: ``from abm.model import EconomyModel``, ``EconomyModel(SCENARIO, 0,
  scale=SCALE, quarters=1)`` and one ``step()``: from the start of the process to the end of
  the first recorded quarter (the target of issue #13: under 2 s at 1:1000), the whole process
  (its exit too: Python's finalisation takes a few tenths of a second), and inside it the
  import, the build with the burn-in quarters (which load the kernels from numba's cache) and
  the first recorded quarter;
- ``abm run`` (``--cli``): ``abm run SCENARIO --scale SCALE --quarters 1`` to a temporary file,
  the whole command (it also writes the NetCDF file, which imports xarray and netCDF4).

It reports the median, minimum and maximum of ``--runs`` processes per measurement, the CPU model
(as ``lscpu`` names it) and the load average before and after, since other work on the machine
slows the wall clock. ``--baseline DIR`` measures another checkout (``git worktree add /tmp/main
main``) in turn with this one, process by process, so that both see the same load.

Usage::

    python scripts/bench_startup.py [--runs 7] [--scenario diffuse] [--scale 1000] [--cli]
                                    [--baseline DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/: bench_machine
from bench_machine import cpu_model  # noqa: E402

#: the child of a first-quarter measurement: prints its phases as JSON (seconds)
FIRST_QUARTER = """\
import time
w0, c0 = time.perf_counter(), time.process_time()
from abm.model import EconomyModel
w1, c1 = time.perf_counter(), time.process_time()
m = EconomyModel({scenario!r}, 0, scale={scale!r}, quarters=1)
w2, c2 = time.perf_counter(), time.process_time()
m.step()
w3, c3, end = time.perf_counter(), time.process_time(), time.time()
import json
print(json.dumps({{"import_wall": w1 - w0, "import_cpu": c1 - c0, "build_wall": w2 - w1,
    "build_cpu": c2 - c1, "quarter_wall": w3 - w2, "quarter_cpu": c3 - c2,
    "first_quarter_cpu": c3, "end": end}}))
"""


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def env(root: Path) -> dict[str, str]:
    """The children import the ``abm`` of ``root`` (before any installed copy)."""
    path = os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])
    return dict(os.environ, PYTHONPATH=path)


def timed(cmd: list[str], root: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run ``cmd`` in ``root``; its wall time and CPU time (user + sys of the child) in seconds;
    the completed process's ``started`` is the wall-clock time (``time.time()``) it started."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started, t0 = time.time(), time.perf_counter()
    done = subprocess.run(cmd, env=env(root), capture_output=True, text=True, cwd=root)
    wall = time.perf_counter() - t0
    done.started = started  # type: ignore[attr-defined]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def stats(xs: list[float]) -> dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def line(label: str, wall: list[float], cpu: list[float]) -> str:
    w, c = stats(wall), stats(cpu)
    return (
        f"{label:<34} wall {w['median']:6.3f} s ({w['min']:.3f}-{w['max']:.3f})   "
        f"CPU {c['median']:6.3f} s ({c['min']:.3f}-{c['max']:.3f})"
    )


def measure_once(root: Path, args: argparse.Namespace, res: dict[str, list[float]]) -> None:
    """One process of each measurement for the checkout ``root``; appends to ``res``."""
    py = sys.executable

    def add(key: str, value: float) -> None:
        res.setdefault(key, []).append(value)

    wall, cpu, _ = timed([py, "-c", "import abm"], root)
    add("import_process_wall", wall)
    add("import_process_cpu", cpu)
    child = FIRST_QUARTER.format(scenario=args.scenario, scale=args.scale)
    wall, cpu, done = timed([py, "-c", child], root)
    if "compiling" in done.stderr:
        raise SystemExit("a process with a warm cache compiled kernels:\n" + done.stderr)
    add("process_wall", wall)
    add("process_cpu", cpu)
    phases = json.loads(done.stdout.strip().splitlines()[-1])
    add("first_quarter_wall", phases.pop("end") - done.started)  # type: ignore[attr-defined]
    for k, v in phases.items():
        add(k, v)
    if args.cli:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [py, "-m", "abm.cli", "run", args.scenario, "--scale", str(args.scale)]
            cmd += ["--quarters", "1", "--no-progress", "-o", str(Path(tmp) / "run.nc")]
            wall, cpu, _ = timed(cmd, root)
        add("cli_process_wall", wall)
        add("cli_process_cpu", cpu)


def report(root: Path, res: dict[str, list[float]], args: argparse.Namespace) -> None:
    print(f"{root}: median (min-max) of {args.runs} fresh processes, numba's cache warm")
    print(line("python -c 'import abm'", res["import_process_wall"], res["import_process_cpu"]))
    label = f"start to first quarter at 1:{args.scale:g}"
    print(line(label, res["first_quarter_wall"], res["first_quarter_cpu"]))
    print(line("  of which import abm.model", res["import_wall"], res["import_cpu"]))
    print(line("  build and burn-in", res["build_wall"], res["build_cpu"]))
    print(line("  first recorded quarter", res["quarter_wall"], res["quarter_cpu"]))
    if args.cli:
        label = "abm run ... --quarters 1 (whole)"
        print(line(label, res["cli_process_wall"], res["cli_process_cpu"]))
    print(line("the first-quarter process (whole)", res["process_wall"], res["process_cpu"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="processes per measurement (default 7)")
    ap.add_argument("--scenario", default="diffuse")
    ap.add_argument("--scale", type=float, default=1000.0, help="persons per talent agent")
    ap.add_argument("--cli", action="store_true", help="also time `abm run` (writes a file)")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. `git worktree add /tmp/main main`) measured in turn with "
        "this one, so that both see the same load",
    )
    ap.add_argument("--json", type=Path, help="write the measurements to this file")
    args = ap.parse_args()

    roots = [ROOT] + ([args.baseline.resolve()] if args.baseline else [])
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}")
    print(f"load average before: {load()}")
    child = FIRST_QUARTER.format(scenario=args.scenario, scale=args.scale)
    for root in roots:
        _, _, warm = timed([sys.executable, "-c", child], root)  # fills a cold numba cache
        if "compiling" in warm.stderr:
            print(f"{root}: numba's cache was cold; a first process compiled the kernels (untimed)")

    results: dict[Path, dict[str, list[float]]] = {root: {} for root in roots}
    for _ in range(args.runs):  # interleaved, so a burst of load hits every measurement
        for root in roots:
            measure_once(root, args, results[root])

    print(f"load average after:  {load()}")
    for root in roots:
        report(root, results[root], args)
    if args.json:
        out: dict = {"machine": cpu_model(), "cores": os.cpu_count(), "load_after": load()}
        for root in roots:
            out[str(root)] = {k: stats(v) for k, v in results[root].items()}
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
