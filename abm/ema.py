"""An entry point for the EMA Workbench (exploratory modelling and analysis).

:func:`run_model` is a plain function of keyword arguments that returns a dict of scalar
outcomes, the form ``ema_workbench.Model(name, function=...)`` expects. Parameters are the
parameter keys of :mod:`abm.scenario.overrides` with every ``.`` and ``:`` written as ``__`` (EMA
names must be Python identifiers):

=========================================  ============================================
keyword                                    key
=========================================  ============================================
``rd__sigma=0.8``                          ``rd.sigma`` (any number in the calibration)
``sectors__world_demand_growth__biotech``  ``sectors.world_demand_growth[biotech]``
``chosen__niches__niche_share=0.5``        ``chosen:niches.niche_share`` (a multiplier of
                                           the six chosen markets' entries)
``programme__grant__selection_noise=1``    ``programme:grant.selection_noise`` (every grant
                                           programme of both scenarios)
=========================================  ============================================

plus ``scenario`` (default ``"focused"``), ``baseline`` (default ``"diffuse"``; ``None`` for no
baseline), ``seed`` (the member seed; the baseline runs with the same seed: common random
numbers), ``quarters``, ``scale``, ``check_accounts`` and ``outcomes`` (outcome names, see
:mod:`abm.analysis.outcomes`; default :data:`EMA_OUTCOMES`). The result has one float per
outcome and, with a baseline, ``<outcome>_diff`` (scenario minus baseline). An outcome in a
year the run does not record is NaN (the keys stay the same whatever the horizon). Ranges are
the user's: EMA samples them (the ranges of :func:`abm.sensitivity.parse_parameter` are a
good start).

Example for ema_workbench 2.5 (not a dependency of this package: ``pip install
ema_workbench``)::

    from ema_workbench import (Constant, Model, RealParameter, ScalarOutcome,
                               perform_experiments)
    from abm.ema import run_model

    model = Model("abm", function=run_model)
    model.uncertainties = [
        RealParameter("rd__sigma", 0, 2),
        RealParameter("rd__eta", 0, 2),
        RealParameter("programme__grant__selection_noise", 0, 2),
    ]
    model.constants = [Constant("scenario", "focused"), Constant("baseline", "diffuse"),
                       Constant("seed", 1)]
    model.outcomes = [ScalarOutcome("gdp_real_2040_diff"),
                      ScalarOutcome("rd_intensity_2030_diff"),
                      ScalarOutcome("industry_share_2030")]
    experiments, outcomes = perform_experiments(model, scenarios=50)

With ``MultiprocessingEvaluator`` set ``NUMBA_NUM_THREADS=1`` in the environment so the worker
processes do not each start one numba thread per core. For replications, use
``ReplicatorModel`` with ``replications = [{"seed": k} for k in range(R)]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from abm.analysis.errors import SensitivityInputError
from abm.analysis.outcomes import parse_outcome
from abm.ensemble.points import run_outcomes
from abm.scenario import load_scenario
from abm.scenario.overrides import Override, apply_overrides, from_keyword, parse_key, reraise_as

#: Outcomes returned by default.
EMA_OUTCOMES: tuple[str, ...] = (
    "gdp_real_2040",
    "industry_share_2030",
    "rd_intensity_2030",
    "high_skill_talent_2040",
    "capital_outflow_total",
)


def parameter_from_keyword(name: str) -> str:
    """The parameter key of an EMA keyword (the forms of
    :func:`abm.scenario.overrides.from_keyword`, e.g. ``rd__sigma`` -> ``rd.sigma``).

    Raises
    ------
    SensitivityInputError
        Not of one of these forms.
    """
    with reraise_as(SensitivityInputError):
        return from_keyword(name)


def _values(parameters: dict[str, object]) -> dict[Override, float]:
    values: dict[Override, float] = {}
    for kw, v in parameters.items():
        with reraise_as(SensitivityInputError):
            o = parse_key(from_keyword(kw))
        try:
            values[o] = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            values[o] = float("nan")
        if not math.isfinite(values[o]):
            raise SensitivityInputError(
                f"keyword '{kw}': value must be a finite number (got {v!r})"
            )
    return values


def run_model(
    scenario: str = "focused",
    baseline: str | None = "diffuse",
    seed: int = 1,
    quarters: int | None = None,
    scale: float | None = None,
    check_accounts: bool = False,
    outcomes: Sequence[str] | str | None = None,
    **parameters: float,
) -> dict[str, float]:
    """Run ``scenario`` (and ``baseline`` with the same seed) with the given parameter values.

    Parameters
    ----------
    scenario, baseline : str
        Shipped scenario names or TOML paths; ``baseline=None`` (or ``""``) runs only
        ``scenario``.
    seed : int
        Member seed of both runs.
    quarters, scale : optional
        Recorded quarters and persons per talent agent (default: the scenario's).
    check_accounts : bool
        Run the stock-flow checks (off by default: exploration runs many members).
    outcomes : sequence of str or comma-separated str, optional
        Outcome names (default :data:`EMA_OUTCOMES`).
    **parameters : float
        Parameter values by keyword (see the module docstring).

    Returns
    -------
    dict of str to float
        Each outcome, and ``<outcome>_diff`` (scenario minus baseline) with a baseline.

    Raises
    ------
    SensitivityInputError
        An unknown scenario, keyword or outcome, or a value the scenario format rejects.
    """
    if isinstance(outcomes, str):
        outcomes = [o for o in re.split(r"[,\s]+", outcomes) if o]
    ocs = [parse_outcome(o) for o in (outcomes or EMA_OUTCOMES)]
    values = _values(parameters)
    with reraise_as(SensitivityInputError):
        scs = [load_scenario(n) for n in [scenario] + ([baseline] if baseline else [])]
    for o in values:
        if o.kind == "programme" and not any(
            s.instrument == o.instrument for sc in scs for s in sc.programmes.values()
        ):
            raise SensitivityInputError(
                f"keyword '{o.key}': no scenario given has a '{o.instrument}' programme"
            )
    results = []
    for sc in scs:
        with reraise_as(SensitivityInputError):
            run_sc = apply_overrides(sc, values) if values else sc
        results.append(
            run_outcomes(
                run_sc,
                int(seed),
                ocs,
                quarters=quarters,
                scale=scale,
                check_accounts=check_accounts,
            )
        )
    out = dict(results[0])
    if len(results) == 2:
        for oc in ocs:
            out[f"{oc.name}_diff"] = results[0][oc.name] - results[1][oc.name]
    return {k: float(v) for k, v in out.items()}


__all__ = ["EMA_OUTCOMES", "parameter_from_keyword", "run_model"]
