"""Benchmark whole model quarters: milliseconds per quarter and nanoseconds per agent-quarter.

For each scale (persons per talent agent) the harness builds an ``EconomyModel`` (timed), runs the
burn-in and a few warm-up quarters with ``model.step()`` (the first step loads or compiles the numba
kernels), then times ``--quarters`` further calls of ``model.step()`` one by one and reports the
median and minimum milliseconds per quarter, nanoseconds per agent-quarter (agents = talent agents,
the foreign pool included, + firm agents, counted before each timed quarter) and the peak resident
memory. It then times another ``--quarters`` quarters phase by phase: it executes the statements of
``EconomyModel.step`` (read from its source) one by one, so a developer sees the hot spots.
Everything runs on one core: numba is pinned to one thread, BLAS/OpenMP pools to one.

Each scale runs in a fresh child process by default, so its peak RSS is its own and the larger
scale's heap does not slow the smaller one; ``--in-process`` runs them all here instead.

Usage::

    python scripts/bench_step.py [--scales 200 20] [--scenario diffuse] [--seed 0]
                                 [--quarters 8] [--warmup 2] [--no-checks] [--clock cpu]
                                 [--json FILE]
"""

from __future__ import annotations

import os

# One core: the thread pools are sized when their libraries load, so set this before numpy.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import inspect  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from importlib import metadata  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/: bench_machine
from bench_machine import cpu_model  # noqa: E402

#: the clock of the timed quarters and phases: wall clock, or this thread's CPU time (--clock cpu:
#: on a machine shared with other work, what the quarter costs one core, without the waits)
CLOCK = [time.perf_counter]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ------------------------------------------------------------------------------------ machine
def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "mesa": _version("mesa"),
    }


def pin_one_core() -> int:
    """Pin numba to one thread; returns the thread count numba reports."""
    import numba

    numba.set_num_threads(1)
    return numba.get_num_threads()


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0**2 if sys.platform == "darwin" else 1024.0)


# ------------------------------------------------------------------------------------ schedule
def schedule(model_cls: type) -> list[tuple[str, object]]:
    """The statements of ``EconomyModel.step``, in order, as (label, compiled code).

    The step is a list of calls (``production.plan(self, f)``, ...); each statement is timed
    by executing it in the model module's namespace, so the phases are exactly the step's. A
    ``with EXPR:`` line (the step's body inside a context, ``old_objects_frozen()``)
    is the entry ``(WITH, EXPR compiled for eval)``: :func:`run_plan` enters it, untimed, and
    holds it to the end of the quarter.
    """
    src = inspect.getsource(model_cls.step)
    body = src.split('"""', 2)[-1] if src.count('"""') >= 2 else src
    out = []
    inside = -1  # the indentation of the statements inside the last ``with`` (-1: none yet)
    for line in body.splitlines():
        stmt = line.split("#", 1)[0].strip()
        if not stmt:
            continue
        indent = len(line) - len(line.lstrip())
        if inside >= 0 and indent < inside:
            raise SystemExit(
                "EconomyModel.step has statements after the end of its 'with' block: "
                "scripts/bench_step.py holds a context to the end of the quarter"
            )
        if stmt.startswith("with ") and stmt.endswith(":"):
            expr = stmt[5:-1].strip()
            if " as " in expr or "," in expr.replace("()", ""):
                raise SystemExit(f"EconomyModel.step: 'with {expr}:' is not one bare context")
            out.append((WITH, compile(expr, "<step>", "eval")))
            inside = indent + 1
            continue
        m = re.match(r"^(?:\w+ = )?(?:self\.)?([\w.]+)\(", stmt)
        label = m.group(1) if m else stmt
        out.append((label, compile(stmt, "<step>", "exec")))
    if not out or out[-1][0] != "self.quarter += 1":
        raise SystemExit("EconomyModel.step no longer ends with 'self.quarter += 1'")
    return out


#: the label of a context the step's body runs in (:func:`schedule`)
WITH = "with"


def timed_labels(plan: list[tuple[str, object]]) -> list[str]:
    """The labels of the statements :func:`run_plan` times (the contexts left out)."""
    return [label for label, _ in plan if label != WITH]


def run_plan(plan: list[tuple[str, object]], ns: dict, run: Callable[[str, object], None]) -> None:
    """One quarter's statements in order: ``run(label, code)`` for each statement; the step's
    contexts are entered (untimed) where they stand and left after the last statement."""
    with contextlib.ExitStack() as stack:
        for label, code in plan:
            if label == WITH:
                stack.enter_context(eval(code, ns))  # noqa: S307 - the model's own step
            else:
                run(label, code)


def phased_step(model, phases: list[tuple[str, object]], times: dict[str, list[float]]) -> None:
    """One quarter exactly as ``model.step()`` does it, timing each statement (seconds).

    Mesa wraps ``step`` to add one to ``model.steps`` before the body runs; so do we.
    """
    import abm.model

    clock = CLOCK[0]
    model.steps += 1
    ns = dict(vars(abm.model))
    ns["self"] = model

    def run(label: str, code: object) -> None:
        t0 = clock()
        exec(code, ns)  # noqa: S102 - the model's own step statements
        times[label].append(clock() - t0)

    run_plan(phases, ns, run)


# ------------------------------------------------------------------------------------ one scale
def bench_scale(scale: float, args: argparse.Namespace) -> dict:
    from abm.model import EconomyModel

    plan = schedule(EconomyModel)
    checks = not args.no_checks
    n_steps = args.warmup + 2 * args.quarters
    gc.collect()
    t0 = time.perf_counter()
    model = EconomyModel(
        args.scenario, args.seed, scale=scale, quarters=n_steps, check_accounts=checks
    )
    build_s = time.perf_counter() - t0
    n_talent0, n_firm0 = len(model.talent_pop), len(model.firm_pop)
    print(
        f"\n== scale {scale:g} persons per talent agent: built in {build_s:.2f} s, "
        f"{n_talent0:,} talent + {n_firm0:,} firm agents "
        f"(accounting checks {'on' if checks else 'off'})",
        flush=True,
    )

    # burn-in (quarter counts up from -burn_in) plus warm-up quarters, untimed one by one
    t0 = time.perf_counter()
    first_ms = None
    while model.quarter < args.warmup:
        ts = time.perf_counter()
        model.step()
        if first_ms is None:
            first_ms = (time.perf_counter() - ts) * 1e3  # includes loading the numba kernels
    warm_s = time.perf_counter() - t0
    first = "none" if first_ms is None else f"{first_ms:.0f} ms"
    print(
        f"   burn-in {model.burn_in} + warm-up {args.warmup} quarters: {warm_s:.2f} s "
        f"(first quarter {first}: it loads or compiles the numba kernels)",
        flush=True,
    )

    # whole quarters through model.step()
    gc.collect()
    step_ms, agents, talent, firms, quarters = [], [], [], [], []
    for _ in range(args.quarters):
        talent.append(len(model.talent_pop))
        firms.append(len(model.firm_pop))
        agents.append(talent[-1] + firms[-1])
        quarters.append(model.quarter)
        t0 = CLOCK[0]()
        model.step()
        step_ms.append((CLOCK[0]() - t0) * 1e3)
    mean_agents = statistics.fmean(agents)
    med, lo = statistics.median(step_ms), min(step_ms)

    # the same schedule, phase by phase
    gc.collect()
    times: dict[str, list[float]] = {label: [] for label in timed_labels(plan)}
    phase_total_ms = []
    for _ in range(args.quarters):
        t0 = CLOCK[0]()
        phased_step(model, plan, times)
        phase_total_ms.append((CLOCK[0]() - t0) * 1e3)
    phases = {
        name: {
            "median_ms": statistics.median(v) * 1e3,
            "min_ms": min(v) * 1e3,
            "mean_ms": statistics.fmean(v) * 1e3,
        }
        for name, v in times.items()
    }
    result = {
        "scale": scale,
        "scenario": args.scenario,
        "seed": args.seed,
        "accounting_checks": checks,
        "talent_agents_mean_timed": statistics.fmean(talent),
        "firm_agents_mean_timed": statistics.fmean(firms),
        "agents_mean_timed": mean_agents,
        "talent_agents_end": len(model.talent_pop),
        "resident_talent_agents_end": int((model.talent_pop.abroad == 0).sum()),
        "firm_agents_end": len(model.firm_pop),
        "build_s": build_s,
        "burn_in_quarters": model.burn_in,
        "warmup_quarters": args.warmup,
        "burn_in_warmup_s": warm_s,
        "first_quarter_ms": first_ms,
        "timed_quarters": quarters,
        "step_ms": step_ms,
        "median_ms": med,
        "min_ms": lo,
        "ns_per_agent_quarter_median": med * 1e6 / mean_agents,
        "ns_per_agent_quarter_min": lo * 1e6 / mean_agents,
        "phased_quarter_ms_median": statistics.median(phase_total_ms),
        "phases": phases,
        "peak_rss_mib": peak_rss_mib(),
    }
    print_scale(result)
    return result


def print_scale(r: dict) -> None:
    print(
        f"   model.step() x {len(r['step_ms'])}: median {r['median_ms']:.1f} ms, "
        f"min {r['min_ms']:.1f} ms per quarter; {r['ns_per_agent_quarter_median']:.0f} ns "
        f"(min {r['ns_per_agent_quarter_min']:.0f} ns) per agent-quarter over "
        f"{r['agents_mean_timed']:,.0f} agents; peak RSS {r['peak_rss_mib']:,.0f} MiB",
        flush=True,
    )
    total = sum(p["median_ms"] for p in r["phases"].values())
    print(f"\n   {'phase':<32} {'median ms':>10} {'min ms':>9} {'share':>7}")
    for name, p in r["phases"].items():
        share = p["median_ms"] / total if total else 0.0
        print(f"   {name:<32} {p['median_ms']:>10.2f} {p['min_ms']:>9.2f} {share:>7.1%}")
    print(f"   {'sum of phase medians':<32} {total:>10.2f}")
    print(
        f"   {'phased quarter median':<32} {r['phased_quarter_ms_median']:>10.2f}"
        "   (the same schedule called phase by phase)",
        flush=True,
    )


# ------------------------------------------------------------------------------------ summary
def print_summary(results: list[dict], checks: bool) -> None:
    print(
        f"\nSummary (one core; accounting checks {'on' if checks else 'off'}; "
        "agents = talent incl. foreign pool + firms,\nmean over the timed quarters)\n"
    )
    print(
        f"{'scale':>6} {'talent':>9} {'firms':>7} {'build s':>8} {'median ms/q':>12} "
        f"{'min ms/q':>9} {'ns/agent-q':>11} {'peak RSS MiB':>13}"
    )
    for r in results:
        print(
            f"{r['scale']:>6g} {r['talent_agents_mean_timed']:>9,.0f} "
            f"{r['firm_agents_mean_timed']:>7,.0f} "
            f"{r['build_s']:>8.2f} {r['median_ms']:>12.1f} {r['min_ms']:>9.1f} "
            f"{r['ns_per_agent_quarter_median']:>11.0f} {r['peak_rss_mib']:>13,.0f}"
        )
    print("\nPer-phase median ms per quarter (share of the sum of phases)\n")
    head = f"{'phase':<32}" + "".join(f"{'scale ' + format(r['scale'], 'g'):>21}" for r in results)
    print(head)
    totals = [sum(p["median_ms"] for p in r["phases"].values()) for r in results]
    for name in results[0]["phases"]:
        cells = ""
        for r, tot in zip(results, totals, strict=True):
            ms = r["phases"][name]["median_ms"]
            cells += f"{ms:>12.2f} ({ms / tot if tot else 0.0:>6.1%})"
        print(f"{name:<32}{cells}")
    print(f"{'sum of phases':<32}" + "".join(f"{t:>12.2f}{'':>9}" for t in totals).rstrip())
    steps = "".join(f"{r['median_ms']:>12.2f}{'':>9}" for r in results)
    print(f"{'model.step() median':<32}" + steps.rstrip())


# ------------------------------------------------------------------------------------ main
def run_child(scale: float, args: argparse.Namespace) -> dict:
    """Run one scale in a fresh interpreter (own peak RSS) and read back its result."""
    with tempfile.TemporaryDirectory(prefix="bench_step_") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--scales",
            repr(scale),
            "--scenario",
            args.scenario,
            "--seed",
            str(args.seed),
            "--quarters",
            str(args.quarters),
            "--warmup",
            str(args.warmup),
            "--child-out",
            str(out),
            "--clock",
            args.clock,
        ]
        if args.no_checks:
            cmd.append("--no-checks")
        proc = subprocess.run(cmd, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"scale {scale:g}: child process failed (exit {proc.returncode})")
        return json.loads(out.read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scales",
        type=float,
        nargs="+",
        default=[200.0, 20.0],
        help="persons per talent agent (20 is ~500k talent agents, 21k firms); default 200 20",
    )
    parser.add_argument("--scenario", default="diffuse", help="shipped scenario name or TOML path")
    parser.add_argument("--seed", type=int, default=0, help="member seed")
    parser.add_argument("--quarters", type=int, default=8, help="timed quarters (each way)")
    parser.add_argument("--warmup", type=int, default=2, help="quarters after the burn-in, untimed")
    parser.add_argument(
        "--no-checks", action="store_true", help="disable the stock-flow checks (default: on)"
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="time quarters by the wall clock (default) or by this thread's CPU time",
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="run all scales in this process (peak RSS is then the process's peak so far)",
    )
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quarters < 1 or args.warmup < 0:
        parser.error("--quarters must be >= 1 and --warmup >= 0")

    threads = pin_one_core()
    if args.clock == "cpu":
        CLOCK[0] = time.thread_time
    if args.child_out is not None:  # one scale, for the parent process
        result = bench_scale(args.scales[0], args)
        result["numba_threads"] = threads
        args.child_out.write_text(json.dumps(result))
        return 0

    info = machine_info()
    print(f"CPU: {info['cpu']} ({info['cores']} cores, {info['cores_usable']} usable)")
    print(f"Platform: {info['platform']}")
    print(
        f"Python {info['python']}, numpy {info['numpy']}, numba {info['numba']}, "
        f"mesa {info['mesa']}"
    )
    print(
        f"One core: numba {threads} thread, BLAS/OpenMP 1 thread. Scenario '{args.scenario}', "
        f"seed {args.seed}; accounting checks "
        f"{'OFF (--no-checks)' if args.no_checks else 'ON (default; --no-checks to disable)'}."
    )
    print(
        f"Per scale: build, burn-in + {args.warmup} warm-up quarters, then {args.quarters} "
        f"quarters timed through model.step() and {args.quarters} more phase by phase"
        f"{'' if args.in_process else ' (each scale in a fresh process)'}."
    )

    results = []
    for scale in args.scales:
        results.append(bench_scale(scale, args) if args.in_process else run_child(scale, args))
    print_summary(results, not args.no_checks)
    if args.in_process and len(results) > 1:
        print("\n(--in-process: peak RSS is the process's peak up to that scale)")
    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "numba_threads": threads, "results": results}, indent=2)
            + "\n"
        )
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
