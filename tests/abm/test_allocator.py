"""The allocator settings of a simulation process (``abm.allocator``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from abm.allocator import _glibc

ROOT = Path(__file__).resolve().parents[2]

# faults of the second of two 64 MiB arrays, filled, freed and made again
FAULTS = """
import resource, sys
import numpy as np
{setup}
def faults():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    a = np.ones(8 << 20)
    del a
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
faults()
print(faults())
"""


def _clean_env() -> dict[str, str]:
    """The environment without the user's allocator settings or opt-out."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_TUN"))}
    clean.pop("ABM_KEEP_FREED_MEMORY", None)
    return clean


def _second_faults(setup: str, **env: str) -> int:
    clean = _clean_env()
    done = subprocess.run(
        [sys.executable, "-c", FAULTS.format(setup=setup)],
        cwd=ROOT, capture_output=True, text=True, check=True, env={**clean, **env},
    )  # fmt: skip
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not _glibc(), reason="glibc's allocator only")
def test_freed_memory_is_reused_without_page_faults():
    """With the settings, a 64 MiB array made again reuses the pages of the one freed before
    (no fault); with glibc's defaults it maps new ones (at least 32 faults: 16,384 pages of
    4 KiB, or 32 huge pages of 2 MiB where the kernel gives those), and the environment can ask
    for those."""
    setup = "from abm.allocator import keep_freed_memory\nassert keep_freed_memory()"
    assert _second_faults(setup) < 16
    assert _second_faults("") >= 32
    off = "from abm.allocator import keep_freed_memory\nassert not keep_freed_memory()"
    assert _second_faults(off, ABM_KEEP_FREED_MEMORY="0") >= 32
    assert _second_faults(off, ABM_KEEP_FREED_MEMORY="off") >= 32
    assert _second_faults(off, MALLOC_MMAP_THRESHOLD_="131072") >= 32


@pytest.mark.skipif(not _glibc(), reason="glibc's allocator only")
def test_a_model_keeps_freed_memory():
    """Building a model sets the thresholds (the first model of the process decides)."""
    code = (
        "from abm import EconomyModel\nfrom abm import allocator\n"
        "EconomyModel('laissez_faire', seed=1, scale=5000, quarters=1)\n"
        "print(allocator._state)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
        env=_clean_env(),
    )  # fmt: skip
    assert done.stdout.strip() == "[True]"
