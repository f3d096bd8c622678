"""Mesa agents as views over the model's struct-of-arrays state.

Each agent class reads and writes its own row of a :class:`abm.state.Population`, found through
its stable ``unique_id``; the numeric state lives in the arrays so that the compiled markets see
contiguous memory, while a modeller can still write ``model.firms[uid].productivity``, subclass an
agent or visualise it.

- ``Firm``, ``Investor`` and ``Programme`` agents are registered with the Mesa model (they are
  few: hundreds to tens of thousands) and removed from it when they exit.
- ``Talent`` handles are made on demand (``model.talent[tid]``) and are not registered in
  ``model.agents``: a 1:1 Netherlands has ten million of them (docs/model.md §3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from abm.mesa_core import Agent, Model
from abm.sectors import SECTORS, SKILLS

if TYPE_CHECKING:
    from abm.state import Population


class ArrayField:
    """Descriptor: attribute stored in the owner's population array of the same name."""

    def __init__(self, doc: str = "", array: str | None = None) -> None:
        self.__doc__ = doc
        self.array = array

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.array = self.array or name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        pop = obj._population()
        return pop.arrays[self.array][pop.row_of(obj.unique_id)].item()

    def __set__(self, obj: Any, value: Any) -> None:
        pop = obj._population()
        pop.arrays[self.array][pop.row_of(obj.unique_id)] = value


class _RowAgent(Agent):
    _population_attr = ""

    def _population(self) -> Population:
        return getattr(self.model, self._population_attr)

    @property
    def row(self) -> int:
        """Current row of this agent in its population arrays (changes on compaction)."""
        return self._population().row_of(self.unique_id)

    def state(self) -> dict[str, Any]:
        """All array attributes of this agent as a dict."""
        pop = self._population()
        r = pop.row_of(self.unique_id)
        return {k: pop.arrays[k][r].item() for k in pop.fields}


class Firm(_RowAgent):
    """A firm agent: stands for ``weight`` identical real firms; stocks and flows are totals.

    Each quarter (``EconomyModel.step``, ``abm.mechanisms``) it forms expected demand, plans
    output, posts vacancies, sets its price, spends on R&D, innovates or imitates, invests, asks
    for funding, pays wages, interest, taxes and dividends, and exits when insolvent or without
    market share.
    """

    _population_attr = "firm_pop"
    sector_index = ArrayField("sector code (index into SECTORS)", "sector")
    weight = ArrayField("number of real firms this agent stands for")
    productivity = ArrayField("real gross output per worker per quarter (2025 euros)")
    capital = ArrayField("real capital stock (2025 euros)")
    markup = ArrayField("mark-up over unit cost")
    price = ArrayField("output price (2025 = 1)")
    inventory = ArrayField("real inventories")
    cash = ArrayField("deposits, euros")
    loans = ArrayField("bank loans, euros")
    equity = ArrayField("outside equity at book value, euros")
    rd = ArrayField("R&D spending last quarter, euros")
    market_share = ArrayField("share of the sector's domestic market", "share")
    sales = ArrayField("sales last quarter, euros")
    age = ArrayField("age in quarters")

    @property
    def sector(self) -> str:
        """The firm's sector name."""
        return SECTORS[self.sector_index]

    @property
    def employees(self) -> float:
        """Persons employed (all skills)."""
        return float(self.model.firm_employment()[self.row].sum())


class Talent(Agent):
    """A worker or researcher (stands for ``model.scale`` persons); a handle made on demand.

    It searches for jobs, quits, retires and migrates (``abm.mechanisms.labour``, ``migration``).
    """

    def __init__(self, model: Model, tid: int) -> None:  # noqa: D107 - not registered
        self.model = model
        self.unique_id = int(tid)
        self.pos = None
        model.talent_pop.row_of(self.unique_id)  # raises KeyError when unknown

    def _population(self) -> Population:
        return self.model.talent_pop

    skill_index = ArrayField("skill level (0 low, 1 medium, 2 high)", "skill")
    field = ArrayField("1 technical (STEM) field, 0 other")
    employer_row = ArrayField("row of the employing firm, -1 if none", "employer")
    abroad = ArrayField("1 when living abroad")
    reservation_wage = ArrayField("reservation wage, euros per quarter", "reservation")
    experience_sector = ArrayField("sector of the last job, -1 if none", "experience")

    @property
    def skill(self) -> str:
        """Skill level name."""
        return SKILLS[self.skill_index]

    @property
    def employer(self) -> Firm | None:
        """The employing firm agent, or None."""
        r = self.employer_row
        if r < 0:
            return None
        return self.model.firms[int(self.model.firm_pop.id[r])]

    @property
    def wage(self) -> float:
        """Current wage (euros per quarter); 0 when not employed."""
        r = self.employer_row
        return 0.0 if r < 0 else float(self.model.wage_of(r, self.skill_index))

    def state(self) -> dict[str, Any]:
        """All array attributes of this talent agent."""
        pop = self.model.talent_pop
        r = pop.row_of(self.unique_id)
        return {k: pop.arrays[k][r].item() for k in pop.fields}


class Investor(_RowAgent):
    """A financial-sector agent (pension fund, bank, venture capital, or a foreign investor).

    It places new money across the eight sectors and abroad by a logit on risk-adjusted expected
    returns (``kernels.capital.allocate_investors``).
    """

    _population_attr = "investor_pop"
    kind = ArrayField("0 pension fund, 1 bank, 2 venture capital, 3 foreign")
    funds = ArrayField("new money to place this quarter, euros")
    home_bias = ArrayField("utility bonus of the investor's home")
    placed_home = ArrayField("money placed in domestic firms last quarter, euros")
    placed_abroad = ArrayField("money placed abroad last quarter, euros")


class Programme(_RowAgent):
    """A government programme: one instrument with a budget path, targets and dates.

    Its rules are in its instrument's file in ``abm.policy``; its spending is recorded per
    quarter in the ``programme_spending`` output.
    """

    _population_attr = "programme_pop"
    spent_quarter = ArrayField("spending in the current quarter, euros", "spent")
    budget_year = ArrayField("budget of the current year, euros")
    rate_scale = ArrayField("scaling of the rate demand-driven instruments use to stay on budget")

    def __init__(self, model: Model, name: str, spec: Any) -> None:
        super().__init__(model)
        self.name = name
        self.spec = spec

    @property
    def instrument(self) -> str:
        """Instrument type (see ``abm.sectors.INSTRUMENTS``)."""
        return self.spec.instrument


class AgentView:
    """Mapping ``unique_id -> agent`` for one population (``model.firms``, ``model.investors``)."""

    def __init__(
        self, model: Model, pop_attr: str, registry: dict[int, Any] | None, factory: Any = None
    ) -> None:
        self._model = model
        self._pop_attr = pop_attr
        self._registry = registry
        self._factory = factory

    def _pop(self) -> Population:
        return getattr(self._model, self._pop_attr)

    def __getitem__(self, uid: int) -> Any:
        if self._registry is not None:
            try:
                return self._registry[int(uid)]
            except KeyError:
                raise KeyError(f"no agent with unique_id {uid} (exited or never existed)") from None
        return self._factory(self._model, int(uid))

    def __contains__(self, uid: object) -> bool:
        try:
            self._pop().row_of(int(uid))  # type: ignore[arg-type]
        except (KeyError, TypeError, ValueError):
            return False
        return True

    def __len__(self) -> int:
        return len(self._pop())

    def __iter__(self):
        for uid in np.array(self._pop().id):
            yield self[int(uid)]

    def ids(self) -> np.ndarray:
        """Unique ids of the agents present, in row order."""
        return np.array(self._pop().id)
