"""Compatibility re-exports (one release): the dataset lives in :mod:`abm.recording`, file
writing and provenance in :mod:`abm.io`, the programme coordinate in :mod:`abm.scenario`."""

from __future__ import annotations

from abm.io.netcdf import encoding_for, write_netcdf
from abm.io.provenance import library_versions as _lib_versions
from abm.io.provenance import model_version as _version
from abm.io.provenance import provenance_attrs
from abm.recording import VARIABLES, quarter_bounds, records_to_dataset, snapshot_dataset
from abm.scenario import instrument_of as _instrument_of
from abm.scenario import programme_union

__all__ = [
    "VARIABLES",
    "_instrument_of",
    "_lib_versions",
    "_version",
    "encoding_for",
    "programme_union",
    "provenance_attrs",
    "quarter_bounds",
    "records_to_dataset",
    "snapshot_dataset",
    "write_netcdf",
]
