"""``abm dashboard`` (issue #15): the controls and the figures without a browser, the command's
errors, and the page in headless Chromium (Debian's ``chromium``, driven by Playwright's Python
package with ``executable_path``; no browser is downloaded).

The browser test starts ``abm dashboard`` as a subprocess on a free port, waits for the address
it prints, and opens it with every request that does not go to 127.0.0.1 sent to a closed
proxy (so it fails) and recorded: the page must render its plots with none.
"""

from __future__ import annotations

import collections
import math
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from click.testing import CliRunner

from abm import EconomyModel
from abm.analysis.outcomes import TARGETS
from abm.cli import main
from abm.dashboard.controls import (
    CONTROLS,
    DashboardError,
    DashboardModel,
    dashboard_scenario,
    parse_seed,
)
from abm.dashboard.figures import FIGURES, SERIES_COLUMNS, firm_table, run_series
from abm.scenario import ScenarioError, load_scenario
from abm.sectors import SECTORS

# Mesa 3.3's SolaraViz trips Solara's rules-of-hooks lint when imported (a UserWarning)
pytestmark = pytest.mark.filterwarnings("ignore:.*found despite early return:UserWarning")

SCALE = 2000.0  # persons per talent agent: small runs
#: Recorded quarters of the browser test's server: more than it plays before its pause, so ▶
#: never reaches the horizon (which disables the pause button) on a slow machine.
QUARTERS = 40
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: How long the browser test waits for anything (seconds); nothing waits without a limit.
WAIT = 90
#: How long it waits for the server's address: ``abm dashboard`` fills numba's cache first
#: when kernels are missing from it (about a minute on an idle machine, more under load).
COMPILE_WAIT = 900
#: The last lines ``abm dashboard`` wrote to stderr (read all along, so a full pipe never
#: stops the server), shown when the browser test fails.
SERVER_LOG: collections.deque[str] = collections.deque(maxlen=60)


# --------------------------------------------------------------------------- controls


def test_controls_at_the_scenarios_values_change_nothing():
    sc = load_scenario("focused")
    values = {c.name: c.default(sc) for c in CONTROLS}
    out, notes, applied = dashboard_scenario("focused", values)
    assert applied == {} and notes == {}
    assert out.model_dump(exclude={"source_file"}) == sc.model_dump(exclude={"source_file"})


def test_controls_set_their_keys():
    values = {
        "spillover_exponent": 1.25,
        "talent_mobility": 2.0,
        "grid_cap": 0.02,
        "procurement_domestic_share": 0.3,
        "reallocation": 0.5,
    }
    sc, notes, applied = dashboard_scenario("focused", values)
    assert notes == {}
    assert applied == {
        "rd.eta": 1.25,
        "labour.migration_mobility": 2.0,
        "grid.congestion_cap": 0.02,
        "programme:procurement.domestic_share": 0.3,
        "reallocation": 0.5,
    }
    cal = sc.calibration()
    assert cal["rd.eta"] == 1.25 and cal["labour.migration_mobility"] == 2.0
    assert sc.reallocation == 0.5
    proc = [p for p in sc.programmes.values() if p.instrument == "procurement"]
    assert proc and all(p.domestic_share == 0.3 for p in proc)


@pytest.mark.parametrize("name", ["diffuse", "laissez_faire"])
def test_the_dose_of_focus_is_explained_not_an_error_without_targeted_programmes(name):
    from abm.scenario.overrides import apply_overrides, parse_key

    with pytest.raises(ScenarioError, match="reallocation"):  # a sweep would be an error
        apply_overrides(load_scenario(name), [(parse_key("reallocation"), 0.5)])
    sc, notes, applied = dashboard_scenario(name, {"reallocation": 0.5})
    assert sc.reallocation == 0 and applied == {}
    assert "no targeted market programmes" in notes["reallocation"]
    notes = dashboard_scenario(name, {"procurement_domestic_share": 0.9})[1]
    assert "no procurement programme" in notes["procurement_domestic_share"]


def test_bad_controls_are_one_line_errors():
    with pytest.raises(ScenarioError, match="unknown scenario 'nowhere'"):
        dashboard_scenario("nowhere", {})
    with pytest.raises(ScenarioError, match="control 'grid_cap'.*outside 0..0.05"):
        dashboard_scenario("focused", {"grid_cap": -1.0})
    with pytest.raises(ScenarioError, match="unknown control 'sigma'"):
        dashboard_scenario("focused", {"sigma": 1.0})
    with pytest.raises(DashboardError, match="non-negative integer"):
        parse_seed("abc")
    with pytest.raises(DashboardError, match="non-negative integer"):
        parse_seed("-3")
    assert parse_seed(" 42 ") == 42 and parse_seed(7) == 7


def test_the_dashboard_model_steps_as_the_model_does():
    """The default dashboard run is the scenario's own run, and the twin is the other
    scenario's run with the same seed: the step loop is the model's."""
    m = DashboardModel("focused", "3", compare="diffuse", scale=SCALE, quarters=4)
    ref = EconomyModel("focused", 3, scale=SCALE, quarters=4)
    ref_twin = EconomyModel("diffuse", 3, scale=SCALE, quarters=4)
    assert len(m.records) == 0 and m.twin is not None and len(m.twin.records) == 0
    while m.running:
        m.step()
        ref.step()
        ref_twin.step()
    assert m.steps == 4 and m.twin.steps == 4
    np.testing.assert_array_equal(
        run_series(m)["gdp_real"], ref.datacollector.get_model_vars_dataframe()["gdp_real"]
    )
    np.testing.assert_array_equal(
        run_series(m.twin)["gdp_real"],
        ref_twin.datacollector.get_model_vars_dataframe()["gdp_real"],
    )
    assert [label for label, _ in m.runs()] == ["focused", "diffuse"]


def test_a_reset_frees_the_model_it_replaces():
    """Mesa's Reset builds a new model: the one it drops is freed then, twin included."""
    import gc
    import weakref

    gc.disable()  # only explicit collections: the automatic ones come at any allocation
    try:
        old = DashboardModel("focused", 1, compare="diffuse", scale=SCALE, quarters=2)
        old.step()
        gone, twin = weakref.ref(old), weakref.ref(old.twin)
        del old
        assert gone() is not None  # a reference cycle: not freed by its count alone
        new = DashboardModel("focused", 2, scale=SCALE, quarters=2)  # what Reset does
        assert gone() is None and twin() is None and new.seed == 2
    finally:
        gc.enable()


def test_a_slider_left_at_its_start_keeps_a_new_scenarios_value():
    start = {"procurement_domestic_share": 0.5}
    m = DashboardModel(
        "focused_defence", 1, procurement_domestic_share=0.5, start_values=start,
        scale=SCALE, quarters=1,
    )  # fmt: skip
    assert m.applied == {}
    moved = DashboardModel(
        "focused_defence", 1, procurement_domestic_share=0.6, start_values=start,
        scale=SCALE, quarters=1,
    )  # fmt: skip
    assert moved.applied == {"programme:procurement.domestic_share": 0.6}


def test_the_page_reports_bad_input_instead_of_raising():
    with pytest.raises(DashboardError, match="'abc'"):
        DashboardModel("focused", "abc", scale=SCALE, quarters=1)
    m = DashboardModel("focused", "abc", scale=SCALE, quarters=1, fallback_seed=4)
    assert m.seed == 4 and "'abc'" in m.problems[0] and "ran seed 4" in m.problems[0]
    m = DashboardModel(
        "focused", 1, compare="nowhere", scale=SCALE, quarters=1, fallback_seed=1,
        grid_cap=-1.0,
    )  # fmt: skip
    assert m.twin is None and m.applied == {}
    assert any("ran without the controls" in p for p in m.problems)
    assert any("second pane" in p and "nowhere" in p for p in m.problems)


def test_solaraviz_accepts_the_model_parameters():
    from mesa.visualization.solara_viz import _check_model_params

    from abm.dashboard.app import model_params

    params = model_params("focused", 1, "diffuse", SCALE, 4)
    _check_model_params(DashboardModel.__init__, params)  # raises on a bad keyword
    assert params["scenario"]["value"] == "focused" and params["compare"]["value"] == "diffuse"
    assert {c.name for c in CONTROLS} <= set(params)


# --------------------------------------------------------------------------- figures


def test_series_and_figures_grow_with_the_run():
    m = DashboardModel("focused", 1, compare="laissez_faire", scale=SCALE, quarters=3)
    for name, build in FIGURES.items():  # before the first step: empty axes, no error
        assert build(m.runs()).get_axes(), name
    assert len(run_series(m)) == 0
    m.step()
    m.step()
    s = run_series(m)
    assert list(s.columns) == list(SERIES_COLUMNS) and len(s) == 2
    assert math.isnan(s["gdp_growth"].iloc[0]) and np.isfinite(s["gdp_growth"].iloc[1])
    assert s.index[0] == 2026.0 and s.index[1] == 2026.25
    assert (s[["gdp_real", "industry_share", "rd_intensity"]] > 0).all().all()
    ft = firm_table(m)
    assert set(ft["sector"]) <= set(SECTORS)
    assert len(ft) == len(m.firm_pop)
    for name, build in FIGURES.items():
        fig = build(m.runs())
        points = sum(
            len(line.get_xdata()) for ax in fig.get_axes() for line in ax.get_lines()
        ) + sum(len(c.get_offsets()) for ax in fig.get_axes() for c in ax.collections)
        assert points > 0, name
    targets = FIGURES["targets"](m.runs())
    hlines = {
        round(float(line.get_ydata()[0]), 9)
        for ax in targets.get_axes()
        for line in ax.get_lines()
        if len(set(line.get_ydata())) == 1 and line.get_linestyle() == ":"
    }
    assert hlines == {round(t.threshold * 100, 9) for t in TARGETS}
    # two runs: time series overlaid (solid and dashed), composition side by side
    assert len(FIGURES["firms"](m.runs()).get_axes()) == 2
    styles = {line.get_linestyle() for line in FIGURES["capital"](m.runs()).axes[0].get_lines()}
    assert styles == {"-", "--"}


def test_reading_waits_for_a_quarter_in_progress_on_another_thread():
    """Mesa's ▶ steps on a worker thread: the page reads a finished quarter, never half one."""
    m = DashboardModel("focused", 1, compare="diffuse", scale=SCALE, quarters=3)
    inside, resume = threading.Event(), threading.Event()
    check = m.check_accounts  # the last of a quarter's steps, after its record

    def paused_check() -> None:
        inside.set()
        resume.wait(WAIT)
        check()

    m.check_accounts = paused_check
    seen: list[int] = []

    def read() -> None:
        with m.reading():
            seen.append(len(m.records))

    worker, reader = threading.Thread(target=m.step), threading.Thread(target=read)
    worker.start()
    try:
        assert inside.wait(WAIT)
        reader.start()
        reader.join(0.3)
        assert reader.is_alive() and seen == []  # it waits: the quarter is not finished
    finally:
        resume.set()
        worker.join(WAIT)
        reader.join(WAIT)
    assert not worker.is_alive() and seen == [1]
    with m.reading():
        assert len(run_series(m)) == len(m.records) == 1
        assert len(run_series(m.twin)) == 1  # the twin's quarter is part of the step
    m.check_accounts = check
    m.step()
    with m.reading():
        assert len(run_series(m)) == 2 and len(firm_table(m)) == len(m.firm_pop)


# --------------------------------------------------------------------------- command line


def test_cli_bad_input_is_one_line_exit_2():
    r = CliRunner().invoke(main, ["dashboard", "nowhere", "--port", "0"])
    assert r.exit_code == 2, r.output
    assert r.stderr.strip().startswith("error: ") and "unknown scenario 'nowhere'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = CliRunner().invoke(main, ["dashboard", "focused", "--port", "70000"])
    assert r.exit_code == 2 and "option '--port'" in r.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = CliRunner().invoke(main, ["dashboard", "focused", "--port", str(port)])
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {port} is in use" in lines[0], r.stderr
    assert r.stdout == ""


def test_the_server_fills_numbas_cache_before_serving_only_when_kernels_are_missing(
    monkeypatch, capsys
):
    """A cold cache is filled once per scenario shown (and said so); a warm one is only checked."""
    import abm.ensemble.worker as worker
    import kernels.cache
    from abm.dashboard.server import compile_kernels

    warmed: list[str] = []
    monkeypatch.setattr(worker, "warm_model", lambda name, threads=1: warmed.append(name))
    monkeypatch.setattr(kernels.cache, "uncached", lambda threads=1: [])
    assert compile_kernels("focused", "diffuse") == 0.0 and warmed == []
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(kernels.cache, "uncached", lambda threads=1: ["kernels.x.y"])
    assert compile_kernels("focused", "diffuse") >= 0.0
    assert warmed == ["focused", "diffuse"]
    err = capsys.readouterr().err
    assert "compiling numba kernels before serving the page" in err and "compiled in" in err
    warmed.clear()
    compile_kernels("focused", "focused")  # the same scenario once
    assert warmed == ["focused"]
    warmed.clear()
    compile_kernels("diffuse")  # no second pane
    assert warmed == ["diffuse"]


# --------------------------------------------------------------------------- browser


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        msg = "chromium is not installed (Debian: apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(msg + "; CI needs it for the browser test")
        pytest.skip(msg)
    return exe


def _read_address(proc: subprocess.Popen, timeout: float) -> str:
    """The address ``abm dashboard`` prints, or fail after ``timeout`` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in proc.stdout], daemon=True
    ).start()  # fmt: skip
    reader = threading.Thread(target=lambda: SERVER_LOG.extend(proc.stderr), daemon=True)
    reader.start()
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if proc.poll() is not None:
                reader.join(timeout=5)  # its stderr ends with the process
                log = "".join(SERVER_LOG)
                pytest.fail(f"abm dashboard exited with {proc.returncode}: {log}")
            continue
        if "http://127.0.0.1:" in line:
            return line.split(" at ", 1)[1].split()[0]
    pytest.fail(f"abm dashboard printed no address within {timeout} s")


@pytest.fixture(scope="module")
def dashboard():
    """``abm dashboard focused --compare diffuse`` on a free port; stopped afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "abm.cli", "dashboard", "focused", "--port", "0", "--seed", "2"]
        + ["--compare", "diffuse", "--quarters", str(QUARTERS), "--scale", str(SCALE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    SERVER_LOG.clear()
    try:
        yield _read_address(proc, COMPILE_WAIT)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _main_images(page) -> list[str]:
    """The ``src`` of the figures in the main view (not the sidebar)."""
    return page.eval_on_selector_all(
        ".vue-grid-item img", "els => els.map(e => e.src + ':' + e.naturalWidth)"
    )


def _status(page) -> str:
    return page.inner_text(".abm-status")


def _wait_js(page, script: str, arg: object, what: str) -> None:
    """Wait until ``script(arg)`` is true in the page; on a timeout, fail with what the page
    and the server said instead (an ``error in step`` of Mesa's ▶, a traceback)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, arg=arg, timeout=WAIT * 1000)
    except PlaywrightTimeout:
        try:
            body = page.inner_text("body", timeout=5000)[-1500:]
        except Exception as e:  # the page itself is gone
            body = f"(unreadable: {e})"
        log = "".join(SERVER_LOG)[-4000:]
        pytest.fail(f"{what} not within {WAIT} s; page: {body}; server: {log}")


def _wait_text(page, selector: str, text: str) -> None:
    """Wait for ``text`` in an element of ``selector``."""
    script = "([s, t]) => [...document.querySelectorAll(s)].some(e => e.innerText.includes(t))"
    _wait_js(page, script, [selector, text], f"no {text!r} in {selector}")


def _wait_quarters(page, at_least: int) -> None:
    """Wait until the status card says at least ``at_least`` recorded quarters (while ▶
    plays, one redraw of the page can show two more quarters than the last)."""
    script = (
        "n => [...document.querySelectorAll('.abm-status')].some(e => {"
        " const m = e.innerText.match(/recorded quarters (\\d+) of/);"
        " return m !== null && Number(m[1]) >= n; })"
    )
    _wait_js(page, script, at_least, f"no 'recorded quarters {at_least}' or more")


def _quarters(page) -> int:
    return int(_status(page).split("recorded quarters ", 1)[1].split()[0])


def test_the_page_renders_steps_and_resets_offline_in_chromium(dashboard, tmp_path):
    exe = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=exe,
            args=list(CHROMIUM_FLAGS),
            # everything but 127.0.0.1 goes to a closed port: an outside request fails
            proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"},
            timeout=WAIT * 1000,
        )
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 2050})
            page.set_default_timeout(WAIT * 1000)
            page.on("request", lambda r: requests.append(r.url))
            page.on("websocket", lambda w: requests.append(w.url))
            page.goto(dashboard)

            # real content: the scenario, both panes, and one image per figure
            _wait_text(page, ".abm-status", "Scenario: focused")
            assert "Loading app" not in page.inner_text("body")
            assert "Second pane: diffuse" in _status(page)
            page.wait_for_function(
                "n => [...document.querySelectorAll('.vue-grid-item img')]"
                ".filter(e => e.naturalWidth > 0).length >= n",
                arg=len(FIGURES),
            )
            before = _main_images(page)
            assert len(before) == len(FIGURES)

            # Step three times: the recorded series grow and the figures change
            for k in (1, 2, 3):
                page.get_by_role("button", name="Step").click()
                _wait_quarters(page, k)
            _wait_text(page, "body", "Step: 3")
            assert f"recorded quarters 3 of {QUARTERS}" in _status(page)
            after = _main_images(page)
            assert len(after) == len(FIGURES) and not set(after) & set(before)
            assert "2026Q3" in _status(page)

            # play and pause: ▶ steps on, ❚❚ stops it (a step in progress may still finish)
            page.get_by_role("button", name="\u25b6").click()
            _wait_text(page, "button", "\u275a\u275a")  # the page knows it plays
            _wait_quarters(page, 5)
            page.get_by_role("button", name="\u275a\u275a").click()
            _wait_text(page, "button", "\u25b6")
            paused = _quarters(page)
            assert 5 <= paused < QUARTERS
            time.sleep(2.0)  # 40 play intervals
            assert _quarters(page) <= paused + 1

            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            if os.environ.get("ABM_DASHBOARD_SCREENSHOT"):
                shutil.copy(shot, os.environ["ABM_DASHBOARD_SCREENSHOT"])

            # a control change reaches the model on Reset: another scenario, another seed
            page.get_by_label("Scenario", exact=True).click(force=True)
            page.get_by_role("option", name="laissez_faire", exact=True).click()
            seed = page.get_by_label("Seed", exact=True)
            seed.fill("5")
            seed.press("Tab")
            page.get_by_role("button", name="Reset").click()
            _wait_text(page, ".abm-status", "Scenario: laissez_faire")
            status = _status(page)
            assert "Seed 5" in status and f"recorded quarters 0 of {QUARTERS}" in status
        finally:
            browser.close()

    pixels = mpimg.imread(shot)[..., :3]
    assert (pixels < 0.9).any(axis=2).mean() > 0.02  # plots and text, not a blank page
    assert len(np.unique(pixels.reshape(-1, 3).round(2), axis=0)) > 50
    port = dashboard.split(":")[2].rstrip("/")
    hosts = {
        u.split("/")[2] for u in requests if "://" in u and not u.startswith(("data:", "blob:"))
    }
    assert hosts == {f"127.0.0.1:{port}"}, hosts


def test_the_served_page_references_only_local_urls(dashboard):
    """The HTML Solara serves names no outside host for a script, style sheet or font."""
    import re
    import urllib.request

    html = urllib.request.urlopen(dashboard, timeout=WAIT).read().decode()  # noqa: S310
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", html, flags=re.I)
    refs = [m for t in tags for m in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", t)]
    assert refs, "no script or style sheet found"
    outside = [r for r in refs if r.startswith(("http:", "https:", "//"))]
    assert not [r for r in outside if "127.0.0.1" not in r], outside


def test_missing_chromium_fails_on_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="chromium"):
        _chromium()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        _chromium()


def test_the_python_example_of_the_docs_runs(capsys):
    doc = (Path(__file__).resolve().parents[2] / "docs" / "dashboard.md").read_text()
    blocks = [b.split("```", 1)[0] for b in doc.split("```python\n")[1:]]
    assert len(blocks) == 1
    exec(compile(blocks[0], "docs/dashboard.md", "exec"), {})  # noqa: S102
    assert "{'rd.eta': 1.0}" in capsys.readouterr().out


def test_docs_screenshot_exists():
    assert (Path(__file__).resolve().parents[2] / "docs" / "img" / "dashboard.png").exists()
