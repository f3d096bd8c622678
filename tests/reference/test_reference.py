"""Behaviour is frozen: every shipped scenario's short run equals its stored reference bit for bit.

A change that alters any output updates the references in its own commit
(``python tests/reference/generate.py --write``) with a CHANGELOG line that says why.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("reference_generate", HERE / "generate.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reference")
    res = gen.run_pinned(out)
    assert res.returncode == 0, f"reference runs failed:\n{res.stderr[-4000:]}"
    return out


def _describe(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"shape {a.shape} != stored {b.shape}"
    if a.dtype.kind in "fiu":
        d = np.abs(a.astype(float) - b.astype(float))
        scale = np.maximum(np.abs(b.astype(float)), 1e-300)
        return f"max abs diff {d.max():.3g}, max rel diff {(d / scale).max():.3g}"
    return "values differ"


def test_every_shipped_scenario_has_a_reference() -> None:
    stored = {p.stem for p in (HERE / "data").glob("*.npz")}
    missing = set(gen.scenario_names()) - stored
    assert not missing, (
        f"no frozen reference for {sorted(missing)}: run `python tests/reference/generate.py "
        "--write` and commit tests/reference/data with a CHANGELOG line"
    )


@pytest.mark.parametrize("scenario", gen.scenario_names())
def test_outputs_equal_the_frozen_reference_bit_for_bit(fresh: Path, scenario: str) -> None:
    stored_path = HERE / "data" / f"{scenario}.npz"
    if not stored_path.exists():
        pytest.fail(f"no reference for {scenario}")
    meta = json.loads((HERE / "data" / "meta.json").read_text())
    now = json.loads((fresh / "meta.json").read_text())
    with np.load(stored_path) as s, np.load(fresh / f"{scenario}.npz") as f:
        stored = {k: s[k] for k in s.files}
        got = {k: f[k] for k in f.files}
    problems = []
    for k in sorted(set(stored) | set(got)):
        if k not in got:
            problems.append(f"{k}: missing from the run")
        elif k not in stored:
            problems.append(f"{k}: not in the reference")
        elif not np.array_equal(got[k], stored[k], equal_nan=got[k].dtype.kind == "f"):
            problems.append(f"{k}: {_describe(got[k], stored[k])}")
    if problems:
        cpu_note = ""
        if now["machine"]["numpy_features_on"] != meta["machine"]["numpy_features_on"] or (
            now["machine"]["versions"] != meta["machine"]["versions"]
        ):
            cpu_note = (
                "\nNOTE: this machine differs from the one that made the references "
                f"(stored: {meta['machine']['cpu_host']}, {meta['machine']['versions']}; "
                f"here: {now['machine']['cpu_host']}, {now['machine']['versions']}). The child "
                "process pins numpy dispatch, numba's CPU and OpenBLAS's kernel, but other bits "
                "can remain (see docs/architecture.md, 'Frozen reference outputs')."
            )
        pytest.fail(
            f"{scenario}: {len(problems)} output(s) differ from the frozen reference:\n  "
            + "\n  ".join(problems[:20])
            + "\nIf the change of behaviour is intended, regenerate with "
            "`python tests/reference/generate.py --write` in its own commit with a CHANGELOG "
            "line." + cpu_note
        )
