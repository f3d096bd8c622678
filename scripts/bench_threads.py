"""How much a second thread can give on this machine: independent loops on 1 and N threads.

    python scripts/bench_threads.py                 # 1 and 2 threads, best of 7
    python scripts/bench_threads.py --threads 4 --repeats 9 --json outputs/bench_threads.json

Issue #13 asks a 1:1 quarter to run at least 1.6 times as fast on two threads as on one. What a
second thread can give depends on the machine as well as the code: two virtual CPUs may be the
two hardware threads of one core (they then share its multipliers and its caches) or cores of
their own, and other tenants may share them. This benchmark measures the ceiling directly, with
loops whose iterations are independent (each thread takes a fixed half of them and nothing is
shared, so a perfect machine gives N times the speed on N threads):

- **integer multiplies**: a 64-bit multiply-xorshift hash, twenty rounds per element, into an
  array allocated once
  (throughput-bound on the multiplier; the kind of work of the per-agent Philox draws);
- **Philox draws**: the project's own ``kernels.philox.philox_uniforms_parallel``, one uniform
  for each of 10 million ids, its output allocated by each call as the model calls it (what
  every per-agent lottery and shock costs), from memory the process keeps, as a model's process
  does (``abm.allocator.keep_freed_memory``: without it each call's 80 MB are new pages, and the
  page faults, which do not scale with threads, made this loop look like 1.25x here);
- **logarithms**: ``log`` and ``exp`` of each element into an array allocated once (the C
  library's math, as in the firm kernels);
- **memory stream**: ``out = 2 a + b`` over arrays of 400 MB, ``out`` allocated once
  (bandwidth-bound: the passes over the talent population at 1:1).

Each loop is compiled once with ``parallel=True`` and timed with ``numba.set_num_threads(1)``
and ``N`` in turn in the same process, best of ``--repeats`` each (after a warm-up call), with
``OMP_WAIT_POLICY=PASSIVE`` unless it is set (as the model runs its threads). The ratio is the
1-thread time over the N-thread time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def _cpuinfo(key: str) -> str:
    """A field of the first CPU in ``/proc/cpuinfo`` ("?" where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        pass
    return "?"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, default=2, help="the thread count to compare with one")
    p.add_argument("--repeats", type=int, default=7, help="timed calls per loop and count")
    p.add_argument("--json", type=Path, help="also write the results to this JSON file")
    a = p.parse_args(argv)
    if a.threads < 2 or a.repeats < 1:
        p.error("--threads must be at least 2 and --repeats at least 1")
    os.environ["NUMBA_NUM_THREADS"] = str(a.threads)  # before numba starts its pool
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the model sets it (abm.model)
    import numba
    import numpy as np
    from bench_machine import cpu_model

    from abm.allocator import keep_freed_memory
    from kernels.philox import philox_uniforms_parallel

    # as in a model's process: freed arrays are reused, not new pages (False: not glibc's
    # allocator, or the user's own thresholds; then the Philox loop may time page faults)
    kept = keep_freed_memory()
    if numba.config.NUMBA_NUM_THREADS < a.threads:
        p.error(f"numba has {numba.config.NUMBA_NUM_THREADS} threads here, not {a.threads}")

    @numba.njit(parallel=True)
    def multiplies(out):  # pragma: no cover - compiled
        for i in numba.prange(out.shape[0]):
            x = np.uint64(i) * np.uint64(0x9E3779B97F4A7C15)
            for _ in range(20):
                x = (x ^ (x >> np.uint64(31))) * np.uint64(0xBF58476D1CE4E5B9)
            out[i] = float(x >> np.uint64(11))
        return out

    @numba.njit(parallel=True)
    def logarithms(a, out):  # pragma: no cover - compiled
        for i in numba.prange(a.shape[0]):
            out[i] = np.exp(0.5 * np.log(a[i] + 1.0))
        return out

    @numba.njit(parallel=True)
    def stream(a, b, out):  # pragma: no cover - compiled
        for i in numba.prange(a.shape[0]):
            out[i] = 2.0 * a[i] + b[i]
        return out

    rng = np.random.default_rng(0)
    ids = np.arange(10_000_000, dtype=np.int64)
    x, x_out = rng.random(10_000_000), np.zeros(10_000_000)
    big_a, big_b, big_out = rng.random(50_000_000), rng.random(50_000_000), np.zeros(50_000_000)
    k0, k1 = np.uint64(0x1234), np.uint64(0x5678)
    loops = {
        "integer multiplies (20 rounds, 10^7)": lambda: multiplies(x_out),
        "Philox draws (philox_uniforms_parallel, 10^7 ids)": lambda: philox_uniforms_parallel(
            k0, k1, ids, 10_000, 3, 1
        ),
        "logarithms (log and exp, 10^7)": lambda: logarithms(x, x_out),
        "memory stream (2a + b, 3 x 400 MB)": lambda: stream(big_a, big_b, big_out),
    }
    cpu = f"{cpu_model()} (family {_cpuinfo('cpu family')}, model {_cpuinfo('model')})"
    load_before = os.getloadavg()
    print(f"CPU: {cpu}, {os.cpu_count()} logical CPUs; load {load_before[0]:.2f}")
    if not kept:
        print("  freed memory is not kept here (abm.allocator): allocations may map new pages")
    rows = []
    for name, call in loops.items():
        counts = (1, a.threads)
        for t in counts:  # compile (first count) and warm both
            numba.set_num_threads(t)
            call()
        times: dict[int, list[float]] = {t: [] for t in counts}
        for _ in range(a.repeats):  # in turn, so that another tenant's load hits both alike
            for t in counts:
                numba.set_num_threads(t)
                t0 = time.perf_counter()
                call()
                times[t].append(time.perf_counter() - t0)
        best = {t: min(v) * 1e3 for t, v in times.items()}
        ratio = best[1] / best[a.threads]
        rows.append({"loop": name, "ms_1": best[1], "ms_n": best[a.threads], "ratio": ratio})
        print(f"  {name:<52} {best[1]:8.1f} ms  {best[a.threads]:8.1f} ms  {ratio:5.2f}x")
    print(f"\n| loop | 1 thread ms | {a.threads} threads ms | ratio |\n|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['loop']} | {r['ms_1']:.1f} | {r['ms_n']:.1f} | {r['ratio']:.2f}x |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")
    if a.json:
        doc = {
            "cpu": cpu,
            "logical_cpus": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
            "omp_wait_policy": os.environ["OMP_WAIT_POLICY"],
            "keeps_freed_memory": kept,
            "threads": a.threads,
            "repeats": a.repeats,
            "loops": rows,
        }
        a.json.parent.mkdir(parents=True, exist_ok=True)
        tmp = a.json.with_name(f"{a.json.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc, indent=2))
        tmp.replace(a.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
