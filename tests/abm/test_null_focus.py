"""DESIGN §1, the null test: with no built-in advantage, focus has no head start.

With every sector's world demand growing alike (no niche shares, no niche growth) and no
spillover premium (sigma = 0), ``focused`` minus ``diffuse`` in cumulative real GDP 2026-2040
must not be positive with 90% confidence over paired members (common random numbers).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from abm import EconomyModel, load_scenario

NULL = {
    "niches.niche_share": [0.0] * 8,
    "niches.niche_growth": [0.0] * 8,
    "rd.sigma": 0.0,
}
SCALE = 2000.0
MEMBERS = 8


def _cumulative_real_gdp(name: str, seed: int) -> float:
    sc = load_scenario(name).with_parameters(**NULL)
    ds = EconomyModel(sc, seed=seed, scale=SCALE).run().to_dataset()
    return float(ds["gdp_real"].sum())


def test_focus_has_no_head_start_without_niches_or_spillovers():
    diff = np.array(
        [
            _cumulative_real_gdp("focused", s) - _cumulative_real_gdp("diffuse", s)
            for s in range(1, MEMBERS + 1)
        ]
    )
    mean, se = diff.mean(), diff.std(ddof=1) / np.sqrt(diff.size)
    lower = mean - stats.t.ppf(0.95, diff.size - 1) * se  # one-sided 90% interval: 5% each tail
    assert lower <= 0.0, (
        f"focused beats diffuse with no niche growth and no spillover premium: paired "
        f"difference {mean:.3e} EUR, 90% interval lower bound {lower:.3e}"
    )
