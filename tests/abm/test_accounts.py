"""Stock-flow consistency: the checks pass on real runs and catch a broken flow."""

from __future__ import annotations

import numpy as np
import pytest

from abm import AccountingError, EconomyModel
from abm.mechanisms import entry_exit, incomes, subsidies


def test_checks_hold_every_quarter_of_a_run(diffuse_run):
    # the run itself checked every quarter; net lending sums to zero across sectors
    nl = diffuse_run.accounts.net_lending()
    assert abs(nl.sum()) <= 1e-8 * diffuse_run.gdp_production()
    assert np.all(
        np.abs(diffuse_run.accounts.tfm.sum(axis=1)) <= 1e-8 * diffuse_run.gdp_production()
    )


def _after(monkeypatch, module, name, extra):
    """Run ``extra(eco)`` after the mechanism ``module.name`` each quarter."""
    original = getattr(module, name)

    def wrapped(eco, f):
        original(eco, f)
        extra(eco)

    monkeypatch.setattr(module, name, wrapped)


def _leak(eco):
    """Pays households a transfer without recording it: the check must catch it."""
    if eco.quarter >= 0:
        eco.bs.deposits_h += 1e8


def _misbook(eco):
    """Books a payment under one kind and its receipt under another (money moved correctly)."""
    eco.firm_pop.cash = eco.firm_pop.cash - 5e8 / len(eco.firm_pop)
    eco.bs.deposits_h += 5e8
    eco.accounts.pay("wages", 1, 5e8)
    eco.accounts.receive("transfers", 0, 5e8)


def _forget_writeoff(eco):
    """Forgets a firm's loans without recording the write-off."""
    eco.firm_pop.loans = eco.firm_pop.loans * 0.999


def test_an_unrecorded_money_movement_is_caught_and_named(monkeypatch):
    _after(monkeypatch, subsidies, "pay", _leak)
    m = EconomyModel("diffuse", seed=1, scale=2000, quarters=2)
    with pytest.raises(AccountingError) as e:
        m.run()
    msg = str(e.value)
    assert "2026Q1" in msg and "households" in msg and "net lending" in msg


def test_a_misclassified_flow_breaks_the_row_sums(monkeypatch):
    _after(monkeypatch, incomes, "pay", _misbook)
    with pytest.raises(AccountingError) as e:  # in the burn-in, which runs in EconomyModel()
        EconomyModel("diffuse", seed=1, scale=2000, quarters=1).run()
    msg = str(e.value)
    assert "2024Q1" in msg and "flow row 'wages'" in msg and "firms" in msg


def test_a_silent_balance_sheet_change_is_caught(monkeypatch):
    _after(monkeypatch, entry_exit, "enter_firms", _forget_writeoff)
    with pytest.raises(AccountingError) as e:
        EconomyModel("diffuse", seed=1, scale=2000, quarters=1).run()
    assert "sector 'firms'" in str(e.value) or "sector 'financial'" in str(e.value)


def test_gdp_by_production_equals_gdp_by_expenditure(diffuse_run):
    ds = diffuse_run.to_dataset()
    assert diffuse_run.gdp_production() == pytest.approx(diffuse_run.gdp_expenditure(), rel=1e-9)
    assert float(ds["gdp"][-1]) == pytest.approx(diffuse_run.gdp_production(), rel=1e-12)


def test_households_receive_what_the_employed_agents_earn(monkeypatch):
    # incomes.pay credits households with the firms' wage bill; agent by agent, the employed
    # talent agents earn wages[employer, skill] x persons per agent, and the two agree
    seen = []

    def check(eco):
        tp = eco.talent_pop
        emp = np.flatnonzero(tp.employer >= 0)
        earned = float((eco.firm_wages()[tp.employer[emp], tp.skill[emp]] * eco.scale).sum())
        seen.append((earned, float(eco.flows.wage_bill.sum())))

    _after(monkeypatch, incomes, "pay", check)
    EconomyModel("diffuse", seed=2, scale=2000, quarters=3).run()
    assert len(seen) >= 3
    for earned, bill in seen:
        assert bill > 0 and earned == pytest.approx(bill, rel=1e-12)
