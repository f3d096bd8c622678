"""The arguments of ``EconomyModel`` that follow Mesa's conventions: the seed and the scenario.

A run is a function of (scenario, seed). ``seed=None`` (Mesa's default) draws fresh entropy
from the operating system and records it (``model.seed``, the dataset's ``seed`` attribute), so
``EconomyModel(scenario, seed=model.seed)`` repeats the run; ``rng`` is Mesa's other name for the
seed, and a ``numpy.random.Generator`` given as either draws the seed from it. ``mesa.batch_run``
calls ``EconomyModel(**kwargs)`` with the values of its ``parameters``: a scenario's name, a TOML
path or a ``Scenario`` (in a list: ``batch_run`` iterates over a value that is not a string).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from abm.scenario import Scenario, load_scenario


def seed_argument(seed: Any, rng: Any = None) -> tuple[np.random.SeedSequence, int]:
    """The member's ``SeedSequence`` and the seed to record.

    Parameters
    ----------
    seed, rng : int, numpy.random.SeedSequence, numpy.random.Generator or None
        At most one of them; None draws fresh entropy.

    Returns
    -------
    (numpy.random.SeedSequence, int)
        The sequence, and the integer seed (a SeedSequence's entropy) that rebuilds it.

    Raises
    ------
    ValueError
        Both given, or a negative integer.
    TypeError
        Not an integer, a SeedSequence or a Generator.
    """
    if rng is not None:
        if seed is not None:
            raise ValueError("give seed or rng, not both (rng is Mesa's name for the seed)")
        seed = rng
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**63))
    if isinstance(seed, np.random.SeedSequence):
        return seed, seed.entropy
    if seed is None:
        ss = np.random.SeedSequence()
        return ss, int(ss.entropy)
    if isinstance(seed, float) and math.isfinite(seed) and seed.is_integer():
        seed = int(seed)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(
            f"seed: expected an integer, a numpy SeedSequence or Generator, or None (fresh "
            f"entropy), got {seed!r}"
        )
    return np.random.SeedSequence(int(seed)), int(seed)


def scenario_argument(scenario: Any) -> Scenario:
    """A ``Scenario`` from a ``Scenario``, a shipped scenario's name or a TOML path.

    Raises
    ------
    abm.scenario.ScenarioError
        An unknown name or a bad file.
    TypeError
        Anything else (e.g. the ``(field, value)`` pairs ``mesa.batch_run`` makes of a
        ``Scenario`` given outside a list).
    """
    if isinstance(scenario, str | Path):
        return load_scenario(scenario)
    if not isinstance(scenario, Scenario):
        raise TypeError(
            f"scenario: expected a Scenario, a shipped scenario's name or a TOML path, got "
            f"{type(scenario).__name__} {scenario!r:.60} (in mesa.batch_run parameters, put a "
            "Scenario in a list)"
        )
    return scenario


__all__ = ["scenario_argument", "seed_argument"]


#: the coarsest scale (persons per talent agent) at which ``threads > 1`` are used: from 1:10
#: (about 1.2 million talent agents) a two-thread quarter was no slower than one on the machines
#: of issue #13, at 1:20 and 1:200 it was 14% and twice as slow (docs/performance.md, "Threads")
THREADS_FROM_SCALE = 10.0


def effective_threads(threads: int, scale: float, from_scale: float | None = None) -> int:
    """The numba threads a run at ``scale`` uses when ``threads`` are asked for: ``threads`` at
    ``from_scale`` persons per agent and finer, else 1. ``from_scale`` defaults to the
    environment's ``ABM_THREADS_FROM_SCALE`` (which reaches an ensemble's worker processes;
    ``inf``: threads at any scale), else :data:`THREADS_FROM_SCALE`."""
    if from_scale is None:
        from_scale = os.environ.get("ABM_THREADS_FROM_SCALE") or THREADS_FROM_SCALE
    try:
        limit = float(from_scale)
    except ValueError:
        limit = math.nan
    if not limit > 0:  # NaN too
        raise ValueError(f"threads_from_scale (or ABM_THREADS_FROM_SCALE) must be a positive "
                         f"number of persons per agent, got {from_scale!r}")  # fmt: skip
    return threads if scale <= limit else 1
