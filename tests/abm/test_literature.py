"""The per-unit rows of ``abm validate --literature`` (abm/analysis/literature.py)."""

import numpy as np
from scipy import stats

from abm.analysis.literature import _interval, _ratio_interval


def test_a_per_euro_row_is_a_ratio_of_means_and_survives_a_member_with_no_effect():
    # one member's extra R&D is almost nothing: the mean of the members' ratios explodes
    num = [0.6, 0.5, 0.55, 0.58]
    den = [1.0, 1.0, 1e-9, 1.0]
    assert _interval([a / b for a, b in zip(num, den, strict=True)])[0] > 1e7
    r, lo, hi = _ratio_interval(num, den)
    assert np.isclose(r, sum(num) / sum(den))
    assert lo < r < hi and hi - lo < 2


def test_the_ratio_interval_is_the_delta_method_and_covers_the_true_ratio():
    rng = np.random.default_rng(3)
    covered = 0
    for _ in range(400):
        den = rng.normal(10.0, 1.0, 8)
        num = 0.7 * den + rng.normal(0.0, 1.0, 8)
        r, lo, hi = _ratio_interval(num, den)
        covered += lo <= 0.7 <= hi
        e = num - r * den
        half = stats.t.ppf(0.95, 7) * e.std(ddof=1) / (np.sqrt(8) * den.mean())
        assert np.isclose(hi - r, half) and np.isclose(r - lo, half)
    assert 0.84 <= covered / 400 <= 0.96  # a 90% interval


def test_the_ratio_skips_members_without_a_figure_and_reports_nan_without_any():
    r, lo, hi = _ratio_interval([1.0, np.nan, 3.0], [1.0, 2.0, 1.0])
    assert np.isclose(r, 2.0) and lo < 2.0 < hi
    assert all(np.isnan(_ratio_interval([1.0], [0.0])))
    assert np.isnan(_ratio_interval([1.0], [2.0])[1])
