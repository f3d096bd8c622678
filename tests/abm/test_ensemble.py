"""Ensembles on dask (issue #4): the `abm ensemble` command and `run_ensemble`.

Members are tiny (2 recorded quarters at 4000 persons per agent, ~0.05 s each) so the suite stays
fast; the session's dask scheduler and two workers (``scheduler`` in tests/conftest.py, started as
subprocesses on 127.0.0.1) serve most tests (`--scheduler`); tests of the local cluster, worker
death and driver death start their own. Every test that starts dask processes stops them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cloudpickle
import netCDF4
import numpy as np
import psutil
import pytest
import xarray as xr
from click.testing import CliRunner

from abm import EconomyModel, load_scenario
from abm.cli.ensemble import ensemble_cmd
from abm.ensemble import (
    EnsembleInputError,
    job_script,
    make_jobqueue_cluster,
    run_ensemble,
    worker,
)

# the test hooks below are shipped to the dask workers by value (they are not importable there)
cloudpickle.register_pickle_by_value(sys.modules[__name__])

Q, SCALE = 2, 4000.0  # tiny members
TINY = ["--quarters", str(Q), "--scale", str(int(SCALE)), "--no-progress"]
ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------------------- test hooks
class InjectedFailure(RuntimeError):
    """Raised inside a member by :func:`failing_members`."""


def slow_members(seconds: float):  # noqa: ANN201 - a replacement of worker.run_member
    """Every member sleeps first (so a test can kill or interrupt the run mid-way)."""
    real = worker.run_member

    def member(task):  # noqa: ANN001, ANN202
        time.sleep(seconds)
        return real(task)

    return member


def failing_members(always: set, first_attempt: set, marks: Path):  # noqa: ANN201
    """Members (scenario, realization) that raise on every attempt, or only on the first
    (marked by a file, so the retry dask makes succeeds)."""
    real = worker.run_member
    marks.mkdir(parents=True, exist_ok=True)

    def member(task):  # noqa: ANN001, ANN202
        key = (task.scenario.name, task.realization)
        mark = marks / f"{key[0]}-{key[1]}"
        if key in always or (key in first_attempt and not mark.exists()):
            mark.touch()
            raise InjectedFailure(f"injected failure (test hook) for {key[0]} realization {key[1]}")
        return real(task)

    return member


def slow_driver(tmp_path: Path, seconds: float) -> list[str]:
    """The command line of an `abm ensemble` driver whose members each sleep first."""
    script = tmp_path / "slow_driver.py"
    script.write_text(
        "import sys, time\n"
        "import abm.ensemble.worker as worker\n"
        "from abm.cli.ensemble import ensemble_cmd\n"
        "real = worker.run_member\n"
        "def slow(task):\n"
        f"    time.sleep({seconds})\n"
        "    return real(task)\n"
        "if __name__ == '__main__':  # the workers' processes import this file too\n"
        "    worker.run_member = slow\n"
        "    ensemble_cmd(sys.argv[1:])\n"
    )
    return [sys.executable, str(script)]


# ----------------------------------------------------------------------------- helpers
def _direct(scenario, root: int, k: int, **params) -> xr.Dataset:
    """Member k run in this process, seeded by spawning as the issue states."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if params:
        sc = sc.with_parameters(**params)
    seed = np.random.SeedSequence(root).spawn(k + 1)[k]
    return EconomyModel(sc, seed, quarters=Q, scale=SCALE).run().to_dataset()


def _member_vars(ds: xr.Dataset) -> list[str]:
    return [v for v in ds.data_vars if "realization" in ds[v].dims and v != "member_ok"]


def _assert_member_equals(ens: xr.Dataset, scenario: str, r: int, ref: xr.Dataset) -> None:
    one = ens.sel(scenario=scenario, realization=r)
    for v in _member_vars(ens):
        got = one[v]
        if "programme" in got.dims:
            got = got.sel(programme=ref["programme"].values)
        np.testing.assert_array_equal(got.values, ref[v].values, err_msg=v)


def _assert_same_members(a: xr.Dataset, b: xr.Dataset) -> None:
    assert _member_vars(a) == _member_vars(b)
    for v in _member_vars(a):
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)


def _invoke(args: list[str]):
    return CliRunner().invoke(ensemble_cmd, args, catch_exceptions=False)


# ----------------------------------------------------------------------------- the command
@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    """`abm ensemble diffuse laissez_faire --runs 3 --seed 7 --workers 2` on a local cluster,
    run once for the command's test and the one-worker comparison: (click result, file)."""
    out = tmp_path_factory.mktemp("two_workers") / "e.nc"
    r = _invoke(["diffuse", "laissez_faire", "--runs", "3", "--seed", "7", "--workers", "2",
                 "-o", str(out), *TINY])  # fmt: skip
    return r, out


def test_command_writes_a_cf_ensemble_file_with_common_seeds(two_workers, system_tool):
    r, out = two_workers
    assert r.exit_code == 0, r.output + r.stderr
    assert "6 of 6 members written" in r.stdout and "members/min" in r.stdout
    assert sorted(p.name for p in out.parent.iterdir()) == ["e.nc"]  # no shards, no temporaries
    with xr.open_dataset(out) as ds:
        assert ds.sizes["scenario"] == 2 and ds.sizes["realization"] == 3
        assert ds["gdp"].dims == ("scenario", "realization", "time")
        assert ds["value_added"].dims == ("scenario", "realization", "time", "sector")
        assert list(ds["scenario"].values) == ["diffuse", "laissez_faire"]
        real = ds["realization"]
        assert real.attrs["standard_name"] == "realization" and real.attrs["units"] == "1"
        assert list(ds["member"].values) == [0, 1, 2]
        assert ds.attrs["root_seed"] == 7 and ds.attrs["runs"] == 3
        assert json.loads(ds.attrs["failures"]) == []
        for a in ("Conventions", "title", "institution", "source", "history", "references",
                  "library_versions", "model_version"):  # fmt: skip
            assert ds.attrs[a], a
        # programmes: union over scenarios, zero (never NaN) where a scenario has none
        ps = ds["programme_spending"]
        assert not np.isnan(ps.values).any()
        own = set(load_scenario("diffuse").programmes) - set(
            load_scenario("laissez_faire").programmes
        )
        absent = [p for p in ds["programme"].values if p in own]
        assert absent and (ps.sel(scenario="laissez_faire", programme=absent) == 0).all()
        assert (ds["member_ok"] == 1).all()
        # member k of every scenario is SeedSequence(7).spawn(3)[k] (common random numbers)
        _assert_member_equals(ds, "laissez_faire", 2, _direct("laissez_faire", 7, 2))
        _assert_member_equals(ds, "diffuse", 0, _direct("diffuse", 7, 0))
    # the header as a reader without our code sees it: netCDF4 here, ncdump where installed
    with netCDF4.Dataset(out) as nc:
        assert nc.variables["realization"].getncattr("standard_name") == "realization"
    if shutil.which("ncdump") or os.environ.get("CI"):
        header = subprocess.run(
            [system_tool("ncdump"), "-h", str(out)], capture_output=True, text=True
        )
        assert header.returncode == 0 and "realization:standard_name" in header.stdout


def test_one_and_two_workers_give_identical_members(two_workers, tmp_path, monkeypatch):
    # the two-worker ensemble is the command's (the fixture): one local cluster fewer to start
    r, two = two_workers
    assert r.exit_code == 0, r.output + r.stderr
    # the one-worker members run their kernels on two threads at this coarse scale (the limit
    # of abm.model_args.effective_threads lifted in the workers' environment): the same bits
    monkeypatch.setenv("ABM_THREADS_FROM_SCALE", "inf")
    kw = {"runs": 3, "root_seed": 7, "quarters": Q, "scale": SCALE}
    one = run_ensemble(
        ["diffuse", "laissez_faire"], workers=1, threads=2, output=tmp_path / "1.nc",
        keep_parts=True, **kw,
    )  # fmt: skip
    assert one.workers == 1 and "on 2 worker(s)" in r.stdout
    with xr.open_dataset(one.path) as a, xr.open_dataset(two) as b:
        _assert_same_members(a, b)
    # numba threads per worker were set explicitly (NUMBA_NUM_THREADS and set_num_threads), and
    # the members' kernels used them
    shard = next((tmp_path / "1.nc.parts").glob("*.nc"))
    with netCDF4.Dataset(shard) as nc:
        assert nc.getncattr("ensemble_numba_threads") == 2
        assert nc.getncattr("ensemble_numba_max_threads") == 2


def test_existing_scheduler_by_address(scheduler, tmp_path):
    out = tmp_path / "s.nc"
    r = _invoke(["laissez_faire", "--runs", "3", "--scheduler", scheduler, "-o", str(out), *TINY])
    assert r.exit_code == 0, r.output + r.stderr
    assert "on 2 worker(s)" in r.stdout
    with xr.open_dataset(out) as ds:
        _assert_member_equals(ds, "laissez_faire", 1, _direct("laissez_faire", 1, 1))


def test_workers_run_members_without_dasks_statistical_profiler(tmp_path, monkeypatch):
    """dask's profiler (on by default in a worker) walks the member's stack every 10 ms; the
    ensemble's worker plugin stops it, unless ABM_DASK_PROFILER=1, and the members stay the
    same."""
    from distributed import Client, LocalCluster

    def profiling(dask_worker) -> bool:  # noqa: ANN001 - client.run's worker argument
        return "profile" in dask_worker.periodic_callbacks

    monkeypatch.delenv(worker.KEEP_PROFILER_ENV, raising=False)
    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as lc, Client(lc) as c:  # fmt: skip
        assert list(c.run(profiling).values()) == [True]
        res = run_ensemble(
            "diffuse", runs=2, root_seed=3, quarters=Q, scale=SCALE, output=tmp_path / "p.nc",
            scheduler=lc.scheduler_address,
        )  # fmt: skip
        assert list(c.run(profiling).values()) == [False]
    assert res.ok and res.computed == 2
    with xr.open_dataset(tmp_path / "p.nc") as ds:
        _assert_member_equals(ds, "diffuse", 1, _direct("diffuse", 3, 1))


def test_stop_profiler_removes_only_the_profilers_callbacks():
    class Callback:
        stopped = False

        def stop(self) -> None:
            self.stopped = True

    class Worker:
        def __init__(self) -> None:
            self.periodic_callbacks = {
                "profile": Callback(), "profile-cycle": Callback(), "heartbeat": Callback()
            }  # fmt: skip

    w = Worker()
    pcs = dict(w.periodic_callbacks)
    assert worker.stop_profiler(w)
    assert pcs["profile"].stopped and pcs["profile-cycle"].stopped
    assert list(w.periodic_callbacks) == ["heartbeat"] and not pcs["heartbeat"].stopped
    assert not worker.stop_profiler(w)  # nothing left to stop
    assert not worker.stop_profiler(object())  # not a dask worker


def test_abm_dask_profiler_1_keeps_the_profiler_where_the_ensemble_starts(monkeypatch):
    """The switch is read on the driver: by the worker plugin when it is made, and for the local
    cluster's workers in the dask configuration they are started with."""
    import dask

    from abm.ensemble.cluster import _worker_env

    monkeypatch.delenv(worker.KEEP_PROFILER_ENV, raising=False)
    with _worker_env(1):
        assert dask.config.get("distributed.worker.profile.enabled") is False
    assert not worker.WorkerSetup(load_scenario("diffuse"), 1).keep_profiler
    monkeypatch.setenv(worker.KEEP_PROFILER_ENV, "1")
    with _worker_env(1):
        assert dask.config.get("distributed.worker.profile.enabled") is True
    assert worker.WorkerSetup(load_scenario("diffuse"), 1).keep_profiler


# ----------------------------------------------------------------------------- failures
def test_failing_member_is_retried_then_reported_while_the_rest_complete(
    scheduler, tmp_path, monkeypatch
):
    out = tmp_path / "f.nc"
    hook = failing_members({("diffuse", 1)}, {("laissez_faire", 2)}, tmp_path / "marks")
    args = ["diffuse", "laissez_faire", "--runs", "3", "--scheduler", scheduler, "-o", str(out),
            *TINY]  # fmt: skip
    with monkeypatch.context() as m:
        m.setattr(worker, "run_member", hook)
        r = _invoke(args)
    assert r.exit_code == 3, r.output + r.stderr
    assert "1 member(s) failed" in r.stdout
    line = next(ln for ln in r.stdout.splitlines() if "diffuse realization 1" in ln)
    assert "SeedSequence(1, spawn_key=(1,))" in line and "failed 3 times" in line
    assert "InjectedFailure" in line
    with xr.open_dataset(out) as ds:
        fails = json.loads(ds.attrs["failures"])
        assert [(f["scenario"], f["realization"], f["attempts"]) for f in fails] == [
            ("diffuse", 1, 3)
        ]
        assert fails[0]["seed"] == "SeedSequence(1, spawn_key=(1,))"
        assert ds.attrs["members_failed"] == 1
        ok = ds["member_ok"].values
        assert ok.tolist() == [[1, 0, 1], [1, 1, 1]]
        assert np.isnan(ds["gdp"].sel(scenario="diffuse", realization=1)).all()
        # the member that failed once was retried and is right
        _assert_member_equals(ds, "laissez_faire", 2, _direct("laissez_faire", 1, 2))
    assert (tmp_path / "f.nc.parts").is_dir()  # kept so --resume redoes only the failed member
    r2 = _invoke([*args, "--resume"])
    assert r2.exit_code == 0, r2.output + r2.stderr
    assert "1 computed" in r2.stdout and "5 kept from an earlier run" in r2.stdout
    assert not (tmp_path / "f.nc.parts").exists()
    with xr.open_dataset(out) as ds:
        assert (ds["member_ok"] == 1).all() and json.loads(ds.attrs["failures"]) == []
        _assert_member_equals(ds, "diffuse", 1, _direct("diffuse", 1, 1))
    r3 = _invoke([*args, "--resume"])  # a finished ensemble: nothing to do (batch resubmits)
    assert r3.exit_code == 0 and "already complete" in r3.stderr and "0 computed" in r3.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["atlantis"], "unknown scenario 'atlantis'"),
        (["diffuse", "--runs", "0"], "--runs"),
        (["diffuse", "--runs", "many"], "'many' is not a valid integer"),
        (["diffuse", "--seed", "-1"], "--seed"),
        (["diffuse", "--sweep", "rd.sigma"], "--sweep rd.sigma"),
        (["diffuse", "--sweep", "rd.sigma=1,x"], "expected KEY=V1,V2"),
        (["diffuse", "--sweep", "rd.nonsense=1,2"], "not a calibration parameter"),
        (["diffuse", "--sweep", "niches.niche_share[atlantis]=0.1"], "unknown element 'atlantis'"),
        (["diffuse", "--sample", "sobol", "--samples", "4"], "no [uncertain] table"),
        (["diffuse", "--sample", "grid"], "allowed: lhs, sobol"),
        (["diffuse", "diffuse"], "given twice"),
        (["diffuse", "--cluster", "slurm"], "needs --cores and --memory"),
        (["diffuse", "--quarters", "zero"], "--quarters"),
        (["diffuse", "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1.5"],
         "cannot reach a dask scheduler at tcp://127.0.0.1:9 within 1.5 s"),
    ],
    ids=["unknown-scenario", "runs-0", "runs-text", "negative-seed", "sweep-no-values",
         "sweep-bad-value", "sweep-unknown-key", "sweep-unknown-element", "sample-no-uncertain",
         "sample-unknown-method", "duplicate-scenario", "slurm-without-resources",
         "quarters-text", "unreachable-scheduler"],
)  # fmt: skip
def test_bad_input_one_line_error_status_2_and_no_files(tmp_path, args, needle):
    out = tmp_path / "bad.nc"
    t0 = time.monotonic()
    r = CliRunner().invoke(ensemble_cmd, [*args, "-o", str(out), "--no-progress"])
    assert r.exit_code == 2, r.output + r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0], r.stderr
    assert list(tmp_path.iterdir()) == []  # no final file, no shard folder
    assert time.monotonic() - t0 < 15


def test_python_api_rejects_bad_input_before_running():
    with pytest.raises(EnsembleInputError, match="--runs"):
        run_ensemble("diffuse", runs=0)
    with pytest.raises(EnsembleInputError, match="cannot be combined"):
        run_ensemble("diffuse", sweep=["rd.sigma=1,2"], sample="lhs", samples=4)


# ----------------------------------------------------------------------------- resume
def test_resume_keeps_valid_shards_and_redoes_corrupt_ones(scheduler, tmp_path):
    out = tmp_path / "r.nc"
    kw = {"runs": 6, "root_seed": 5, "quarters": Q, "scale": SCALE, "scheduler": scheduler}
    first = run_ensemble("diffuse", output=out, keep_parts=True, **kw)
    assert first.ok and first.computed == 6, first.failures  # (which member failed, and why)
    ref = xr.load_dataset(out)
    out.unlink()
    parts = sorted((tmp_path / "r.nc.parts").glob("*.nc"))
    assert len(parts) == 6, [p.name for p in (tmp_path / "r.nc.parts").iterdir()]
    parts[0].write_bytes(parts[0].read_bytes()[: parts[0].stat().st_size // 2])  # truncated
    parts[1].write_bytes(b"not a netcdf file")  # garbage
    parts[2].unlink()  # missing
    with netCDF4.Dataset(parts[3], "a") as nc:  # wrong member metadata
        nc.setncattr("ensemble_member", np.int64(4))
    (tmp_path / "r.nc.parts" / ".s000_r0000005_diffuse.nc.x.tmp").write_bytes(b"")  # stale temp
    notes: list[str] = []
    again = run_ensemble("diffuse", output=out, resume=True, log=notes.append, **kw)
    assert (again.reused, again.computed) == (2, 4)
    assert sum("redoing it" in n for n in notes) == 3
    assert not (tmp_path / "r.nc.parts").exists()
    with xr.open_dataset(out) as ds:
        _assert_same_members(ds, ref)
        assert sorted(ds["member"].values.tolist()) == list(range(6))


def test_resume_refuses_a_different_ensemble_and_a_fresh_run_refuses_old_shards(
    scheduler, tmp_path
):
    out = tmp_path / "d.nc"
    base = ["diffuse", "--scheduler", scheduler, "-o", str(out), *TINY]
    r = _invoke([*base, "--runs", "2", "--keep-parts"])
    assert r.exit_code == 0, r.output + r.stderr
    r = _invoke([*base, "--runs", "2"])
    assert r.exit_code == 2 and "pass --resume" in r.stderr
    r = _invoke([*base, "--runs", "3", "--resume"])
    assert r.exit_code == 2 and "different ensemble (differs in: runs)" in r.stderr


def _gone(pid: int, timeout: float = 20.0) -> bool:
    """Whether process ``pid`` is dead within ``timeout`` s: gone, or a zombie its parent (the
    nanny) has not reaped yet, which ``psutil.pid_exists`` still counts on a loaded machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_sigkill_of_a_worker_mid_run_loses_nothing(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    monkeypatch.setattr(worker, "run_member", slow_members(0.3))
    out = tmp_path / "k.nc"
    parts = tmp_path / "k.nc.parts"
    killed: list[int] = []
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as lc, Client(lc) as c:  # fmt: skip
        pids = list(c.run(os.getpid).values())

        def killer() -> None:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(list(parts.glob("*.nc"))) < 2:
                time.sleep(0.05)
            os.kill(pids[0], signal.SIGKILL)  # while both workers hold a sleeping member
            killed.append(pids[0])

        t = threading.Thread(target=killer)
        t.start()
        res = run_ensemble(
            "diffuse", runs=10, root_seed=2, quarters=Q, scale=SCALE, output=out,
            scheduler=lc.scheduler_address,
        )  # fmt: skip
        t.join()
        assert killed and _gone(killed[0])
        assert pids[0] not in c.run(os.getpid).values()  # the nanny started a new worker
    # every member exactly once
    assert res.ok and res.computed == 10, [f.describe() for f in res.failures]
    with xr.open_dataset(out) as ds:
        assert ds["member"].values.tolist() == list(range(10))
        for k in range(10):
            _assert_member_equals(ds, "diffuse", k, _direct("diffuse", 2, k))


def test_killing_the_driver_then_resume_gives_every_member_once(scheduler, stop_tree, tmp_path):
    out = tmp_path / "kd.nc"
    parts = tmp_path / "kd.nc.parts"
    args = ["laissez_faire", "--runs", "12", "--seed", "4", "-o", str(out), *TINY]
    driver = subprocess.Popen(
        [*slow_driver(tmp_path, 0.3), *args, "--workers", "2"],
        cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(parts.glob("*.nc"))) < 3:
            time.sleep(0.05)
        children = psutil.Process(driver.pid).children(recursive=True)
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
        _, alive = psutil.wait_procs(children, timeout=20)  # its workers notice and exit
        assert not alive
    finally:
        stop_tree(driver)
    saved = len(list(parts.glob("*.nc")))
    assert 3 <= saved < 12 and not out.exists()
    r = _invoke([*args, "--resume", "--scheduler", scheduler])
    assert r.exit_code == 0, r.output + r.stderr
    assert f"{12 - saved} computed" in r.stdout
    with xr.open_dataset(out) as ds:
        assert ds["member"].values.tolist() == list(range(12))
        assert (ds["member_ok"] == 1).all()
        for k in range(12):
            _assert_member_equals(ds, "laissez_faire", k, _direct("laissez_faire", 4, k))


# ----------------------------------------------------------------------------- sweeps, samples
def test_sweep_grid_gives_parameter_coordinates_and_shared_seeds(scheduler, tmp_path):
    out = tmp_path / "g.nc"
    r = _invoke(["diffuse", "--runs", "2", "--sweep", "rd.sigma=0,2",
                 "--sweep", "niches.niche_share[semiconductors]=0.1,0.5",
                 "--scheduler", scheduler, "-o", str(out), *TINY])  # fmt: skip
    assert r.exit_code == 0, r.output + r.stderr
    with xr.open_dataset(out) as ds:
        assert ds.sizes["realization"] == 8  # 2 x 2 grid points x 2 member seeds
        sig = ds["param_rd__sigma"].values.tolist()
        niche = ds["param_niches__niche_share__semiconductors"].values.tolist()
        assert sig == [0, 0, 0, 0, 2, 2, 2, 2] and niche == [0.1, 0.1, 0.5, 0.5] * 2
        assert ds["point"].values.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
        assert ds["member"].values.tolist() == [0, 1] * 4
        assert json.loads(ds.attrs["parameters"])["rd.sigma"] == "param_rd__sigma"
        assert json.loads(ds.attrs["sweep"]) == {
            "rd.sigma": [0.0, 2.0],
            "niches.niche_share[semiconductors]": [0.1, 0.5],
        }
        # realization 7: point 3 (sigma 2, semiconductors niche share 0.5), member seed 1
        niche_share = load_scenario("diffuse").calibration()["niches.niche_share"].copy()
        niche_share[0] = 0.5
        ref = _direct("diffuse", 1, 1, **{"rd.sigma": 2.0, "niches.niche_share": list(niche_share)})
        _assert_member_equals(ds, "diffuse", 7, ref)
        gdp = ds["gdp_real"].sel(scenario="diffuse")
        assert not np.array_equal(gdp.isel(realization=1), gdp.isel(realization=7))


def test_sobol_and_lhs_samples_cover_the_uncertain_ranges(scheduler, tmp_path):
    from SALib.sample import latin, sobol

    toml = tmp_path / "unc.toml"
    toml.write_text(
        'name = "unc"\nextends = "diffuse"\n[uncertain]\n'
        '"rd.sigma" = [0.0, 2.0]\n"labour.quit_rate" = [0.01, 0.04]\n'
    )
    kw = {"root_seed": 9, "quarters": 1, "scale": SCALE, "scheduler": scheduler}
    res = run_ensemble(
        [str(toml)], sample="sobol", samples=2, calc_second_order=False,
        output=tmp_path / "sob.nc", **kw,
    )  # fmt: skip
    problem = {"num_vars": 2, "names": ["labour.quit_rate", "rd.sigma"],
               "bounds": [[0.01, 0.04], [0.0, 2.0]]}  # fmt: skip
    x = sobol.sample(problem, 2, calc_second_order=False, seed=9)
    with res.open() as ds:
        assert ds.sizes["realization"] == 2 * (2 + 2) == len(x)
        np.testing.assert_array_equal(ds["param_labour__quit_rate"].values, x[:, 0])
        np.testing.assert_array_equal(ds["param_rd__sigma"].values, x[:, 1])
        design = json.loads(ds.attrs["sample"])
        assert design["method"] == "sobol" and design["problem"] == problem
        assert not np.isnan(ds["gdp"].values).any()
    res = run_ensemble([str(toml)], runs=2, sample="lhs", samples=3,
                       output=tmp_path / "lhs.nc", **kw)  # fmt: skip
    x = latin.sample(problem, 3, seed=9)
    with res.open() as ds:
        assert ds.sizes["realization"] == 6 and ds["member"].values.tolist() == [0, 1] * 3
        np.testing.assert_array_equal(ds["param_rd__sigma"].values, np.repeat(x[:, 1], 2))
        # Latin hypercube: one point in each third of every range
        thirds = np.floor((x[:, 1] - 0.0) / (2.0 / 3)).astype(int)
        assert sorted(thirds.tolist()) == [0, 1, 2]


def test_sobol_needs_a_power_of_two(tmp_path):
    toml = tmp_path / "u.toml"
    toml.write_text('name = "u"\nextends = "diffuse"\n[uncertain]\n"rd.sigma" = [0.0, 2.0]\n')
    with pytest.raises(EnsembleInputError, match="power of 2 .got 6; try 4 or 8"):
        run_ensemble([str(toml)], sample="sobol", samples=6)


# ----------------------------------------------------------------------------- HPC
def test_slurm_and_pbs_job_scripts_are_what_an_admin_expects():
    loopback = {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"}
    kw = {"cores": 32, "memory": "64GB", "walltime": "04:00:00", "queue": "thin",
          "account": "proj42", "scheduler_options": loopback}  # fmt: skip
    slurm = make_jobqueue_cluster("slurm", **kw)
    try:
        s = slurm.job_script()
    finally:
        slurm.close()
    for line in ("#SBATCH -J abm-ensemble", "#SBATCH -p thin", "#SBATCH -A proj42",
                 "#SBATCH -n 1", "#SBATCH --cpus-per-task=32", "#SBATCH --mem=60G",
                 "#SBATCH -t 04:00:00", "export NUMBA_NUM_THREADS=1"):  # fmt: skip
        assert line in s, line
    worker = next(ln for ln in s.splitlines() if "dask_worker" in ln or "dask worker" in ln)
    assert "tcp://127.0.0.1:" in worker
    assert "--nthreads 1" in worker and "--nworkers 32" in worker and "--memory-limit" in worker
    assert "--lifetime 14100s" in worker and "--lifetime-stagger 240s" in worker
    assert s.index("abm.ensemble warm-up") < s.index(worker)  # cache built before workers
    pbs = make_jobqueue_cluster("pbs", threads=4, **kw)
    try:
        p = pbs.job_script()
    finally:
        pbs.close()
    for line in ("#PBS -N abm-ensemble", "#PBS -q thin", "#PBS -A proj42",
                 "#PBS -l select=1:ncpus=32:mem=60GB", "#PBS -l walltime=04:00:00",
                 "export NUMBA_NUM_THREADS=4"):  # fmt: skip
        assert line in p, line
    worker = next(ln for ln in p.splitlines() if "dask_worker" in ln or "dask worker" in ln)
    assert "--nthreads 1" in worker and "--nworkers 8" in worker  # 8 workers x 4 numba threads
    # the command prints the same script (with a placeholder scheduler address)
    r = _invoke(["diffuse", "--cluster", "slurm", "--cores", "32", "--memory", "64GB",
                 "--walltime", "04:00:00", "--queue", "thin", "--account", "proj42",
                 "--print-job-script"])  # fmt: skip
    assert (
        r.exit_code == 0
        and r.stdout.strip()
        == job_script(
            "slurm", cores=32, memory="64GB", walltime="04:00:00", queue="thin", account="proj42"
        ).strip()
    )
    assert "#SBATCH --cpus-per-task=32" in r.stdout


@pytest.mark.parametrize(
    ("script", "cpus"), [("slurm_ensemble.sh", "SLURM_CPUS_PER_TASK"), ("pbs_ensemble.sh", "NCPUS")]
)
def test_batch_scripts_are_valid_bash_and_run_the_driver(script, cpus, tmp_path):
    path = ROOT / "scripts" / script
    body = ROOT / "scripts" / "ensemble_job.sh"
    for f in (path, body):
        assert subprocess.run(["bash", "-n", str(f)]).returncode == 0
        if shutil.which("shellcheck"):
            assert subprocess.run(["shellcheck", "-x", str(f)], cwd=ROOT).returncode == 0
    assert ("#SBATCH" if script.startswith("slurm") else "#PBS") in path.read_text()
    assert "ensemble_job.sh" in path.read_text()  # the two scripts share one body
    assert os.access(path, os.X_OK)
    # run it with an `abm` that prints its arguments, from the repository's root
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "abm").write_text('#!/usr/bin/env bash\necho "$@"\n')
    (fake / "abm").chmod(0o755)
    kind = "slurm" if script.startswith("slurm") else "pbs"
    env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}", "RUNS": "20", "ACCOUNT": "p42"}
    out = subprocess.run(["bash", str(path)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        "ensemble", "diffuse", "focused", "--runs", "20", "--seed", "1", "-o",
        "outputs/ensemble.nc", "--threads", "1", "--resume", "--no-progress", "--cluster", kind,
        "--jobs", "4", "--cores", "32", "--memory", "64GB", "--walltime", "04:00:00",
        "--account", "p42",
    ]  # fmt: skip
    local = {**env, "MODE": "local", cpus: "6", "THREADS": "2"}
    out = subprocess.run(["bash", str(path)], cwd=ROOT, env=local, capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.split()[-2:] == ["--workers", "3"], out.stderr


# ----------------------------------------------------------------------------- issue #17
def test_abm_run_by_root_seed_and_member_is_that_member_bit_for_bit(scheduler, tmp_path):
    from abm.cli import main

    ens = tmp_path / "e.nc"
    r = _invoke(["laissez_faire", "diffuse", "--runs", "3", "--seed", "7", "--scheduler",
                 scheduler, "-o", str(ens), *TINY])  # fmt: skip
    assert r.exit_code == 0, r.output + r.stderr
    with xr.open_dataset(ens) as e:
        for name, k in (("diffuse", 2), ("laissez_faire", 0)):
            one = tmp_path / f"{name}{k}.nc"
            args = ["run", name, "--root-seed", "7", "--member", str(k), "-o", str(one), *TINY]
            rr = CliRunner().invoke(main, args)
            assert rr.exit_code == 0, rr.output
            with xr.open_dataset(one) as single:
                assert "realization" not in single.dims
                assert (single.attrs["root_seed"], single.attrs["member"]) == (7, k)
                _assert_member_equals(e, name, k, single)


def _bare_path(tmp_path: Path, *extra: Path) -> str:
    """A PATH with this Python's folder and the system's, without sbatch or qsub."""
    if shutil.which("sbatch") or shutil.which("qsub"):
        pytest.skip("this machine has a batch system")
    return os.pathsep.join([*(str(p) for p in extra), str(Path(sys.executable).parent),
                            "/usr/bin", "/bin"])  # fmt: skip


@pytest.mark.parametrize(
    ("cluster", "submit"),
    [("slurm", None), ("slurm", "refuses"), ("slurm", "no-job-id"), ("pbs", None)],
)
def test_a_cluster_that_cannot_start_fails_fast_with_one_line_and_no_files(
    tmp_path, cluster, submit
):
    fake = tmp_path / "bin"
    fake.mkdir()
    if submit == "refuses":
        (fake / "sbatch").write_text(
            '#!/bin/sh\necho "sbatch: error: Batch job submission failed: Invalid account" >&2\n'
            "exit 1\n"
        )
    elif submit == "no-job-id":
        (fake / "sbatch").write_text("#!/bin/sh\necho 'queued, maybe'\n")
    for f in fake.iterdir():
        f.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PATH": _bare_path(tmp_path, fake)}
    cmd = [sys.executable, "-m", "abm.cli", "ensemble", "diffuse", "--runs", "2", "--cluster",
           cluster, "--jobs", "1", "--cores", "2", "--memory", "4GB", *TINY]  # fmt: skip
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    assert p.returncode == 2, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: option '--cluster {cluster}': "), (
        p.stderr
    )
    submitter = {"slurm": "sbatch", "pbs": "qsub"}[cluster]
    need = {None: f"'{submitter}' is not on PATH", "refuses": "Invalid account",
            "no-job-id": "Could not parse job id"}[submit]  # fmt: skip
    assert need in lines[0]
    assert list(work.iterdir()) == []  # no outputs/, no shards
    assert took < 10 if submit is None else took < 30, took


def test_sigint_stops_the_ensemble_and_resume_gives_the_uninterrupted_results(
    scheduler, stop_tree, tmp_path
):
    out = tmp_path / "i.nc"
    parts = tmp_path / "i.nc.parts"
    args = ["laissez_faire", "--runs", "10", "--seed", "6", "-o", str(out), *TINY]
    driver = subprocess.Popen(
        [*slow_driver(tmp_path, 0.3), *args, "--workers", "2"],
        cwd=tmp_path, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(list(parts.glob("*.nc"))) < 3:
            time.sleep(0.05)
        children = psutil.Process(driver.pid).children(recursive=True)
        os.killpg(driver.pid, signal.SIGINT)  # Ctrl-C: the whole foreground group gets it
        _, err = driver.communicate(timeout=60)
        _, alive = psutil.wait_procs(children, timeout=20)
        assert not alive  # the workers are stopped
    finally:
        stop_tree(driver)
    assert driver.returncode == 130, err
    assert "Traceback" not in err
    saved = len(list(parts.glob("*.nc")))
    assert f"interrupted: {saved} of 10 members saved in" in err and "--resume" in err
    assert 3 <= saved < 10 and not out.exists()
    assert not list(tmp_path.glob(".*.tmp")) and not list(parts.glob(".*.tmp"))
    r = _invoke([*args, "--resume", "--scheduler", scheduler])
    assert r.exit_code == 0, r.output + r.stderr
    assert f"{10 - saved} computed" in r.stdout
    whole = run_ensemble("laissez_faire", runs=10, root_seed=6, quarters=Q, scale=SCALE,
                         scheduler=scheduler, output=tmp_path / "whole.nc")  # fmt: skip
    with xr.open_dataset(out) as resumed, xr.open_dataset(whole.path) as ref:
        _assert_same_members(resumed, ref)
        assert (resumed["member_ok"] == 1).all()


def test_sigterm_to_the_driver_alone_stops_its_workers_and_keeps_the_shards(stop_tree, tmp_path):
    # a batch system's `scancel`/`kill PID`: only the driver is signalled, it stops the workers
    out = tmp_path / "t.nc"
    parts = tmp_path / "t.nc.parts"
    args = ["laissez_faire", "--runs", "8", "--seed", "6", "-o", str(out), *TINY]
    driver = subprocess.Popen(
        [*slow_driver(tmp_path, 0.5), *args, "--workers", "2"],
        cwd=tmp_path, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(list(parts.glob("*.nc"))) < 2:
            time.sleep(0.05)
        children = psutil.Process(driver.pid).children(recursive=True)
        assert children  # the local cluster's worker processes
        driver.send_signal(signal.SIGTERM)
        _, err = driver.communicate(timeout=60)
        _, alive = psutil.wait_procs(children, timeout=20)
        assert not alive  # the workers are stopped
    finally:
        stop_tree(driver)
    assert driver.returncode == 130, err
    assert "Traceback" not in err
    saved = len(list(parts.glob("*.nc")))
    assert f"interrupted: {saved} of 8 members saved in" in err and "--resume" in err
    assert 2 <= saved < 8 and not out.exists()
    assert not list(tmp_path.glob(".*.tmp")) and not list(parts.glob(".*.tmp"))


@pytest.mark.parametrize("pool_started", [False, True])
def test_pin_numba_threads_keeps_the_variable_equal_to_numbas_pool(pool_started):
    """A worker without ``NUMBA_NUM_THREADS`` gets one that numba's pool agrees with, so a
    kernel compiled later (numba rereads the variable then) does not raise: ``threads`` before
    the pool starts, the pool's size after."""
    code = (
        "import os\n"
        "os.environ.pop('NUMBA_NUM_THREADS', None)\n"
        "import numba\n"
        f"if {pool_started}: numba.get_num_threads()  # starts the pool\n"
        "from abm.ensemble.worker import pin_numba_threads\n"
        "pin_numba_threads(1)\n"
        "numba.get_num_threads()  # the pool starts (if it has not)\n"
        "numba.config.reload_config()  # what a compile does: raises on a mismatch\n"
        "print(os.environ['NUMBA_NUM_THREADS'], numba.config.NUMBA_NUM_THREADS)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_NUM_THREADS"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    var, size = out.stdout.split()
    assert var == size
    if not pool_started:
        assert var == "1"
