"""Files: the one atomic writer, NetCDF writing, provenance and version strings.

The names below load their module when first used (:func:`abm.lazy.exports`), so that
``import abm.io.atomic`` does not import xarray with :mod:`abm.io.netcdf`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from abm.lazy import exports

if TYPE_CHECKING:
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

__getattr__, __dir__ = exports(
    __name__,
    {
        "atomic_path": "abm.io.atomic",
        "write_bytes_atomic": "abm.io.atomic",
        "write_text_atomic": "abm.io.atomic",
        "encoding_for": "abm.io.netcdf",
        "write_netcdf": "abm.io.netcdf",
        "library_versions": "abm.io.provenance",
        "model_version": "abm.io.provenance",
        "provenance_attrs": "abm.io.provenance",
    },
)
