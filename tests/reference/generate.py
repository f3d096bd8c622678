"""Frozen reference outputs: a short run of every shipped scenario, stored bit for bit.

Each shipped scenario runs for ``QUARTERS`` recorded quarters at ``SCALE`` persons per talent
agent with seed ``SEED``; every data variable of its dataset and of its firm snapshots is stored
in ``tests/reference/data/<scenario>.npz``, with the CPU features and library versions of the
machine that made them in ``meta.json``. ``test_reference.py`` runs the same runs in a child
process and compares every value bit for bit.

Bits depend on the CPU: numpy picks SIMD loops at run time, numba compiles for the host CPU and
OpenBLAS picks a kernel per CPU, and a chaotic model amplifies one-ulp differences. The child
process therefore pins all three (``pinned_environment``): numpy's dispatched features above its
baseline are disabled, numba compiles for the ``generic`` CPU, OpenBLAS uses its Nehalem kernels
on one thread.

Regenerate (only when a change of behaviour is intended; add a CHANGELOG line saying why)::

    python tests/reference/generate.py --write
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATA = HERE / "data"
SEED = 1
SCALE = 1000.0
QUARTERS = 12


def pinned_environment() -> dict[str, str]:
    """Environment for a child process whose floating-point results do not depend on the CPU
    model (within x86-64 machines that have numpy's baseline features)."""
    from numpy._core import _multiarray_umath as mu

    env = dict(os.environ)
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(mu.__cpu_dispatch__)
    env["NUMBA_CPU_NAME"] = "generic"
    env.pop("NUMBA_CPU_FEATURES", None)
    env["OPENBLAS_CORETYPE"] = "Nehalem"
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


def machine() -> dict[str, object]:
    """CPU features and versions that can change the bits (stored beside the references)."""
    import numba
    from numpy._core import _multiarray_umath as mu

    try:
        import llvmlite.binding as ll

        host = ll.get_host_cpu_name()
    except Exception:  # noqa: BLE001 - informative only
        host = "unknown"
    return {
        "cpu_host": host,
        "numpy_features_on": sorted(k for k, v in mu.__cpu_features__.items() if v),
        "numpy_dispatch_disabled": os.environ.get("NPY_DISABLE_CPU_FEATURES", ""),
        "numba_cpu_name": os.environ.get("NUMBA_CPU_NAME", numba.config.CPU_NAME or "host"),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            lib: metadata.version(lib) for lib in ("numpy", "numba", "llvmlite", "mesa", "xarray")
        },
    }


def scenario_names() -> list[str]:
    from abm.scenario import shipped_scenarios

    return list(shipped_scenarios())


def reference_arrays(scenario: str) -> dict[str, object]:
    """Every data variable (and firm-snapshot variable) of the reference run of ``scenario``."""
    import numpy as np

    from abm import EconomyModel

    model = EconomyModel(scenario, seed=SEED, scale=SCALE, quarters=QUARTERS).run()
    ds = model.to_dataset()
    out: dict[str, object] = {}
    for name in sorted(ds.variables):
        v = ds[name].values
        if v.dtype.kind in "OU":
            v = v.astype(str)
        elif v.dtype.kind == "M":
            v = v.astype("datetime64[ns]").astype(np.int64)
        out[name] = v
    snaps = model.snapshot_dataset() if hasattr(model, "snapshot_dataset") else None
    if snaps is None:
        from abm.recording import snapshot_dataset

        snaps = snapshot_dataset(model)
    if snaps is not None:
        for name in sorted(snaps.variables):
            v = snaps[name].values
            if v.dtype.kind == "M":
                v = v.astype("datetime64[ns]").astype(np.int64)
            out[f"firm_snapshots/{name}"] = v
    return out


def write_all(folder: Path) -> None:
    """Run every shipped scenario and write its arrays (and ``meta.json``) into ``folder``."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    for name in scenario_names():
        arrays = reference_arrays(name)
        tmp = folder / f".{name}.npz.tmp.npz"
        np.savez_compressed(tmp, **arrays)
        os.replace(tmp, folder / f"{name}.npz")
    meta = {
        "seed": SEED,
        "scale": SCALE,
        "quarters": QUARTERS,
        "scenarios": scenario_names(),
        "machine": machine(),
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")


def run_pinned(folder: Path) -> subprocess.CompletedProcess[str]:
    """Write the reference arrays into ``folder`` from a child process with pinned dispatch."""
    return subprocess.run(
        [sys.executable, str(Path(__file__)), "--out", str(folder)],
        env=pinned_environment(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", action="store_true", help="regenerate tests/reference/data")
    g.add_argument("--out", type=Path, help="write into this folder (in this process)")
    args = p.parse_args()
    if args.out is not None:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        write_all(args.out)
        return
    res = run_pinned(DATA)
    sys.stdout.write(res.stdout)
    sys.stderr.write(res.stderr)
    if res.returncode:
        raise SystemExit(res.returncode)
    print(f"wrote {DATA}")


if __name__ == "__main__":
    main()
