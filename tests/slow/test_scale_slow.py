"""The whole country (``pytest -m slow``): two recorded quarters at 1:1 (one talent agent per
person, about 10 million, and some 430 thousand firm agents), accounting checks on."""

from __future__ import annotations

import resource
import time

import numpy as np
import pytest

from abm import EconomyModel

pytestmark = pytest.mark.slow


def test_two_quarters_of_the_netherlands_at_one_to_one():
    model = EconomyModel("diffuse", seed=1, scale=1, quarters=2)
    assert len(model.talent_pop) > 9_000_000 and len(model.firm_pop) > 300_000
    times = []
    while model.quarter < model.quarters:
        t0 = time.perf_counter()
        model.step()  # the stock-flow checks run after every quarter
        times.append(time.perf_counter() - t0)
    ds = model.to_dataset()
    assert ds.sizes["time"] == 2
    assert ds.attrs["talent_agents"] == len(model.talent_pop)
    assert ds.attrs["firm_agents"] == len(model.firm_pop)
    for name in ("gdp", "employment", "unemployment_rate"):
        assert np.isfinite(ds[name].values).all() and (ds[name].values > 0).all()
    assert 0.02 < float(ds["unemployment_rate"].mean()) < 0.08
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    assert peak_gib < 16, f"peak memory {peak_gib:.1f} GiB"
    assert min(times[1:]) < 10.0, f"quarters took {times}"  # about 1 s on the project machine
    residents, staff = model.recount_talent()
    np.testing.assert_array_equal(model.labour.residents, residents)
    np.testing.assert_array_equal(model.labour.staff, staff)
