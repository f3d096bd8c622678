"""The one writer of files (abm.io): atomic writes, and NetCDF writes that an interrupt cannot
break in the middle."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest
import xarray as xr

from abm.io import write_text_atomic
from abm.io.netcdf import interrupts_held, write_netcdf


def test_an_interrupt_during_a_netcdf_write_arrives_after_it(tmp_path):
    ds = xr.Dataset({"x": ("t", np.arange(4.0))})
    seen = []

    def write_and_interrupt(*args, **kwargs):  # noqa: ANN002, ANN003
        signal.raise_signal(signal.SIGINT)  # Ctrl-C in the middle of the write
        seen.append("written")
        return real(*args, **kwargs)

    real = xr.Dataset.to_netcdf
    with pytest.MonkeyPatch.context() as m:
        m.setattr(xr.Dataset, "to_netcdf", write_and_interrupt)
        with pytest.raises(KeyboardInterrupt):
            write_netcdf(ds, tmp_path / "x.nc")
    assert seen == ["written"]
    with xr.open_dataset(tmp_path / "x.nc") as back:  # complete, under its own name
        np.testing.assert_array_equal(back["x"].values, ds["x"].values)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back


def test_held_interrupts_go_to_the_handlers_that_were_there():
    got = []
    old = signal.signal(signal.SIGTERM, lambda s, f: got.append(s))
    try:
        with interrupts_held():
            signal.raise_signal(signal.SIGTERM)
            assert got == []
        assert got == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, old)


def test_text_is_written_atomically_with_the_usual_permissions(tmp_path):
    path = write_text_atomic(tmp_path / "a" / "t.txt", "hé")
    assert path.read_text(encoding="utf-8") == "hé"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in path.parent.iterdir()] == ["t.txt"]
