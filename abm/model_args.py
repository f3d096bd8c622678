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
