"""Start-up: a run says that it compiles the numba kernels when (and only when) numba's cache
does not hold them yet; a process with a warm cache does not recompile; and a run imports only
what it uses before its first quarter (no xarray, dask, matplotlib, pandas, the rest of Mesa or
of scipy.linalg), and the packages whose ``__init__`` it defers are whole for everyone else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import abm.model
from abm import EconomyModel
from kernels.cache import ENTRY_POINTS, is_cached, uncached

ROOT = Path(__file__).resolve().parents[2]
#: what a run does not need before its first quarter: the output file's libraries, the
#: ensembles', the figures' and the report's, and the parts of Mesa the model does not use
NOT_FOR_A_RUN = (
    "xarray",
    "netCDF4",
    "dask",
    "distributed",
    "zarr",
    "matplotlib",
    "jinja2",
    "SALib",
    "scipy.stats",
    "scipy.spatial",
    "networkx",
    "mesa.space",
    "mesa.batchrunner",
    "mesa.experimental",
    "pandas",  # mesa.datacollection imports pandas for its data frames: a stand-in here
    "scipy.linalg._basic",  # scipy.linalg's __init__: numba's BLAS check needs cython_blas
    "numpy.f2py",
    "abm.recording.dataset",
    "abm.io.netcdf",
    "abm.ensemble.run",
    "abm.analysis.outcomes",
)


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


@pytest.mark.parametrize("threads", [1, 2])
def test_a_run_calls_every_kernel_it_waits_for(threads):
    """Every entry point of ``kernels.cache`` for a thread count is one a run with it calls: a
    kernel listed but never called would stay uncached in a fresh environment and make every
    run say it compiles (with threads, the threaded twins replace the serial kernels)."""
    import numba

    if threads > numba.config.NUMBA_NUM_THREADS:
        pytest.skip("numba has one thread here")
    code = (
        "from abm import EconomyModel\n"
        "from kernels.cache import entry_points\n"
        "import abm.model_args\n"
        "abm.model_args.THREADS_FROM_SCALE = float('inf')  # threads at the test's coarse scale\n"
        f"EconomyModel('laissez_faire', seed=1, scale=5000, quarters=1, threads={threads}).run()\n"
        f"print([k.__name__ for k in entry_points({threads}) if not k.signatures])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_every_kernel_a_run_calls_has_one_compiled_version():
    """Each compiled version is a load from numba's cache at start-up (10-15 ms): the arrays a
    run passes a kernel have one dtype and layout whatever the scenario, the call site or the
    thread count (a second version of ``leave_jobs`` and one ``drop_rows`` per dtype were
    six loads more, docs/performance.md)."""
    import numba

    threads = (1, 2) if numba.config.NUMBA_NUM_THREADS >= 2 else (1,)
    code = (
        "import json, sys\n"
        "from numba.core.registry import CPUDispatcher\n"
        "from abm import EconomyModel\n"
        f"for t in {threads!r}:\n"
        "    for sc in ('diffuse', 'focused', 'laissez_faire'):\n"
        "        EconomyModel(sc, 0, scale=20000, quarters=2, threads=t,\n"
        "                     threads_from_scale=float('inf')).run()\n"
        "print(json.dumps([f'{n}.{k}: {len(v.signatures)}' for n, mod in list(sys.modules.items())"
        " if n.startswith('kernels') for k, v in vars(mod).items() if isinstance(v, CPUDispatcher)"
        " and v.py_func.__module__ == n and len(v.signatures) > 1]))"
    )
    assert _modules(code) == []


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


def _modules(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints JSON (see the callers)."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def _loaded(names: tuple[str, ...]) -> str:
    return f"import json, sys; print(json.dumps([m for m in {list(names)!r} if m in sys.modules]))"


def test_a_run_imports_only_what_it_uses_before_its_first_quarter():
    code = (
        "from abm.model import EconomyModel\n"
        "EconomyModel('diffuse', 0, scale=20000, quarters=1).step()\n" + _loaded(NOT_FOR_A_RUN)
    )
    assert _modules(code) == []


def test_the_run_command_imports_the_model_but_not_the_rest():
    code = "from abm.cli import main; main.get_command(None, 'run')\n" + _loaded(NOT_FOR_A_RUN)
    assert _modules(code) == []


def test_import_abm_and_the_scenarios_import_neither_the_model_nor_numba():
    code = "import abm, abm.scenario\n" + _loaded(("abm.model", "numba", "mesa", "xarray"))
    assert _modules(code) == []


def test_mesa_imported_after_the_model_is_the_whole_of_mesa():
    code = (
        "import abm.model, abm.mesa_core as core, json\n"
        "import mesa\n"
        "from mesa import DataCollector, batch_run\n"
        "import mesa.discrete_space\n"
        "print(json.dumps([mesa.Model is core.Model is abm.model.Model, mesa.Agent is core.Agent,"
        " DataCollector is core.DataCollector, mesa.__version__ != '', callable(batch_run),"
        " hasattr(mesa.space, 'MultiGrid'), 'Model' in dir(mesa),"
        " '__getattr__' not in vars(mesa)]))"
    )
    assert _modules(code) == [True] * 8


@pytest.mark.parametrize(
    "first", ["mesa.discrete_space.grid", "mesa.experimental.devs", "mesa.visualization"]
)
def test_a_part_of_mesa_imported_after_the_model_runs_mesas_init_first(first):
    # in a plain import mesa/__init__ runs before any of its modules; so it does here
    code = (
        f"import abm.model, importlib, json, sys\nimportlib.import_module({first!r})\n"
        "import mesa\n"
        "print(json.dumps(['__getattr__' not in vars(mesa), 'mesa.space' in sys.modules,"
        " not any(type(f).__name__ == '_InitFirst' for f in sys.meta_path)]))"
    )
    assert _modules(code) == [True, True, True]


def test_threads_that_read_mesa_at_once_wait_for_its_init():
    code = (
        "import abm.model, json, threading\n"
        "import mesa\n"
        "got, go = [], threading.Barrier(4)\n"
        "def read():\n"
        "    go.wait()\n"
        "    got.append(callable(mesa.batch_run) and hasattr(mesa.space, 'MultiGrid'))\n"
        "ts = [threading.Thread(target=read) for _ in range(4)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "print(json.dumps(got))"
    )
    assert _modules(code) == [True] * 4


def test_mesa_imported_before_the_model_is_not_deferred():
    code = (
        "import mesa, json\n"
        "import abm.mesa_core as core\n"
        "print(json.dumps([core.Model is mesa.Model, '__getattr__' not in vars(mesa)]))"
    )
    assert _modules(code) == [True, True]


@pytest.mark.parametrize("first", ["pandas.core.frame", "threads"])
def test_pandas_after_a_run_is_the_whole_of_it(first):
    # mesa.datacollection's stand-in imports pandas on its first data frame, from any thread
    first_use = (
        "import threading\n"
        "made, go = [], threading.Barrier(4)\n"
        "def make():\n"
        "    go.wait()\n"
        "    made.append(type(m.datacollector.get_model_vars_dataframe()).__name__)\n"
        "ts = [threading.Thread(target=make) for _ in range(4)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "assert made == ['DataFrame'] * 4, made\n"
        if first == "threads"
        else f"import importlib\nimportlib.import_module({first!r})\n"
    )
    code = (
        "import json, sys\n"
        "from abm.model import EconomyModel\n"
        "m = EconomyModel('diffuse', 0, scale=20000, quarters=1)\n"
        "m.step()\n"
        "before = 'pandas' in sys.modules\n" + first_use + "import pandas as pd\n"
        "from pandas import DataFrame\n"
        "import mesa.datacollection as dc\n"
        "df = m.datacollector.get_model_vars_dataframe()\n"
        "print(json.dumps([before, type(df) is DataFrame, len(df), float(pd.Series([1.5]).sum()),"
        " type(pd).__name__, dc.DataCollector is type(m.datacollector).__mro__[1]]))"
    )
    assert _modules(code) == [False, True, 1, 1.5, "module", True]


def test_a_thread_that_imports_pandas_while_the_model_is_imported_gets_pandas():
    # the stand-in is mesa.datacollection's alone: sys.modules never holds it
    code = (
        "import json, sys, threading\n"
        "got, stop = [], threading.Event()\n"
        "def watch():\n"
        "    while not stop.wait(0.0002):  # a look every 0.2 ms, the GIL let go in between\n"
        "        p = sys.modules.get('pandas')\n"
        "        if p is not None:\n"
        "            got.append(type(p).__name__)\n"
        "t = threading.Thread(target=watch); t.start()\n"
        "import abm.model\n"
        "stop.set(); t.join()\n"
        "import mesa.datacollection as dc\n"
        "print(json.dumps([sorted(set(got)), 'pandas' in sys.modules, type(dc.pd).__name__,"
        " dc.pd.__version__ == __import__('pandas').__version__]))"
    )
    assert _modules(code) == [[], False, "_StandIn", True]


@pytest.mark.parametrize("first", ["scipy.linalg", "scipy.linalg.blas", "scipy.stats"])
def test_scipy_linalg_after_a_run_is_the_whole_of_it(first):
    code = (
        "from abm.model import EconomyModel\n"
        "EconomyModel('diffuse', 0, scale=20000, quarters=1)\n"
        f"import importlib, json, sys\nimportlib.import_module({first!r})\n"
        "import numpy as np, scipy.linalg\n"
        "from scipy.linalg import blas, solve\n"
        "print(json.dumps([solve(np.eye(2), np.ones(2)).tolist(), callable(blas.get_blas_funcs),"
        " '__getattr__' not in vars(scipy.linalg), 'lu' in dir(scipy.linalg)]))"
    )
    assert _modules(code) == [[1.0, 1.0], True, True, True]


def test_lazy_names_of_a_package_are_its_modules_names():
    import abm.ensemble
    import abm.io
    import abm.recording
    from abm.io import atomic  # a submodule, not a name of the table

    assert abm.recording.records_to_dataset is abm.recording.dataset.records_to_dataset
    assert abm.io.write_netcdf is abm.io.netcdf.write_netcdf
    assert atomic.atomic_path is abm.io.atomic_path
    assert abm.ensemble.points.run_outcomes  # a submodule read as an attribute
    assert {"EconomyModel", "run", "__version__"} <= set(dir(abm))
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        abm.nothing  # noqa: B018
