"""Statistics of ensembles through scipy: bootstrap intervals of (paired) differences, member
bands, the share of members that beat a reference, and the moments of distributions.

Percentile intervals take the bootstrap distribution of :func:`scipy.stats.bootstrap` and cut it
with :func:`numpy.quantile`: scipy's own quantile interpolates as ``(1 - g) * y[j] + g *
y[j + 1]``, numpy's as a lerp, and the two differ in the last bit, so numpy's keeps every
published table what it was.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable

import numpy as np
from scipy import stats

#: Confidence / coverage level of every interval of the comparison.
LEVEL = 0.90


def cell_rng(boot_seed: int, *keys: str | int) -> np.random.Generator:
    """A generator for one table cell, independent of the other cells and of the selection."""
    words = [int(boot_seed)] + [
        zlib.crc32(k.encode()) if isinstance(k, str) else int(k) for k in keys
    ]
    return np.random.default_rng(np.random.SeedSequence(words))


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


def _mean_difference(x: np.ndarray, ref: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(ref, axis=axis)


def _percentile_interval(
    samples: tuple[np.ndarray, ...],
    statistic: Callable[..., np.ndarray],
    n_boot: int,
    rng: np.random.Generator,
    level: float,
) -> tuple[float, float]:
    res = stats.bootstrap(
        samples,
        statistic,
        n_resamples=n_boot,
        confidence_level=level,
        method="percentile",
        vectorized=True,
        rng=rng,
    )
    a = (1.0 - level) / 2.0
    lo, hi = np.quantile(res.bootstrap_distribution, [a, 1.0 - a])
    return float(lo), float(hi)


def paired_interval(
    d: np.ndarray, n_boot: int, rng: np.random.Generator, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of paired differences (members resampled).

    Parameters
    ----------
    d : numpy.ndarray
        Paired differences, one per member (finite).
    n_boot : int
        Resamples.
    rng : numpy.random.Generator
        Source of the resampling indices.
    level : float
        Coverage (0.9: the 5th and 95th percentiles).

    Returns
    -------
    (low, high) : tuple of float
        NaN when ``d`` is empty; the difference itself for one member.
    """
    d = np.asarray(d, dtype=float)
    if d.size == 0:
        return math.nan, math.nan
    if d.size == 1:  # every resample is the one member
        return float(d[0]), float(d[0])
    return _percentile_interval((d,), _mean, n_boot, rng, level)


def unpaired_interval(
    x: np.ndarray, ref: np.ndarray, n_boot: int, rng: np.random.Generator, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``mean(x) - mean(ref)`` resampling each independently.

    This is the interval the difference would have if the scenarios had been run with
    independent seeds (no common random numbers).

    Returns
    -------
    (low, high) : tuple of float
        NaN when either sample is empty.
    """
    x, ref = np.asarray(x, dtype=float), np.asarray(ref, dtype=float)
    if x.size == 0 or ref.size == 0:
        return math.nan, math.nan
    if x.size == 1 and ref.size == 1:
        return float(x[0] - ref[0]), float(x[0] - ref[0])
    # scipy resamples samples of two or more; a single member is the same in every resample
    if x.size == 1:
        return _percentile_interval(
            (ref,), lambda r, axis=-1: x[0] - np.mean(r, axis=axis), n_boot, rng, level
        )
    if ref.size == 1:
        return _percentile_interval(
            (x,), lambda v, axis=-1: np.mean(v, axis=axis) - ref[0], n_boot, rng, level
        )
    return _percentile_interval((x, ref), _mean_difference, n_boot, rng, level)


def prob_better(d: np.ndarray, higher_is_better: bool) -> float:
    """Share of paired differences where the scenario does better (a tie counts half)."""
    if d.size == 0:
        return math.nan
    wins = (d > 0) if higher_is_better else (d < 0)
    return float((wins.sum() + 0.5 * (d == 0).sum()) / d.size)


def band(v: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and the central ``level`` range (5th and 95th percentiles) of finite values."""
    if not v.size:
        return math.nan, math.nan, math.nan
    a = (1.0 - level) / 2.0
    return float(v.mean()), float(np.quantile(v, a)), float(np.quantile(v, 1.0 - a))


def mean_or_nan(v: np.ndarray) -> float:
    """The mean, NaN for no values."""
    return float(v.mean()) if v.size else math.nan


def skewness(x: np.ndarray) -> float:
    """Skewness of the finite values (:func:`scipy.stats.skew`, biased); 0 without spread."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(stats.skew(x)) if x.std() > 0 else 0.0


def excess_kurtosis(x: np.ndarray) -> float:
    """Excess kurtosis of the finite values (:func:`scipy.stats.kurtosis`, Fisher, biased);
    0 without spread."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(stats.kurtosis(x)) if x.std() > 0 else 0.0
