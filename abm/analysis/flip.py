"""When does the answer flip: where the difference ``A - B`` of an outcome crosses zero along a
parameter, with a bootstrap interval over the sample points.

For the ``top`` most influential parameters of each outcome (by ``mu_star`` or ``ST``), the
difference over the whole sample is regressed on the parameter (ordinary least squares, a
straight line): the fitted line is the main effect of the parameter, averaged over the ranges of
the others. ``flip_value`` is where it crosses zero inside the range, i.e. where ``A`` stops
beating ``B`` ("beating" is a positive difference, or a negative one for outcomes where lower is
better); ``flip_low``/``flip_high`` are the 5% and 95% points of the crossing over 1000
bootstrap resamples of the points (a resample whose line crosses outside the range counts at
that edge). No crossing inside the range gives NaN and a note saying who wins throughout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from abm.analysis.design import BOOTSTRAP
from abm.analysis.outcome_names import Outcome

#: Confidence of the flip interval (5% - 95%).
FLIP_LEVEL = 0.90
#: Columns of the flip table.
FLIP_COLUMNS = (
    "outcome",
    "parameter",
    "rank",
    "default",
    "flip_value",
    "flip_low",
    "flip_high",
    "a_wins",
    "diff_at_low",
    "diff_at_high",
    "note",
)


class Ranged(Protocol):
    """A varied parameter: its key and the range it was sampled over."""

    key: str
    low: float
    high: float


def flip_point(
    x: np.ndarray,
    diff: np.ndarray,
    low: float,
    high: float,
    *,
    higher_is_better: bool = True,
    names: tuple[str, str] = ("A", "B"),
    n_boot: int = BOOTSTRAP,
    level: float = FLIP_LEVEL,
    seed: int = 0,
) -> dict[str, Any]:
    """Where the difference ``A - B`` crosses zero along one parameter.

    Fits ``diff = c0 + c1 x`` by least squares over the points and returns the crossing
    ``-c0 / c1`` when it lies in ``[low, high]``, with a bootstrap interval over resampled
    points (``level`` two-sided; a resample crossing outside the range counts at that edge).

    Returns
    -------
    dict
        ``flip_value``, ``flip_low``, ``flip_high`` (NaN without a crossing in the range),
        ``a_wins`` (``"below"``, ``"above"``, ``"everywhere"``, ``"nowhere"`` or ``""``),
        ``diff_at_low``, ``diff_at_high`` (the fitted difference at the ends), ``note``.
    """
    a, b = names
    x = np.asarray(x, dtype=float)
    d = np.asarray(diff, dtype=float)
    ok = np.isfinite(x) & np.isfinite(d)
    x, d = x[ok], d[ok]
    nan = float("nan")
    out: dict[str, Any] = {
        "flip_value": nan,
        "flip_low": nan,
        "flip_high": nan,
        "a_wins": "",
        "diff_at_low": nan,
        "diff_at_high": nan,
        "note": "",
    }
    if len(x) < 3 or np.unique(x).size < 2:
        out["note"] = f"too few points to fit ({len(x)} with {np.unique(x).size} distinct values)"
        return out
    sign = 1.0 if higher_is_better else -1.0

    def fit(xs: np.ndarray, ds: np.ndarray) -> tuple[float, float]:
        xm = xs.mean()
        sxx = float(((xs - xm) ** 2).sum())
        if sxx == 0.0:
            return nan, nan
        c1 = float(((xs - xm) * (ds - ds.mean())).sum() / sxx)
        return float(ds.mean() - c1 * xm), c1

    c0, c1 = fit(x, d)
    d_lo, d_hi = c0 + c1 * low, c0 + c1 * high
    out["diff_at_low"], out["diff_at_high"] = d_lo, d_hi
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    crossings = np.full(n_boot, nan)
    same_slope = 0
    for i in range(n_boot):
        b0, b1 = fit(x[idx[i]], d[idx[i]])
        if not np.isfinite(b1) or b1 == 0.0:
            continue
        same_slope += int(np.sign(b1) == np.sign(c1))
        crossings[i] = min(max(-b0 / b1, low), high)
    crossings = crossings[np.isfinite(crossings)]
    fits = f"straight-line fit over {len(x)} points"
    wins_lo, wins_hi = sign * d_lo > 0, sign * d_hi > 0
    if c1 == 0.0 or wins_lo == wins_hi:
        inside = float(np.mean((crossings > low) & (crossings < high))) if crossings.size else 0.0
        who = f"{a} beats {b}" if wins_lo else f"{b} beats {a}"
        out["a_wins"] = "everywhere" if wins_lo else "nowhere"
        out["note"] = (
            f"no crossing in [{low:g}, {high:g}]: {who} throughout (fitted difference "
            f"{d_lo:.3g} to {d_hi:.3g}; {fits}; {inside:.0%} of resamples cross inside)"
        )
        return out
    x0 = -c0 / c1
    out["flip_value"] = float(x0)
    q = (1 - level) / 2
    if crossings.size:
        out["flip_low"] = float(np.quantile(crossings, q))
        out["flip_high"] = float(np.quantile(crossings, 1 - q))
    out["a_wins"] = "below" if wins_lo else "above"
    edge = ""
    if crossings.size and (out["flip_low"] <= low or out["flip_high"] >= high):
        edge = "; the interval reaches the edge of the range"
    stable = same_slope / n_boot
    out["note"] = (
        f"{a} beats {b} {out['a_wins']} {x0:.3g} ({fits}; slope sign kept in {stable:.0%} of "
        f"{n_boot} resamples{edge})"
    )
    return out


def flip_table(
    samples: pd.DataFrame,
    indices: pd.DataFrame,
    parameters: Sequence[Ranged],
    outcomes: Sequence[Outcome],
    *,
    top: int = 3,
    names: tuple[str, str] = ("A", "B"),
    defaults: Mapping[str, float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """The "when does the answer flip" table: :func:`flip_point` for the ``top`` parameters
    of each outcome (by ``rank`` in ``indices``).

    Columns: ``outcome``, ``parameter``, ``rank``, ``default`` (the value the scenarios run with
    unless varied), ``flip_value``, ``flip_low``, ``flip_high``, ``a_wins``, ``diff_at_low``,
    ``diff_at_high``, ``note``.
    """
    by_key = {p.key: p for p in parameters}
    rows = []
    for oc in outcomes:
        sub = indices[indices["outcome"] == oc.name].sort_values("rank").head(top)
        for _, r in sub.iterrows():
            p = by_key[r["parameter"]]
            res = flip_point(
                samples[p.key].to_numpy(),
                samples[oc.name].to_numpy(),
                p.low,
                p.high,
                higher_is_better=oc.higher_is_better,
                names=names,
                seed=seed,
            )
            rows.append(
                {
                    "outcome": oc.name,
                    "parameter": p.key,
                    "rank": int(r["rank"]),
                    "default": (defaults or {}).get(p.key, float("nan")),
                    **res,
                }
            )
    return pd.DataFrame(rows, columns=list(FLIP_COLUMNS))
