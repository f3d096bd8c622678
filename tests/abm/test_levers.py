"""Every policy lever and key parameter moves its outputs in the intended direction.

Each test runs a small model twice with the same seed (common random numbers), lever off and on,
and compares the outputs the lever should move. No switch may silently do nothing.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import xarray as xr

from abm import EconomyModel, load_scenario
from abm.sectors import SECTORS

SCALE = 2000.0
Q = 12


def _variant(
    base: str,
    programmes: dict[str, dict[str, Any]] | None,
    parameters: dict[str, Any] | None,
    defence: dict[str, Any] | None,
    quarters: int,
    seed: int,
) -> xr.Dataset:
    sc = load_scenario(base)
    data = sc.model_dump(exclude={"source_file"})
    for name, spec in (programmes or {}).items():
        data["programmes"][name] = {**data["programmes"].get(name, {}), **spec}
    data["parameters"] = {**data["parameters"], **(parameters or {})}
    data["defence"] = {**data["defence"], **(defence or {})}
    scenario = type(sc).model_validate(data)
    return EconomyModel(scenario, seed=seed, scale=SCALE, quarters=quarters).run().to_dataset()


_RUNS: dict[str, xr.Dataset] = {}


def variant(
    base: str = "laissez_faire",
    programmes: dict[str, dict[str, Any]] | None = None,
    parameters: dict[str, Any] | None = None,
    defence: dict[str, Any] | None = None,
    quarters: int = Q,
    seed: int = 5,
) -> xr.Dataset:
    """The run of ``base`` with these changes, seeded ``seed``, over ``quarters`` quarters.

    Runs are kept by their arguments: several tests compare against the same run (the plain
    ``variant()`` above all), which is made once; the tests only read the datasets."""
    key = json.dumps([base, programmes, parameters, defence, quarters, seed], sort_keys=True)
    if key not in _RUNS:
        _RUNS[key] = _variant(base, programmes, parameters, defence, quarters, seed)
    return _RUNS[key]


def total(ds, name, sector=None):
    da = ds[name]
    if sector is not None:
        da = da.sel(sector=sector)
    return float(da.sum())


def test_rd_tax_credit_rate_raises_business_rd():
    low = variant(
        programmes={
            "c": {
                "instrument": "rd_tax_credit",
                "budget": 1.5e9,
                "rate_first": 0.1,
                "rate_second": 0.05,
                "rate_starter": 0.1,
                "track_budget": False,
            }
        }
    )
    high = variant(
        programmes={
            "c": {
                "instrument": "rd_tax_credit",
                "budget": 1.5e9,
                "rate_first": 0.6,
                "rate_second": 0.4,
                "rate_starter": 0.6,
                "track_budget": False,
            }
        }
    )
    assert total(high, "business_rd") > total(low, "business_rd")
    assert total(high, "programme_spending") > total(low, "programme_spending")


def test_rd_tax_credit_budget_raises_business_rd():
    none = variant()
    credit = variant(programmes={"c": {"instrument": "rd_tax_credit", "budget": 3e9}})
    assert total(credit, "business_rd") > total(none, "business_rd")
    assert abs(total(credit, "programme_spending", None) - total(none, "programme_spending")) > 1e9


def test_innovation_box_lowers_user_cost_and_raises_rd():
    none = variant()
    box = variant(programmes={"b": {"instrument": "innovation_box", "budget": 3e9}})
    assert total(box, "business_rd") > total(none, "business_rd")


def test_grants_raise_rd_in_their_target_sector():
    prog = {
        "g": {"instrument": "grant", "budget": 2e9, "targets": ["machinery"], "grant_share": 0.5}
    }
    # the money went to machinery only: its knowledge stock per unit of output rises (a sector
    # large enough to keep its talent agents at this coarse test scale); three paired seeds
    k = lambda ds, s: float(ds["knowledge_intensity"].sel(sector=s)[-1])  # noqa: E731
    rd_gain, own, services = [], [], []
    for seed in (1, 2, 3):
        none, grants = variant(seed=seed), variant(seed=seed, programmes=prog)
        rd_gain.append(total(grants, "business_rd") / total(none, "business_rd"))
        own.append(k(grants, "machinery") / k(none, "machinery"))
        services.append(k(grants, "services") / k(none, "services"))
    assert np.mean(rd_gain) > 1.0
    assert np.mean(own) > 1.0
    assert np.mean(own) > np.mean(services)


def test_procurement_domestic_share_raises_domestic_output_and_lowers_imports():
    va_gain, imp_gain = [], []
    for seed in (1, 2, 3):
        lo = variant(
            seed=seed,
            programmes={
                "p": {
                    "instrument": "procurement",
                    "budget": 8e9,
                    "targets": ["machinery"],
                    "domestic_share": 0.1,
                }
            },
        )
        hi = variant(
            seed=seed,
            programmes={
                "p": {
                    "instrument": "procurement",
                    "budget": 8e9,
                    "targets": ["machinery"],
                    "domestic_share": 0.9,
                }
            },
        )
        va_gain.append(
            total(hi, "value_added", "machinery") - total(lo, "value_added", "machinery")
        )
        imp_gain.append(total(hi, "imports", "machinery") - total(lo, "imports", "machinery"))
    assert np.mean(va_gain) > 0
    assert np.mean(imp_gain) < 0


def test_defence_domestic_share_raises_defence_tech_output():
    lo = variant(defence={"domestic_share": 0.2})
    hi = variant(defence={"domestic_share": 0.8, "defence_tech_share": 0.9})
    assert float(hi["defence_domestic_share"].mean()) > float(lo["defence_domestic_share"].mean())
    assert total(hi, "value_added", "defence_tech") > total(lo, "value_added", "defence_tech")
    assert total(hi, "imports", "defence_tech") < total(lo, "imports", "defence_tech") * 1.0 + 1e12


def test_coinvestment_raises_investment_in_its_targets():
    targets = ["chemistry", "machinery"]
    none = variant()
    co = variant(
        programmes={
            "c": {
                "instrument": "coinvestment",
                "budget": 8e9,
                "budget_growth": 0.0,
                "match_ratio": 2.0,
                "targets": targets,
            }
        }
    )
    assert sum(total(co, "investment", s) for s in targets) > sum(
        total(none, "investment", s) for s in targets
    )
    extra = total(co, "programme_spending") - total(none, "programme_spending")
    assert extra == pytest.approx(8e9 / 4 * Q, rel=1e-12)


def test_coinvestment_keeps_capital_at_home():
    # public co-investment lowers the risk investors see in its sectors: less money leaves.
    # The same fund with and without its risk relief, so the public match (which leaves private
    # money unplaced, crowding it out) is the same in both runs.
    prog = {"c": {"instrument": "coinvestment", "budget": 8e9, "match_ratio": 2.0}}
    plain = variant(programmes=prog, parameters={"finance.coinvest_risk_relief": 0.0})
    relief = variant(programmes=prog, parameters={"finance.coinvest_risk_relief": 1.0})
    assert total(relief, "capital_outflow") < total(plain, "capital_outflow")


def test_crowding_in_raises_investment():
    prog = {"c": {"instrument": "coinvestment", "budget": 8e9, "match_ratio": 2.0}}
    weak = variant(programmes=prog, parameters={"finance.coinvest_crowding_in": 0.0})
    strong = variant(programmes=prog, parameters={"finance.coinvest_crowding_in": 1.0})
    assert total(strong, "investment") > total(weak, "investment")


def test_mission_agency_adds_public_rd_and_widens_its_targets_innovations():
    def agency(failure: float, seed: int):
        return variant(
            seed=seed,
            quarters=24,
            parameters={"rd.mission_opportunity": 5.0},  # a strong channel, to see it at all
            programmes={
                "m": {
                    "instrument": "mission_agency",
                    "budget": 3e9,
                    "delay_quarters": 2,
                    "failure_probability": failure,
                    "targets": ["machinery"],
                }
            },
        )

    prod = lambda ds: float(ds["productivity"].sel(sector="machinery")[-4:].mean())  # noqa: E731
    public = lambda ds: float(ds["rd_intensity_public"].mean())  # noqa: E731
    gains = []
    for seed in (1, 2, 3):
        ok, failed = agency(0.0, seed), agency(1.0, seed)
        assert public(ok) > public(variant(seed=seed, quarters=24))
        # the same money, all missions failing: the same public R&D, no wider innovations
        assert public(failed) == pytest.approx(public(ok), rel=0.02)
        gains.append(prod(ok) / prod(failed))
    assert np.mean(gains) > 1.0


def test_public_research_budget_raises_public_rd_intensity():
    base = variant()
    more = variant(programmes={"public_research": {"budget": 16e9}})
    assert float(more["rd_intensity_public"].mean()) > 1.5 * float(
        base["rd_intensity_public"].mean()
    )


def test_talent_attraction_buys_residents_at_its_price_whatever_the_field():
    price = load_scenario("laissez_faire").calibration()["labour.talent_cost_per_resident"]
    budget = 10e9  # a large budget: the stock is then many talent agents at the test scale
    prog = {"instrument": "talent_attraction", "budget": budget, "budget_growth": 0.0}
    none = variant()
    talent = variant(programmes={"t": prog})
    cheap = variant(
        programmes={"t": prog}, parameters={"labour.talent_cost_per_resident": price / 2}
    )
    aimed = variant(programmes={"t": {**prog, "targets": ["semiconductors", "machinery"]}})
    assert total(talent, "high_skill_immigration") > total(none, "high_skill_immigration")
    held = float(talent["talent_attracted"][-1])
    assert 0.8 * budget / price <= held <= 1.2 * budget / price
    assert float(cheap["talent_attracted"][-1]) > 1.6 * held
    assert abs(float(aimed["talent_attracted"][-1]) - held) <= 0.25 * held
    assert float(none["talent_attracted"].max()) == 0.0


def test_grid_capacity_lets_energy_intensive_firms_expand():
    none = variant(parameters={"grid.congestion_cap": 0.0})
    grid = variant(
        parameters={"grid.congestion_cap": 0.0},
        programmes={"g": {"instrument": "grid_capacity", "budget": 3e9}},
    )
    assert total(grid, "grid_use") > total(none, "grid_use")
    energy = [
        s
        for s, e in zip(
            SECTORS, load_scenario("diffuse").calibration()["sectors.energy_intensive"], strict=True
        )
        if e
    ]
    assert sum(total(grid, "investment", s) for s in energy) > sum(
        total(none, "investment", s) for s in energy
    )


def test_congestion_cap_limits_expansion():
    tight = variant(parameters={"grid.congestion_cap": 0.0})
    loose = variant(parameters={"grid.congestion_cap": 0.05})
    assert total(loose, "grid_use") > total(tight, "grid_use")


def test_spillover_strength_raises_productivity():
    lo = variant(quarters=20, parameters={"rd.sigma": 0.0})
    hi = variant(quarters=20, parameters={"rd.sigma": 2.0})

    def output_per_worker(ds):
        emp = ds["employment_by_sector"][-4:]
        return float((ds["productivity"][-4:] * emp).sum() / emp.sum())

    assert output_per_worker(hi) > output_per_worker(lo)


def test_rd_elasticity_scales_the_response_to_support():
    # the long-run elasticity acts through partial adjustment (the short-run one is 0.1 in
    # both), so it shows over years, not quarters
    q = 40
    lo = variant(
        quarters=q,
        parameters={"rd.elasticity_long": 0.3},
        programmes={"c": {"instrument": "rd_tax_credit", "budget": 3e9}},
    )
    hi = variant(
        quarters=q,
        parameters={"rd.elasticity_long": 1.5},
        programmes={"c": {"instrument": "rd_tax_credit", "budget": 3e9}},
    )
    base_lo = variant(quarters=q, parameters={"rd.elasticity_long": 0.3})
    base_hi = variant(quarters=q, parameters={"rd.elasticity_long": 1.5})
    gain_lo = total(lo, "business_rd") / total(base_lo, "business_rd")
    gain_hi = total(hi, "business_rd") / total(base_hi, "business_rd")
    assert gain_hi > gain_lo > 1.0


def test_higher_wages_abroad_raise_emigration():
    home = variant(parameters={"labour.foreign_wage_ratio": [0.7, 0.7, 0.7]})
    away = variant(parameters={"labour.foreign_wage_ratio": [1.3, 1.3, 1.3]})
    assert total(away, "talent_emigration") > total(home, "talent_emigration")
    assert total(away, "high_skill_emigration") > total(home, "high_skill_emigration")


def test_niche_growth_raises_exports_of_the_sector():
    # one sector's niche (machinery: large enough for this coarse test scale), so the other
    # sectors' niches do not compete for its scarce talent
    slow = variant(quarters=16, parameters={"niches.niche_growth": [0.0] * 8})
    fast = variant(quarters=16, parameters={"niches.niche_growth": [0.0] * 4 + [0.3] + [0.0] * 3})
    assert total(fast, "exports", "machinery") > total(slow, "exports", "machinery")
    assert np.isclose(
        total(fast, "exports", "services"), total(slow, "exports", "services"), rtol=0.2
    )
