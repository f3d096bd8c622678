"""What a quarter records and the run's dataset (variables with units and long names)."""

from __future__ import annotations

from abm.recording.dataset import quarter_bounds, records_to_dataset, snapshot_dataset
from abm.recording.variables import VARIABLES

__all__ = ["VARIABLES", "quarter_bounds", "records_to_dataset", "snapshot_dataset"]
