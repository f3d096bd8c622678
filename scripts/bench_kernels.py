"""Benchmark the compiled market kernels against their plain-Python twins.

Every module in ``scripts/benchcases/`` that defines ``case(n, rng) -> dict`` is picked up (in
order of file name). A case returns ``{"name", "kernel", "twin", "units", "unit_name"}``: two
no-argument callables (the twin may be None where it would take minutes) and the number of work
units (``unit_name``) one call does. For each case and
size the harness warms the kernel up (compilation or cache load), times it as the best of several
repeats, times the twin once (up to ``--max-twin-n``), and prints a table.

Usage::

    python scripts/bench_kernels.py [--sizes 10000 100000 1000000] [--repeats 7]
                                    [--max-twin-n 1000000] [--cases labour goods] [--json FILE]
"""

import argparse
import gc
import importlib.util
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/: bench_machine
from bench_machine import cpu_model  # noqa: E402

CASES_DIR = Path(__file__).resolve().parent / "benchcases"


def machine_info() -> dict:
    import numba

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
    }


def load_cases(only: list[str] | None) -> list[tuple[str, object]]:
    """Import every ``scripts/benchcases/*.py`` that defines ``case``, sorted by file name."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    found = []
    for path in sorted(CASES_DIR.glob("*.py")):
        if path.name.startswith("_") or (only and path.stem not in only):
            continue
        spec = importlib.util.spec_from_file_location(f"benchcases_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if callable(getattr(module, "case", None)):
            found.append((path.stem, module.case))
    return found


def best_time(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(args: argparse.Namespace) -> list[dict]:
    rows = []
    for stem, make_case in load_cases(args.cases):
        for n in args.sizes:
            rng = np.random.default_rng([args.seed, n])
            c = make_case(n, rng)
            t0 = time.perf_counter()
            c["kernel"]()  # compile, or load from the numba cache
            warmup = time.perf_counter() - t0
            gc.collect()
            kernel_s = best_time(c["kernel"], args.repeats)
            twin_s = None
            if n <= args.max_twin_n and c["twin"] is not None:  # a case may skip its twin
                gc.collect()
                t0 = time.perf_counter()
                c["twin"]()
                twin_s = time.perf_counter() - t0
            row = {
                "case": stem,
                "kernel": c["name"],
                "n": n,
                "units": int(c["units"]),
                "unit_name": c["unit_name"],
                "warmup_ms": warmup * 1e3,
                "kernel_ms": kernel_s * 1e3,
                "twin_ms": None if twin_s is None else twin_s * 1e3,
                "ratio": None if twin_s is None else twin_s / kernel_s,
                "ns_per_unit": kernel_s * 1e9 / max(int(c["units"]), 1),
            }
            rows.append(row)
            print_row(row)
            del c
    return rows


NAME_WIDTH = 26
HEADER = (
    f"{'kernel':<{NAME_WIDTH}} {'n':>9} {'compiled ms':>12} {'twin ms':>11} {'ratio':>8} "
    f"{'ns/unit':>8}  unit"
)


def print_row(row: dict) -> None:
    twin = "-" if row["twin_ms"] is None else f"{row['twin_ms']:.1f}"
    ratio = "-" if row["ratio"] is None else f"{row['ratio']:.0f}x"
    print(
        f"{row['kernel']:<{NAME_WIDTH}} {row['n']:>9} {row['kernel_ms']:>12.3f} {twin:>11} "
        f"{ratio:>8} {row['ns_per_unit']:>8.2f}  {row['unit_name']}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10**4, 10**5, 10**6], help="agent counts n"
    )
    parser.add_argument("--repeats", type=int, default=7, help="kernel timings; the best counts")
    parser.add_argument(
        "--max-twin-n", type=int, default=10**6, help="largest n at which the twin is timed"
    )
    parser.add_argument("--cases", nargs="+", help="only these benchcases (file stems)")
    parser.add_argument("--seed", type=int, default=20260101, help="seed of the input generator")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    info = machine_info()
    print(f"CPU: {info['cpu']} ({info['cores']} cores), {info['platform']}")
    print(f"Python {info['python']}, numpy {info['numpy']}, numba {info['numba']}")
    print(f"best of {args.repeats} kernel runs after warm-up; twin timed once\n")
    print(HEADER)
    rows = run(args)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "results": rows}, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
