"""Start-up: a run says that it compiles the numba kernels when (and only when) numba's cache
does not hold them yet; a process with a warm cache does not recompile."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import abm.model
from abm import EconomyModel
from kernels.cache import ENTRY_POINTS, is_cached, uncached


def _python(code: str, cache_dir: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )


def test_an_empty_cache_lists_every_kernel(tmp_path):
    out = _python("from kernels.cache import uncached; print(len(uncached()))", str(tmp_path))
    assert int(out.stdout) == len(ENTRY_POINTS)


def test_kernels_used_in_this_process_count_as_cached():
    EconomyModel("diffuse", seed=1, scale=5000, quarters=1).run()
    assert all(is_cached(k) for k in ENTRY_POINTS)
    assert uncached() == []


def test_the_model_says_when_it_compiles(monkeypatch, capsys):
    monkeypatch.setattr(abm.model, "uncached", lambda threads: ["kernels.talent.census"])
    EconomyModel("diffuse", seed=1, scale=5000, quarters=1)
    assert "compiling numba kernels, once" in capsys.readouterr().err
    monkeypatch.setattr(abm.model, "uncached", lambda threads: [])
    EconomyModel("diffuse", seed=1, scale=5000, quarters=1)
    assert "compiling" not in capsys.readouterr().err


@pytest.mark.slow
def test_a_first_run_compiles_and_says_so_and_a_second_does_not(tmp_path):
    code = (
        "import time; t = time.perf_counter()\n"
        "from abm import EconomyModel\n"
        "m = EconomyModel('diffuse', 0, scale=1000, quarters=1); m.step()\n"
        "print(time.perf_counter() - t)"
    )
    first = _python(code, str(tmp_path))
    assert "compiling numba kernels, once" in first.stderr
    second = _python(code, str(tmp_path))
    assert "compiling" not in second.stderr
    assert float(second.stdout) < float(first.stdout) / 4
