"""`abm report`: one self-contained HTML file with the comparison, sensitivity and validation.

Unit tests build small CompareResult / SensitivityResult objects here (with real PNG files made
by matplotlib); the browser test opens a report in headless Chromium (Debian's `chromium`
package) and checks that every figure decodes; the end-to-end test runs `report()` on tiny
ensembles.
"""

from __future__ import annotations

import base64
import math
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from abm.analysis.errors import SampleSizeWarning
from abm.report import ReportInputError, make_report, report  # noqa: E402
from abm.report_cli import report_cmd  # noqa: E402
from abm.results import CompareResult, SensitivityResult  # noqa: E402
from abm.validate import Check, ValidationReport  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


# --------------------------------------------------------------------------- fixtures


def _png(path: Path, title: str, seed: int) -> Path:
    fig, ax = plt.subplots(figsize=(4, 2.5))
    ax.plot(np.arange(12), np.random.default_rng(seed).normal(size=12).cumsum(), color="C1")
    ax.set_title(title)
    fig.savefig(path, dpi=60)
    plt.close(fig)
    return path


def _table_rows() -> list[dict]:
    nan = float("nan")
    rows = []
    spec = {
        # outcome: (units, reference mean, challenger mean, paired diff, low, high, p(better))
        "gdp_real": ("EUR/year (2025 prices)", 1.2500e12, 1.2560e12, 6.0e9, 2.0e9, 9.5e9, 0.85),
        "industry_share": ("1", 0.1312, 0.1523, 0.0211, 0.0150, 0.0270, 1.0),
        "rd_intensity": ("1", 0.0221, 0.0219, -0.0002, -0.0006, 0.0001, 0.3),
    }
    for outcome, (units, ref, ch, d, lo, hi, p) in spec.items():
        for year in (2030, 2040):
            rows.append(
                dict(
                    outcome=outcome,
                    year=year,
                    scenario="diffuse",
                    units=units,
                    mean=ref,
                    p05=ref * 0.98,
                    p95=ref * 1.02,
                    diff_mean=nan,
                    diff_low=nan,
                    diff_high=nan,
                    unpaired_low=nan,
                    unpaired_high=nan,
                    prob_better=nan,
                )
            )
            rows.append(
                dict(
                    outcome=outcome,
                    year=year,
                    scenario="focused",
                    units=units,
                    mean=ch,
                    p05=ch * 0.98,
                    p95=ch * 1.02,
                    diff_mean=d,
                    diff_low=lo,
                    diff_high=hi,
                    unpaired_low=lo - abs(d) * 3,
                    unpaired_high=hi + abs(d) * 3,
                    prob_better=p,
                )
            )
    return rows


@pytest.fixture
def compare_result(tmp_path: Path) -> CompareResult:
    figdir = tmp_path / "figs"
    figdir.mkdir()
    targets = pd.DataFrame(
        [
            ("diffuse", "industry >= 15% of GDP in 2030", 0.15, 0.1312, 0.0, False),
            ("focused", "industry >= 15% of GDP in 2030", 0.15, 0.1523, 0.6, True),
            ("diffuse", "R&D >= 3% of GDP in 2030", 0.03, 0.0221, 0.0, False),
            ("focused", "R&D >= 3% of GDP in 2030", 0.03, 0.0219, 0.0, False),
        ],
        columns=["scenario", "target", "threshold", "mean", "share_meeting", "met"],
    )
    return CompareResult(
        scenarios=["diffuse", "focused"],
        table=pd.DataFrame(_table_rows()),
        targets=targets,
        figures={
            "fan_gdp_real": _png(figdir / "fan_gdp_real.png", "fan", 1),
            "paired_differences": _png(figdir / "paired_differences.png", "paired", 2),
        },
        outdir=figdir,
        ensemble=None,
        provenance={
            "model_version": "0.1.0",
            "root_seed": 7,
            "runs": 12,
            "notes": ["a note from the comparison"],
            "members_used": {"diffuse": 12, "focused": 12},
        },
    )


@pytest.fixture
def sensitivity_result(tmp_path: Path) -> SensitivityResult:
    rng = np.random.default_rng(3)
    params = ["rd.sigma", "rd.eta", "labour.migration_mobility"]
    indices = pd.DataFrame(
        [
            {
                "outcome": "gdp_real_2040",
                "parameter": p,
                "mu_star": m,
                "mu_star_conf": m / 4,
                "sigma": m / 2,
            }
            for p, m in zip(params, (4.0e9, 1.5e9, 2.0e8), strict=True)
        ]
    )
    flip = pd.DataFrame(
        [
            {
                "outcome": "gdp_real_2040",
                "parameter": "rd.sigma",
                "flip_value": 0.4321,
                "flip_low": 0.31,
                "flip_high": 0.58,
                "note": "focused beats diffuse above 0.432",
            },
            {
                "outcome": "gdp_real_2040",
                "parameter": "rd.eta",
                "flip_value": float("nan"),
                "flip_low": float("nan"),
                "flip_high": float("nan"),
                "note": "",
            },
        ]
    )
    samples = pd.DataFrame(
        {
            "rd.sigma": rng.uniform(0, 2, 16),
            "rd.eta": rng.uniform(0, 2, 16),
            "labour.migration_mobility": rng.uniform(1, 10, 16),
            "gdp_real_2040": rng.normal(1e9, 2e9, 16),
        }
    )
    figdir = tmp_path / "sens"
    figdir.mkdir()
    return SensitivityResult(
        a="focused",
        b="diffuse",
        method="morris",
        outcomes=["gdp_real_2040"],
        indices=indices,
        flip=flip,
        samples=samples,
        figures={"indices": _png(figdir / "indices.png", "indices", 4)},
        outdir=figdir,
        provenance={"root_seed": 7, "samples": 4},
    )


@pytest.fixture
def validation() -> ValidationReport:
    return ValidationReport(
        "diffuse",
        runs=2,
        seed=7,
        quarters=200,
        checks=[
            Check("accounting", "stock-flow identities, every quarter", 2.0, "2 of 2 runs", True),
            Check("calibration", "industry share of GDP", 0.1262, "0.125 +-0.02", True),
            Check("stylized fact", "fat-tailed firm growth (excess kurtosis)", -0.25, "> 0", False),
        ],
    )


class _Doc(HTMLParser):
    """Collects images, tables, sections, scripts and external references of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.table_ids: list[str | None] = []
        self.section_ids: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.meta: list[dict[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        elif tag == "table":
            self.table_ids.append(a.get("id"))
        elif tag == "section":
            self.section_ids.append(a.get("id") or "")
        elif tag == "script":
            self.scripts.append(a)
        elif tag == "link":
            self.links.append(a)
        elif tag == "meta":
            self.meta.append(a)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(html_text: str) -> _Doc:
    doc = _Doc()
    doc.feed(html_text)
    return doc


# --------------------------------------------------------------------------- make_report


def test_report_has_every_section_table_and_embedded_figure(
    tmp_path, compare_result, sensitivity_result, validation
):
    out = make_report(compare_result, sensitivity_result, validation, tmp_path / "out" / "r.html")
    assert out == tmp_path / "out" / "r.html"
    text = out.read_text(encoding="utf-8")
    doc = _parse(text)
    assert doc.section_ids == [
        "question",
        "summary",
        "scenarios",
        "comparison",
        "targets",
        "figures",
        "sensitivity",
        "validation",
        "provenance",
    ]
    for tid in (
        "comparison-table",
        "targets-table",
        "indices-gdp_real_2040",
        "flip-table",
        "sampled-ranges",
        "sampled-outcomes",
        "validation-table",
        "provenance-table",
        "library-versions",
    ):
        assert tid in doc.table_ids, tid
    # three figures, each embedded byte for byte as a PNG data URI, with an alt text
    figures = list(compare_result.figures.values()) + list(sensitivity_result.figures.values())
    assert len(doc.imgs) == len(figures) == 3
    for img, path in zip(doc.imgs, figures, strict=True):
        src = img["src"] or ""
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data.startswith(PNG_MAGIC) and data == path.read_bytes()
        assert img.get("alt") and len(img["alt"]) > 10
    words = " ".join(doc.text)
    # the question and the 2030 targets
    assert "15% of GDP" in words and "3% of GDP" in words and "six chosen markets" in words
    # the scenarios' settings: descriptions, programmes, resolved TOML
    assert "Generic instruments" in words  # diffuse's description (shipped scenario)
    assert "rd_tax_credit" in words and "innovation_box" in words
    assert words.count("Resolved scenario (TOML)") == 2
    assert 'name = "focused"' in words
    # readable numbers: shares in %, differences in pp, money in EUR bn, probabilities
    assert "15.2" in words and "+2.11" in words and "pp" in words
    assert "EUR bn" in words
    assert "85%" in words and "100%" in words
    # the paired interval lies above zero: marked as better; rd_intensity includes zero
    assert re.search(r'class="num better"[^>]*>\+2\.11', text)
    assert "includes zero" in words and "above zero" in words
    # targets, notes, sensitivity, validation, provenance
    assert "met on the ensemble mean by focused" in words
    assert "a note from the comparison" in words
    assert "0.432" in words and "no flip within the range" in words
    assert "fat-tailed firm growth (excess kurtosis)" in words
    assert "root seed" in words and "numpy" in words and "SeedSequence(7)" in words


def test_report_is_self_contained(tmp_path, compare_result, sensitivity_result, validation):
    text = make_report(compare_result, sensitivity_result, validation, tmp_path / "r.html")
    text = Path(text).read_text(encoding="utf-8")
    doc = _parse(text)
    assert doc.links == []
    assert all("src" not in s for s in doc.scripts) and len(doc.scripts) == 1
    assert all((i["src"] or "").startswith("data:") for i in doc.imgs)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", text, re.I)
    assert "@import" not in text and "url(" not in text
    csp = [m for m in doc.meta if (m.get("http-equiv") or "").lower() == "content-security-policy"]
    assert csp and "default-src 'none'" in (csp[0]["content"] or "")
    assert "img-src data:" in (csp[0]["content"] or "")


def test_optional_sections_and_missing_values(tmp_path, compare_result):
    compare_result.table.loc[compare_result.table["scenario"] == "focused", "prob_better"] = float(
        "nan"
    )
    compare_result.table = compare_result.table.drop(columns=["unpaired_low", "unpaired_high"])
    compare_result.targets = compare_result.targets.iloc[0:0]
    out = make_report(compare_result, output=tmp_path / "r.html", title="Short")
    text = out.read_text(encoding="utf-8")
    doc = _parse(text)
    assert "sensitivity" not in doc.section_ids and "validation" not in doc.section_ids
    words = " ".join(doc.text)
    assert "n/a" in words  # missing columns and NaN are shown, not crashed on
    assert "No targets were evaluated" in words
    assert "<title>Short</title>" in text


def test_required_columns_are_checked(tmp_path, compare_result):
    compare_result.table = compare_result.table.drop(columns=["mean"])
    with pytest.raises(ValueError, match="mean"):
        make_report(compare_result, output=tmp_path / "out" / "r.html")
    assert not (tmp_path / "out").exists()  # nothing written, not even the folder


def test_all_text_is_escaped(tmp_path, compare_result, sensitivity_result, validation):
    evil = '<script>alert("x")</script>&'
    t = compare_result.table
    compare_result.table = t.assign(scenario=t["scenario"].replace("focused", evil))
    compare_result.scenarios = ["diffuse", evil]
    compare_result.targets = compare_result.targets.assign(target=evil)
    compare_result.provenance["notes"] = [evil]
    compare_result.provenance[evil] = evil
    compare_result.figures = {evil: next(iter(compare_result.figures.values()))}
    sensitivity_result.flip.loc[0, "note"] = evil
    sensitivity_result.indices.loc[0, "parameter"] = evil
    validation.checks[0].detail = evil
    out = make_report(compare_result, sensitivity_result, validation, tmp_path / "r.html", evil)
    text = out.read_text(encoding="utf-8")
    assert "<script>alert" not in text and '"x")' not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in text  # markupsafe's escape
    doc = _parse(text)
    assert len(doc.scripts) == 1  # only the report's own script
    # the unknown scenario has no settings; the report says so instead of failing
    assert "not a shipped scenario" in " ".join(doc.text)


def test_write_is_atomic(tmp_path, compare_result, monkeypatch):
    out = tmp_path / "r.html"
    make_report(compare_result, output=out)
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["r.html"]  # no temp file
    old = out.read_text(encoding="utf-8")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file, not mkstemp's 0600

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        make_report(compare_result, output=out, title="new")
    assert out.read_text(encoding="utf-8") == old  # the old report is untouched
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["r.html"]


def test_missing_figure_is_reported_not_fatal(tmp_path, compare_result):
    compare_result.figures["gone"] = tmp_path / "nope.png"
    with pytest.warns(UserWarning, match="gone"):
        out = make_report(compare_result, output=tmp_path / "r.html")
    doc = _parse(out.read_text(encoding="utf-8"))
    assert len(doc.imgs) == 2
    assert "could not be read" in " ".join(doc.text)


def test_scenario_settings_come_from_the_given_scenarios(tmp_path, compare_result):
    from abm.scenario import load_scenario

    sc = load_scenario("focused").with_parameters(**{"rd.sigma": 1.25})
    out = make_report(compare_result, output=tmp_path / "r.html", scenarios={"focused": sc})
    words = " ".join(_parse(out.read_text(encoding="utf-8")).text)
    assert "Parameter overrides" in words and "rd.sigma" in words and "1.25" in words


# --------------------------------------------------------------------------- browser


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        msg = "chromium is not installed (Debian: apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(msg + "; CI needs it for the browser test")
        pytest.skip(msg)
    return exe


def _run_chromium(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_figures_render_in_headless_chromium(
    tmp_path, compare_result, sensitivity_result, validation
):
    exe = _chromium()
    out = make_report(compare_result, sensitivity_result, validation, tmp_path / "r.html")
    shot = tmp_path / "shot.png"
    # the DOM and the screenshot from two browsers at once (own profiles): seconds each
    with ThreadPoolExecutor(max_workers=2) as pool:
        dom_run = pool.submit(
            _run_chromium,
            exe,
            tmp_path / "profile-dom",
            "--virtual-time-budget=5000",
            "--dump-dom",
            out.as_uri(),
        )
        shot_run = pool.submit(
            _run_chromium,
            exe,
            tmp_path / "profile-shot",
            "--virtual-time-budget=5000",
            "--hide-scrollbars",
            "--window-size=1200,2400",
            f"--screenshot={shot}",
            out.as_uri(),
        )
        dom = dom_run.result().stdout
        shot_run.result()
    doc = _parse(dom)
    assert len(doc.imgs) == 3
    assert [i.get("data-rendered") for i in doc.imgs] == ["1", "1", "1"], "an image did not decode"
    assert 'data-images="3"' in dom  # the script ran
    for tid in ("comparison-table", "targets-table", "flip-table", "validation-table"):
        assert tid in doc.table_ids

    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[0] == 2400 and pixels.shape[1] == 1200
    ink = (pixels < 0.9).any(axis=2).mean()  # share of pixels that are not (near) white
    assert 0.02 < ink < 0.9, ink
    assert len(np.unique(pixels.reshape(-1, 3).round(2), axis=0)) > 50  # text, tables, colour


def test_a_broken_image_is_flagged_by_the_browser(tmp_path, compare_result):
    """The marker the browser test relies on does distinguish a broken image."""
    exe = _chromium()
    bad = tmp_path / "bad.png"
    bad.write_bytes(PNG_MAGIC + b"not really a png")
    compare_result.figures = {"bad": bad}
    out = make_report(compare_result, output=tmp_path / "r.html")
    dom = _run_chromium(
        exe, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", out.as_uri()
    ).stdout
    assert [i.get("data-rendered") for i in _parse(dom).imgs] == ["0"]


# --------------------------------------------------------------------------- report() and CLI


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no scenario given"),
        (["diffuse"], "only one scenario"),
        (["diffuse", "nonexistent"], "unknown scenario 'nonexistent'"),
        (["diffuse", "focused", "--runs", "0"], "option '--runs': must be at least 1"),
        (["diffuse", "focused", "--runs", "x"], "'x' is not a valid integer"),
        (["diffuse", "focused", "--seed", "-1"], "option '--seed'"),
        (["diffuse", "focused", "--sensitivity-method", "fast"], "'fast' is not one of"),
        (["diffuse", "focused", "--sensitivity-samples", "-2"], "--sensitivity-samples"),
        (
            ["diffuse", "focused", "--sensitivity-samples", "3", "--sensitivity-method", "sobol"],
            "power of 2",
        ),
        (
            ["diffuse", "focused", "--sensitivity-samples", "2", "--sensitivity-outcome", "x_2030"],
            "option '--sensitivity-outcome': unknown outcome 'x_2030'",
        ),
        (
            ["diffuse", "focused", "--sensitivity-samples", "2", "--quarters", "8"]
            + ["--sensitivity-outcome", "gdp_real_2040"],
            "year 2040 is not recorded",
        ),
        (["diffuse", "focused", "--validate-runs", "1", "--validate-quarters", "20"], "40"),
        (["diffuse", "focused", "--quarters", "0"], "option '--quarters'"),
        (["diffuse", "focused", "--scale", "0.5"], "option '--scale'"),
        (["diffuse", "focused", "--workers", "0"], "option '--workers'"),
        (["diffuse", "focused", "-o", "report.pdf"], "must end in .html"),
        (["diffuse", "diffuse"], "given twice"),
        (["diffuse", "focused", "--bogus"], "No such option"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(report_cmd, args)
    assert r.exit_code == 2, r.output
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], r.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_report_checks_arguments_before_running(tmp_path):
    with pytest.raises(ReportInputError, match="runs") as e:
        report(["diffuse", "focused"], runs=0, output=tmp_path / "r.html")
    assert e.value.param == "runs"
    with pytest.raises(ReportInputError, match="method"):
        report(["diffuse", "focused"], sensitivity_method="fast", output=tmp_path / "r.html")
    assert list(tmp_path.iterdir()) == []


def test_report_end_to_end_with_tiny_runs(tmp_path):
    pytest.importorskip("abm.compare")
    pytest.importorskip("abm.sensitivity")
    with pytest.warns(SampleSizeWarning, match="--samples 2"):  # one trajectory: no intervals
        out = report(
            ["diffuse", "focused"],
            runs=4,
            root_seed=3,
            output=tmp_path / "r.html",
            sensitivity_samples=1,
            validate_runs=1,
            validate_quarters=40,
            quarters=8,
            scale=4000,
            workers=1,
        )
    assert out == tmp_path / "r.html" and out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r_files"]
    text = out.read_text(encoding="utf-8")
    doc = _parse(text)
    assert {"comparison", "sensitivity", "validation", "provenance"} <= set(doc.section_ids)
    assert {"comparison-table", "validation-table", "flip-table"} <= set(doc.table_ids)
    assert len(doc.imgs) >= 3
    for img in doc.imgs:
        data = base64.b64decode((img["src"] or "").split(",", 1)[1])
        assert data.startswith(PNG_MAGIC) and img.get("alt")
    words = " ".join(doc.text)
    # the comparison's numbers are those of the result it was made from
    table = pd.read_csv(tmp_path / "r_files" / "compare" / "comparison.csv")
    share = table.query("outcome == 'industry_share' and scenario == 'focused'")["mean"].iloc[0]
    assert f"{share * 100:.2f}" in words
    assert "focused \u2212 diffuse" in words  # sensitivity differences: challenger - reference
    assert "SeedSequence(3)" in words
    assert not math.isnan(share)
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        dom = _run_chromium(
            _chromium(),
            tmp_path / "profile",
            "--virtual-time-budget=5000",
            "--dump-dom",
            out.as_uri(),
        ).stdout
        flags = [i.get("data-rendered") for i in _parse(dom).imgs]
        assert flags and all(f == "1" for f in flags), flags


def test_cli_writes_the_report(tmp_path, monkeypatch):
    pytest.importorskip("abm.compare")
    monkeypatch.chdir(tmp_path)
    args = ["diffuse", "focused", "--runs", "2", "--quarters", "4", "--scale", "4000"]
    args += ["--workers", "1", "--no-progress", "-o", "out/r.html", "--title", "CLI test"]
    r = CliRunner().invoke(report_cmd, args)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "wrote out/r.html"
    text = (tmp_path / "out" / "r.html").read_text(encoding="utf-8")
    assert "<title>CLI test</title>" in text and 'id="comparison-table"' in text


def test_missing_chromium_fails_on_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="chromium"):
        _chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        _chromium()


def test_scenario_settings_come_from_the_ensemble_file(tmp_path, compare_result):
    import xarray as xr

    toml = 'name = "custom"\ndescription = "a custom <mix>"\n\n[programmes.g]\n'
    toml += 'instrument = "grant"\nbudget = 250000000.0\ntargets = ["biotech"]\n'
    ds = xr.Dataset(
        {"scenario_toml": ("scenario", np.array(["", toml], dtype=object))},
        coords={"scenario": ["diffuse", "custom"]},
    )
    ds.to_netcdf(tmp_path / "e.nc")
    compare_result.scenarios = ["diffuse", "custom"]
    compare_result.table = compare_result.table.replace({"scenario": {"focused": "custom"}})
    compare_result.ensemble = tmp_path / "e.nc"
    text = make_report(compare_result, output=tmp_path / "r.html").read_text(encoding="utf-8")
    assert "a custom &lt;mix&gt;" in text
    assert "<td>biotech</td>" in text and "0.25 a year" in text
    assert "Generic instruments" in text  # diffuse's empty entry falls back to the shipped file


def test_literature_table_is_a_section_with_pass_and_fail(tmp_path, compare_result):
    from abm.analysis.literature import LiteratureReport, Row

    lr = LiteratureReport(
        [
            Row("extra R&D per euro of credit", "WBSO", "0.81", 0.61, 0.38, 0.85, (0.5, 1.2)),
            Row("crowding in <elasticity>", "MSV", "0.5-0.6", 0.01, -0.2, 0.2, (0.3, 0.8)),
            Row("wage change (%)", "Goolsbee", "much", -0.2, -0.5, 0.1, None),
        ],
        runs=8,
    )
    out = make_report(compare_result, output=tmp_path / "r.html", literature=lr)
    text = out.read_text(encoding="utf-8")
    doc = _parse(text)
    assert "literature" in doc.section_ids and "literature-table" in doc.table_ids
    assert "crowding in &lt;elasticity&gt;" in text  # escaped
    assert "some banded rows fail" in text and "8 member(s) per experiment" in text
    # without it, no section
    plain = _parse(make_report(compare_result, output=tmp_path / "p.html").read_text("utf-8"))
    assert "literature" not in plain.section_ids


def test_literature_runs_option_is_checked(tmp_path):
    with pytest.raises(ReportInputError, match="literature_runs|0 \\(skip\\)"):
        report(["diffuse", "focused"], literature_runs=-1, output=tmp_path / "r.html")
    r = CliRunner().invoke(report_cmd, ["diffuse", "focused", "--literature-runs", "-1"])
    assert r.exit_code == 2 and "--literature-runs" in r.stderr
