"""Selecting the ``k`` best of many: the rows up to the ``k``-th smallest value, exactly.

The talent programmes pick the ``k`` candidates abroad with the smallest draws, and the grants
fund the best-scored proposals until the budget is spent. Both need the rows whose value is at
most the ``k``-th smallest, ties included, in row order: ``np.partition`` over all values finds
that value, 6.6-11.5 ms for the 0.55-0.75 million values at 1:1 (docs/performance.md, "Eighth
session"). :func:`rows_up_to_kth` first guesses a bound from a strided sample, partitions only the
values at or below it when there are at least ``k`` of them (any value at or below the ``k``-th
smallest is at or below the bound then) and at most a quarter of all, and partitions everything
otherwise (a sample that missed the small values, or a bound that many ties share): the same
rows whatever the guess, which sets only the speed. The sample is tried while the bound's
expected share of the values (``1.25 k / n`` and 32 sampled values) is below about a quarter, for
``k`` up to about a fifth of them; the grants' ``k`` is about 15% of the proposals at 1:1, 2.0 ms
against 6.4 ms for a full partition (docs/performance.md, "Fourteenth session").
"""

from __future__ import annotations

import numpy as np

#: the strided sample of the values the bound comes from (at most this many, an eighth of them)
SAMPLE = 16_384


def rows_up_to_kth(values: np.ndarray, k: int) -> np.ndarray:
    """Rows (increasing, int64) of ``values`` at most its ``k``-th smallest, every tie included:
    ``np.flatnonzero(values <= np.partition(values, k - 1)[k - 1])``.

    Parameters
    ----------
    values : numpy.ndarray
        One-dimensional, without NaN.
    k : int
        ``1 <= k <= len(values)``.
    """
    n = values.shape[0]
    if not 1 <= k <= n:
        raise ValueError(f"rows_up_to_kth: k must be in [1, {n}], got {k}")
    if n >= 8 * 1024:
        sample = values[:: -(-n // min(SAMPLE, n // 8))]  # every step-th: at most SAMPLE
        # a little above the sample's quantile k / n, so that the bound usually keeps k values
        j = min(sample.size - 1, int(k / n * sample.size * 1.25) + 32)
        # the bound near the sample's quantile j keeps about that share of all values: tried
        # while that is below a quarter (k up to about a fifth; the grants' k is 15% of the
        # proposals at 1:1: 2.0 ms against 6.4 ms for a full partition)
        if j <= 0.24 * sample.size:
            bound = np.partition(sample, j)[j]
            below = values <= bound
            # enough rows, and few enough that partitioning them beats partitioning all (a
            # bound that many ties share can keep most rows: then all values are partitioned)
            if k <= np.count_nonzero(below) <= n // 4:
                near = np.flatnonzero(below)
                sub = values[near]
                kth = np.partition(sub, k - 1)[k - 1]  # <= bound: every value <= kth is near
                return near[sub <= kth]
    kth = np.partition(values, k - 1)[k - 1]
    return np.flatnonzero(values <= kth)
