"""Stock-flow consistency: the checks pass on real runs and catch a broken flow."""

from __future__ import annotations

import numpy as np
import pytest

from abm import AccountingError, EconomyModel


def test_checks_hold_every_quarter_of_a_run(diffuse_run):
    # the run itself checked every quarter; net lending sums to zero across sectors
    nl = diffuse_run.accounts.net_lending()
    assert abs(nl.sum()) <= 1e-8 * diffuse_run.gdp_production()
    assert np.all(
        np.abs(diffuse_run.accounts.tfm.sum(axis=1)) <= 1e-8 * diffuse_run.gdp_production()
    )


class _Leaky(EconomyModel):
    """Pays households a transfer without recording it: the check must catch it."""

    def programmes_pay(self) -> None:
        super().programmes_pay()
        if self.quarter >= 0:
            self.bs.deposits_h += 1e8


class _Unbalanced(EconomyModel):
    """Books a payment under one kind and its receipt under another (money moved correctly)."""

    def pay_incomes(self) -> None:
        super().pay_incomes()
        self.firm_pop.cash = self.firm_pop.cash - 5e8 / len(self.firm_pop)
        self.bs.deposits_h += 5e8
        self.accounts.pay("wages", 1, 5e8)
        self.accounts.receive("transfers", 0, 5e8)


class _Writeoff(EconomyModel):
    """Forgets a firm's loans without recording the write-off."""

    def entry_and_exit(self) -> None:
        super().entry_and_exit()
        self.firm_pop.loans = self.firm_pop.loans * 0.999


def test_an_unrecorded_money_movement_is_caught_and_named():
    m = _Leaky("diffuse", seed=1, scale=2000, quarters=2)
    with pytest.raises(AccountingError) as e:
        m.run()
    msg = str(e.value)
    assert "2026Q1" in msg and "households" in msg and "net lending" in msg


def test_a_misclassified_flow_breaks_the_row_sums():
    m = _Unbalanced("diffuse", seed=1, scale=2000, quarters=1)
    with pytest.raises(AccountingError) as e:
        m.run()
    msg = str(e.value)
    assert "2024Q1" in msg and "flow row 'wages'" in msg and "firms" in msg


def test_a_silent_balance_sheet_change_is_caught():
    m = _Writeoff("diffuse", seed=1, scale=2000, quarters=1)
    with pytest.raises(AccountingError) as e:
        m.run()
    assert "sector 'firms'" in str(e.value) or "sector 'financial'" in str(e.value)


def test_gdp_by_production_equals_gdp_by_expenditure(diffuse_run):
    ds = diffuse_run.to_dataset()
    assert diffuse_run.gdp_production() == pytest.approx(diffuse_run.gdp_expenditure(), rel=1e-9)
    assert float(ds["gdp"][-1]) == pytest.approx(diffuse_run.gdp_production(), rel=1e-12)
