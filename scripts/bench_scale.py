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
of its nanoseconds per agent-period to ours (one thread). Without bamengine the comparison is
skipped with a message.

Writes ``bench_scale.json``, ``bench_scale.md`` (the table) and ``bench_scale.png`` (the figure)
to ``--out``. On a machine shared with other work the wall-clock figures vary: the load average
is recorded at the start and the end, CPU times beside wall times, and medians with minimums.

Usage::

    python scripts/bench_scale.py [--scales 1000 200 50 20 5 1] [--threads 1 2] [--quarters 6]
                                  [--warmup 1] [--bam-max-agents 2600000] [--out DIR]
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
    for _ in range(warmup):
        sim.step()
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
        "median_ms": statistics.median(wall),
        "min_ms": min(wall),
        "ns_per_agent": statistics.median(wall) * 1e6 / n,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def run_child(args: list[str], threads_env: int) -> dict | None:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["NUMBA_NUM_THREADS"] = str(threads_env)
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        out = Path(tmp) / "r.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child-out", str(out), *args]
        proc = subprocess.run(cmd, env=env, check=False)
        if proc.returncode != 0 or not out.exists():
            print(f"   child failed (exit {proc.returncode}): {' '.join(args)}", flush=True)
            return None
        return json.loads(out.read_text())


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
    p.add_argument("--bam-periods", type=int, default=20)
    p.add_argument("--bam-warmup", type=int, default=10)
    p.add_argument("--bam-max-agents", type=int, default=2_600_000)
    p.add_argument("--out", type=Path, default=ROOT / "outputs" / "bench_scale")
    p.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
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
    results, bam = [], {}
    for scale in a.scales:
        for threads in a.threads:
            print(f"== scale 1:{scale:g}, {threads} thread(s)", flush=True)
            r = run_child(["--child", "model", repr(scale), str(threads)], pool)
            if r is None:
                continue
            results.append(r)
            print(
                f"   {r['agents']:,.0f} agents: median {r['median_ms']:.1f} ms per quarter "
                f"(min {r['min_ms']:.1f}, CPU {r['cpu_median_ms']:.1f}), "
                f"{r['ns_per_agent']:.0f} ns per agent-quarter, peak RSS "
                f"{r['peak_rss_bytes'] / 2**30:.2f} GiB",
                flush=True,
            )
            n = round(r["agents"])
            if have_bam and threads == min(a.threads) and n <= a.bam_max_agents:
                b = run_child(["--child", "bam", str(n)], 1)
                if b is not None:
                    bam[n] = b
                    print(
                        f"   bamengine at {b['agents']:,} agents: {b['median_ms']:.1f} ms per "
                        f"period, {b['ns_per_agent']:.0f} ns per agent-period "
                        f"({b['ns_per_agent'] / r['ns_per_agent']:.1f}x ours)",
                        flush=True,
                    )
    info["loadavg_end"] = os.getloadavg()
    a.out.mkdir(parents=True, exist_ok=True)
    doc = {"machine": info, "platform": platform.platform(), "results": results, "bam": bam}
    (a.out / "bench_scale.json").write_text(json.dumps(doc, indent=2) + "\n")
    md = table(results, bam)
    (a.out / "bench_scale.md").write_text(md + "\n")
    figure(results, bam, a.out / "bench_scale.png")
    print("\n" + md)
    print(f"\nload average at the end {info['loadavg_end']}; wrote {a.out}/bench_scale.*")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
