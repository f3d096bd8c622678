"""Compatibility re-export (one release): the accounts live in :mod:`abm.state.accounts`."""

from __future__ import annotations

from abm.state.accounts import (  # noqa: F401
    FLOW_KINDS,
    KIND,
    AccountingError,
    Accounts,
    BalanceSheets,
    financial_net_worth,
    foreign_position,
)
