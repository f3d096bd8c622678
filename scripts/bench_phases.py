"""Where the second core idles: each phase of a quarter on one thread and on N, side by side.

    python scripts/bench_phases.py                      # 1:1, 1 and 2 threads, 8 quarters
    python scripts/bench_phases.py --scale 5 --quarters 12 --json outputs/bench_phases.json

Issue #13 asks two threads to make a 1:1 quarter at least 1.6 times as fast. This benchmark
says which phases keep it from that. For each thread count a fresh child process builds an
``EconomyModel`` of the ``diffuse`` scenario (seed 0), runs the burn-in and ``--warmup``
quarters, then runs ``--quarters`` quarters phase by phase (the statements of
``EconomyModel.step``, as ``scripts/bench_step.py`` runs them), timing each phase by the wall
clock and by the process's CPU time (all its threads: numba's, the draws' helper). The table
gives per phase the median wall time on one thread and on N, the speed-up, the parallelism on N
threads (CPU time over wall time: N when every thread works throughout, 1 when one works
alone) and the core time left idle (N x wall - CPU, milliseconds a quarter), largest first: the
phases where another thread could still help. Idle time includes waits for memory that a
second thread cannot shorten when the machine's bandwidth is the limit
(``scripts/bench_threads.py`` measures that ceiling).

numba's worker threads wait without spinning (``OMP_WAIT_POLICY=PASSIVE``, as the model sets
it), so their CPU time is work; the draws' helper thread counts where it runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # bench_machine

from bench_machine import child_env  # noqa: E402


def child(scale: float, threads: int, quarters: int, warmup: int) -> dict:
    """One thread count in this process: median wall and CPU milliseconds per phase."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "scripts"))
    import abm.model
    from abm.model import EconomyModel

    # bench_step pins the thread pools to one thread in the environment when it is imported;
    # numba rereads the environment whenever it compiles, and refuses a thread count other
    # than its pool's: the environment is put back as it was
    saved = dict(os.environ)
    bench_step = importlib.import_module("bench_step")
    os.environ.clear()
    os.environ.update(saved)
    plan = bench_step.schedule(EconomyModel)
    model = EconomyModel("diffuse", 0, scale=scale, quarters=warmup + quarters + 1, threads=threads)
    while model.quarter < warmup:
        model.step()
    wall: dict[str, list[float]] = {label: [] for label in bench_step.timed_labels(plan)}
    cpu: dict[str, list[float]] = {label: [] for label in bench_step.timed_labels(plan)}

    def run(label: str, code: object) -> None:
        w0, c0 = time.perf_counter(), time.process_time()
        exec(code, ns)  # noqa: S102 - the model's own step statements
        wall[label].append((time.perf_counter() - w0) * 1e3)
        cpu[label].append((time.process_time() - c0) * 1e3)

    quarter_ms = []
    for _ in range(quarters):
        model.steps += 1  # as Mesa's wrapper of step does
        ns = dict(vars(abm.model))
        ns["self"] = model
        q0 = time.perf_counter()
        bench_step.run_plan(plan, ns, run)
        quarter_ms.append((time.perf_counter() - q0) * 1e3)
    return {
        "scale": scale,
        "threads": threads,
        "agents": len(model.talent_pop) + len(model.firm_pop),
        "quarter_ms": quarter_ms,
        "phases": {
            k: {"wall_ms": statistics.median(wall[k]), "cpu_ms": statistics.median(cpu[k])}
            for k in wall
        },
    }


def run_child(scale: float, threads: int, pool: int, a: argparse.Namespace) -> dict:
    env = child_env(pool)
    with tempfile.TemporaryDirectory(prefix="bench_phases_") as tmp:
        out = Path(tmp) / "r.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child-out", str(out)]
        cmd += ["--scale", repr(scale), "--quarters", str(a.quarters), "--warmup", str(a.warmup)]
        cmd += ["--child-threads", str(threads)]
        proc = subprocess.run(cmd, env=env, check=False)
        if proc.returncode != 0 or not out.exists():
            raise SystemExit(f"{threads} thread(s): the child process failed ({proc.returncode})")
        return json.loads(out.read_text())


def rows(one: dict, many: dict, min_ms: float = 0.5) -> list[dict]:
    """Per phase (median wall time on either count at least ``min_ms``): wall times, speed-up,
    parallelism and idle core time on the larger count, largest idle time first."""
    n = many["threads"]
    out = []
    for k, p in many["phases"].items():
        w1 = one["phases"][k]["wall_ms"]
        wn, cn = p["wall_ms"], p["cpu_ms"]
        if max(w1, wn) < min_ms:
            continue
        out.append(
            {
                "phase": k,
                "wall_1_ms": w1,
                "wall_n_ms": wn,
                "speedup": w1 / wn if wn > 0 else float("nan"),
                "parallelism": cn / wn if wn > 0 else float("nan"),
                "idle_ms": n * wn - cn,
            }
        )
    return sorted(out, key=lambda r: -r["idle_ms"])


def table(one: dict, many: dict) -> str:
    n = many["threads"]
    lines = [
        f"| phase | 1 thread ms | {n} threads ms | speed-up | parallelism | idle core ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rs = rows(one, many)
    for r in rs:
        lines.append(
            f"| {r['phase']} | {r['wall_1_ms']:.1f} | {r['wall_n_ms']:.1f} | "
            f"{r['speedup']:.2f}x | {r['parallelism']:.2f} | {r['idle_ms']:.1f} |"
        )
    q1 = statistics.median(one["quarter_ms"])
    qn = statistics.median(many["quarter_ms"])
    idle = sum(r["idle_ms"] for r in rs)
    lines.append(
        f"| the quarter | {q1:.1f} | {qn:.1f} | {q1 / qn:.2f}x | - | {idle:.1f} (phases shown) |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="persons per talent agent (1 = 1:1)")
    p.add_argument("--threads", type=int, default=2, help="the thread count to compare with one")
    p.add_argument("--quarters", type=int, default=8, help="timed quarters per thread count")
    p.add_argument("--warmup", type=int, default=2, help="quarters after the burn-in, untimed")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--child-threads", type=int, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child_out is not None:
        res = child(a.scale, a.child_threads, a.quarters, a.warmup)
        a.child_out.write_text(json.dumps(res))
        return 0
    if a.threads < 2 or a.quarters < 1 or a.warmup < 0 or a.scale <= 0:
        p.error("--threads must be at least 2, --quarters at least 1, --warmup at least 0 "
                "and --scale positive")  # fmt: skip
    print(f"scale 1:{a.scale:g}, {a.quarters} quarters phase by phase on 1 and {a.threads} "
          "threads (a fresh process each)", flush=True)  # fmt: skip
    one = run_child(a.scale, 1, a.threads, a)
    many = run_child(a.scale, a.threads, a.threads, a)
    md = table(one, many)
    print(md)
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {"one": one, "many": many, "rows": rows(one, many)}
        tmp = a.json.with_name(f"{a.json.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.replace(a.json)
        print(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
