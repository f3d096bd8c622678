"""Slow ensemble cases (``pytest -m slow``): the issue's acceptance run at the default scale,
Ctrl-C / SIGTERM of the driver, workers retiring at their lifetime, and bounded driver memory."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time

import cloudpickle
import numpy as np
import psutil
import pytest
import xarray as xr
from click.testing import CliRunner

from abm import EconomyModel
from abm.cli.ensemble import ensemble_cmd
from abm.ensemble import run_ensemble, worker

pytestmark = pytest.mark.slow
# the test hooks below are shipped to the dask workers by value (they are not importable there)
cloudpickle.register_pickle_by_value(sys.modules[__name__])

Q, SCALE = 2, 4000.0
TINY = ["--quarters", str(Q), "--scale", str(int(SCALE)), "--no-progress"]


def _direct(scenario: str, root: int, k: int) -> xr.Dataset:
    seed = np.random.SeedSequence(root).spawn(k + 1)[k]
    return EconomyModel(scenario, seed, quarters=Q, scale=SCALE).run().to_dataset()


def _check_members(ds: xr.Dataset, scenario: str, root: int, n: int) -> None:
    assert ds["member"].values.tolist() == list(range(n))
    assert (ds["member_ok"] == 1).all()
    for k in range(n):
        ref = _direct(scenario, root, k)
        one = ds.sel(scenario=scenario, realization=k)
        for v in ("gdp", "gdp_real", "value_added", "employment", "programme_spending"):
            got = one[v]
            if "programme" in got.dims:
                got = got.sel(programme=ref["programme"].values)
            np.testing.assert_array_equal(got.values, ref[v].values, err_msg=v)


def slow_members(seconds: float):  # noqa: ANN201 - a replacement of worker.run_member
    """Every member sleeps first (so a test can interrupt the run, or workers retire, mid-way)."""
    real = worker.run_member

    def member(task):  # noqa: ANN001, ANN202
        time.sleep(seconds)
        return real(task)

    return member


def slow_driver(tmp_path, seconds: float) -> list[str]:  # noqa: ANN001
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


def _stop(proc: subprocess.Popen) -> None:
    kids = []
    with contextlib.suppress(psutil.Error):
        kids = psutil.Process(proc.pid).children(recursive=True)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    psutil.wait_procs(kids, timeout=10)


def test_issue_acceptance_two_scenarios_fifty_runs_default_scale(tmp_path):
    out = tmp_path / "e.nc"
    r = CliRunner().invoke(
        ensemble_cmd, ["diffuse", "laissez_faire", "--runs", "50", "-o", str(out), "--no-progress"]
    )
    assert r.exit_code == 0, r.output + r.stderr
    with xr.open_dataset(out) as ds:
        assert (ds.sizes["scenario"], ds.sizes["realization"], ds.sizes["time"]) == (2, 50, 60)
        assert (ds["member_ok"] == 1).all() and not np.isnan(ds["gdp"].values).any()
    header = subprocess.run(["ncdump", "-h", str(out)], capture_output=True, text=True)
    assert header.returncode == 0 and "realization = 50" in header.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_driver_keeps_its_shards_and_resume_completes(tmp_path, sig):
    out = tmp_path / "i.nc"
    parts = tmp_path / "i.nc.parts"
    args = ["laissez_faire", "--runs", "14", "--seed", "6", "-o", str(out), "--workers", "2", *TINY]
    driver = subprocess.Popen(
        [*slow_driver(tmp_path, 0.4), *args],
        cwd=tmp_path, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(list(parts.glob("*.nc"))) < 3:
            time.sleep(0.05)
        driver.send_signal(sig)  # Ctrl-C, or a batch system's SIGTERM
        _, err = driver.communicate(timeout=60)
    finally:
        _stop(driver)
    assert driver.returncode == 130, err
    assert "run the same command with --resume" in err
    assert not out.exists() and not list(parts.glob(".*.tmp"))
    saved = len(list(parts.glob("*.nc")))
    assert 3 <= saved < 14
    r = CliRunner().invoke(ensemble_cmd, [*args, "--resume"])
    assert r.exit_code == 0, r.output + r.stderr
    assert f"{14 - saved} computed" in r.stdout
    with xr.open_dataset(out) as ds:
        _check_members(ds, "laissez_faire", 6, 14)


def test_workers_retiring_at_their_lifetime_lose_nothing(tmp_path, monkeypatch):
    """What happens on HPC at a job's walltime (--lifetime): workers leave, members move."""
    from distributed import Client, LocalCluster

    monkeypatch.setattr(worker, "run_member", slow_members(0.3))
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0",
        lifetime="3s", lifetime_stagger="1s", lifetime_restart=True,
    ) as lc, Client(lc):  # fmt: skip
        res = run_ensemble(
            "diffuse", runs=24, root_seed=8, quarters=Q, scale=SCALE, output=tmp_path / "l.nc",
            scheduler=lc.scheduler_address,
        )  # fmt: skip
    assert res.ok and res.computed == 24
    with xr.open_dataset(res.path) as ds:
        _check_members(ds, "diffuse", 8, 24)


def test_driver_memory_stays_bounded_from_100_to_1000_members(tmp_path):
    code = (
        "import sys, json\n"
        "from abm.ensemble import run_ensemble\n"
        "r = run_ensemble('diffuse', int(sys.argv[1]), quarters=4, scale=2000.0, workers=2,\n"
        "                 output=sys.argv[2], check_accounts=False)\n"
        "print(json.dumps({'peak': r.driver_peak_memory, 'computed': r.computed}))\n"
    )
    peaks = {}
    for n in (100, 1000):
        p = subprocess.run(
            [sys.executable, "-c", code, str(n), str(tmp_path / f"m{n}.nc")],
            capture_output=True, text=True, check=True, cwd=tmp_path,
        )  # fmt: skip
        res = json.loads(p.stdout.strip().splitlines()[-1])
        assert res["computed"] == n
        peaks[n] = res["peak"] / 2**20
    assert peaks[1000] - peaks[100] < 60, peaks  # MiB; members never pile up in the driver
    with xr.open_dataset(tmp_path / "m1000.nc") as ds:
        assert ds.sizes["realization"] == 1000 and (ds["member_ok"] == 1).all()
