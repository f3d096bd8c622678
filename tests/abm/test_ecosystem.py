"""docs/ecosystem.md: its Mesa and EMA Workbench examples run (at a tiny scale)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "ecosystem.md"
SIZES = re.compile(r"\A(QUARTERS, SCALE(?:, SCENARIOS)?) = [^\n]*\n")
#: Each block's first line replaced: 4 recorded quarters (2026), 5000 persons per agent, two
#: sampled points.
TINY = {"QUARTERS, SCALE": "4, 5000", "QUARTERS, SCALE, SCENARIOS": "4, 5000, 2"}


def _blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", DOC.read_text(), flags=re.M | re.S)


def _run(block: str) -> dict[str, object]:
    m = SIZES.match(block)
    assert m, f"a python block of {DOC.name} must start with the sizes line: {block[:60]!r}"
    code = f"{m.group(1)} = {TINY[m.group(1)]}\n" + block[m.end() :]
    namespace: dict[str, object] = {"__name__": "ecosystem_example"}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - the documented example
    return namespace


def test_the_page_has_a_mesa_and_an_ema_example():
    blocks = _blocks()
    assert len(blocks) == 2
    assert "mesa.batch_run" in blocks[0] and "perform_experiments" in blocks[1]


def test_the_mesa_example_runs():
    ns = _run(_blocks()[0])
    model, runs = ns["model"], ns["runs"]
    assert model.steps == 4 and not model.running
    assert len(ns["series"]) == 4 and not ns["series"].isna().any().any()
    assert set(ns["firms"].index.get_level_values("Step")) == {3}  # the year's Q4, the last
    assert len(runs) == 2 * 2 * 4  # two scenarios, two iterations, four quarters
    last = ns["last"].set_index(["scenario", "iteration"])["gdp_real"]
    assert last["diffuse", 0] != last["diffuse", 1]  # fresh seeds: the iterations differ


@pytest.mark.filterwarnings("ignore:ipyparallel not installed")  # ema_workbench's import
@pytest.mark.filterwarnings("ignore:The inplace keyword")  # ema_workbench's PRIM on pandas 3
def test_the_ema_example_runs_with_a_lever_uncertainties_time_series_and_prim():
    ns = _run(_blocks()[1])
    experiments, outcomes = ns["experiments"], ns["outcomes"]
    assert len(experiments) == 3 * 2  # three regimes (full factorial), two sampled points
    assert set(experiments["regime"]) == {"focused", "focused_defence", "mission_agency"}
    assert {"rd.sigma", "rd__eta"} <= set(experiments.columns)
    assert outcomes["gdp_real_diff"].shape == (6, 4)
    np.testing.assert_array_equal(outcomes["TIME"][0], [2026.0, 2026.25, 2026.5, 2026.75])
    assert np.all(np.isfinite(outcomes["gdp_real_2026_diff"]))
    assert np.all(np.isfinite(outcomes["rd_intensity_mean_2026_2026"]))
    # the scalar is the time series' annual sum
    np.testing.assert_allclose(
        outcomes["gdp_real_2026_diff"], outcomes["gdp_real_diff"].sum(axis=1), rtol=1e-9
    )
    assert len(ns["box"].peeling_trajectory) >= 1
