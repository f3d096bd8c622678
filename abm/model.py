"""The economy: ``EconomyModel``, a Mesa model whose quarter is a readable list of steps.

State lives in struct-of-arrays populations and typed groups (``abm.state``); Mesa agents
(``abm.agents``) are views of their rows. Each step of the quarter is a function of one
economic mechanism (``abm.mechanisms``), and each policy instrument lives in its own file
(``abm.policy``), called by the mechanism it acts in. The hot parts run in the compiled kernels
of ``kernels/``. Money is in euros of the real Dutch economy whatever the agent scale: a talent
agent stands for ``scale`` persons, a firm agent for ``weight`` real firms, and firm stocks and
flows are the totals of the firms it stands for. See docs/architecture.md for the layers and
docs/model.md for the equations and their sources.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numba
import numpy as np

from abm.agents import AgentView, Firm, Investor, Programme, Talent
from abm.allocator import keep_freed_memory
from abm.collect import EconomyCollector
from abm.deferred import scipy_blas_for_numba
from abm.garbage import old_objects_frozen
from abm.mechanisms import (
    build,
    entry_exit,
    expectations,
    finance,
    goods,
    government,
    incomes,
    innovation,
    investment,
    labour,
    migration,
    production,
    subsidies,
    trends,
)
from abm.mesa_core import Model, collector_paused, deregister_many, register_many
from abm.model_args import effective_threads, scenario_argument, seed_argument
from abm.policy import budget, talent_attraction
from abm.recording.record import firm_snapshot, gdp_expenditure, record
from abm.scenario import Scenario
from abm.state.accounts import foreign_position
from abm.state.draws import DrawsAhead
from abm.state.economy import STREAMS, EconomyState
from abm.state.fields import FIRM_FIELDS, INVESTOR_FIELDS, PROGRAMME_FIELDS, TALENT_FIELDS
from abm.state.flows import QuarterFlows
from abm.state.populations import Population
from kernels.cache import kernel_threads, uncached

if TYPE_CHECKING:
    import xarray as xr


class EconomyModel(EconomyState, Model):
    """An agent-based model of the Dutch economy and its innovation policy.

    Parameters
    ----------
    scenario : Scenario or str
        A validated scenario or a shipped scenario's name / TOML path.
    seed : int or numpy.random.SeedSequence, optional
        The member seed; a run is a function of (scenario, seed) alone. None (Mesa's
        convention) draws fresh entropy and keeps it as ``model.seed``, so
        ``EconomyModel(scenario, model.seed)`` repeats the run.
    scale : float, optional
        Persons per talent agent (overrides the scenario's ``run.scale``).
    quarters : int, optional
        Recorded quarters (overrides ``run.quarters``).
    check_accounts : bool
        Run the stock-flow checks after every quarter (default True).
    threads : int, optional
        numba threads for the kernels that run in parallel (None or 1: one thread, and numba's
        thread pool is never started). Results are the same bits for any thread count. They
        are used at ``threads_from_scale`` persons per agent and finer; a coarser run uses one
        thread whatever ``threads`` says (``model.threads`` is the count in use,
        ``model.threads_requested`` the one asked for).
    threads_from_scale : float, optional
        The coarsest scale at which ``threads`` are used (default 10 persons per agent, about
        1.2 million talent agents: ``abm.model_args.THREADS_FROM_SCALE``). Waking the threads
        for a parallel loop (about 90 us with ``OMP_WAIT_POLICY=PASSIVE``) costs more than
        they save in the smaller loops of a coarser run (docs/performance.md, "Threads").
    collect_agents : bool
        Collect the firm reporters in ``model.datacollector`` (off by default).
    agent_interval : int
        With ``collect_agents``, every how many recorded quarters (and in the last one).
    rng : int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Mesa's name for the seed (give ``seed`` or ``rng``; a Generator gives the seed).

    The burn-in quarters run here: ``step()`` is one recorded quarter (``model.steps`` counts
    them) and ``model.running`` turns False after the last one. ``model.datacollector`` (see
    ``abm.collect``) is collected in every recorded quarter.
    """

    def __init__(
        self,
        scenario: Scenario | str = "diffuse",
        seed: int | np.random.SeedSequence | None = None,
        *,
        scale: float | None = None,
        quarters: int | None = None,
        check_accounts: bool = True,
        threads: int | None = None,
        threads_from_scale: float | None = None,
        collect_agents: bool = False,
        agent_interval: int = 1,
        rng: int | np.random.SeedSequence | np.random.Generator | None = None,
    ) -> None:
        ss, self.seed = seed_argument(seed, rng)
        super().__init__(rng=int(ss.generate_state(1, np.uint32)[0]))
        self.scenario = scenario_argument(scenario)
        self.seed_sequence = ss
        self.cal = self.scenario.calibration()
        run = self.scenario.run
        self.scale = float(scale if scale is not None else run.scale)
        if not self.scale >= 1.0:
            raise ValueError(f"scale must be >= 1 (persons per talent agent), got {self.scale}")
        self.quarters = int(quarters if quarters is not None else run.quarters)
        if self.quarters < 1:
            raise ValueError(f"quarters must be >= 1, got {self.quarters}")
        self.burn_in = run.burn_in
        self.start_year = run.start_year
        self.check_accounts_enabled = check_accounts
        self.threads_requested = kernel_threads(threads)
        self.threads = effective_threads(self.threads_requested, self.scale, threads_from_scale)
        if self.threads > 1:  # before numba starts its pool: OpenMP threads that spin between
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # kernels slow a shared machine
        scipy_blas_for_numba()  # before numba loads its first kernel (abm.deferred)
        keep_freed_memory()  # freed arrays stay for the next quarter (abm.allocator)
        if missing := uncached(self.threads):  # before the build calls the first kernel
            print(f"compiling numba kernels, once ({len(missing)} not cached) ...", file=sys.stderr)
        children = ss.spawn(len(STREAMS))
        self.streams = {
            n: np.random.Generator(np.random.PCG64(c))
            for n, c in zip(STREAMS, children, strict=True)
        }
        self.draws = DrawsAhead(self.streams, enabled=self.threads > 1)  # abm.state.draws
        k = ss.generate_state(4, np.uint64)
        self._key0, self._key1 = np.uint64(k[2]), np.uint64(k[3])
        self.quarter = -self.burn_in  # model quarter; recorded from 0
        self.firm_pop = Population(FIRM_FIELDS, "firms")
        self.talent_pop = Population(TALENT_FIELDS, "talent")
        self.investor_pop = Population(INVESTOR_FIELDS, "investors")
        self.programme_pop = Population(PROGRAMME_FIELDS, "programmes")
        self._firm_agents: dict[int, Firm] = {}
        self._investor_agents: dict[int, Investor] = {}
        self.programmes: dict[str, Programme] = {}
        self.programme_names: list[str] = []
        self.firms = AgentView(self, "firm_pop", self._firm_agents)
        self.investors = AgentView(self, "investor_pop", self._investor_agents)
        self.talent = AgentView(self, "talent_pop", None, Talent)
        self.records = []
        self.snapshots = []
        self.flows = QuarterFlows()
        with collector_paused():  # the build makes only long-lived objects: nothing to collect
            build.build_economy(self)
        self.datacollector = EconomyCollector(collect_agents, agent_interval)
        while self.quarter < 0:  # the burn-in: unrecorded quarters, not Mesa steps
            type(self).step(self)

    # ------------------------------------------------------------------ the quarter
    def step(self) -> None:
        """One quarter, as a list of steps (docs/model.md §5); ``f`` carries the quarter's flows."""
        with old_objects_frozen():  # the collector skips the long-lived agents (abm.garbage)
            f = self._begin_quarter()
            innovation.draw_ahead(self)  # 6's numpy draws, queued for a helper thread (threads > 1)
            expectations.expect_and_price(self, f)  # 1 expected demand, prices
            production.plan(self, f)  # 2 production plans, vacancies, layoffs
            labour.match(self, f)  # 3 quits, search and matching (kernels.labour)
            migration.draw_lotteries_ahead(self)  # 12c's lotteries, started in 7a's plans
            production.produce(self, f)  # 4 output, intermediate inputs (input-output matrix)
            migration.draw_ahead(self)  # 12c's immigration uniforms, started in 5's books
            goods.clear(self, f)  # 5 consumption, government, investment goods, exports; imports
            innovation.innovate(self, f)  # 6 knowledge, innovation and imitation, R&D plans
            investment.plan(self, f)  # 7a investment orders and funding requests
            finance.allocate(self, f)  # 7b capital market (kernels.capital)
            incomes.pay(self, f)  # 8 wages, interest, taxes (innovation box), dividends
            subsidies.pay(self, f)  # 9 R&D tax credit and grants; R&D user cost
            government.transfers_and_taxes(self, f)  # 10a transfers, household tax, consumption
            government.finance_deficit(self, f)  # 10b bonds, fiscal rule
            entry_exit.exit_firms(self, f)  # 11a exit
            talent_attraction.draw_ahead(self)  # 12c's programme draws, started in 11b's entry
            entry_exit.enter_firms(self, f)  # 11b entry
            labour.set_wages(self, f)  # 12a wages (Phillips curve by skill)
            migration.update_foreign_wages(self)  # 12b wages abroad
            migration.migrate(self, f)  # 12c retirement, emigration, immigration
            migration.educate(self, f)  # 12d education entrants, foreign pool
            trends.update(self, f)  # 13a GDP, real GDP, trends
            self._record(f)  # 13b the quarter's record and firm snapshots
            self.check_accounts()  # 14 stock-flow checks
            self.quarter += 1

    def run(self, progress: Callable[[int], None] | None = None) -> EconomyModel:
        """Simulate the recorded quarters (the rest of them). ``progress(1)`` per quarter."""
        while self.running:
            self.step()
            if progress is not None:
                progress(1)
        return self

    @property
    def running(self) -> bool:
        """Mesa's flag: False once the recorded quarters are done (or when set False)."""
        return self._running and self.quarter < self.quarters

    @running.setter
    def running(self, value: bool) -> None:
        self._running = bool(value)

    def _begin_quarter(self) -> QuarterFlows:
        """Reset the quarter's accounts and flows; last quarter's orders are delivered now."""
        if self.quarter >= self.quarters:
            raise RuntimeError(f"the run is over: its {self.quarters} quarters are recorded")
        self.accounts.reset()
        self._nw_before = self.net_worth()
        self._foreign_before = foreign_position(self.bs)
        if self.threads > 1:
            numba.set_num_threads(self.threads)  # per calling thread: set every quarter
        fp = self.firm_pop
        self.flows = f = QuarterFlows(orders=fp.order.copy())
        fp.order = np.zeros(len(fp))
        fp.age = fp.age + 1
        budget.begin_quarter(self)
        return f

    def _record(self, f: QuarterFlows) -> None:
        if self.quarter < 0:
            return
        self.records.append(record(self, f))
        if self.date.month == 10 and self.year in self.scenario.run.snapshot_years:
            self.snapshots.append(firm_snapshot(self))
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ agents (Mesa)
    def register_firms(self, n: int) -> np.ndarray:
        """Create ``n`` firm agents; returns their unique ids."""
        agents = register_many(self, Firm, n)
        ids = [a.unique_id for a in agents]
        self._firm_agents.update(zip(ids, agents, strict=True))
        return np.array(ids, dtype=np.int64)

    def unregister_firms(self, uids: np.ndarray) -> None:
        """Remove the firm agents with these ids from the model."""
        deregister_many(self, list(map(self._firm_agents.pop, uids.tolist())))

    def register_investors(self, n: int) -> np.ndarray:
        """Create ``n`` investor agents; returns their unique ids."""
        agents = [Investor(self) for _ in range(n)]
        self._investor_agents.update((a.unique_id, a) for a in agents)
        return np.array([a.unique_id for a in agents], dtype=np.int64)

    def register_programmes(self) -> None:
        """One programme agent per programme of the scenario."""
        for name, spec in self.scenario.programmes.items():
            self.programmes[name] = Programme(self, name, spec)
        self.programme_names = list(self.scenario.programmes)

    # ------------------------------------------------------------------ accounts and output
    def gdp_production(self) -> float:
        """GDP by production this (last) quarter: value added of all firms."""
        return float(self.flows.va_firm.sum())

    def gdp_expenditure(self) -> float:
        """GDP by expenditure this (last) quarter: C + G + I + inventory change + X - M."""
        return gdp_expenditure(self.flows)

    def check_accounts(self) -> None:
        """Stock-flow checks (``abm.state.accounts``); AccountingError names quarter and sector."""
        if not self.check_accounts_enabled:
            return
        label = f"{self.date.year}Q{self.date.month // 3 + 1}"
        self.accounts.check(
            label,
            self._nw_before,
            self.net_worth(),
            self.gdp_production(),
            self.gdp_expenditure(),
            self._foreign_before,
            foreign_position(self.bs),
        )

    def to_dataset(self) -> xr.Dataset:
        """The run as an xarray Dataset with units and long names (see ``abm.recording``)."""
        from abm.recording.dataset import records_to_dataset  # xarray: not needed to run

        return records_to_dataset(self)


def run(
    scenario: Scenario | str = "diffuse", seed: int | None = None, **kwargs: Any
) -> EconomyModel:
    """Build and run a model; returns it (use ``.to_dataset()`` for the outputs)."""
    return EconomyModel(scenario, seed, **kwargs).run()
