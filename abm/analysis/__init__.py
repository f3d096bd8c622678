"""Analysis of output datasets (single runs or ensembles); it reads data and returns tables, and
never renders or writes files. The rooms: :mod:`~abm.analysis.outcomes` (the one outcome
registry and the 2030 targets), :mod:`~abm.analysis.series` (annual values, innovation money,
members), :mod:`~abm.analysis.stats` (bootstrap intervals and moments through scipy),
:mod:`~abm.analysis.compare` and :mod:`~abm.analysis.inputs` (comparisons of scenarios),
:mod:`~abm.analysis.design`, :mod:`~abm.analysis.sensitivity` and :mod:`~abm.analysis.flip`
(sensitivity analysis), :mod:`~abm.analysis.validate` (validation), and the result objects in
:mod:`~abm.analysis.results`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from abm.lazy import exports

if TYPE_CHECKING:
    from abm.analysis.series import NOT_INNOVATION_MONEY, annual_mean, innovation_budget

__all__ = ["NOT_INNOVATION_MONEY", "annual_mean", "innovation_budget"]

# loaded when first used (abm.lazy.exports): abm.analysis.errors without xarray
__getattr__, __dir__ = exports(
    __name__,
    {
        "NOT_INNOVATION_MONEY": "abm.analysis.series",
        "annual_mean": "abm.analysis.series",
        "innovation_budget": "abm.analysis.series",
    },
)
