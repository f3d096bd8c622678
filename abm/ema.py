"""An entry point for the EMA Workbench (exploratory modelling and analysis).

:func:`run_model` is a plain function of keyword arguments that returns a dict of scalar
outcomes, the form ``ema_workbench.Model(name, function=...)`` expects. Parameters are the
sensitivity keys of :mod:`abm.sensitivity` with every ``.`` and ``:`` written as ``__`` (EMA
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
:mod:`abm.sensitivity`; default :data:`EMA_OUTCOMES`). The result has one float per outcome and,
with a baseline, ``<outcome>_diff`` (scenario minus baseline). An outcome in a year the run does
not record is NaN (the keys stay the same whatever the horizon). Ranges are the user's: EMA
samples them (the defaults of :func:`abm.sensitivity.parse_parameter` are a good start).

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

import re
from collections.abc import Sequence

import numpy as np

from abm.scenario import ScenarioError, load_scenario
from abm.sensitivity import (
    Parameter,
    SensitivityInputError,
    apply_parameters,
    parse_outcome,
    parse_parameter,
    run_outcomes,
)

#: Outcomes returned by default.
EMA_OUTCOMES: tuple[str, ...] = (
    "gdp_real_2040",
    "industry_share_2030",
    "rd_intensity_2030",
    "high_skill_talent_2040",
    "capital_outflow_total",
)


def parameter_from_keyword(name: str) -> str:
    """The sensitivity key of a keyword: ``rd__sigma`` -> ``rd.sigma``,
    ``chosen__niches__niche_share`` -> ``chosen:niches.niche_share``,
    ``programme__grant__selection_noise`` -> ``programme:grant.selection_noise``,
    ``sectors__world_demand_growth__biotech`` -> ``sectors.world_demand_growth[biotech]``.

    Raises
    ------
    SensitivityInputError
        Not of one of these forms.
    """
    parts = name.split("__")
    if len(parts) == 3 and parts[0] in ("chosen", "programme"):
        return f"{parts[0]}:{parts[1]}.{parts[2]}"
    if len(parts) == 2:
        return f"{parts[0]}.{parts[1]}"
    if len(parts) == 3:
        return f"{parts[0]}.{parts[1]}[{parts[2]}]"
    raise SensitivityInputError(
        f"keyword '{name}': expected section__name (a calibration key with '.' as '__'), "
        "section__name__element, chosen__section__name or programme__instrument__field"
    )


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
    values: dict[Parameter, float] = {}
    for kw, v in parameters.items():
        p = parse_parameter(f"{parameter_from_keyword(kw)}=0:1")  # the range is EMA's
        try:
            values[p] = float(v)
        except (TypeError, ValueError):
            values[p] = float("nan")
        if not np.isfinite(values[p]):
            raise SensitivityInputError(
                f"keyword '{kw}': value must be a finite number (got {v!r})"
            )
    try:
        names = [scenario] + ([baseline] if baseline else [])
        scs = [load_scenario(n) for n in names]
    except ScenarioError as e:
        raise SensitivityInputError(str(e)) from None
    for p in values:
        if p.kind == "programme" and not any(
            s.instrument == p.instrument for sc in scs for s in sc.programmes.values()
        ):
            raise SensitivityInputError(
                f"keyword '{p.key}': no scenario given has a '{p.instrument}' programme"
            )
    out: dict[str, float] = {}
    results = []
    for sc in scs:
        run_sc = apply_parameters(sc, values) if values else sc
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
    out.update(results[0])
    if len(results) == 2:
        for oc in ocs:
            out[f"{oc.name}_diff"] = results[0][oc.name] - results[1][oc.name]
    return {k: float(v) for k, v in out.items()}


__all__ = ["EMA_OUTCOMES", "parameter_from_keyword", "run_model"]
