"""Scenario comparison (issue #5): `abm compare`, `compare` and `compare_dataset`.

One tiny ensemble (3 scenarios x 6 members, 24 recorded quarters = 2026-2031 at 4000 persons per
agent) is run once through the command for the whole module; the other tests read its file.
"""

from __future__ import annotations

import math
import shutil

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from click.testing import CliRunner

from abm.analysis import innovation_budget
from abm.compare import (
    OUTCOMES,
    TABLE_COLUMNS,
    TARGET_COLUMNS,
    CompareError,
    compare,
    compare_dataset,
    paired_interval,
)
from abm.compare_cli import compare_cmd
from abm.figures import FIGURE_NAMES

SCENARIOS = ["diffuse", "focused", "laissez_faire"]
RUNS, Q, SCALE = 6, 24, 4000
TINY = ["--quarters", str(Q), "--scale", str(SCALE), "--no-progress"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """`abm compare diffuse focused laissez_faire --runs 6 ...` run once: (outdir, result)."""
    out = tmp_path_factory.mktemp("compare") / "run"
    r = CliRunner().invoke(
        compare_cmd, [*SCENARIOS, "--runs", str(RUNS), "--workers", "1", "-o", str(out), *TINY]
    )
    assert r.exit_code == 0, r.output
    return out, r


@pytest.fixture(scope="module")
def ens(run):
    """The ensemble the command ran, loaded in memory."""
    with xr.open_dataset(run[0] / "ensemble.nc") as ds:
        return ds.load()


def _member(ds: xr.Dataset, var: str, year: int) -> np.ndarray:
    """(scenario, realization) annual mean of ``var`` in ``year``, straight from the data."""
    da = ds[var].sel(time=str(year))
    assert da.sizes["time"] == 4
    return da.mean("time").transpose("scenario", "realization").values


def _row(table: pd.DataFrame, outcome: str, year: int, scenario: str) -> pd.Series:
    r = table[(table.outcome == outcome) & (table.year == year) & (table.scenario == scenario)]
    assert len(r) == 1, (outcome, year, scenario)
    return r.iloc[0]


def _one_line_error(r) -> str:  # noqa: ANN001 - click Result
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


# ----------------------------------------------------------------------------- the command
def test_command_prints_the_table_and_lists_the_files_it_wrote(run):
    out, r = run
    assert "| outcome | year | scenario | mean |" in r.stdout
    assert "industry >= 15% of GDP in 2030" in r.stdout
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("wrote ")
    files = last.removeprefix("wrote ").split(", ")
    names = {f.rsplit("/", 1)[-1] for f in files}
    assert {"ensemble.nc", "comparison.md", "comparison.csv", "targets.csv"} <= names
    assert {f"{n}.png" for n in FIGURE_NAMES} <= names
    for f in files:
        assert (out / f.rsplit("/", 1)[-1]).stat().st_size > 0
    assert not list(out.glob(".*")), "temporary files left behind"
    md = (out / "comparison.md").read_text()
    assert "difference vs diffuse" in md and "![paired_differences](paired_differences.png)" in md


def test_table_has_the_documented_columns_and_rows(run):
    table = pd.read_csv(run[0] / "comparison.csv")
    assert tuple(table.columns) == TABLE_COLUMNS
    expect = set()
    for name, o in OUTCOMES.items():
        years = (2030, 2031) if o.per_year else (2031,)
        expect |= {(name, y, s) for y in years for s in SCENARIOS}
    got = list(zip(table.outcome, table.year, table.scenario, strict=True))
    assert len(got) == len(set(got)) and set(got) == expect
    diff_cols = ["diff_mean", "diff_low", "diff_high", "unpaired_low", "unpaired_high"]
    ref = table[table.scenario == "diffuse"]
    assert ref[[*diff_cols, "prob_better"]].isna().all().all()
    others = table[(table.scenario != "diffuse")]
    against_lf = ("gdp_per_euro", "gdp_per_euro_discounted", "net_fiscal_cost")
    defined = others[~(others.outcome.isin(against_lf) & (others.scenario == "laissez_faire"))]
    assert defined[[*diff_cols, "prob_better"]].notna().all().all()
    assert (defined.diff_low <= defined.diff_mean).all()
    assert (defined.diff_mean <= defined.diff_high).all()
    finite = table.dropna(subset=["mean"])
    # only the outcomes measured against laissez_faire are undefined for laissez_faire itself
    assert len(finite) == len(table) - len(against_lf)
    assert (finite.p05 <= finite.p95).all()
    assert table.prob_better.dropna().between(0, 1).all()
    assert table.set_index("outcome").loc["gdp_real", "units"].iloc[0].startswith("EUR/year")


def test_table_values_are_the_member_statistics(run, ens):
    table = pd.read_csv(run[0] / "comparison.csv")
    gdp = 4 * _member(ens, "gdp_real", 2030)  # annual real GDP, EUR
    d = gdp[1] - gdp[0]
    row = _row(table, "gdp_real", 2030, "focused")
    assert row["mean"] == pytest.approx(gdp[1].mean(), rel=1e-12)
    assert row.p05 == pytest.approx(np.quantile(gdp[1], 0.05), rel=1e-12)
    assert row.p95 == pytest.approx(np.quantile(gdp[1], 0.95), rel=1e-12)
    assert row.diff_mean == pytest.approx(d.mean(), rel=1e-9)
    assert row.prob_better == pytest.approx(((d > 0).sum() + 0.5 * (d == 0).sum()) / RUNS)

    growth = (gdp / (4 * _member(ens, "gdp_real", 2026))) ** (1 / 4) - 1
    assert _row(table, "gdp_growth", 2030, "laissez_faire")["mean"] == pytest.approx(
        growth[2].mean(), rel=1e-9
    )
    # capital outflow: lower is better
    out = 4 * _member(ens, "capital_outflow", 2031)
    dc = out[2] - out[0]
    assert _row(table, "capital_outflow", 2031, "laissez_faire").prob_better == pytest.approx(
        ((dc < 0).sum() + 0.5 * (dc == 0).sum()) / RUNS
    )
    mig = 4 * (
        _member(ens, "high_skill_immigration", 2031) - _member(ens, "high_skill_emigration", 2031)
    )
    assert _row(table, "net_migration_high", 2031, "focused")["mean"] == pytest.approx(
        mig[1].mean(), rel=1e-9, abs=1e-6
    )
    talent = ens["talent_stock"].sel(skill="high", time="2031").mean("time").values
    assert _row(table, "talent_high", 2031, "diffuse")["mean"] == pytest.approx(talent[0].mean())
    # money and GDP per euro, 2026-2031
    money = innovation_budget(ens, 2026, 2031).transpose("scenario", "realization").values
    assert _row(table, "innovation_money", 2031, "focused")["mean"] == pytest.approx(
        money[1].mean(), rel=1e-12
    )
    assert _row(table, "innovation_money", 2031, "laissez_faire")["mean"] == 0.0
    cum = ens["gdp_real"].sum("time").transpose("scenario", "realization").values
    per_euro = (cum[0] - cum[2]) / money[0]
    assert _row(table, "gdp_per_euro", 2031, "diffuse")["mean"] == pytest.approx(
        per_euro.mean(), rel=1e-9
    )
    assert math.isnan(_row(table, "gdp_per_euro", 2031, "laissez_faire")["mean"])


def test_paired_interval_is_narrower_than_the_unpaired_one(run):
    """Common random numbers: the same member seed in both scenarios cancels shared noise."""
    table = pd.read_csv(run[0] / "comparison.csv")
    for year in (2030, 2031):
        row = _row(table, "gdp_real", year, "focused")
        paired = row.diff_high - row.diff_low
        unpaired = row.unpaired_high - row.unpaired_low
        # (about 0.7 of the unpaired width with the #10 baseline's cycles; 0.5 before)
        assert 0 < paired < 0.8 * unpaired, (year, paired, unpaired)
        assert row.unpaired_low <= row.diff_mean <= row.unpaired_high


def test_targets_table(run, ens):
    targets = pd.read_csv(run[0] / "targets.csv")
    assert tuple(targets.columns) == TARGET_COLUMNS
    assert list(zip(targets.scenario, targets.target, strict=True)) == [
        (s, t)
        for s in SCENARIOS
        for t in ("industry >= 15% of GDP in 2030", "R&D >= 3% of GDP in 2030")
    ]
    for var, threshold, text in (
        ("industry_share", 0.15, "industry >= 15% of GDP in 2030"),
        ("rd_intensity", 0.03, "R&D >= 3% of GDP in 2030"),
    ):
        x = _member(ens, var, 2030)
        for i, s in enumerate(SCENARIOS):
            r = targets[(targets.scenario == s) & (targets.target == text)].iloc[0]
            assert r.threshold == threshold
            assert r["mean"] == pytest.approx(x[i].mean(), rel=1e-12)
            assert r.share_meeting == pytest.approx((x[i] >= threshold).mean())
            assert bool(r.met) == (x[i].mean() >= threshold)


def test_figures_are_valid_pngs(run):
    for name in FIGURE_NAMES:
        path = run[0] / f"{name}.png"
        data = path.read_bytes()
        assert data[:8] == PNG and len(data) > 10_000, name
        img = matplotlib.image.imread(path)
        assert img.shape[0] > 400 and img.shape[1] > 600, (name, img.shape)
        assert img[..., :3].std() > 0.05, f"{name} looks blank"


# ----------------------------------------------------------------------------- files
def test_reading_the_ensemble_file_gives_the_same_table(run, tmp_path):
    res = compare([run[0] / "ensemble.nc"], outdir=tmp_path, figures=False, progress=False)
    assert res.scenarios == SCENARIOS
    assert res.ensemble == run[0] / "ensemble.nc"
    pd.testing.assert_frame_equal(res.table, pd.read_csv(run[0] / "comparison.csv"), rtol=1e-12)
    pd.testing.assert_frame_equal(res.targets, pd.read_csv(run[0] / "targets.csv"), rtol=1e-12)
    assert res.provenance["root_seed"] == 1 and res.provenance["runs"] == RUNS
    assert res.provenance["members_used"] == dict.fromkeys(SCENARIOS, RUNS)


def _split(path, tmp_path):
    """One ensemble file per scenario, as if each had been run on its own with the same seeds."""
    files = []
    with xr.open_dataset(path) as ds:
        for s in SCENARIOS:
            f = tmp_path / f"{s}.nc"
            ds.sel(scenario=[s]).to_netcdf(f)
            files.append(f)
    return files


def test_several_files_are_merged_along_scenario(run, tmp_path):
    files = _split(run[0] / "ensemble.nc", tmp_path)
    res = compare(files, outdir=tmp_path / "out", figures=False, progress=False)
    assert res.scenarios == SCENARIOS
    assert res.ensemble == tmp_path / "out" / "ensemble.nc" and res.ensemble.exists()
    pd.testing.assert_frame_equal(res.table, pd.read_csv(run[0] / "comparison.csv"), rtol=1e-12)
    # a different order makes another reference
    res2 = compare(files[::-1], outdir=tmp_path / "out2", figures=False, progress=False)
    assert res2.scenarios == SCENARIOS[::-1]
    assert res2.table.loc[res2.table.scenario == "laissez_faire", "diff_mean"].isna().all()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.assign_attrs(model_version="0.0.9"), "model version"),
        (lambda d: d.assign_attrs(root_seed=7), "root seed"),
        (lambda d: d.assign_coords(member=d["member"] + 100), "member seeds"),
        (lambda d: d.isel(realization=slice(0, 4)), "member seeds"),
        (lambda d: d.isel(time=slice(0, 20)), "quarters"),
        (lambda d: d.assign_coords(scenario=["diffuse"]), "'diffuse' is in both"),
    ],
    ids=["version", "root-seed", "member-seeds", "fewer-members", "time", "duplicate"],
)
def test_files_that_do_not_pair_are_refused(run, tmp_path, change, message):
    files = _split(run[0] / "ensemble.nc", tmp_path)
    with xr.open_dataset(files[1]) as d:
        bad = change(d.load())
    bad.to_netcdf(files[1])
    with pytest.raises(CompareError, match=message):
        compare(files[:2], outdir=tmp_path / "out", figures=False, progress=False)
    r = CliRunner().invoke(compare_cmd, [str(f) for f in files[:2]] + ["-o", str(tmp_path / "o")])
    assert message in _one_line_error(r)
    assert not (tmp_path / "o").exists()


# ----------------------------------------------------------------------------- statistics
def test_bootstrap_is_deterministic_and_seedable(ens, tmp_path):
    a = compare_dataset(ens, tmp_path / "a", figures=False).table
    b = compare_dataset(ens, tmp_path / "b", figures=False).table
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    c = compare_dataset(ens, tmp_path / "c", figures=False, boot_seed=99).table
    same = ["outcome", "year", "scenario", "units", "mean", "p05", "p95", "diff_mean"]
    pd.testing.assert_frame_equal(a[[*same, "prob_better"]], c[[*same, "prob_better"]])
    moved = (a.diff_low != c.diff_low) & a.diff_low.notna()
    # (percentile bounds of a few members often land on the same order statistic)
    assert moved.sum() > 0.5 * a.diff_low.notna().sum()
    # each cell has its own stream: selecting outcomes does not change the numbers
    sub = compare_dataset(ens, tmp_path / "d", figures=False, outcomes=["rd_intensity"]).table
    assert set(sub.outcome) == {"rd_intensity"}
    pd.testing.assert_frame_equal(
        sub.reset_index(drop=True),
        a[a.outcome == "rd_intensity"].reset_index(drop=True),
        check_exact=True,
    )


def test_paired_interval_covers_the_mean_and_shrinks_with_more_members():
    rng = np.random.default_rng(3)
    d = rng.normal(1.0, 2.0, 400)
    lo, hi = paired_interval(d, 4000, np.random.default_rng(0))
    assert lo < d.mean() < hi
    assert hi - lo == pytest.approx(2 * 1.645 * d.std() / 20, rel=0.1)
    lo4, hi4 = paired_interval(d[:100], 4000, np.random.default_rng(0))
    assert (hi4 - lo4) > 1.6 * (hi - lo)


def test_failed_members_are_skipped_and_counted(ens, tmp_path):
    ds = ens.copy(deep=True)
    ds["member_ok"][1, 2] = 0
    for v in ds.data_vars:
        if ds[v].dims[:2] == ("scenario", "realization") and v != "member_ok":
            ds[v][1, 2] = np.nan
    res = compare_dataset(ds, tmp_path, figures=False)
    assert res.provenance["members_skipped"] == {"diffuse": 0, "focused": 1, "laissez_faire": 0}
    assert res.provenance["members_used"]["focused"] == RUNS - 1
    assert any("focused 1" in n for n in res.provenance["notes"])
    gdp = 4 * _member(ens, "gdp_real", 2030)
    keep = np.arange(RUNS) != 2
    row = _row(res.table, "gdp_real", 2030, "focused")
    assert row["mean"] == pytest.approx(gdp[1][keep].mean(), rel=1e-12)
    assert row.diff_mean == pytest.approx((gdp[1] - gdp[0])[keep].mean(), rel=1e-9)
    assert not res.table["mean"].isna().any() or set(
        res.table.loc[res.table["mean"].isna(), "outcome"]
    ) == {"gdp_per_euro", "gdp_per_euro_discounted", "net_fiscal_cost"}
    assert "skipped failed members" in (tmp_path / "comparison.md").read_text()


def test_gdp_per_euro_needs_laissez_faire(ens, tmp_path):
    res = compare_dataset(ens.sel(scenario=["focused", "diffuse"]), tmp_path, figures=False)
    rows = res.table[res.table.outcome == "gdp_per_euro"]
    assert len(rows) == 2 and rows[["mean", "diff_mean"]].isna().all().all()
    assert any("laissez_faire" in n and "NaN" in n for n in res.provenance["notes"])
    assert res.scenarios == ["focused", "diffuse"]


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "args, message",
    [
        (["diffuse", "no_such_scenario"], "no_such_scenario"),
        (["diffuse", "focused", "--runs", "0"], "'--runs': must be at least 1"),
        (["diffuse", "focused", "--runs", "many"], "many"),
        (["diffuse"], "at least two"),
        (["diffuse", "diffuse"], "more than once"),
        (["diffuse", "focused", "--outcome", "gdp_real", "--outcome", "happiness"], "happiness"),
        (["diffuse", "focused", "--quarters", "2"], "'--quarters'"),
        (["diffuse", "missing.nc"], "cannot mix"),
        (["missing.nc", "other.nc"], "no such ensemble file"),
    ],
    ids=["unknown-scenario", "runs-0", "runs-word", "one", "twice", "outcome", "quarters", "mix",
         "no-file"],
)  # fmt: skip
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "out"
    r = CliRunner().invoke(compare_cmd, [*args, "-o", str(out), "--no-progress"])
    assert message in _one_line_error(r)
    assert not out.exists() or not any(out.iterdir())


def test_unknown_outcome_lists_the_allowed_names():
    r = CliRunner().invoke(compare_cmd, ["diffuse", "focused", "--outcome", "happiness"])
    line = _one_line_error(r)
    for name in OUTCOMES:
        assert name in line


def test_run_options_are_refused_for_files(run, tmp_path):
    r = CliRunner().invoke(
        compare_cmd, [str(run[0] / "ensemble.nc"), "--runs", "40", "-o", str(tmp_path / "o")]
    )
    assert "--runs" in _one_line_error(r)


def test_a_non_ensemble_file_is_refused(run, tmp_path):
    single = tmp_path / "single.nc"
    with xr.open_dataset(run[0] / "ensemble.nc") as ds:
        ds.isel(scenario=0, realization=0)[["gdp_real"]].to_netcdf(single)
    shutil.copy(single, tmp_path / "single2.nc")
    r = CliRunner().invoke(compare_cmd, [str(single), str(tmp_path / "single2.nc")])
    assert "not an ensemble file" in _one_line_error(r)
