"""Stock-flow consistent accounts: a transactions-flow matrix and balance-sheet checks.

Every transaction is recorded once per side: the payer's side where the payer's money leaves and
the payee's side where the payee's money arrives (``pay`` / ``receive``), often computed from
different arrays (firms' wage bills on one side, talent's wages on the other). The matrix
``tfm[kind, sector]`` holds receipts as positive and payments as negative numbers, so

- each row (transaction kind) must sum to zero: what is paid is received;
- each column sums to the sector's net lending (saving minus investment).

Balance sheets are not derived from the flows: the model updates stocks (deposits, loans, equity,
bonds, foreign assets) where the money moves, and :func:`financial_net_worth` reads them. After
each quarter :meth:`Accounts.check` verifies, to a relative tolerance of 1e-8:

(a) every sector's change in financial net worth equals its net lending;
(b) every row of the flow matrix sums to zero; GDP by production equals GDP by expenditure
    (inventory change included); the current account equals minus the financial account (the
    net capital inflow: increase in liabilities to, less claims on, the rest of the world).

A violation raises :class:`AccountingError` naming the quarter, the sector and the identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from abm.state.sectors import ACCOUNT_SECTORS

FLOW_KINDS: tuple[str, ...] = (
    "wages",
    "consumption",
    "government_purchases",
    "intermediates",
    "investment_goods",
    "exports",
    "imports",
    "labour_tax",
    "corporate_tax",
    "household_tax",
    "transfers",
    "subsidies",
    "interest",
    "dividends",
    "property_income",
    "capital_transfers",
)
KIND = {k: i for i, k in enumerate(FLOW_KINDS)}


class AccountingError(RuntimeError):
    """An accounting identity failed."""


@dataclass
class BalanceSheets:
    """Financial stocks by holder, euros. ``*_r`` are held by the rest of the world."""

    deposits_h: float = 0.0
    deposits_g: float = 0.0
    deposits_r: float = 0.0  # the rest of the world's euro balances at domestic banks
    bonds_b: float = 0.0  # government bonds held by the financial sector
    bonds_r: float = 0.0  # ... held abroad
    foreign_assets: float = 0.0  # the financial sector's claims on the rest of the world
    firm_deposits: float = 0.0  # filled from the firm arrays when net worth is computed
    firm_loans: float = 0.0
    firm_equity_b: float = 0.0
    firm_equity_r: float = 0.0
    firm_equity_g: float = 0.0


def financial_net_worth(bs: BalanceSheets) -> np.ndarray:
    """Financial net worth of (households, firms, financial, government, rest of world)."""
    h = bs.deposits_h
    f = bs.firm_deposits - bs.firm_loans - bs.firm_equity_b - bs.firm_equity_r - bs.firm_equity_g
    b = (
        bs.firm_loans
        + bs.firm_equity_b
        + bs.bonds_b
        + bs.foreign_assets
        - bs.deposits_h
        - bs.firm_deposits
        - bs.deposits_g
        - bs.deposits_r
    )
    g = bs.deposits_g + bs.firm_equity_g - bs.bonds_b - bs.bonds_r
    r = bs.deposits_r + bs.bonds_r + bs.firm_equity_r - bs.foreign_assets
    return np.array([h, f, b, g, r])


def foreign_position(bs: BalanceSheets) -> tuple[float, float]:
    """(claims on the rest of the world, liabilities to it) of the domestic economy."""
    return bs.foreign_assets, bs.deposits_r + bs.bonds_r + bs.firm_equity_r


@dataclass
class Accounts:
    """The quarter's transactions-flow matrix and the checks."""

    tfm: np.ndarray = field(default_factory=lambda: np.zeros((len(FLOW_KINDS), 5)))
    tolerance: float = 1e-8

    def reset(self) -> None:
        """Start a new quarter."""
        self.tfm[:] = 0.0

    def pay(self, kind: str, sector: int, amount: float) -> None:
        """Record a payment (money leaving ``sector``)."""
        self.tfm[KIND[kind], sector] -= amount

    def receive(self, kind: str, sector: int, amount: float) -> None:
        """Record a receipt (money arriving in ``sector``)."""
        self.tfm[KIND[kind], sector] += amount

    def transfer(self, kind: str, payer: int, payee: int, amount: float) -> None:
        """Record both sides of a transaction whose amount is one number."""
        self.pay(kind, payer, amount)
        self.receive(kind, payee, amount)

    def total(self, kind: str, sector: int) -> float:
        """Signed total of one kind for one sector this quarter."""
        return float(self.tfm[KIND[kind], sector])

    def net_lending(self) -> np.ndarray:
        """Net lending of each sector: the column sums of the flow matrix."""
        return self.tfm.sum(axis=0)

    def check(
        self,
        label: str,
        nw_before: np.ndarray,
        nw_after: np.ndarray,
        gdp_production: float,
        gdp_expenditure: float,
        foreign_before: tuple[float, float],
        foreign_after: tuple[float, float],
    ) -> None:
        """Raise :class:`AccountingError` if an identity fails (see module docstring)."""
        scale = max(abs(gdp_production), abs(gdp_expenditure), 1.0)
        tol = self.tolerance * max(scale, float(np.max(np.abs(nw_after))))
        nl = self.net_lending()
        for s, name in enumerate(ACCOUNT_SECTORS):
            d = nw_after[s] - nw_before[s]
            if abs(d - nl[s]) > tol:
                raise AccountingError(
                    f"{label}: sector '{name}': change in financial net worth {d:.6e} != net "
                    f"lending {nl[s]:.6e} (difference {d - nl[s]:.3e})"
                )
        rows = self.tfm.sum(axis=1)
        for k, kind in enumerate(FLOW_KINDS):
            if abs(rows[k]) > self.tolerance * scale:
                payers = [ACCOUNT_SECTORS[s] for s in range(5) if self.tfm[k, s] < 0]
                raise AccountingError(
                    f"{label}: sector '{'/'.join(payers) or 'none'}': flow row '{kind}' does "
                    f"not sum to zero (residual {rows[k]:.6e})"
                )
        if abs(gdp_production - gdp_expenditure) > self.tolerance * scale:
            raise AccountingError(
                f"{label}: sector 'all': GDP by production {gdp_production:.6e} != GDP by "
                f"expenditure {gdp_expenditure:.6e}"
            )
        ca = -nl[4]
        claims = foreign_after[0] - foreign_before[0]
        liabilities = foreign_after[1] - foreign_before[1]
        financial_account = liabilities - claims  # net capital inflow
        if abs(ca + financial_account) > self.tolerance * scale:
            raise AccountingError(
                f"{label}: sector 'rest_of_world': current account {ca:.6e} != minus the "
                f"financial account {-financial_account:.6e}"
            )
