"""How the cost of a quarter grows with the number of agents, from 1:1000 to 1:1, on 1 and 2
threads, beside bamengine (a numpy BAM model) at matching agent counts in the same run.

For each scale (persons per talent agent) and thread count a fresh child process builds an
``EconomyModel`` of the ``diffuse`` scenario (seed 0, accounting checks on), runs the burn-in and
``--warmup`` quarters untimed, then times ``--quarters`` calls of ``model.step()`` (wall clock and
process CPU time) and reports the median and minimum milliseconds per quarter, nanoseconds per
agent-quarter (agents = talent agents, the foreign pool included, + firm agents), the peak
resident memory and bytes per agent (peak RSS and the agents' own arrays). For each agent count
up to ``--bam-max-agents`` another child runs bamengine (``pip install -e '.[bench]'``) with
its default composition scaled (500 households, 100 firms and 10 banks per 610 agents; logging
off), ``--bam-warmup`` periods untimed and ``--bam-periods`` timed, and the table gives the ratio
of its nanoseconds per agent-period to ours (one thread); a table of its own gives bamengine's
first period (untimed: 1.0-1.5 s at 600,000 agents here, against 150-190 ms for a later one)
beside the median of the timed periods. Without bamengine the comparison is
skipped with a message.

With ``--rounds R`` every configuration runs ``R`` times, the thread counts in alternating order
(1, 2, then 2, 1, ...), and its quarters are pooled: a machine whose speed swings over minutes
(docs/performance.md: by a quarter between runs on some) then biases neither thread count. The
speed-up table gives, per scale, the one-thread median over the many-thread median of the
pooled quarters, the same by the minimums, and the ratio within each round. With more than one
thread count it also measures, at the start and at the end, what a second thread gives this
machine in loops with nothing shared (``scripts/bench_threads.py``: a memory stream and
``log``/``exp``), the ceiling against which the model's ratio can be read.

Writes ``bench_scale.json``, ``bench_scale.md`` (the tables) and ``bench_scale.png`` (the figure)
to ``--out``. On a machine shared with other work the wall-clock figures vary: the load average
is recorded at the start and the end, CPU times beside wall times, and medians with minimums.

Usage::

    python scripts/bench_scale.py [--scales 1000 200 50 20 5 1] [--threads 1 2] [--quarters 6]
                                  [--warmup 1] [--rounds 1] [--no-ceiling]
                                  [--bam-max-agents 2600000] [--out DIR]
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
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from bench_machine import child_env  # noqa: E402

BAM_SHARES = (500 / 610, 100 / 610, 10 / 610)  # households, firms, banks (bamengine defaults)


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


# ------------------------------------------------------------------------------------ children
def child_model(scale: float, threads: int, quarters: int, warmup: int) -> dict:
    from abm.model import EconomyModel

    t0 = time.perf_counter()
    model = EconomyModel("diffuse", 0, scale=scale, quarters=warmup + quarters + 1, threads=threads)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    first_ms = None
    while model.quarter < warmup:
        ts = time.perf_counter()
        model.step()
        if first_ms is None:
            first_ms = (time.perf_counter() - ts) * 1e3
    burn_s = time.perf_counter() - t0
    wall, cpu, agents, talent, firms = [], [], [], [], []
    for _ in range(quarters):
        talent.append(len(model.talent_pop))
        firms.append(len(model.firm_pop))
        agents.append(talent[-1] + firms[-1])
        w0, c0 = time.perf_counter(), time.process_time()
        model.step()
        wall.append((time.perf_counter() - w0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    n = statistics.fmean(agents)
    state = sum(a.nbytes for pop in (model.talent_pop, model.firm_pop) for a in pop.arrays.values())
    state += model.labour.staff.nbytes
    return {
        "kind": "model",
        "scale": scale,
        "threads": threads,
        "talent_agents": statistics.fmean(talent),
        "firm_agents": statistics.fmean(firms),
        "agents": n,
        "build_s": build_s,
        "burn_in_s": burn_s,
        "first_quarter_ms": first_ms,
        "wall_ms": wall,
        "cpu_ms": cpu,
        "median_ms": statistics.median(wall),
        "min_ms": min(wall),
        "cpu_median_ms": statistics.median(cpu),
        "ns_per_agent": statistics.median(wall) * 1e6 / n,
        "ns_per_agent_min": min(wall) * 1e6 / n,
        "peak_rss_bytes": peak_rss_bytes(),
        "bytes_per_agent_rss": peak_rss_bytes() / n,
        "bytes_per_agent_state": state / n,
    }


def child_bam(agents: int, periods: int, warmup: int) -> dict:
    import bamengine as bam

    nh, nf, nb = (max(1, round(agents * s)) for s in BAM_SHARES)
    sim = bam.Simulation.init(n_households=nh, n_firms=nf, n_banks=nb, seed=1, log_level="ERROR")
    warm = []  # the untimed periods' times, for the record: the first is several times the rest
    for _ in range(warmup):
        t0 = time.perf_counter()
        sim.step()
        warm.append((time.perf_counter() - t0) * 1e3)
    wall = []
    for _ in range(periods):
        t0 = time.perf_counter()
        sim.step()
        wall.append((time.perf_counter() - t0) * 1e3)
    n = nh + nf + nb
    return {
        "kind": "bamengine",
        "version": bam.__version__ if hasattr(bam, "__version__") else "unknown",
        "households": nh,
        "firms": nf,
        "banks": nb,
        "agents": n,
        "wall_ms": wall,
        "warmup_ms": warm,
        "first_ms": warm[0] if warm else None,  # None: no untimed period (--bam-warmup 0)
        "median_ms": statistics.median(wall),
        "min_ms": min(wall),
        "ns_per_agent": statistics.median(wall) * 1e6 / n,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def model_child_args(a: argparse.Namespace, scale: float, threads: int) -> list[str]:
    """A model child's arguments: the parent's quarters and warm-up, then what it runs."""
    run = ["--quarters", str(a.quarters), "--warmup", str(a.warmup)]
    return [*run, "--child", "model", repr(scale), str(threads)]


def bam_child_args(a: argparse.Namespace, agents: int) -> list[str]:
    """A bamengine child's arguments: the parent's timed and warm-up periods, then its size."""
    run = ["--bam-periods", str(a.bam_periods), "--bam-warmup", str(a.bam_warmup)]
    return [*run, "--child", "bam", str(agents)]


def run_child(args: list[str], threads_env: int) -> dict | None:
    env = child_env(threads_env)  # numba's threads wait without spinning, as in the model
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        out = Path(tmp) / "r.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child-out", str(out), *args]
        proc = subprocess.run(cmd, env=env, check=False)
        if proc.returncode != 0 or not out.exists():
            print(f"   child failed (exit {proc.returncode}): {' '.join(args)}", flush=True)
            return None
        return json.loads(out.read_text())


def pool_rounds(runs: list[dict]) -> dict:
    """One configuration's runs (rounds) as one result: the quarters pooled, the medians and
    minimums of the pool, the median of each round kept (``round_medians_ms``, with the runs'
    ``round`` numbers in ``round_indices``), build and burn-in times the rounds' means."""
    if not runs:
        raise ValueError("pool_rounds: no runs")
    out = dict(runs[0])
    for k in ("build_s", "burn_in_s", "first_quarter_ms", "bytes_per_agent_state"):
        vals = [r[k] for r in runs if r.get(k) is not None]
        if vals:
            out[k] = statistics.fmean(vals)  # the rounds' mean
    wall = [w for r in runs for w in r["wall_ms"]]
    cpu = [c for r in runs for c in r["cpu_ms"]]
    n = statistics.fmean(r["agents"] for r in runs)
    out.update(
        rounds=len(runs),
        wall_ms=wall,
        cpu_ms=cpu,
        round_medians_ms=[r["median_ms"] for r in runs],
        round_indices=[r.get("round", i) for i, r in enumerate(runs)],
        agents=n,
        talent_agents=statistics.fmean(r["talent_agents"] for r in runs),
        firm_agents=statistics.fmean(r["firm_agents"] for r in runs),
        median_ms=statistics.median(wall),
        min_ms=min(wall),
        cpu_median_ms=statistics.median(cpu),
        ns_per_agent=statistics.median(wall) * 1e6 / n,
        ns_per_agent_min=min(wall) * 1e6 / n,
        peak_rss_bytes=max(r["peak_rss_bytes"] for r in runs),
        bytes_per_agent_rss=max(r["peak_rss_bytes"] for r in runs) / n,
    )
    return out


def speedups(results: list[dict]) -> list[dict]:
    """Per scale with one thread and more: the one-thread time over each larger thread count's,
    by the pooled medians, by the minimums, and within each round (``per_round``)."""
    out = []
    for scale in dict.fromkeys(r["scale"] for r in results):
        by_threads = {r["threads"]: r for r in results if r["scale"] == scale}
        one = by_threads.get(1)
        if one is None:
            continue
        for t, r in sorted(by_threads.items()):
            if t == 1:
                continue
            # paired by round (a round whose run failed for one thread count has no ratio)
            mine = dict(zip(r["round_indices"], r["round_medians_ms"], strict=True))
            per_round = [
                a / mine[i]
                for i, a in zip(one["round_indices"], one["round_medians_ms"], strict=True)
                if i in mine
            ]
            out.append(
                {
                    "scale": scale,
                    "threads": t,
                    "median_ratio": one["median_ms"] / r["median_ms"],
                    "min_ratio": one["min_ms"] / r["min_ms"],
                    "per_round": per_round,
                }
            )
    return out


def run_ceiling(threads: int) -> dict | None:
    """``scripts/bench_threads.py`` in a child: what ``threads`` threads give this machine in
    loops with nothing shared (ratios to one thread), or None if it failed."""
    with tempfile.TemporaryDirectory(prefix="bench_threads_") as tmp:
        out = Path(tmp) / "t.json"
        script = Path(__file__).resolve().with_name("bench_threads.py")
        cmd = [sys.executable, str(script), "--threads", str(threads), "--repeats", "5"]
        proc = subprocess.run([*cmd, "--json", str(out)], check=False, capture_output=True)
        if proc.returncode != 0 or not out.exists():
            print(f"   bench_threads failed (exit {proc.returncode}): ceiling not measured")
            return None
        doc = json.loads(out.read_text())
    return {r["loop"]: r["ratio"] for r in doc["loops"]}


def _ceiling_cell(ceilings: list[dict], word: str) -> str:
    vals = [v for c in ceilings for k, v in c.items() if word in k]
    return " / ".join(f"{v:.2f}x" for v in vals) if vals else "-"


def speedup_table(results: list[dict], ceilings: list[dict]) -> str:
    """The speed-up table (markdown): the model's ratios beside the machine's ceilings (start /
    end of the run)."""
    lines = [
        "| scale | threads | speed-up (medians) | by the minimums | within each round | "
        "machine: memory stream | machine: log and exp |",
        "|---:|---:|---:|---:|---|---:|---:|",
    ]
    mem, logs = _ceiling_cell(ceilings, "memory"), _ceiling_cell(ceilings, "logarithms")
    for s in speedups(results):
        rounds = ", ".join(f"{x:.2f}x" for x in s["per_round"])
        lines.append(
            f"| 1:{s['scale']:g} | {s['threads']} | {s['median_ratio']:.2f}x | "
            f"{s['min_ratio']:.2f}x | {rounds} | {mem} | {logs} |"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ report
def machine() -> dict:
    from bench_step import machine_info

    info = machine_info()
    info["loadavg_start"] = os.getloadavg()
    return info


def table(results: list[dict], bam: dict[int, dict]) -> str:
    lines = [
        "| scale | talent agents | firm agents | threads | ms per quarter (median) | min | "
        "CPU ms | ns per agent-quarter | peak RSS | bytes per agent (RSS / arrays) | "
        "bamengine ns per agent-period | bamengine / ours |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        b = bam.get(round(r["agents"])) if r["threads"] == 1 else None
        bam_cells = (
            f"{b['ns_per_agent']:,.0f} | {b['ns_per_agent'] / r['ns_per_agent']:.1f}x"
            if b
            else "- | -"
        )
        lines.append(
            f"| 1:{r['scale']:g} | {r['talent_agents']:,.0f} | {r['firm_agents']:,.0f} | "
            f"{r['threads']} | {r['median_ms']:,.1f} | {r['min_ms']:,.1f} | "
            f"{r['cpu_median_ms']:,.1f} | {r['ns_per_agent']:.0f} | "
            f"{r['peak_rss_bytes'] / 2**30:.2f} GiB | {r['bytes_per_agent_rss']:.0f} / "
            f"{r['bytes_per_agent_state']:.0f} | {bam_cells} |"
        )
    return "\n".join(lines)


def bam_table(bam: dict[int, dict]) -> str:
    """bamengine's first period beside its timed ones: the first (set-up and first-touch work)
    costs several times a later period, so a per-period figure that includes it overstates the
    model's steady cost; the comparison uses the median of the periods after the warm-up."""
    lines = [
        "| bamengine agents | first period ms (untimed) | median period ms (timed) | "
        "min period ms (timed) | ns per agent-period: first / median |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n in sorted(bam):
        b = bam[n]
        first = b.get("first_ms")  # None without warm-up periods (or in an older JSON)
        first_ms = "-" if first is None else f"{first:,.1f}"
        first_ns = "-" if first is None else f"{first * 1e6 / b['agents']:,.0f}"
        lines.append(
            f"| {b['agents']:,} | {first_ms} | {b['median_ms']:,.1f} | {b['min_ms']:,.1f} | "
            f"{first_ns} / {b['ns_per_agent']:,.0f} |"
        )
    return "\n".join(lines)


def figure(results: list[dict], bam: dict[int, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for threads in sorted({r["threads"] for r in results}):
        rs = sorted((r for r in results if r["threads"] == threads), key=lambda r: r["agents"])
        x = [r["agents"] for r in rs]
        ax1.plot(x, [r["median_ms"] for r in rs], "o-", label=f"focus-abm, {threads} thread(s)")
        ax2.plot(x, [r["ns_per_agent"] for r in rs], "o-", label=f"focus-abm, {threads} thread(s)")
    if bam:
        bs = sorted(bam.values(), key=lambda b: b["agents"])
        x = [b["agents"] for b in bs]
        ax1.plot(x, [b["median_ms"] for b in bs], "s--", label="bamengine")
        ax2.plot(x, [b["ns_per_agent"] for b in bs], "s--", label="bamengine")
    ax1.set(xscale="log", yscale="log", xlabel="agents", ylabel="ms per quarter (period)")
    ax2.set(xscale="log", yscale="log", xlabel="agents", ylabel="ns per agent-quarter (period)")
    ax1.axhline(2000, color="grey", lw=0.8, ls=":")
    ax2.axhline(50, color="grey", lw=0.8, ls=":")
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Cost of a quarter by number of agents (median wall clock)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


# ------------------------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scales", type=float, nargs="+", default=[1000, 200, 50, 20, 5, 1])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--quarters", type=int, default=6, help="timed quarters per configuration")
    p.add_argument("--warmup", type=int, default=1, help="quarters after the burn-in, untimed")
    p.add_argument(
        "--rounds", type=int, default=1, help="runs of each configuration, thread order alternating"
    )
    p.add_argument(
        "--no-ceiling",
        action="store_true",
        help="skip the machine's thread ceilings (scripts/bench_threads.py, about 20 s each)",
    )
    p.add_argument("--bam-periods", type=int, default=20)
    p.add_argument("--bam-warmup", type=int, default=10)
    p.add_argument("--bam-max-agents", type=int, default=2_600_000)
    p.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench_scale")
    p.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.rounds < 1 or a.quarters < 1 or min(a.threads) < 1:
        p.error("--rounds, --quarters and every --threads must be at least 1")
    if a.child_out is not None:
        kind, *rest = a.child
        if kind == "model":
            res = child_model(float(rest[0]), int(rest[1]), a.quarters, a.warmup)
        else:
            res = child_bam(int(rest[0]), a.bam_periods, a.bam_warmup)
        a.child_out.write_text(json.dumps(res))
        return 0

    info = machine()
    print(f"CPU: {info['cpu']} ({info['cores']} cores); load average {info['loadavg_start']}")
    try:
        import bamengine  # noqa: F401

        have_bam = True
    except ImportError:
        have_bam = False
        print("bamengine is not installed (pip install -e '.[bench]'): comparison skipped")
    pool = max(a.threads)
    ceilings = []
    measure_ceiling = pool > 1 and not a.no_ceiling
    if measure_ceiling:
        print(f"== the machine's ceiling on {pool} threads (scripts/bench_threads.py)", flush=True)
        if (c := run_ceiling(pool)) is not None:
            ceilings.append(c)
            print("   " + ", ".join(f"{k}: {v:.2f}x" for k, v in c.items()), flush=True)
    results, bam = [], {}
    for scale in a.scales:
        runs: dict[int, list[dict]] = {t: [] for t in a.threads}
        for rnd in range(a.rounds):
            order = a.threads if rnd % 2 == 0 else list(reversed(a.threads))
            for threads in order:
                label = f", round {rnd + 1} of {a.rounds}" if a.rounds > 1 else ""
                print(f"== scale 1:{scale:g}, {threads} thread(s){label}", flush=True)
                r = run_child(model_child_args(a, scale, threads), pool)
                if r is None:
                    continue
                r["round"] = rnd
                runs[threads].append(r)
                print(
                    f"   {r['agents']:,.0f} agents: median {r['median_ms']:.1f} ms per quarter "
                    f"(min {r['min_ms']:.1f}, CPU {r['cpu_median_ms']:.1f}), "
                    f"{r['ns_per_agent']:.0f} ns per agent-quarter, peak RSS "
                    f"{r['peak_rss_bytes'] / 2**30:.2f} GiB",
                    flush=True,
                )
                n = round(r["agents"])
                if (
                    have_bam
                    and threads == min(a.threads)
                    and n not in bam
                    and n <= a.bam_max_agents
                ):
                    b = run_child(bam_child_args(a, n), 1)
                    if b is not None:
                        bam[n] = b
                        print(
                            f"   bamengine at {b['agents']:,} agents: {b['median_ms']:.1f} ms per "
                            f"period, {b['ns_per_agent']:.0f} ns per agent-period "
                            f"({b['ns_per_agent'] / r['ns_per_agent']:.1f}x ours"
                            + (
                                f"; its first period {b['first_ms']:.0f} ms, untimed)"
                                if b.get("first_ms") is not None
                                else ")"
                            ),
                            flush=True,
                        )
        results.extend(pool_rounds(rs) for rs in runs.values() if rs)
    if measure_ceiling and (c := run_ceiling(pool)) is not None:
        ceilings.append(c)
        print("   the machine at the end: " + ", ".join(f"{k}: {v:.2f}x" for k, v in c.items()))
    info["loadavg_end"] = os.getloadavg()
    a.out.mkdir(parents=True, exist_ok=True)
    doc = {
        "machine": info,
        "platform": platform.platform(),
        "rounds": a.rounds,
        "results": results,
        "bam": bam,
        "speedups": speedups(results),
        "thread_ceilings": ceilings,
    }
    (a.out / "bench_scale.json").write_text(json.dumps(doc, indent=2) + "\n")
    md = table(results, bam)
    if speedups(results):
        md += "\n\n" + speedup_table(results, ceilings)
    if bam:
        md += "\n\n" + bam_table(bam)
    tmp = a.out / f"bench_scale.md.{os.getpid()}.tmp"
    tmp.write_text(md + "\n")
    tmp.replace(a.out / "bench_scale.md")
    figure(results, bam, a.out / "bench_scale.png")
    print("\n" + md)
    print(f"\nload average at the end {info['loadavg_end']}; wrote {a.out}/bench_scale.*")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
