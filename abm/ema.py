"""An entry point for the EMA Workbench (exploratory modelling and analysis).

:func:`run_model` is a plain function of keyword arguments, the form
``ema_workbench.Model(name, function=run_model)`` expects. It runs the policy ``regime`` (and a
``baseline`` with the same seed) and returns an :class:`Outcomes` mapping that computes any
outcome name of :mod:`abm.analysis.outcome_names` when EMA reads it: ``gdp_real_2040``,
``industry_share_2030``, ``rd_intensity_mean_2036_2040``, ``capital_outflow_total``, each with
``_diff`` for scenario minus baseline, and the trajectories ``gdp_real`` (one value per recorded
quarter, for a ``TimeSeriesOutcome``) and ``TIME``. An unknown name or a year past the horizon
raises :class:`~abm.analysis.outcome_names.OutcomeNameError` (EMA reports it as the cause),
never NaN. docs/ecosystem.md has a worked example with levers, uncertainties and PRIM.

Parameters are the keys of :mod:`abm.scenario.overrides`, as written there or with every ``.``
and ``:`` as ``__`` (names that are Python identifiers):

=========================================  ============================================
keyword                                    key
=========================================  ============================================
``rd.sigma`` or ``rd__sigma``              ``rd.sigma`` (any number in the calibration)
``sectors__world_demand_growth__biotech``  ``sectors.world_demand_growth[biotech]``
``chosen__niches__niche_share``            ``chosen:niches.niche_share`` (a multiplier of
                                           the six chosen markets' entries)
``programme__grant__selection_noise``      ``programme:grant.selection_noise`` (every grant
                                           programme of both scenarios)
=========================================  ============================================

plus ``regime`` (the policy lever: a shipped scenario's name, a TOML path or a ``Scenario``;
EMA reserves ``scenario``, ``policy`` and ``model`` as result columns, so a lever cannot have
those names), ``scenario`` (the same, for calls from Python; default ``"focused"``),
``baseline`` (default ``"diffuse"``; ``None`` for no baseline), ``seed`` (the member seed; the
baseline runs with the same seed: common random numbers), ``quarters``, ``scale``,
``check_accounts`` and ``outcomes`` (the names the mapping lists, checked before running;
default :data:`EMA_OUTCOMES` in the years the run records). Ranges are the user's: EMA samples
them (the ranges of :func:`abm.sensitivity.parse_parameter` are a good start).

With ``MultiprocessingEvaluator`` set ``NUMBA_NUM_THREADS=1`` in the environment so the worker
processes do not each start one numba thread per core. For replications, use
``ReplicatorModel`` with ``replications = [{"seed": k} for k in range(R)]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from abm.analysis.errors import SensitivityInputError
from abm.analysis.outcome_names import TIME, OutcomeNameError, check_years, parse_name, value
from abm.model import EconomyModel
from abm.scenario import Scenario, load_scenario
from abm.scenario.overrides import Override, apply_overrides, from_keyword, parse_key, reraise_as

#: Outcomes listed by default (those in the years the run records).
EMA_OUTCOMES: tuple[str, ...] = (
    "gdp_real_2040",
    "industry_share_2030",
    "rd_intensity_2030",
    "high_skill_talent_2040",
    "capital_outflow_total",
)
_KEY_CHARS = re.compile(r"[.:\[]")


def parameter_from_keyword(name: str) -> str:
    """The parameter key of a keyword: ``rd__sigma`` -> ``rd.sigma`` (the forms of
    :func:`abm.scenario.overrides.from_keyword`); a key with ``.`` or ``:`` is returned as is.

    Raises
    ------
    SensitivityInputError
        Neither a key nor a keyword of these forms.
    """
    if _KEY_CHARS.search(name) and "__" not in name:
        return name
    with reraise_as(SensitivityInputError):
        return from_keyword(name)


def _values(parameters: dict[str, object]) -> dict[Override, float]:
    values: dict[Override, float] = {}
    given: dict[Override, str] = {}
    for kw, v in parameters.items():
        with reraise_as(SensitivityInputError):
            o = parse_key(parameter_from_keyword(kw))
        if o in given:
            raise SensitivityInputError(
                f"parameter '{o.key}' is given twice (as '{given[o]}' and '{kw}')"
            )
        given[o] = kw
        try:
            values[o] = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            values[o] = float("nan")
        if not math.isfinite(values[o]):
            raise SensitivityInputError(
                f"keyword '{kw}': value must be a finite number (got {v!r})"
            )
    return values


def _load(name: str | Scenario, what: str) -> Scenario:
    if isinstance(name, Scenario):
        return name
    if not isinstance(name, str):
        raise SensitivityInputError(
            f"{what}: expected a scenario name, a TOML path or a Scenario, got {name!r}"
        )
    with reraise_as(SensitivityInputError):
        return load_scenario(name)


def _years(sc: Scenario, quarters: int | None) -> list[int]:
    q = int(quarters if quarters is not None else sc.run.quarters)
    return sorted({sc.run.start_year + k // 4 for k in range(q)})


class Outcomes(Mapping[str, Any]):
    """The outcomes of one experiment: any name of :mod:`abm.analysis.outcome_names`, computed
    when read (and kept).

    Iterating gives the listed names (``outcomes=`` of :func:`run_model`, and their
    differences); ``outcomes[name]`` and ``name in outcomes`` accept any name of the grammar.
    Scalars are floats, trajectories numpy arrays.

    Attributes
    ----------
    dataset : xarray.Dataset
        The output dataset of the scenario's run.
    baseline : xarray.Dataset or None
        The baseline's (None without a baseline).
    """

    def __init__(self, dataset: xr.Dataset, baseline: xr.Dataset | None, listed: Sequence[str]):
        self.dataset = dataset
        self.baseline = baseline
        self._listed = tuple(listed)
        self._cache: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        """The outcome ``name``.

        Raises
        ------
        OutcomeNameError
            An unknown name, a year not recorded, or a difference without a baseline (not a
            ``KeyError``: EMA would turn that into a warning and a None).
        """
        if name not in self._cache:
            self._cache[name] = value(parse_name(name), self.dataset, self.baseline)
        v = self._cache[name]
        return v.copy() if isinstance(v, np.ndarray) else v

    def __contains__(self, name: object) -> bool:
        try:
            self[name]  # type: ignore[index]
        except OutcomeNameError:
            return False
        return True

    def get(self, name: str, default: Any = None) -> Any:
        """The outcome ``name``, or ``default`` for a name that cannot be computed."""
        return self[name] if name in self else default

    def __iter__(self) -> Iterator[str]:
        return iter(self._listed)

    def __len__(self) -> int:
        return len(self._listed)

    def __repr__(self) -> str:
        return f"Outcomes({', '.join(self._listed)}; any name of abm.analysis.outcome_names)"


def run_model(
    scenario: str | Scenario | None = None,
    baseline: str | Scenario | None = "diffuse",
    seed: int = 1,
    quarters: int | None = None,
    scale: float | None = None,
    check_accounts: bool = False,
    outcomes: Sequence[str] | str | None = None,
    *,
    regime: str | Scenario | None = None,
    **parameters: float,
) -> Outcomes:
    """Run ``regime`` (and ``baseline`` with the same seed) with the given parameter values.

    Parameters
    ----------
    scenario, regime : str or Scenario, optional
        The policy scenario (a shipped name, a TOML path or a ``Scenario``); give one of them
        (``regime`` is the EMA lever's name). Default ``"focused"``.
    baseline : str or Scenario, optional
        Run with the same seed for the ``_diff`` outcomes; ``None`` (or ``""``) for none.
    seed : int
        Member seed of both runs.
    quarters, scale : optional
        Recorded quarters and persons per talent agent (default: the scenario's).
    check_accounts : bool
        Run the stock-flow checks (off by default: exploration runs many members).
    outcomes : sequence of str or comma-separated str, optional
        The names the result lists (with a baseline, each with its ``_diff`` too), checked
        before running; default :data:`EMA_OUTCOMES` in the years the run records.
    **parameters : float
        Parameter values by key or keyword (see the module docstring).

    Returns
    -------
    Outcomes
        A mapping that computes any outcome name when it is read.

    Raises
    ------
    SensitivityInputError
        An unknown scenario, keyword or outcome, a year not recorded, or a value the scenario
        format rejects (raised before any run).
    """
    if regime is not None and scenario is not None and regime != scenario:
        raise SensitivityInputError("give the policy as regime or as scenario, not both")
    sc = _load(regime if regime is not None else scenario or "focused", "regime")
    base = _load(baseline, "baseline") if baseline else None
    if isinstance(outcomes, str):
        outcomes = [o for o in re.split(r"[,\s]+", outcomes) if o]
    values = _values(parameters)
    scs = [sc] + ([base] if base is not None else [])
    for o in values:
        if o.kind == "programme" and not any(
            s.instrument == o.instrument for x in scs for s in x.programmes.values()
        ):
            raise SensitivityInputError(
                f"keyword '{o.key}': no scenario given has a '{o.instrument}' programme"
            )
    listed = _listed(outcomes, sc, base, quarters)
    runs: list[xr.Dataset] = []
    for x in scs:
        if runs and x == sc:  # the baseline is the scenario: the same run
            runs.append(runs[0])
            continue
        with reraise_as(SensitivityInputError):
            run_sc = apply_overrides(x, values) if values else x
        model = EconomyModel(
            run_sc, int(seed), quarters=quarters, scale=scale, check_accounts=check_accounts
        )
        runs.append(model.run().to_dataset())
    return Outcomes(runs[0], runs[1] if len(runs) == 2 else None, listed)


def _listed(
    outcomes: Sequence[str] | None, sc: Scenario, base: Scenario | None, quarters: int | None
) -> list[str]:
    """The names the result lists, each checked against the recorded years."""
    years = _years(sc, quarters)
    base_years = _years(base, quarters) if base is not None else []
    names = list(outcomes) if outcomes else []
    if not outcomes:
        for n in EMA_OUTCOMES:
            on = parse_name(n)
            if all(min(years) <= y <= max(years) for y in on.years):
                names.append(n)
    listed = []
    for n in names:
        on = parse_name(n)
        check_years(on, years)
        if on.diff and base is None:
            raise OutcomeNameError(f"outcome '{on.name}': a difference needs a baseline run")
        listed.append(on.name)
        if base is not None and on.name != TIME:
            check_years(on, base_years, "the baseline run")
            if not on.diff:
                listed.append(f"{on.name}_diff")
    return list(dict.fromkeys(listed))


__all__ = ["EMA_OUTCOMES", "Outcomes", "parameter_from_keyword", "run_model"]
