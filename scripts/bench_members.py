"""Two cores, two ways: one member on N threads, or N members side by side on one thread each.

    python scripts/bench_members.py                    # 1:1, 2 cores, 8 quarters, 2 rounds
    python scripts/bench_members.py --scale 5 --quarters 12 --rounds 3 --json outputs/m.json

An ensemble can spend a machine's cores on threads within a member (``--threads``) or on more
members at once (``--workers``). This benchmark measures both at one scale. Three configurations
run in fresh processes: one member on one thread (the reference), one member on ``--cores``
threads, and ``--cores`` members at once on one thread each (all of seed 0). Every process
builds its ``EconomyModel`` of the ``diffuse`` scenario, runs the burn-in and ``--warmup``
quarters, and waits; when all the configuration's processes are ready they time ``--quarters``
quarters together (wall clock); of members side by side only the quarters inside the window in
which all were timing count (a member that finished first would leave the others alone). A 1:1
member takes about 2 GiB. With ``--rounds R`` the configurations run R times, their order
reversed every other round, and the quarters are pooled. At scales coarser than the model's
threshold for threads (1:10; ``abm.model_args.THREADS_FROM_SCALE``) a member runs on one thread
whatever it asks: the table's "threads in use" says so.

The table gives, per configuration, the median quarter (pooled over members and rounds), the
members' throughput relative to the reference (members over the median quarter, against one over
the reference's median) and the median of each round. Two members that each slowed little
beside the other show that the machine's memory bandwidth is not what holds the threads back:
the difference is the part of a quarter that runs on one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))  # bench_machine

from bench_machine import child_env  # noqa: E402

REFERENCE = "one member, 1 thread"


def child(scale: float, threads: int, seed: int, quarters: int, warmup: int) -> None:
    """One member in this process: built and warmed, then, on a line from stdin, ``quarters``
    timed quarters; prints ``READY`` and then ``RESULT {"spans": [[start, end], ...] (seconds,
    monotonic clock), "threads": in use}``."""
    from abm.model import EconomyModel

    model = EconomyModel(
        "diffuse", seed, scale=scale, quarters=warmup + quarters + 1, threads=threads
    )
    for _ in range(warmup):
        model.step()
    print("READY", flush=True)
    if not sys.stdin.readline():  # the parent is gone: do not run on
        raise SystemExit(1)
    spans = []  # each quarter's start and end on the system's monotonic clock (all processes')
    for _ in range(quarters):
        t0 = time.monotonic()
        model.step()
        spans.append((t0, time.monotonic()))
    print("RESULT " + json.dumps({"spans": spans, "threads": model.threads}), flush=True)


def _read_until(proc: subprocess.Popen, prefix: str, what: str) -> str:
    """The first line of ``proc``'s output that starts with ``prefix``; fails when it ends."""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith(prefix):
            return line
    proc.wait()
    raise SystemExit(f"bench_members: {what}: the child process ended (exit {proc.returncode})")


def overlapping(spans: list[list[list[float]]]) -> list[list[float]]:
    """Each member's quarter times (ms) that lie wholly inside the window in which every member
    was timing (from the last first start to the first last end): a member that finished first
    leaves the others alone on the machine, and their quarters after that would not be measured
    side by side. All of a member's quarters when the window keeps none of some member's."""
    lo = max(m[0][0] for m in spans)
    hi = min(m[-1][1] for m in spans)
    inside = [[(e - b) * 1e3 for b, e in m if b >= lo and e <= hi] for m in spans]
    if len(spans) > 1 and all(inside):
        return inside
    return [[(e - b) * 1e3 for b, e in m] for m in spans]


def run_config(
    threads: list[int], a: argparse.Namespace, what: str
) -> tuple[list[list[float]], list[int]]:
    """The members ``threads`` (numba threads asked each; all of seed 0) at once: each member's
    quarter times in ms (:func:`overlapping`), and the threads each used (one at scales coarser
    than the model's threshold)."""
    procs: list[subprocess.Popen] = []
    try:
        for t in threads:
            cmd = [sys.executable, str(Path(__file__).resolve()), "--child", repr(a.scale)]
            cmd += [str(t), "0", "--quarters", str(a.quarters), "--warmup", str(a.warmup)]
            procs.append(
                subprocess.Popen(
                    cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=child_env(t)
                )
            )
        for p in procs:  # all built and warm before any is timed
            _read_until(p, "READY", what)
        for p in procs:
            assert p.stdin is not None
            try:
                p.stdin.write("go\n")
                p.stdin.flush()
            except BrokenPipeError:
                p.wait()
                raise SystemExit(
                    f"bench_members: {what}: the child process ended (exit {p.returncode})"
                ) from None
        out = [json.loads(_read_until(p, "RESULT ", what)[7:]) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
            p.wait()
    return overlapping([r["spans"] for r in out]), [int(r["threads"]) for r in out]


def summary(results: dict[str, list[list[list[float]]]]) -> list[dict]:
    """Per configuration (``results[name][round][member]`` = quarter times in ms): members, the
    pooled median, the throughput relative to :data:`REFERENCE` and each round's median."""

    def pooled(name: str) -> list[float]:
        return [q for rnd in results[name] for member in rnd for q in member]

    base = statistics.median(pooled(REFERENCE))
    out = []
    for name, rounds in results.items():
        med = statistics.median(pooled(name))
        members = len(rounds[0])
        out.append(
            {
                "configuration": name,
                "members": members,
                "median_ms": med,
                "throughput": members * base / med,
                "round_medians_ms": [
                    statistics.median(q for member in rnd for q in member) for rnd in rounds
                ],
            }
        )
    return out


def table(rows: list[dict]) -> str:
    lines = [
        "| configuration | members at once | threads in use | quarter ms (median) | "
        "throughput | each round ms |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        rounds = ", ".join(f"{x:.1f}" for x in r["round_medians_ms"])
        lines.append(
            f"| {r['configuration']} | {r['members']} | {r.get('threads_in_use', '-')} | "
            f"{r['median_ms']:.1f} | "
            f"{r['throughput']:.2f}x | {rounds} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="persons per talent agent (1 = 1:1)")
    p.add_argument("--cores", type=int, default=2, help="threads, or members at once")
    p.add_argument("--quarters", type=int, default=8, help="timed quarters per member")
    p.add_argument("--warmup", type=int, default=1, help="quarters after the burn-in, untimed")
    p.add_argument("--rounds", type=int, default=2, help="runs of each configuration")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        child(float(a.child[0]), int(a.child[1]), int(a.child[2]), a.quarters, a.warmup)
        return 0
    if a.cores < 2 or a.quarters < 1 or a.warmup < 0 or a.rounds < 1 or a.scale < 1:
        p.error(
            "--cores must be at least 2, --quarters and --rounds at least 1, --warmup at least 0"
            " and --scale at least 1 (persons per talent agent)"
        )
    configs = [
        (REFERENCE, [1]),
        (f"one member, {a.cores} threads", [a.cores]),
        (f"{a.cores} members at once, 1 thread each", [1] * a.cores),
    ]
    results: dict[str, list] = {name: [] for name, _ in configs}
    in_use: dict[str, int] = {}
    print(f"scale 1:{a.scale:g}, {a.quarters} quarters a member, {a.rounds} round(s)", flush=True)
    for rnd in range(a.rounds):
        for name, threads in configs if rnd % 2 == 0 else configs[::-1]:
            times, used = run_config(threads, a, name)
            results[name].append(times)
            in_use[name] = max(used)
            meds = ", ".join(f"{statistics.median(t):.1f}" for t in times)
            print(f"   round {rnd + 1}, {name}: median quarter {meds} ms", flush=True)
    rows = summary(results)
    for r in rows:
        r["threads_in_use"] = in_use[r["configuration"]]
    print("\n" + table(rows))
    if in_use[configs[1][0]] < a.cores:
        print(
            f"note: at 1:{a.scale:g} a member runs its kernels on one thread whatever it asks "
            "(abm.model_args.THREADS_FROM_SCALE; ABM_THREADS_FROM_SCALE=inf lifts it)"
        )
    if a.json:
        doc = {"scale": a.scale, "cores": a.cores, "quarters": a.quarters, "rows": rows}
        doc["results_ms"] = results
        a.json.parent.mkdir(parents=True, exist_ok=True)
        tmp = a.json.with_name(f"{a.json.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.replace(a.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
