"""The one SALib front end: sample designs (Morris trajectories, Saltelli's Sobol' sequence, Latin
hypercubes) and the sensitivity indices of outcomes over them.

:func:`sample_design` serves ``abm sensitivity`` (Morris, Sobol without second-order terms) and
``abm ensemble --sample`` (Latin hypercube, Sobol with or without second order);
:func:`analyze_design` turns outcomes at the points into indices, leaving out a Morris
trajectory or Saltelli block with a missing value; :func:`analyze_function` does both for a plain
function.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import latin, morris, sobol

from abm.analysis.errors import SensitivityInputError

Method = Literal["morris", "sobol", "lhs"]

#: Levels of the Morris grid.
MORRIS_LEVELS = 4
#: Bootstrap resamples of the index confidence intervals.
BOOTSTRAP = 1000


def make_problem(names: Sequence[str], bounds: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """The SALib problem dictionary."""
    return {
        "num_vars": len(names),
        "names": list(names),
        "bounds": [[float(lo), float(hi)] for lo, hi in bounds],
    }


def check_samples(method: str, samples: int) -> None:
    """A sample size SALib accepts: at least 1, and a power of 2 for Sobol.

    Raises
    ------
    SensitivityInputError
        An unknown method or a bad size.
    """
    if method not in ("morris", "sobol", "lhs"):
        raise SensitivityInputError(
            f"option '--method': unknown '{method}'; allowed: morris, sobol"
        )
    if isinstance(samples, bool) or int(samples) != samples or samples < 1:
        raise SensitivityInputError(f"option '--samples': must be at least 1 (got {samples})")
    if method == "sobol" and samples & (samples - 1):
        lo2 = 1 << max(int(samples).bit_length() - 1, 0)
        raise SensitivityInputError(
            f"option '--samples': Sobol (Saltelli) sampling needs a power of 2 (got {samples}; "
            f"try {lo2} or {lo2 * 2})"
        )


def group_size(method: str, num_vars: int) -> int:
    """Rows per Morris trajectory (``D + 1``) or per Saltelli block (``D + 2``)."""
    return num_vars + 1 if method == "morris" else num_vars + 2


def sample_design(
    problem: Mapping[str, Any],
    method: Method,
    samples: int,
    seed: int,
    num_levels: int = MORRIS_LEVELS,
    *,
    calc_second_order: bool = False,
) -> np.ndarray:
    """Sample points for :func:`analyze_design`.

    Morris: ``samples`` trajectories of ``D + 1`` points (:func:`SALib.sample.morris.sample`,
    ``num_levels`` grid levels). Sobol: Saltelli's scheme on a scrambled Sobol' sequence
    (:func:`SALib.sample.sobol.sample`), ``samples`` (a power of 2) blocks of ``D + 2`` points,
    or ``2D + 2`` with ``calc_second_order``. Latin hypercube: ``samples`` points
    (:func:`SALib.sample.latin.sample`). Rows are in SALib's order (trajectory by trajectory,
    block by block). A ``problem`` dict is passed to SALib as it is, which may annotate it
    (Sobol adds ``sample_scaled``): ``abm ensemble --sample`` records the annotated problem.
    """
    check_samples(method, samples)
    p = problem if isinstance(problem, dict) else dict(problem)
    if method == "morris":
        return morris.sample(p, int(samples), num_levels=num_levels, seed=seed)
    if method == "lhs":
        return latin.sample(p, int(samples), seed=seed)
    return sobol.sample(p, int(samples), calc_second_order=calc_second_order, seed=seed)


def _indices(
    problem: Mapping[str, Any],
    method: str,
    X: np.ndarray,
    y: np.ndarray,
    seed: int,
    num_levels: int,
) -> dict[str, Any]:
    """SALib's indices of one outcome over the complete groups (empty without any)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "morris":
            return morris_analysis.analyze(
                dict(problem),
                X,
                y,
                num_resamples=BOOTSTRAP,
                conf_level=0.95,
                num_levels=num_levels,
                seed=seed,
            )
        if np.nanstd(y) == 0:
            return {}  # no variance to decompose
        return sobol_analysis.analyze(
            dict(problem),
            y,
            calc_second_order=False,
            num_resamples=BOOTSTRAP,
            conf_level=0.95,
            seed=seed,
        )


def analyze_design(
    problem: Mapping[str, Any],
    method: Literal["morris", "sobol"],
    X: np.ndarray,
    Y: Mapping[str, np.ndarray],
    seed: int,
    num_levels: int = MORRIS_LEVELS,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Sensitivity indices of each outcome from a design made by :func:`sample_design`.

    Trajectories (Morris) or blocks (Sobol) with a non-finite outcome are left out for that
    outcome. Returns the index table (one row per outcome and parameter, in problem order;
    Morris: ``mu_star``, ``mu_star_conf``, ``sigma``, ``mu``; Sobol: ``S1``, ``S1_conf``,
    ``ST``, ``ST_conf``; plus ``rank``, 1 = most influential by ``mu_star`` or ``ST``) and the
    number of trajectories/blocks used per outcome.
    """
    names = list(problem["names"])
    g = group_size(method, len(names))
    X = np.asarray(X, dtype=float)
    if X.shape[0] % g:
        raise ValueError(f"{X.shape[0]} rows are not whole groups of {g} ({method})")
    cols = (
        ("mu_star", "mu_star_conf", "sigma", "mu")
        if method == "morris"
        else ("S1", "S1_conf", "ST", "ST_conf")
    )
    rows: list[dict[str, Any]] = []
    used: dict[str, int] = {}
    for outcome, y in Y.items():
        y = np.asarray(y, dtype=float).reshape(-1)
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"outcome '{outcome}': {y.shape[0]} values for {X.shape[0]} points")
        ok = np.isfinite(y).reshape(-1, g).all(axis=1)
        used[outcome] = int(ok.sum())
        keep = np.repeat(ok, g)
        res = _indices(problem, method, X[keep], y[keep], seed, num_levels) if ok.any() else {}
        for j, name in enumerate(names):
            row: dict[str, Any] = {"outcome": outcome, "parameter": name}
            for c in cols:
                row[c] = float(np.asarray(res[c])[j]) if c in res else float("nan")
            rows.append(row)
    out = pd.DataFrame(rows)
    key = "mu_star" if method == "morris" else "ST"
    out["rank"] = (
        out.groupby("outcome", sort=False)[key]
        .rank(ascending=False, method="first", na_option="bottom")
        .astype(int)
    )
    return out, used


def analyze_function(
    func: Callable[[np.ndarray], np.ndarray],
    bounds: Mapping[str, tuple[float, float]],
    method: Literal["morris", "sobol"] = "sobol",
    samples: int = 1024,
    seed: int = 1,
    outcomes: Sequence[str] | None = None,
    num_levels: int = MORRIS_LEVELS,
) -> pd.DataFrame:
    """Sensitivity indices of a plain function, through the same design and analysis code as
    ``abm sensitivity``.

    Parameters
    ----------
    func : callable
        ``func(X)`` with ``X`` of shape ``(points, D)`` (columns in the order of ``bounds``)
        returns ``(points,)`` or ``(points, K)`` values.
    bounds : mapping of str to (low, high)
        Parameter names and ranges.
    method, samples, seed, num_levels
        As in :func:`sample_design`.
    outcomes : sequence of str, optional
        Names of the K outputs (default ``y`` or ``y0 .. y{K-1}``).

    Returns
    -------
    pandas.DataFrame
        As :func:`analyze_design`.

    Examples
    --------
    >>> from SALib.test_functions import Ishigami
    >>> b = {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)}
    >>> t = analyze_function(Ishigami.evaluate, b, "sobol", 1024)  # S1 ~ 0.31, 0.44, 0.0
    """
    problem = make_problem(list(bounds), list(bounds.values()))
    X = sample_design(problem, method, samples, seed, num_levels)
    Y = np.asarray(func(X), dtype=float)
    Y = Y.reshape(len(X), -1)
    names = (
        list(outcomes)
        if outcomes
        else (["y"] if Y.shape[1] == 1 else [f"y{k}" for k in range(Y.shape[1])])
    )
    if len(names) != Y.shape[1]:
        raise ValueError(f"{len(names)} outcome names for {Y.shape[1]} outputs")
    table, _ = analyze_design(
        problem, method, X, {n: Y[:, k] for k, n in enumerate(names)}, seed, num_levels
    )
    return table
