"""Sensitivity analysis of the difference between two scenarios: the uncertain parameters and
their ranges, the checks of a study before any member runs, the paired differences at each
sample point, and the study's provenance. It runs, writes and draws nothing.

Parameter keys are those of :mod:`abm.scenario.overrides` (a calibration number, an element of
a per-sector or per-skill list, ``chosen:`` multipliers, ``programme:`` settings); a whole list
is not a parameter here (vary one element, or the chosen markets). Ranges: the calibration
entry's ``range`` where it has one; the documented ranges of :data:`EXTRA_RANGES` otherwise; or
``KEY=LOW:HIGH``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from abm.analysis.design import (
    BOOTSTRAP,
    MORRIS_LEVELS,
    check_samples,
    group_size,
    make_problem,
)
from abm.analysis.errors import SensitivityInputError
from abm.analysis.flip import FLIP_LEVEL
from abm.analysis.outcome_names import Outcome, parse_outcome
from abm.analysis.series import recorded_years
from abm.calibration import calibration_ranges
from abm.io.provenance import model_version, now_iso, package_version
from abm.scenario import Scenario, load_scenario
from abm.scenario.overrides import (
    Override,
    apply_overrides,
    parse_key,
    parse_range,
    reraise_as,
)
from abm.scenario.schema import targeted_programmes

#: The parameters varied by default (issue #5).
DEFAULT_PARAMETERS: tuple[str, ...] = (
    "rd.sigma",
    "rd.eta",
    "rd.elasticity_long",
    "programme:grant.selection_noise",
    "chosen:niches.niche_share",
    "chosen:niches.niche_growth",
    "labour.migration_mobility",
    "grid.congestion_cap",
    "programme:procurement.domestic_share",
    "finance.coinvest_crowding_in",
)
#: Ranges of keys that have no ``range`` in the calibration file (documented in docs).
EXTRA_RANGES: dict[str, tuple[float, float]] = {
    "programme:grant.selection_noise": (0.0, 2.0),
    "programme:procurement.domestic_share": (0.2, 0.8),
    "chosen:niches.niche_share": (0.0, 1.5),
    "chosen:niches.niche_growth": (0.0, 1.5),
    "reallocation": (0.0, 1.0),
}
#: The outcomes analysed by default.
DEFAULT_OUTCOMES: tuple[str, ...] = ("gdp_real_2040", "rd_intensity_2030")
#: The seeds of a study's members.
SEED_SCHEME = (
    "member k of every point and both scenarios runs with "
    "numpy.random.SeedSequence(root_seed, spawn_key=(k,)) (common random numbers)"
)


@dataclass(frozen=True)
class Parameter:
    """An uncertain parameter: where its value goes in a scenario, and its range.

    Attributes
    ----------
    override : Override
        Where the value goes (key, kind, target, index, instrument).
    low, high : float
        The range sampled.
    range_source : str
        ``"calibration"``, ``"documented"`` (:data:`EXTRA_RANGES`) or ``"given"``.
    """

    override: Override
    low: float
    high: float
    range_source: str

    @property
    def key(self) -> str:
        """Canonical key."""
        return self.override.key

    @property
    def kind(self) -> str:
        """``"calibration"``, ``"element"``, ``"chosen"`` or ``"programme"``."""
        return self.override.kind

    @property
    def target(self) -> str:
        """The calibration key, or the programme field."""
        return self.override.target

    @property
    def index(self) -> int | None:
        """Element index (``kind == "element"``)."""
        return self.override.index

    @property
    def instrument(self) -> str | None:
        """Programme instrument (``kind == "programme"``)."""
        return self.override.instrument

    def default(self, scenario: Scenario) -> float:
        """The value ``scenario`` runs with when the parameter is not varied (NaN if the
        scenario has no programme of the instrument)."""
        return self.override.default(scenario)


def parse_parameter(spec: str) -> Parameter:
    """Parse ``KEY`` or ``KEY=LOW:HIGH`` into a :class:`Parameter`.

    Raises
    ------
    SensitivityInputError
        Unknown key, no range known for it, or a malformed/empty range.
    """
    with reraise_as(SensitivityInputError):
        key, given = parse_range(spec)
        o = parse_key(key)
    if o.kind == "all":
        raise SensitivityInputError(
            f"parameter '{key}': a per-sector (or per-skill) list; vary one element "
            f"('{o.target}[ELEMENT]') or the six chosen markets with a multiplier "
            f"('chosen:{o.target}')"
        )
    calibrated = o.kind in ("calibration", "element")
    default_range = calibration_ranges().get(o.target) if calibrated else EXTRA_RANGES.get(o.key)
    if given is not None:
        low, high, source = given[0], given[1], "given"
    elif default_range is not None:
        low, high = float(default_range[0]), float(default_range[1])
        source = "calibration" if calibrated else "documented"
    else:
        raise SensitivityInputError(
            f"parameter '{o.key}': no range known for it; give one as {o.key}=LOW:HIGH"
        )
    if not high > low:
        raise SensitivityInputError(f"parameter '{o.key}': the range [{low}, {high}] is empty")
    return Parameter(o, low, high, source)


def resolve_parameters(specs: Sequence[str] | None) -> list[Parameter]:
    """Parse the parameter specs (default :data:`DEFAULT_PARAMETERS`); duplicates are errors."""
    params = [parse_parameter(s) for s in (specs if specs else DEFAULT_PARAMETERS)]
    keys = [p.key for p in params]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise SensitivityInputError(f"parameter '{dup[0]}' given twice")
    for p in params:
        if p.kind == "element" and any(q.kind == "chosen" and q.target == p.target for q in params):
            raise SensitivityInputError(
                f"parameter '{p.key}' and 'chosen:{p.target}' both set '{p.target}'; vary one"
            )
    return params


def apply_parameters(scenario: Scenario, values: Mapping[Parameter, float]) -> Scenario:
    """A validated copy of ``scenario`` with the parameter values applied.

    Raises
    ------
    SensitivityInputError
        A value the scenario format rejects (e.g. a programme setting out of its bounds).
    """
    with reraise_as(SensitivityInputError):
        return apply_overrides(scenario, [(p.override, v) for p, v in values.items()])


def _dose_values(
    scenario: Scenario, other: Scenario, values: Mapping[Parameter, float]
) -> dict[Parameter, float]:
    """The values that apply to ``scenario`` in an A-B study: the dose of focus
    (``reallocation``) applies to the scenarios with targeted programmes; the one without them
    (``diffuse``, ``laissez_faire``) is what the dose is compared with, as in a sweep."""
    if not targeted_programmes(scenario) and targeted_programmes(other):
        return {p: v for p, v in values.items() if p.key != "reallocation"}
    return dict(values)


@dataclass(frozen=True)
class Study:
    """A checked sensitivity study: what runs, and how it is analysed."""

    a: Scenario
    b: Scenario
    method: Literal["morris", "sobol"]
    samples: int
    parameters: list[Parameter]
    outcomes: list[Outcome]
    quarters: int
    runs: int
    top: int
    root_seed: int
    scale: float | None
    check_accounts: bool
    num_levels: int
    in_process: bool

    @property
    def names(self) -> tuple[str, str]:
        """The two scenarios' names."""
        return self.a.name, self.b.name

    @property
    def seed(self) -> int:
        """The sampling and bootstrap seed, ``root_seed % 2**32``."""
        return int(self.root_seed % 2**32)

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem of the parameters."""
        return make_problem(
            [p.key for p in self.parameters], [(p.low, p.high) for p in self.parameters]
        )

    def defaults(self) -> dict[str, float]:
        """The value each parameter has unless varied (A's, or B's where A has none)."""
        return {
            p.key: p.default(self.a) if np.isfinite(p.default(self.a)) else p.default(self.b)
            for p in self.parameters
        }


def _check_options(
    method: str,
    runs: int,
    top: int,
    root_seed: int,
    workers: int | None,
    scheduler: str | None,
    quarters: int | None,
    scale: float | None,
    num_levels: int,
) -> None:
    checks = [
        (
            isinstance(runs, bool) or int(runs) != runs or runs < 1,
            f"option '--runs': must be at least 1 (got {runs})",
        ),
        (int(top) != top or top < 1, f"option '--top': must be at least 1 (got {top})"),
        (
            not isinstance(root_seed, int | np.integer) or not 0 <= root_seed < 2**63,
            f"option '--seed': the root seed must be an integer in [0, 2**63) (got {root_seed})",
        ),
        (
            workers is not None and workers < 1,
            f"option '--workers': must be at least 1 (got {workers})",
        ),
        (
            workers is not None and bool(scheduler),
            "options '--workers' and '--scheduler' cannot be combined",
        ),
        (
            quarters is not None and (int(quarters) != quarters or quarters < 1),
            f"option '--quarters': must be at least 1 (got {quarters})",
        ),
        (
            scale is not None and not (math.isfinite(scale) and scale >= 1),
            f"option '--scale': must be at least 1 person per agent (got {scale})",
        ),
        (num_levels < 2, f"num_levels must be at least 2 (got {num_levels})"),
    ]
    for bad, msg in checks:
        if bad:
            raise SensitivityInputError(msg)


def plan_study(
    a: str | Scenario,
    b: str | Scenario,
    method: str,
    samples: int | None,
    parameters: Sequence[str] | None,
    outcomes: Sequence[str] | None,
    root_seed: int,
    quarters: int | None,
    scale: float | None,
    workers: int | None,
    *,
    runs: int,
    top: int,
    check_accounts: bool,
    scheduler: str | None,
    num_levels: int = MORRIS_LEVELS,
) -> Study:
    """Check every input of a study (as :func:`abm.sensitivity.sensitivity` takes them).

    Raises
    ------
    SensitivityInputError
        Bad input: an option, scenario, parameter or outcome, or a range whose ends do not
        make valid scenarios.
    """
    if method not in ("morris", "sobol"):
        raise SensitivityInputError(
            f"option '--method': unknown '{method}'; allowed: morris, sobol"
        )
    samples = (10 if method == "morris" else 64) if samples is None else samples
    check_samples(method, samples)
    _check_options(method, runs, top, root_seed, workers, scheduler, quarters, scale, num_levels)
    with reraise_as(SensitivityInputError):
        sa = a if isinstance(a, Scenario) else load_scenario(a)
        sb = b if isinstance(b, Scenario) else load_scenario(b)
    if sa.name == sb.name:
        raise SensitivityInputError(
            f"scenarios A and B are both named '{sa.name}'; compare two different scenarios"
        )
    q = int(quarters or sa.run.quarters)
    if quarters is None and sb.run.quarters != sa.run.quarters:
        raise SensitivityInputError(
            f"scenarios record different numbers of quarters ({sa.run.quarters}, "
            f"{sb.run.quarters}); pass --quarters"
        )
    if sa.run.start_year != sb.run.start_year:
        raise SensitivityInputError("scenarios A and B start in different years")
    years = recorded_years(sa.run.start_year, q)
    outs = [parse_outcome(o, years) for o in (outcomes or DEFAULT_OUTCOMES)]
    onames = [o.name for o in outs]
    if len(set(onames)) != len(onames):
        dup = next(n for n in onames if onames.count(n) > 1)
        raise SensitivityInputError(f"outcome '{dup}' given twice")
    params = resolve_parameters(parameters)
    for p in params:
        if p.kind == "programme" and not any(
            s.instrument == p.instrument for sc in (sa, sb) for s in sc.programmes.values()
        ):
            raise SensitivityInputError(
                f"parameter '{p.key}': neither '{sa.name}' nor '{sb.name}' has a "
                f"'{p.instrument}' programme"
            )
    for sc, other in ((sa, sb), (sb, sa)):  # both ends of every range make valid scenarios
        for end in ("low", "high"):
            apply_parameters(sc, _dose_values(sc, other, {p: getattr(p, end) for p in params}))
    return Study(
        sa,
        sb,
        method,
        int(samples),
        params,
        outs,
        q,
        int(runs),
        int(top),  # type: ignore[arg-type]
        int(root_seed),
        scale,
        check_accounts,
        num_levels,
        workers == 1 and not scheduler,
    )


def point_scenarios(study: Study, X: np.ndarray) -> list[tuple[Scenario, Scenario]]:
    """A and B with the values of each sample point applied (validated: bad values raise
    before any member runs)."""
    out = []
    for row in X:
        vals = dict(zip(study.parameters, row, strict=True))
        out.append(
            (
                apply_parameters(study.a, _dose_values(study.a, study.b, vals)),
                apply_parameters(study.b, _dose_values(study.b, study.a, vals)),
            )
        )
    return out


def paired_differences(
    members: pd.DataFrame, outcomes: Sequence[Outcome], points: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Mean over members of the paired differences ``A_k - B_k`` per point; pairs counted."""
    a = members[members["role"] == "a"].set_index(["point", "member"])
    b = members[members["role"] == "b"].set_index(["point", "member"])
    diff = a[[oc.name for oc in outcomes]] - b[[oc.name for oc in outcomes]]
    mean = diff.groupby(level="point").mean().reindex(range(points))
    pairs = diff.notna().all(axis=1).groupby(level="point").sum().reindex(range(points))
    return mean, pairs.fillna(0).astype(int).to_numpy()


def provenance(
    study: Study,
    points: int,
    used: Mapping[str, int],
    failures: list[dict[str, Any]],
    defaults: Mapping[str, float],
    ensemble: str | None,
    run_seconds: float,
) -> dict[str, Any]:
    """What ``sensitivity.json`` records (the caller adds ``seconds``)."""
    g = group_size(study.method, len(study.parameters))
    return {
        "model_version": model_version(),
        "created": now_iso(),
        "a": study.a.name,
        "b": study.b.name,
        "difference": f"{study.a.name} - {study.b.name}",
        "method": study.method,
        "samples": study.samples,
        "num_levels": int(study.num_levels) if study.method == "morris" else None,
        "points": int(points),
        "runs": study.runs,
        "members": int(2 * points * study.runs),
        "root_seed": study.root_seed,
        "sampling_seed": study.seed,
        "seed_scheme": SEED_SCHEME,
        "quarters": study.quarters,
        "scale": float(study.scale if study.scale is not None else study.a.run.scale),
        "check_accounts": bool(study.check_accounts),
        "execution": "in-process" if study.in_process else "dask (abm.ensemble.run_ensemble)",
        "ensemble": ensemble,
        "parameters": {
            p.key: {
                "low": p.low,
                "high": p.high,
                "range_source": p.range_source,
                "kind": p.kind,
                "default": defaults[p.key],
            }
            for p in study.parameters
        },
        "outcomes": {
            oc.name: {
                "units": oc.units,
                "higher_is_better": oc.higher_is_better,
                "description": oc.description,
            }
            for oc in study.outcomes
        },
        "groups_used": {
            k: f"{v} of {points // g} {'trajectories' if study.method == 'morris' else 'blocks'}"
            for k, v in used.items()
        },
        "failures": failures,
        "flip_method": "least-squares line of the difference on the parameter over the sample; "
        f"{FLIP_LEVEL:.0%} bootstrap interval from {BOOTSTRAP} resamples of the points",
        "salib_version": package_version("SALib", missing="unknown"),
        "run_seconds": round(run_seconds, 2),
    }
