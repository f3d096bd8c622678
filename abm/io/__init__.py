"""Files: the one atomic writer, NetCDF writing, provenance and version strings."""

from __future__ import annotations

from abm.io.atomic import atomic_path, write_bytes_atomic, write_text_atomic
from abm.io.netcdf import encoding_for, write_netcdf
from abm.io.provenance import library_versions, model_version, provenance_attrs

__all__ = [
    "atomic_path",
    "encoding_for",
    "library_versions",
    "model_version",
    "provenance_attrs",
    "write_bytes_atomic",
    "write_netcdf",
    "write_text_atomic",
]
