"""Benchmark ensembles on dask: members per minute on 1 and 2 workers, dask overhead, driver memory.

    python scripts/bench_ensemble.py                      # 12 default-size members, 3 repeats
    python scripts/bench_ensemble.py --members 8 --repeats 1 --no-memory
    python scripts/bench_ensemble.py --json outputs/bench_ensemble.json

Measured in the same run, on the same members (scenario, member seeds 0..M-1 of root seed 1):

- **in-process**: the members one after another in this process, without dask
  (``EconomyModel(...).run().to_dataset()``): the baseline;
- **1 worker / 2 workers**: ``run_ensemble(..., workers=W)`` on a local cluster. Members per
  minute use the compute phase (first member submitted to last shard written: scheduling, the
  transfer of each member's Dataset and writing its shard included); the fixed start-up (cluster
  start, worker imports and warm-up) and the assembly of the final file are reported separately,
  with the end-to-end wall time.

Each figure is the median of ``--repeats`` repeats. Speed-up = rate(2) / rate(1); dask overhead =
compute time on 1 worker / in-process time - 1 (per member: the difference divided by M). Issue #4
targets: speed-up >= 1.8 and overhead <= 10% with members of the default scale (~1.5 s).

The memory part runs ``run_ensemble`` for 100 and 1,000 short members (``--quarters 4 --scale
2000``) each in a fresh driver process and reports the driver's peak resident memory (its own
``ru_maxrss``; the local cluster's scheduler runs in the driver, the workers are other processes).
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
from importlib import metadata
from pathlib import Path


def machine() -> dict[str, object]:
    """CPU model, cores and load, library versions."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from dask.system import CPU_COUNT

    return {
        "cpu": cpu,
        "logical_cores": os.cpu_count(),
        "usable_cores": int(CPU_COUNT),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "numba": metadata.version("numba"),
        "dask": metadata.version("dask"),
        "distributed": metadata.version("distributed"),
    }


def _cpu() -> float:
    """CPU seconds of this process and of its finished (reaped) children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def in_process(
    scenario: str, members: int, quarters: int | None, scale: float | None
) -> dict[str, float]:
    """Seconds (wall and CPU) to run the members one after another here, without dask."""
    from abm import EconomyModel
    from abm.ensemble import member_seed

    t0, c0 = time.perf_counter(), _cpu()
    for k in range(members):
        EconomyModel(scenario, member_seed(1, k), quarters=quarters, scale=scale).run().to_dataset()
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": _cpu() - c0}


def on_dask(
    scenario: str, members: int, workers: int, quarters: int | None, scale: float | None
) -> dict[str, float]:
    """One run_ensemble on a fresh local cluster of ``workers`` processes."""
    from abm.ensemble import run_ensemble

    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), _cpu()
        res = run_ensemble(
            scenario,
            members,
            root_seed=1,
            quarters=quarters,
            scale=scale,
            workers=workers,
            output=Path(tmp) / "bench.nc",
        )
        wall = time.perf_counter() - t0
        cpu = _cpu() - c0  # driver + its worker processes (reaped when the cluster closed)
    assert res.ok and res.computed == members and res.workers == workers
    return {"compute_seconds": res.compute_seconds, "wall_seconds": wall, "cpu_seconds": cpu}


def memory_child(n: int, quarters: int, scale: float, workers: int) -> None:
    """Run in a fresh process: an ensemble of ``n`` members; print JSON with the peak memory."""
    from abm.ensemble import run_ensemble

    with tempfile.TemporaryDirectory() as tmp:
        res = run_ensemble(
            "diffuse",
            n,
            quarters=quarters,
            scale=scale,
            workers=workers,
            output=Path(tmp) / "mem.nc",
            check_accounts=False,
        )
        size = (Path(tmp) / "mem.nc").stat().st_size
    print(
        json.dumps(
            {
                "members": n,
                "driver_peak_memory_mib": res.driver_peak_memory / 2**20,
                "seconds": res.seconds,
                "members_per_minute": res.members_per_minute,
                "file_mib": size / 2**20,
            }
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="diffuse")
    ap.add_argument("--members", type=int, default=12, help="members per measurement")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quarters", type=int, default=None, help="default: the scenario's (60)")
    ap.add_argument("--scale", type=float, default=None, help="default: the scenario's (200)")
    ap.add_argument("--memory-members", default="100,1000", help="member counts for memory")
    ap.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child is not None:
        memory_child(args.memory_child, 4, 2000.0, 2)
        return 0

    from abm.ensemble import warm_up

    info = machine()
    print(
        f"machine: {info['cpu']}, {info['logical_cores']} logical cores "
        f"({info['usable_cores']} usable); load average {info['load_average']}; Python "
        f"{info['python']}, numba {info['numba']}, dask {info['dask']}"
    )
    if info["load_average"][0] > 0.5:  # type: ignore[index]
        print("warning: the machine is not idle; timings include other processes' load")
    warm_up(args.scenario)
    m = args.members
    base, one, two = [], [], []
    for rep in range(args.repeats):
        base.append(in_process(args.scenario, m, args.quarters, args.scale))
        one.append(on_dask(args.scenario, m, 1, args.quarters, args.scale))
        two.append(on_dask(args.scenario, m, 2, args.quarters, args.scale))
        print(
            f"repeat {rep + 1}: in-process {base[-1]['seconds']:.2f} s; 1 worker "
            f"{one[-1]['compute_seconds']:.2f} s (wall {one[-1]['wall_seconds']:.2f}); 2 workers "
            f"{two[-1]['compute_seconds']:.2f} s (wall {two[-1]['wall_seconds']:.2f})"
        )
    t0 = statistics.median(r["seconds"] for r in base)
    c0 = statistics.median(r["cpu_seconds"] for r in base)
    c1 = statistics.median(r["cpu_seconds"] for r in one)
    t1 = statistics.median(r["compute_seconds"] for r in one)
    t2 = statistics.median(r["compute_seconds"] for r in two)
    w1 = statistics.median(r["wall_seconds"] for r in one)
    w2 = statistics.median(r["wall_seconds"] for r in two)
    res: dict[str, object] = {
        "machine": info,
        "scenario": args.scenario,
        "members": m,
        "repeats": args.repeats,
        "seconds_per_member_in_process": t0 / m,
        "members_per_minute": {
            "in_process": 60 * m / t0,
            "1_worker": 60 * m / t1,
            "2_workers": 60 * m / t2,
        },
        "speedup_2_vs_1": t1 / t2,
        "dask_overhead_percent": 100 * (t1 / t0 - 1),
        "dask_overhead_ms_per_member": 1000 * (t1 - t0) / m,
        "cpu_seconds": {"in_process": c0, "1_worker_incl_startup": c1},
        "end_to_end_seconds": {"1_worker": w1, "2_workers": w2},
        "fixed_startup_and_assembly_seconds": {"1_worker": w1 - t1, "2_workers": w2 - t2},
    }
    mpm = res["members_per_minute"]
    print(
        f"\n{m} members of '{args.scenario}' ({t0 / m:.2f} s each in-process), median of "
        f"{args.repeats}:\n"
        f"  in-process, no dask : {mpm['in_process']:6.1f} members/min\n"  # type: ignore[index]
        f"  dask, 1 worker      : {mpm['1_worker']:6.1f} members/min\n"  # type: ignore[index]
        f"  dask, 2 workers     : {mpm['2_workers']:6.1f} members/min\n"  # type: ignore[index]
        f"  speed-up 2 vs 1     : {t1 / t2:.2f}x (target >= 1.8)\n"
        f"  dask overhead       : {100 * (t1 / t0 - 1):+.1f}% ({1000 * (t1 - t0) / m:+.0f} ms per"
        " member; target <= 10%)\n"
        f"  end to end          : {w1:.1f} s on 1 worker, {w2:.1f} s on 2 (cluster start, worker"
        f" imports and assembly: {w1 - t1:.1f} s / {w2 - t2:.1f} s)\n"
        f"  CPU time            : {c0:.1f} s in-process, {c1:.1f} s on 1 worker incl. driver,"
        f" scheduler and worker start-up ({100 * (c1 / c0 - 1):+.1f}%)"
    )
    if not args.no_memory:
        mem = []
        for n in (int(x) for x in args.memory_members.split(",")):
            out = subprocess.run(
                [sys.executable, __file__, "--memory-child", str(n)],
                capture_output=True,
                text=True,
                check=True,
            )
            mem.append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = mem[-1]
            print(
                f"  driver peak memory  : {r['driver_peak_memory_mib']:.0f} MiB for {n} members "
                f"(--quarters 4 --scale 2000, 2 workers; {r['seconds']:.0f} s, "
                f"{r['members_per_minute']:.0f} members/min; file {r['file_mib']:.1f} MiB)"
            )
        res["memory"] = mem
    print(f"load average at the end: {[round(x, 2) for x in os.getloadavg()]}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
