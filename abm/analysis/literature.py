"""Each policy channel against its published figure (issue #11): ``abm validate --literature``.

Every row is a controlled experiment the command runs itself: the same scenario with one thing
changed, over the same member seeds (common random numbers), reported with a 90% interval over
members (Student t on the paired member differences; a per-euro or per-person row is a ratio of
the ensemble's mean effects, with a delta-method interval). Rows with a band pass or fail; the
others are reported, never forced:

- WBSO additionality: extra business R&D per euro of credit, ``diffuse`` against ``diffuse``
  without its credit, both summed over 2031-2040 (band 0.5-1.2; evaluation 2018-22: 0.81) and
  over 2026-2030 (reported);
- crowding in: the elasticity of privately funded business R&D to government-funded business R&D
  (grants), ``diffuse`` with 10% more grant money, 2031-2040 (band 0.3-0.8; Moretti, Steinwender &
  Van Reenen 2025: about 0.5-0.6);
- +10% university and institute research: the change of business R&D, 2031-2040 (reported);
- the 30% ruling: cost per additional resident bought by ``diffuse``'s talent programme (budget
  over the residents it holds, 2035; band EUR 200k-620k, FACTS) and its total effect on
  high-skill residents against ``diffuse`` without it (reported);
- CPB on defence: the import share of defence equipment orders (band at least 0.6) and the real
  GDP effect per extra euro of defence over 2026-2029, ``laissez_faire`` with a steeper defence
  path (band below 1: extra defence spending displaces other activity);
- researchers' wage response (Goolsbee 1998): the change of high-skill wages when the credit is
  twice as generous (reported);
- the social return to R&D (Bloom, Schankerman & Van Reenen 2013: about 55% social, 21% private):
  extra real GDP a year in 2036-2040 per euro of extra business R&D over 2026-2035 in the credit
  experiment (reported);
- missions against subsidies (Dosi et al. 2023): ``mission_agency`` minus ``diffuse`` in
  cumulative real GDP 2026-2040 and R&D intensity in 2040 (reported: the sign, never forced).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import numpy as np
import pandas as pd
import xarray as xr
from scipy import stats

from abm.model import EconomyModel
from abm.scenario import Scenario, load_scenario

#: A job: (experiment arm, scenario, member index).
Job = tuple[str, Scenario, int]


def _without(sc: Scenario, programme: str) -> Scenario:
    progs = {k: v for k, v in sc.programmes.items() if k != programme}
    return sc.model_copy(update={"programmes": progs})


def _scaled(sc: Scenario, programme: str, field: str, factor: float) -> Scenario:
    progs = dict(sc.programmes)
    spec = progs[programme]
    progs[programme] = spec.model_copy(update={field: getattr(spec, field) * factor})
    return sc.model_copy(update={"programmes": progs})


def arms() -> dict[str, Scenario]:
    """The scenarios the experiments compare, by arm name."""
    diffuse, lf = load_scenario("diffuse"), load_scenario("laissez_faire")
    cal = lf.calibration()
    credit2 = diffuse
    for field in ("rate_first", "rate_second", "rate_starter"):
        credit2 = _scaled(credit2, "wbso", field, 2.0)
    credit2 = _scaled(credit2, "wbso", "budget", 2.0)
    return {
        "diffuse": diffuse,
        "no_credit": _without(diffuse, "wbso"),
        "credit_x2": credit2,
        "grants_x1.1": _scaled(diffuse, "grants", "budget", 1.1),
        "no_talent": _without(diffuse, "talent"),
        "laissez_faire": lf,
        "public_research_x1.1": _scaled(lf, "public_research", "budget", 1.1),
        "more_defence": lf.with_parameters(
            **{
                "government.defence_budget_2035": float(cal["government.defence_budget_2035"])
                * 1.25
            }
        ),
        "mission_agency": load_scenario("mission_agency"),
    }


def jobs(runs: int) -> list[Job]:
    """Every (arm, scenario, member) the table needs."""
    return [(name, sc, k) for name, sc in arms().items() for k in range(runs)]


@dataclass
class Row:
    """One finding against the model's figure."""

    finding: str
    source: str
    published: str
    value: float
    low: float
    high: float
    band: tuple[float | None, float | None] | None

    @property
    def holds(self) -> bool | None:
        """Pass/fail for a banded row (on the mean), None for a reported one."""
        if self.band is None:
            return None
        lo = -np.inf if self.band[0] is None else self.band[0]
        hi = np.inf if self.band[1] is None else self.band[1]
        return bool(lo <= self.value <= hi)


@dataclass
class LiteratureReport:
    """The rows, and how many members each experiment ran."""

    rows: list[Row]
    runs: int

    @property
    def ok(self) -> bool:
        """Whether every banded row passes."""
        return all(r.holds is not False for r in self.rows)

    def to_frame(self) -> pd.DataFrame:
        """The table as a data frame."""
        return pd.DataFrame(
            [
                {
                    "finding": r.finding,
                    "source": r.source,
                    "published": r.published,
                    "model": r.value,
                    "low_90": r.low,
                    "high_90": r.high,
                    "band": "" if r.band is None else f"{r.band[0]}..{r.band[1]}",
                    "holds": "" if r.holds is None else ("yes" if r.holds else "NO"),
                }
                for r in self.rows
            ]
        )

    def to_text(self) -> str:
        """The table as text: finding, published figure, the model's figure with its interval."""
        out = [f"each channel against its published figure ({self.runs} members per arm)"]
        for r in self.rows:
            band = (
                "reported"
                if r.band is None
                else (
                    f"band {'' if r.band[0] is None else f'{r.band[0]:g}'}.."
                    f"{'' if r.band[1] is None else f'{r.band[1]:g}'}: "
                    + ("yes" if r.holds else "NO")
                )
            )
            out.append(
                f"- {r.finding}\n    published: {r.published} ({r.source})\n    model: "
                f"{r.value:.3g} [90%: {r.low:.3g}, {r.high:.3g}]  {band}"
            )
        bad = [r.finding for r in self.rows if r.holds is False]
        out.append(
            "all banded rows pass"
            if not bad
            else f"{len(bad)} banded row(s) fail: " + "; ".join(bad)
        )
        return "\n".join(out)


def _sum(ds: xr.Dataset, var: str, first: int, last: int, **sel) -> float:
    da = ds[var].sel(**sel) if sel else ds[var]
    y = ds["time"].dt.year.values
    m = (y >= first) & (y <= last)
    v = da.values[m]
    return float(v.sum())


def _mean(ds: xr.Dataset, var: str, first: int, last: int, **sel) -> float:
    da = ds[var].sel(**sel) if sel else ds[var]
    y = ds["time"].dt.year.values
    v = da.values[(y >= first) & (y <= last)]
    return float(v.mean())


def _interval(x: Sequence[float]) -> tuple[float, float, float]:
    x = np.asarray([v for v in x if np.isfinite(v)], float)
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if x.size < 2:
        return m, float("nan"), float("nan")
    h = float(stats.t.ppf(0.95, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return m, m - h, m + h


def _ratio_interval(num: Sequence[float], den: Sequence[float]) -> tuple[float, float, float]:
    """Ratio of means over members, mean(num) / mean(den), with a 90% interval.

    A per-euro figure is a ratio of two ensemble effects; averaging the members' own ratios
    instead explodes when one member's denominator (its extra R&D, say) is near zero. The
    interval linearises the ratio (the delta method for a ratio estimator): with
    r = mean(num) / mean(den) and residuals e_i = num_i - r den_i,
    se(r) = sd(e) / (sqrt(n) |mean(den)|), and a Student t quantile on n - 1 degrees of freedom.
    """
    pairs = [(a, b) for a, b in zip(num, den, strict=True) if np.isfinite(a) and np.isfinite(b)]
    if not pairs:
        return float("nan"), float("nan"), float("nan")
    n_, d_ = (np.asarray(v, float) for v in zip(*pairs, strict=True))
    md = float(d_.mean())
    if md == 0.0:
        return float("nan"), float("nan"), float("nan")
    r = float(n_.mean()) / md
    if n_.size < 2:
        return r, float("nan"), float("nan")
    e = n_ - r * d_
    h = float(stats.t.ppf(0.95, n_.size - 1) * e.std(ddof=1) / (np.sqrt(n_.size) * abs(md)))
    return r, r - h, r + h


def report(results: dict[tuple[str, int], xr.Dataset], runs: int) -> LiteratureReport:
    """The table from the members' datasets, keyed by (arm, member)."""
    k = range(runs)
    d = lambda arm, i: results[(arm, i)]  # noqa: E731
    rows: list[Row] = []

    def add(finding, source, published, values, band=None):
        m, lo, hi = _interval(values)
        rows.append(Row(finding, source, published, m, lo, hi, band))

    def add_ratio(finding, source, published, pairs, band=None):
        """A per-unit row: (numerator, denominator) per member, reported as a ratio of means."""
        num, den = zip(*pairs, strict=True)
        m, lo, hi = _ratio_interval(num, den)
        rows.append(Row(finding, source, published, m, lo, hi, band))

    def credit(arm, i, a, b):
        ds = d(arm, i)
        return _sum(ds, "programme_spending", a, b, programme="wbso")

    for a, b, band in ((2031, 2040, (0.5, 1.2)), (2026, 2030, None)):
        add_ratio(
            f"extra business R&D per euro of R&D tax credit, {a}-{b}",
            "WBSO evaluation 2018-22 (FACTS)",
            "0.81",
            [
                (
                    _sum(d("diffuse", i), "business_rd", a, b)
                    - _sum(d("no_credit", i), "business_rd", a, b),
                    credit("diffuse", i, a, b),
                )
                for i in k
            ],
            band,
        )

    def private_and_public(arm, i):
        ds = d(arm, i)
        gov = _sum(ds, "business_rd_government_funded", 2031, 2040)
        return _sum(ds, "business_rd", 2031, 2040) - gov, gov

    el = []
    for i in k:
        p0, g0 = private_and_public("diffuse", i)
        p1, g1 = private_and_public("grants_x1.1", i)
        el.append(np.log(p1 / p0) / np.log(g1 / g0) if g1 > 0 and g0 > 0 else np.nan)
    add(
        "elasticity of privately funded to government-funded business R&D (+10% grants), 2031-2040",
        "Moretti, Steinwender & Van Reenen, REStat 2025",
        "about 0.5-0.6",
        el,
        (0.3, 0.8),
    )
    add_ratio(
        "extra privately funded business R&D per extra euro of government-funded business R&D "
        "(+10% grants), 2031-2040",
        "Moretti, Steinwender & Van Reenen 2025 (their elasticity at this share)",
        "elasticity 0.5 x private/government-funded",
        [
            (
                private_and_public("grants_x1.1", i)[0] - private_and_public("diffuse", i)[0],
                private_and_public("grants_x1.1", i)[1] - private_and_public("diffuse", i)[1],
            )
            for i in k
        ],
    )
    add(
        "government-funded share of business R&D, 2031-2040 (%)",
        "CBS 84644ENG (the Netherlands: a few per cent)",
        "a few per cent",
        [100 * g / (p + g) for p, g in (private_and_public("diffuse", i) for i in k)],
    )
    add(
        "+10% university and institute research: change of business R&D (%), 2031-2040",
        "FACTS (elasticities)",
        "no published band",
        [
            100
            * (
                _sum(d("public_research_x1.1", i), "business_rd", 2031, 2040)
                / _sum(d("laissez_faire", i), "business_rd", 2031, 2040)
                - 1
            )
            for i in k
        ],
    )
    add_ratio(
        "cost per additional resident the talent programme holds, 2035 (EUR a year)",
        "30% ruling: EUR 1.1 bn for 1,765-5,575 additional workers (FACTS)",
        "EUR 200k-620k",
        [
            (
                _mean(d("diffuse", i), "programme_spending", 2035, 2035, programme="talent") * 4,
                _mean(d("diffuse", i), "talent_attracted", 2035, 2035),
            )
            for i in k
        ],
        (200e3, 620e3),
    )
    add(
        "additional residents the talent programme holds, 2035 (persons)",
        "30% ruling (FACTS): EUR 1.1 bn for 1,765-5,575",
        "about 160-510 per EUR 0.1 bn",
        [_mean(d("diffuse", i), "talent_attracted", 2035, 2035) for i in k],
    )
    add(
        "talent programme's total effect on high-skill residents, 2035 (persons)",
        "30% ruling (FACTS)",
        "1,765-5,575 per EUR 1.1 bn",
        [
            _mean(d("diffuse", i), "talent_stock", 2035, 2035, skill="high")
            - _mean(d("no_talent", i), "talent_stock", 2035, 2035, skill="high")
            for i in k
        ],
    )
    add(
        "import share of defence equipment orders, 2026-2030",
        "CPB (Nov 2025)",
        "more than 60%",
        [1 - _mean(d("laissez_faire", i), "defence_domestic_share", 2026, 2030) for i in k],
        (0.6, None),
    )
    share = float(
        load_scenario("laissez_faire").calibration()["government.defence_procurement_share"]
    )

    def defence(arm, i):  # the defence budget, from its equipment orders
        return _sum(d(arm, i), "defence_procurement", 2026, 2029) / share

    add_ratio(
        "real GDP effect per extra euro of defence spending, 2026-2029",
        "CPB (Nov 2025)",
        "displaces other activity over 1-4 years (below 1)",
        [
            (
                _sum(d("more_defence", i), "gdp_real", 2026, 2029)
                - _sum(d("laissez_faire", i), "gdp_real", 2026, 2029),
                defence("more_defence", i) - defence("laissez_faire", i),
            )
            for i in k
        ],
        (None, 1.0),
    )
    add(
        "high-skill wage change when the R&D credit is twice as generous (%), 2031-2040",
        "Goolsbee, AER P&P 1998",
        "much of a subsidy becomes researchers' wages",
        [
            100
            * (
                _mean(d("credit_x2", i), "wage_by_skill", 2031, 2040, skill="high")
                / _mean(d("diffuse", i), "wage_by_skill", 2031, 2040, skill="high")
                - 1
            )
            for i in k
        ],
    )
    add_ratio(
        "social return to R&D: extra real GDP a year (2036-2040) per euro of extra business R&D "
        "(2026-2035), credit experiment",
        "Bloom, Schankerman & Van Reenen, Econometrica 2013",
        "about 0.55 social, 0.21 private",
        [
            (
                (
                    _mean(d("diffuse", i), "gdp_real", 2036, 2040)
                    - _mean(d("no_credit", i), "gdp_real", 2036, 2040)
                )
                * 4,
                _sum(d("diffuse", i), "business_rd", 2026, 2035)
                - _sum(d("no_credit", i), "business_rd", 2026, 2035),
            )
            for i in k
        ],
    )
    add(
        "missions against subsidies: mission_agency minus diffuse, cumulative real GDP "
        "2026-2040 (EUR)",
        "Dosi, Lamperti, Mazzucato, Napoletano & Roventini, JEDC 2023",
        "missions beat subsidies when the government is patient",
        [
            _sum(d("mission_agency", i), "gdp_real", 2026, 2040)
            - _sum(d("diffuse", i), "gdp_real", 2026, 2040)
            for i in k
        ],
    )
    add(
        "missions against subsidies: R&D intensity 2040, mission_agency minus diffuse (pp)",
        "Dosi et al. 2023",
        "(as above)",
        [
            100
            * (
                _mean(d("mission_agency", i), "rd_intensity", 2040, 2040)
                - _mean(d("diffuse", i), "rd_intensity", 2040, 2040)
            )
            for i in k
        ],
    )
    return LiteratureReport(rows, runs)


def literature_report(
    runs: int,
    run_member: Callable[[Sequence[Job]], Sequence[xr.Dataset]],
) -> LiteratureReport:
    """Run every experiment arm's ``runs`` members through ``run_member`` (a map over jobs that
    returns one dataset per job, in order) and build the table."""
    todo = jobs(runs)
    out = run_member(todo)
    results = {(arm, i): ds for (arm, _, i), ds in zip(todo, out, strict=True)}
    return report(results, runs)


def _member(args: tuple[Job, int, int, float | None]) -> xr.Dataset:
    (_, sc, k), runs, seed, scale = args
    ss = np.random.SeedSequence(seed).spawn(runs)[k]
    return EconomyModel(sc, ss, scale=scale).run().to_dataset()


def run_literature(
    runs: int = 8,
    seed: int = 1,
    scale: float | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> LiteratureReport:
    """Run every experiment of the table (``runs`` members per arm, member *k* of every arm
    seeded with ``SeedSequence(seed).spawn(runs)[k]``) on ``workers`` processes (default: one
    per core) and build it; ``progress`` is called with 1 after each member."""

    def run_all(todo: Sequence[Job]) -> list[xr.Dataset]:
        n = workers or max(1, min(len(todo), os.cpu_count() or 1))
        out = []
        with ProcessPoolExecutor(n, mp_context=get_context("spawn")) as pool:
            for ds in pool.map(_member, [(j, runs, seed, scale) for j in todo]):
                out.append(ds)
                if progress is not None:
                    progress(1)
        return out

    return literature_report(runs, run_all)
