"""The values a calibration parameter can physically take (its domain), checked on every override.

A scenario's ``[parameters]`` and ``[uncertain]`` ranges, ``--set`` overrides, sensitivity
samples and ``Scenario.with_parameters`` all pass through ``abm.scenario.loading.validate_data``,
which rejects a value outside its key's domain with a one-line error naming the file, the key
and the allowed interval. A domain is wider than the key's sensitivity range in
``netherlands.toml`` (what the evidence supports): it only excludes what has no meaning, such as a
negative retirement rate, an import share of 1.7 or a zero loan maturity.

Rules are matched in order, the first one that matches a key wins (``fnmatch`` patterns on
``section.name``); the last rule, ``*``, makes every key not listed before it a non-negative
magnitude. The shipped calibration and its sensitivity ranges lie inside every domain
(``tests/abm/test_domains.py``); non-finite values are refused before this check.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

import numpy as np

INF = float("inf")

#: (pattern, low, high, what the key is): closed intervals [low, high]
RULES: tuple[tuple[str, float, float, str], ...] = (
    # signed shares of GDP and paths: any finite value
    ("macro.current_account_share", -INF, INF, "a signed share of GDP"),
    ("government.balance_share", -INF, INF, "a signed share of GDP"),
    ("government.extra_spending_path", -INF, INF, "a signed share of GDP"),
    ("macro.exports_gross_share", 0.0, INF, "a ratio to GDP"),
    ("government.debt_share", 0.0, INF, "a ratio to GDP"),
    ("macro.real_growth_2025", -1.0, INF, "a growth rate"),
    ("macro.projected_nominal_growth", -1.0, INF, "a growth rate"),
    ("macro.inflation_target", -1.0, INF, "a growth rate"),
    ("sectors.world_demand_growth", -1.0, INF, "a growth rate"),
    ("niches.niche_growth", -1.0, INF, "a growth rate"),
    ("niches.base_world_growth", -1.0, INF, "a growth rate"),
    ("labour.labour_force_growth", -1.0, INF, "a growth rate"),
    ("firms.entrant_productivity_gap", -INF, INF, "a log gap"),
    ("rd.jump_low", -1.0, INF, "a relative productivity change"),
    ("rd.jump_high", -1.0, INF, "a relative productivity change"),
    ("firms.loan_rate", -1.0, 1.0, "an interest rate a year"),
    ("firms.deposit_rate", -1.0, 1.0, "an interest rate a year"),
    ("firms.bond_rate", -1.0, 1.0, "an interest rate a year"),
    ("finance.world_return", -1.0, INF, "a rate of return a year"),
    ("finance.initial_profit_rate", -1.0, INF, "a rate of return a year"),
    ("macro.world_shock_persistence", -1.0, 1.0, "an autocorrelation"),
    ("finance.home_bias", -INF, INF, "a utility premium (signed)"),
    # probabilities, shares and rates of a whole
    ("*_share", 0.0, 1.0, "a share"),
    ("*_shares", 0.0, 1.0, "a share"),
    ("*_share_*", 0.0, 1.0, "a share"),
    ("*_mix", 0.0, 1.0, "a share"),
    ("*_mix_high", 0.0, 1.0, "a share"),
    ("*_mix_low", 0.0, 1.0, "a share"),
    ("labour.*_rate", 0.0, 1.0, "a rate a year"),
    ("firms.entry_rate", 0.0, 1.0, "a rate a year"),
    ("macro.depreciation_rate", 0.0, 1.0, "a rate a year"),
    ("rd.knowledge_depreciation", 0.0, 1.0, "a rate a year"),
    ("government.*_rate*", 0.0, 1.0, "a tax rate"),
    ("rd.subsidy_rate_2025", 0.0, 1.0, "a subsidy rate"),
    ("labour.search_probability", 0.0, 1.0, "a probability"),
    ("macro.capacity_utilisation", 0.0, 1.0, "a share"),
    ("firms.payout_ratio", 0.0, 1.0, "a share"),
    ("firms.excess_cash_payout", 0.0, 1.0, "a share"),
    ("firms.rd_staff_cap", 0.0, 1.0, "a share"),
    ("rd.box_qualifying_cap", 0.0, 1.0, "a share"),
    ("labour.reservation_*", 0.0, INF, "a ratio of wages"),
    ("labour.natural_rate_burn_in_weight", 0.0, 1.0, "a weight"),
    ("firms.expectation_weight", 0.0, 1.0, "a weight"),
    ("firms.trend_weight", 0.0, 1.0, "a weight"),
    ("households.income_smoothing", 0.0, 1.0, "a weight"),
    ("labour.premium_relaxation", 0.0, 1.0, "a speed"),
    ("government.fiscal_rule_speed", 0.0, 1.0, "a speed"),
    ("finance.coinvest_risk_relief", 0.0, 1.0, "a share"),
    ("grid.congestion_cap", 0.0, 1.0, "a share"),
    # counts, sizes, money, durations: positive
    ("macro.gdp_2025", 0.0, INF, "euros"),
    ("macro.population_2025", 1.0, INF, "persons"),
    ("labour.labour_force", 1.0, INF, "persons"),
    ("labour.search_sample", 1.0, INF, "vacancies sampled"),
    ("firms.enterprises_with_staff", 1.0, INF, "firms"),
    ("firms.min_agents_per_sector", 1.0, INF, "agents"),
    ("firms.exit_patience_quarters", 1.0, INF, "quarters"),
    ("finance.loan_maturity", 0.25, INF, "years"),
    ("finance.investor_count", 1.0, INF, "investors"),
    ("macro.capital_output_ratio", 0.0, INF, "a positive ratio"),
    ("sectors.capital_intensity", 0.0, INF, "a positive ratio"),
    # everything else that is numeric is a non-negative magnitude (a level, a sd, an
    # elasticity, a slope, a multiple) unless listed above
    ("*", 0.0, INF, "a magnitude"),
)

#: domains that exclude their lower end (a value of exactly 0 is meaningless)
_OPEN_LOW = {"macro.gdp_2025", "macro.capital_output_ratio", "sectors.capital_intensity"}


def domain(key: str) -> tuple[float, float, str]:
    """(low, high, what) of ``key``'s domain: the first rule of :data:`RULES` that matches."""
    for pattern, lo, hi, what in RULES:
        if fnmatchcase(key, pattern):
            return lo, hi, what
    return -INF, INF, "any finite value"


def outside(key: str, value: float | list[float] | np.ndarray) -> str | None:
    """None when every element of ``value`` lies in ``key``'s domain, else what is allowed."""
    lo, hi, what = domain(key)
    v = np.asarray(value, dtype=float)
    low_ok = v > lo if key in _OPEN_LOW else v >= lo
    if np.all(low_ok & (v <= hi)):
        return None
    left = "(" if key in _OPEN_LOW else "["
    if lo == -INF and hi == INF:
        return None
    if hi == INF:
        interval = f"{'above' if key in _OPEN_LOW else 'at least'} {lo:g}"
    elif lo == -INF:
        interval = f"at most {hi:g}"
    else:
        interval = f"in {left}{lo:g}, {hi:g}]"
    bad = v[~(low_ok & (v <= hi))]
    return f"{bad.flat[0]:g} not allowed ({what}: {interval})"
