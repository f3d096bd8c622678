"""What a quarter records and the run's dataset (variables with units and long names).

A run imports :mod:`abm.recording.record` every quarter; the dataset (xarray, pandas) is
imported only when a run becomes one: ``records_to_dataset`` and the names beside it load
:mod:`abm.recording.dataset` when first used (:func:`abm.lazy.exports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from abm.lazy import exports
from abm.recording.variables import VARIABLES

if TYPE_CHECKING:
    from abm.recording.dataset import quarter_bounds, records_to_dataset, snapshot_dataset

__all__ = ["VARIABLES", "quarter_bounds", "records_to_dataset", "snapshot_dataset"]

__getattr__, __dir__ = exports(
    __name__,
    {
        "quarter_bounds": "abm.recording.dataset",
        "records_to_dataset": "abm.recording.dataset",
        "snapshot_dataset": "abm.recording.dataset",
    },
)
