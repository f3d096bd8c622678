"""``abm validate --baseline`` (issue #10) and ``--literature`` (issue #11)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from click.testing import CliRunner

from abm import EconomyModel
from abm.analysis.baseline import annual, rd_composition
from abm.cli import main


def test_baseline_command_prints_every_anchor_and_exits_by_them(tmp_path):
    out = tmp_path / "baseline.csv"
    r = CliRunner().invoke(
        main,
        [
            "validate",
            "--baseline",
            "--runs",
            "2",
            "--scale",
            "5000",
            "--csv",
            str(out),
            "--no-progress",
        ],
    )
    table = pd.read_csv(out)
    assert set(table.scenario) == {"laissez_faire", "diffuse"}
    for text in ("GDP-deflator inflation 2027-2040", "unemployment 2026-2030", "debt 2030"):
        assert table.check.str.startswith(text).sum() == 2
    assert "exports over GDP change 2026-2040 (pp)" in set(table.check)
    assert "composition" in r.output
    assert r.exit_code == (0 if table.holds.all() else 1), r.output


def test_baseline_refuses_a_scenario_and_validate_needs_one():
    r = CliRunner().invoke(main, ["validate", "--baseline", "diffuse"])
    assert r.exit_code == 2 and "give no SCENARIO" in r.output
    r = CliRunner().invoke(main, ["validate"])
    assert r.exit_code == 2 and "SCENARIO" in r.output


def test_rd_change_splits_exactly_into_composition_and_within():
    ds = EconomyModel("diffuse", seed=3, scale=5000, quarters=12).run().to_dataset()
    split = rd_composition(ds, 2026, 2028)
    assert np.isclose(split["change_pp"], split["composition_pp"] + split["within_pp"])
    frame = annual(ds)
    assert list(frame.index) == [2026, 2027, 2028]
    # yearly rates on calendar-year values: growth of summed real GDP
    real = ds["gdp_real"].groupby("time.year").sum().values
    assert np.isclose(frame.loc[2027, "growth"], 100 * (real[1] / real[0] - 1))


def test_literature_table_runs_its_experiments_and_exits_by_the_banded_rows(tmp_path):
    out = tmp_path / "literature.csv"
    r = CliRunner().invoke(
        main,
        [
            "validate",
            "--literature",
            "--runs",
            "2",
            "--scale",
            "5000",
            "--csv",
            str(out),
            "--no-progress",
        ],
    )
    table = pd.read_csv(out, keep_default_na=False)
    findings = " ".join(table.finding)
    for text in (
        "per euro of R&D tax credit",
        "government-funded business R&D",
        "talent",
        "defence",
        "high-skill wage",
        "social return",
        "mission_agency",
    ):
        assert text in findings, text
    banded = table[table.band != ""]
    assert len(banded) >= 4 and set(banded.holds) <= {"yes", "NO"}
    assert (table[table.band == ""].holds == "").all()
    assert r.exit_code == (0 if (banded.holds == "yes").all() else 1), r.output
