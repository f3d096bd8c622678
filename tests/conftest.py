"""Shared fixtures: small, fast runs of the shipped scenarios."""

from __future__ import annotations

import pytest

from abm import EconomyModel

SMALL_SCALE = 1000.0  # persons per talent agent: ~12k agents, fast enough for unit tests


@pytest.fixture(scope="session")
def diffuse_run() -> EconomyModel:
    """`diffuse`, seed 1, default burn-in, 6 recorded quarters at a small scale."""
    return EconomyModel("diffuse", seed=1, scale=SMALL_SCALE, quarters=6).run()
