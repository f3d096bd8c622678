"""The one outcome registry: every quantity the analyses report, and the 2030 targets.

A :class:`Measure` is a quantity of a run: how it is read from a dataset, whether it is a flow,
its units, which direction is better, its label and description, and, for the key outcomes of
``abm compare``, how the comparison table shows it (:class:`Table`). Everything that names an
outcome reads it from here:

- ``abm compare`` shows the key outcomes (:data:`KEY_OUTCOMES`, in table order) and checks the
  targets (:data:`TARGETS`);
- ``abm sensitivity``, ``abm report`` and :func:`abm.ema.run_model` name outcomes
  ``MEASURE_YEAR`` or, for flows, ``MEASURE_total`` (over :data:`MEASURES`; parsed by
  :func:`abm.analysis.outcome_names.parse_outcome`);
- the report labels outcomes and figures with :func:`label`; the fan charts and ``abm run``'s
  summary draw the targets.

Annual values: a flow in a year is its annual rate (four times the mean quarterly flow, i.e. the
sum over the year's quarters); a level or share is its mean over the year's quarters; a flow's
total is its sum over the recorded quarters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import xarray as xr

#: The counterfactual scenario that ``gdp_per_euro`` is measured against.
COUNTERFACTUAL = "laissez_faire"
#: Real discount rate of the value-for-money rows: the Dutch standard discount rate for
#: public investment (Werkgroep discontovoet 2020: 2.25% real).
DISCOUNT_RATE = 0.0225
#: Years averaged at the end of the run for the late-period outcome.
LATE_YEARS = 5
#: The year of the policy targets.
TARGET_YEAR = 2030


@dataclass(frozen=True)
class Target:
    """A policy target: ``outcome`` at least ``threshold`` (a share of GDP) in ``year``.

    Attributes
    ----------
    outcome : str
        The measure (``industry_share``).
    threshold : float
        The share of GDP to reach (0.15).
    year : int
        The year it is due.
    short, long : str
        What is measured, briefly (``industry``) and in full (``industry (manufacturing-type
        sectors)``).
    """

    outcome: str
    threshold: float
    year: int
    short: str
    long: str

    @property
    def percent(self) -> str:
        """The threshold as text, ``15%``."""
        return f"{self.threshold:.0%}"

    @property
    def text(self) -> str:
        """``industry >= 15% of GDP in 2030`` (the ``target`` column of ``targets.csv``)."""
        return f"{self.short} >= {self.percent} of GDP in {self.year}"

    @property
    def description(self) -> str:
        """``industry (manufacturing-type sectors) at least 15% of GDP in 2030``."""
        return f"{self.long} at least {self.percent} of GDP in {self.year}"


#: The 2030 targets of the policy (DESIGN §1).
TARGETS: tuple[Target, ...] = (
    Target(
        "industry_share", 0.15, TARGET_YEAR, "industry", "industry (manufacturing-type sectors)"
    ),
    Target("rd_intensity", 0.03, TARGET_YEAR, "R&D", "R&D expenditure (business and public)"),
)


@dataclass(frozen=True)
class Table:
    """How the comparison table shows a key outcome.

    Attributes
    ----------
    key : str
        Its name in the table and for ``abm compare --outcome``.
    units : str
        The ``units`` column of ``comparison.csv``.
    scale, display_units, decimals, diff_units, diff_decimals
        ``comparison.md``, the figures and the report show value x ``scale`` in
        ``display_units`` with ``decimals`` (differences in ``diff_units``).
    per_year : bool
        True: a row at 2030 and at the end year; False: one row for the whole run (keyed by
        the end year).
    """

    key: str
    units: str
    scale: float
    display_units: str
    decimals: int
    diff_units: str
    diff_decimals: int
    per_year: bool = True


@dataclass(frozen=True)
class Measure:
    """A quantity of a run.

    Attributes
    ----------
    name : str
        Outcome prefix (``gdp_real`` gives ``gdp_real_2040``).
    label : str
        Human-readable name (tables, captions).
    description : str
        One line for help texts and provenance.
    units : str
        Units of the yearly value (``_total`` of a flow drops "per year").
    higher_is_better : bool
        Whether a larger value is the better outcome (decides who "beats" whom).
    series : callable or None
        Dataset -> quarterly DataArray (``time`` plus any ensemble dimensions); None for the
        comparison's cumulative and growth outcomes, which the comparison computes itself.
    flow : bool
        A flow per quarter (annual rate in a year, sum for ``_total``) or a level or share.
    table : Table or None
        How ``abm compare`` shows it, for the key outcomes.
    """

    name: str
    label: str
    description: str
    units: str
    higher_is_better: bool
    series: Callable[[xr.Dataset], xr.DataArray] | None = None
    flow: bool = False
    table: Table | None = None


def _var(name: str) -> Callable[[xr.Dataset], xr.DataArray]:
    return lambda ds: ds[name]


_BN, _PP, _K = "EUR bn/yr", "pp", "thousand"
#: Every measure, by name: first those with a series (:data:`MEASURES`), then the comparison's.
REGISTRY: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure(
            "gdp_real",
            "real GDP",
            "real GDP (2025 prices)",
            "EUR per year",
            True,
            _var("gdp_real"),
            True,
            Table("gdp_real", "EUR/year (2025 prices)", 1e-9, _BN, 1, _BN, 2),
        ),
        Measure(
            "gdp_real_per_capita",
            "real GDP per capita",
            "real GDP (2025 prices) per resident (population moving with migration)",
            "EUR per person per year",
            True,
            _var("gdp_real_per_capita"),
            True,
            Table("gdp_real_per_capita", "EUR/person/year", 1.0, "EUR/yr", 0, "EUR/yr", 0),
        ),
        Measure(
            "gdp_real_per_worker",
            "real GDP per worker",
            "real GDP (2025 prices) per employed person",
            "EUR per person per year",
            True,
            _var("gdp_real_per_worker"),
            True,
            Table("gdp_real_per_worker", "EUR/person/year", 1.0, "EUR/yr", 0, "EUR/yr", 0),
        ),
        Measure("gdp", "GDP (nominal)", "nominal GDP", "EUR per year", True, _var("gdp"), True),
        Measure(
            "industry_share",
            "industry share of GDP",
            "industry share of GDP",
            "1",
            True,
            _var("industry_share"),
            table=Table("industry_share", "1", 100.0, "% of GDP", 2, _PP, 3),
        ),
        Measure(
            "rd_intensity",
            "R&D intensity",
            "R&D intensity (GERD/GDP)",
            "1",
            True,
            _var("rd_intensity"),
            table=Table("rd_intensity", "1", 100.0, "% of GDP", 2, _PP, 3),
        ),
        Measure(
            "rd_intensity_business",
            "business R&D intensity (share of GDP)",
            "business R&D intensity (BERD/GDP)",
            "1",
            True,
            _var("rd_intensity_business"),
        ),
        Measure(
            "high_skill_talent",
            "high-skill talent stock",
            "resident high-skill labour force",
            "persons",
            True,
            lambda ds: ds["talent_stock"].sel(skill="high", drop=True),
            table=Table("talent_high", "persons", 1e-3, _K, 1, _K, 2),
        ),
        Measure(
            "employment",
            "employment",
            "persons employed",
            "persons",
            True,
            _var("employment"),
            table=Table("employment", "persons", 1e-3, _K, 0, _K, 1),
        ),
        Measure(
            "unemployment_rate",
            "unemployment rate",
            "unemployment rate",
            "1",
            False,
            _var("unemployment_rate"),
        ),
        Measure(
            "exports",
            "exports",
            "exports of domestic output",
            "EUR per year",
            True,
            lambda ds: ds["exports"].sum("sector", skipna=False),
            True,
        ),
        Measure(
            "business_rd",
            "business R&D expenditure",
            "business R&D",
            "EUR per year",
            True,
            _var("business_rd"),
            True,
        ),
        Measure(
            "capital_outflow",
            "capital outflow",
            "new money domestic investors place abroad",
            "EUR per year",
            False,
            _var("capital_outflow"),
            True,
            Table("capital_outflow", "EUR/year", 1e-9, _BN, 3, _BN, 3),
        ),
        Measure(
            "high_skill_net_migration",
            "net migration of high-skill talent",
            "high-skill immigrants less emigrants",
            "persons per year",
            True,
            lambda ds: ds["high_skill_immigration"] - ds["high_skill_emigration"],
            True,
            Table("net_migration_high", "persons/year", 1e-3, "thousand/yr", 2, "thousand/yr", 3),
        ),
        Measure(
            "gdp_growth",
            "real GDP growth, average annual since 2026",
            "average annual real GDP growth since the first complete year",
            "1/year",
            True,
            table=Table("gdp_growth", "1/year", 100.0, "%/yr", 2, _PP, 3),
        ),
        Measure(
            "gdp_real_cumulative",
            "real GDP, cumulative over the run",
            "real GDP (2025 prices) summed over the run's complete years",
            "EUR",
            True,
            table=Table(
                "gdp_real_cumulative", "EUR (2025 prices)", 1e-9, "EUR bn", 0, "EUR bn", 1, False
            ),
        ),
        Measure(
            "gdp_real_late",
            f"real GDP, average of the last {LATE_YEARS} years",
            f"real GDP (2025 prices), mean annual value over the run's last {LATE_YEARS} complete "
            "years (less sensitive to the cycle than one year)",
            "EUR per year",
            True,
            table=Table("gdp_real_late", "EUR/year (2025 prices)", 1e-9, _BN, 1, _BN, 2, False),
        ),
        Measure(
            "innovation_money",
            "public innovation money, cumulative",
            "public innovation money over the run",
            "EUR",
            False,
            table=Table("innovation_money", "EUR", 1e-9, "EUR bn", 2, "EUR bn", 3, False),
        ),
        Measure(
            "gdp_per_euro",
            f"extra real GDP per euro of innovation money, cumulative, vs {COUNTERFACTUAL}",
            f"cumulative real GDP above {COUNTERFACTUAL} per euro of innovation money",
            "EUR/EUR",
            True,
            table=Table("gdp_per_euro", "EUR/EUR", 1.0, "EUR per EUR", 2, "EUR per EUR", 2, False),
        ),
        Measure(
            "gdp_per_euro_discounted",
            f"extra real GDP per euro of innovation money, discounted at {DISCOUNT_RATE:.2%}, "
            f"vs {COUNTERFACTUAL}",
            f"real GDP above {COUNTERFACTUAL} per euro of innovation money, both discounted to "
            f"the first year at {DISCOUNT_RATE:.2%} a year (Dutch standard discount rate)",
            "EUR/EUR",
            True,
            table=Table(
                "gdp_per_euro_discounted", "EUR/EUR", 1.0, "EUR per EUR", 2, "EUR per EUR", 2, False
            ),
        ),
        Measure(
            "net_fiscal_cost",
            f"net fiscal cost, cumulative, vs {COUNTERFACTUAL}",
            f"extra government borrowing against {COUNTERFACTUAL} over the run: programme "
            "outlays and tax expenditures less the extra taxes (and lower benefits) they bring",
            "EUR",
            False,
            table=Table("net_fiscal_cost", "EUR", 1e-9, "EUR bn", 1, "EUR bn", 2, False),
        ),
    )
}

#: Measures with a series: the ``MEASURE`` of outcome names ``MEASURE_YEAR`` / ``MEASURE_total``.
MEASURES: dict[str, Measure] = {k: m for k, m in REGISTRY.items() if m.series is not None}


@dataclass(frozen=True)
class KeyOutcome:
    """A key outcome of ``abm compare``: a row group of the comparison table, as the registry
    entry :attr:`measure` and its :class:`Table` describe it.

    Attributes
    ----------
    name : str
        Name used in the table and by ``--outcome`` (:attr:`Table.key`).
    label, higher_is_better
        As in :class:`Measure`.
    units, per_year, scale, display_units, decimals, diff_units, diff_decimals
        As in :class:`Table` (``units`` is the table's ``units`` column).
    measure : str
        The registry name (``high_skill_talent`` for ``talent_high``).
    """

    name: str
    label: str
    units: str
    higher_is_better: bool
    per_year: bool
    scale: float
    display_units: str
    decimals: int
    diff_units: str
    diff_decimals: int
    measure: str

    @classmethod
    def of(cls, m: Measure) -> KeyOutcome:
        """The comparison's view of a registry entry with a :class:`Table`."""
        t = m.table
        assert t is not None
        return cls(
            t.key,
            m.label,
            t.units,
            m.higher_is_better,
            t.per_year,
            t.scale,
            t.display_units,
            t.decimals,
            t.diff_units,
            t.diff_decimals,
            m.name,
        )


_TABLE_ORDER = (
    "gdp_real",
    "gdp_real_cumulative",
    "gdp_real_late",
    "gdp_real_per_capita",
    "gdp_real_per_worker",
    "gdp_growth",
    "industry_share",
    "rd_intensity",
    "employment",
    "talent_high",
    "net_migration_high",
    "capital_outflow",
    "innovation_money",
    "gdp_per_euro",
    "gdp_per_euro_discounted",
    "net_fiscal_cost",
)
_BY_KEY = {m.table.key: m for m in REGISTRY.values() if m.table is not None}
#: The key outcomes of the comparison, in table order, by their table name.
KEY_OUTCOMES: dict[str, KeyOutcome] = {k: KeyOutcome.of(_BY_KEY[k]) for k in _TABLE_ORDER}
#: Table names that differ from the measure's name (``abm sensitivity`` accepts them too).
ALIASES: dict[str, str] = {k: m.name for k, m in _BY_KEY.items() if k != m.name}

#: Labels of recorded variables that are not measures (captions of other figures and tables).
VARIABLE_LABELS: dict[str, str] = {
    "gdp_real_growth": "real GDP growth",
    "consumption": "household consumption",
    "investment_total": "business investment",
    "rd_intensity_public": "public R&D intensity (share of GDP)",
    "talent_emigration": "emigration of the labour force",
    "talent_immigration": "immigration of the labour force",
    "high_skill_emigration": "high-skill emigration",
    "high_skill_immigration": "high-skill immigration",
    "talent_stock": "resident labour force",
    "imports": "imports",
    "productivity": "labour productivity",
    "government_balance": "government balance",
    "government_debt": "government debt",
    "programme_spending": "public innovation money spent",
}


def split_year(name: str) -> tuple[str, str | None]:
    """``"gdp_real_2040"`` -> ``("gdp_real", "2040")``; other names -> ``(name, None)``."""
    m = re.fullmatch(r"(.+)_((?:19|20|21)\d\d)", name)
    return (m.group(1), m.group(2)) if m else (name, None)


def _known_label(name: str) -> str | None:
    if name in KEY_OUTCOMES:
        return KEY_OUTCOMES[name].label
    if name in REGISTRY:
        return REGISTRY[name].label
    return VARIABLE_LABELS.get(name)


def label(name: str) -> str:
    """A readable name of an outcome or variable (``gdp_real_2040`` -> ``real GDP, 2040``);
    unknown names are shown with underscores as spaces."""
    known = _known_label(name)
    if known is not None:
        return known
    base, year = split_year(str(name))
    if year is not None and _known_label(base) is not None:
        return f"{label(base)}, {year}"
    return str(name).replace("_", " ")
