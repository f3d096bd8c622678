"""`abm validate`: the table of calibration targets, accounting and stylized facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from abm.cli import main
from abm.validate import baxter_king, validate


def test_baxter_king_keeps_business_cycles_and_removes_trends():
    t = np.arange(400)
    cycle = np.sin(2 * np.pi * t / 16)
    slow = np.sin(2 * np.pi * t / 200)
    trend = 0.01 * t
    fast = np.sin(2 * np.pi * t / 3)
    out = baxter_king(cycle + slow + trend + fast)
    kept = baxter_king(cycle)
    assert out.size == 400 - 24
    assert np.std(out - kept) < 0.1 * np.std(kept)
    assert np.std(kept) > 0.6  # a 16-quarter cycle passes (sd of a sine is 0.707)
    with pytest.raises(ValueError, match="too short"):
        baxter_king(np.ones(20))


def test_validate_reports_every_check_with_its_statistic():
    report = validate("diffuse", runs=1, seed=3, quarters=48, scale=2000)
    df = report.to_frame()
    assert set(df["kind"]) == {"accounting", "calibration", "stylized fact"}
    assert df.loc[df["kind"] == "accounting", "holds"].all()
    names = " ".join(df["name"])
    for fact in (
        "sd(I)/sd(Y)",
        "sd(C)/sd(Y)",
        "corr(E, Y)",
        "corr(u, Y)",
        "skewness",
        "kurtosis",
        "dispersion",
        "lumpy",
    ):
        assert fact in names
    assert np.isfinite(df["statistic"]).all()
    assert report.ok == bool(df.loc[df["kind"] != "stylized fact", "holds"].all())
    assert "GDP 2026Q1" in report.to_text()


def test_validate_command_prints_the_table_and_sets_the_exit_status(tmp_path):
    out = tmp_path / "v.csv"
    r = CliRunner().invoke(
        main,
        [
            "validate",
            "diffuse",
            "--runs",
            "1",
            "--quarters",
            "44",
            "--scale",
            "2000",
            "--csv",
            str(out),
            "--no-progress",
        ],
    )
    assert r.exit_code in (0, 1), r.output
    table = pd.read_csv(out)
    assert (r.exit_code == 0) == bool(table.loc[table["kind"] != "stylized fact", "holds"].all())
    assert "unemployment rate" in r.output and "holds" in r.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["validate", "diffuse", "--runs", "0"], "--runs"),
        (["validate", "diffuse", "--quarters", "10"], "--quarters"),
        (["validate", "nowhere"], "unknown scenario 'nowhere'"),
    ],
)
def test_validate_bad_input(args, needle):
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 2 and needle in r.output
