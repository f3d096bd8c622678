"""The model's ``mesa.DataCollector``: aggregate series from each quarter's record, firm panels.

``EconomyModel.datacollector`` is an :class:`EconomyCollector`, collected after every recorded
quarter (``model.step()``; the burn-in quarters run in ``__init__`` and are not collected). Its
**model reporters** (:data:`MODEL_REPORTERS`) read the quarter's :class:`QuarterRecord` as the
output dataset does (quarterly values in the units of :data:`abm.recording.VARIABLES`, zero
where the record has no finite value), so ``get_model_vars_dataframe()`` row ``k`` is recorded
quarter ``k`` and its values equal ``model.to_dataset()`` at ``time[k]``. Its **agent
reporters** (:data:`FIRM_REPORTERS`) are firm attributes, read from the firm population arrays
for every firm agent; they are off unless the model is built with ``collect_agents=True``
(a 1:1 run has tens of thousands of firms), and then collected every ``agent_interval``-th
recorded quarter and in the last one.

Both are keyed by the recorded quarter (``Step`` 0 is the first recorded quarter, the
``k``-th call of ``model.step()`` is ``Step`` ``k - 1``), so ``mesa.batch_run`` pairs each
model row with the firm rows of the same quarter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from abm.mesa_core import DataCollector
from abm.sectors import SECTORS

if TYPE_CHECKING:
    from abm.state.economy import EconomyState


def _finite(x: Any) -> float:
    """``x`` (summed when an array) with non-finite values as zero, as in the dataset."""
    if isinstance(x, (float, int, np.floating, np.integer)):  # most fields: no array to make
        v = float(x) + 0.0  # + 0.0: -0.0 becomes 0.0, as the sum of an array gives
        return v if math.isfinite(v) else 0.0
    return float(np.nan_to_num(np.asarray(x, dtype=float), nan=0.0, posinf=0.0, neginf=0.0).sum())


def _from_record(field: str, model: EconomyState) -> Any:
    """The last recorded quarter's ``field`` (a sum over the programmes for their spending)."""
    rec = model.records[-1]  # type: ignore[attr-defined]
    if field == "date":
        return rec.date
    return _finite(getattr(rec, field))


#: Aggregate series of each recorded quarter (flows per quarter, stocks at its end).
MODEL_REPORTER_FIELDS: tuple[str, ...] = (
    "date",
    "gdp",
    "gdp_real",
    "inflation",
    "employment",
    "unemployment_rate",
    "industry_share",
    "rd_intensity",
    "business_rd",
    "talent_emigration",
    "talent_immigration",
    "high_skill_emigration",
    "high_skill_immigration",
    "capital_outflow",
    "programme_spending",
    "government_balance",
    "government_debt",
)
#: Model reporters by name: Mesa-style callables of the model (``programme_spending`` is the
#: total over the programmes).
MODEL_REPORTERS: dict[str, Callable[[Any], Any]] = {
    f: partial(_from_record, f) for f in MODEL_REPORTER_FIELDS
}


class FirmColumn:
    """An agent reporter read for all firm agents at once: ``column(model)`` -> one value per
    firm row (Mesa's per-agent reporters are called per agent instead)."""

    def __init__(self, doc: str, read: Callable[[Any], np.ndarray]) -> None:
        self.__doc__ = doc
        self._read = read

    def __call__(self, model: Any) -> list[Any]:
        """The values of every firm agent, in firm row order."""
        return np.asarray(self._read(model)).tolist()


def _field(name: str, doc: str) -> FirmColumn:
    return FirmColumn(doc, lambda m: getattr(m.firm_pop, name))


#: Firm attributes collected as agent reporters (see ``abm.agents.Firm``).
FIRM_REPORTERS: dict[str, FirmColumn] = {
    "sector": FirmColumn(
        "sector name", lambda m: np.asarray(SECTORS, dtype=object)[m.firm_pop.sector]
    ),
    "weight": _field("weight", "real firms the agent stands for"),
    "productivity": _field("productivity", "real gross output per worker per quarter"),
    "sales": _field("sales", "sales in the quarter, euros"),
    "employees": FirmColumn("persons employed", lambda m: m.firm_employment().sum(axis=1)),
    "capital": _field("capital", "real capital stock (2025 euros)"),
    "rd": _field("rd", "R&D spending in the quarter, euros"),
    "market_share": _field("share", "share of the sector's domestic market"),
    "price": _field("price", "output price (2025 = 1)"),
    "age": _field("age", "age in quarters"),
}


class EconomyCollector(DataCollector):
    """A ``mesa.DataCollector`` keyed by recorded quarter, with the firm reporters read from
    the population arrays.

    Parameters
    ----------
    collect_agents : bool
        Collect :data:`FIRM_REPORTERS` (off by default: large runs stay fast).
    agent_interval : int
        With ``collect_agents``, collect the firms in every ``agent_interval``-th recorded
        quarter (``Step`` ``agent_interval - 1``, ``2 * agent_interval - 1``, ...) and in the
        last one.
    model_reporters : dict, optional
        Model reporters (default :data:`MODEL_REPORTERS`).

    Raises
    ------
    ValueError
        ``agent_interval`` below 1.
    """

    def __init__(
        self,
        collect_agents: bool = False,
        agent_interval: int = 1,
        model_reporters: dict[str, Any] | None = None,
    ) -> None:
        if int(agent_interval) < 1:
            raise ValueError(f"agent_interval must be >= 1 (quarters), got {agent_interval}")
        self.agent_interval = int(agent_interval)
        super().__init__(
            model_reporters=MODEL_REPORTERS if model_reporters is None else model_reporters,
            agent_reporters=dict(FIRM_REPORTERS) if collect_agents else None,
        )

    @staticmethod
    def step_of(model: Any) -> int:
        """The ``Step`` of the last recorded quarter: 0 for the first."""
        return len(model.records) - 1

    def _due(self, model: Any) -> bool:
        k = self.step_of(model)
        return (k + 1) % self.agent_interval == 0 or k == model.quarters - 1

    def _record_agents(self, model: Any) -> Iterable[tuple[Any, ...]]:
        """One tuple ``(step, unique_id, *values)`` per firm agent, or none when not due."""
        if not self._due(model):
            return []
        ids = model.firm_pop.id.tolist()
        columns = []
        for reporter in self.agent_reporters.values():
            if isinstance(reporter, FirmColumn):
                columns.append(reporter(model))
            else:  # a Mesa agent reporter a user added: called per firm agent
                columns.append([reporter(model.firms[uid]) for uid in ids])
        k = self.step_of(model)
        return [(k, uid, *values) for uid, *values in zip(ids, *columns, strict=True)]

    def collect(self, model: Any) -> None:
        """Collect the last recorded quarter (called by ``model.step()``)."""
        super().collect(model)
        if self.agent_reporters:
            rows = self._agent_records.pop(model.steps)
            if rows:
                self._agent_records[self.step_of(model)] = rows


__all__ = ["FIRM_REPORTERS", "MODEL_REPORTERS", "EconomyCollector", "FirmColumn"]
