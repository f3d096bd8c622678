"""Shared fixtures: small, fast runs of the shipped scenarios, and the system tools some tests
use (``ncdump``, ``cdo``, ``ncra``, ``chromium``)."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Callable

import pytest

from abm import EconomyModel

# A suite started in the background of a non-interactive shell (``nohup``, ``cmd &``) inherits
# SIGINT ignored, and so would every ``abm`` process a test starts: the interrupt tests then see
# no Ctrl-C at all. The tests are about how the code answers Ctrl-C, so they get Python's own
# handler whatever the caller's disposition (children then start with the default action).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

SMALL_SCALE = 1000.0  # persons per talent agent: ~12k agents, fast enough for unit tests

#: Debian package of each system tool a test may use (``.ci/run`` installs them all).
TOOL_PACKAGES = {
    "ncdump": "netcdf-bin",
    "cdo": "cdo",
    "ncra": "nco",
    "ncks": "nco",
    "chromium": "chromium",
}


def find_tool(name: str) -> str:
    """The path of system tool ``name``; a test without it is skipped with the reason and the
    Debian package to install, except on CI (``CI`` set), where ``.ci/run`` installs every tool
    and a missing one fails the test."""
    exe = shutil.which(name)
    if exe is None:
        package = TOOL_PACKAGES.get(name, name)
        msg = f"{name} is not installed (Debian: apt-get install -y {package})"
        if os.environ.get("CI"):
            pytest.fail(f"{msg}; CI installs it in .ci/run")
        pytest.skip(msg)
    return exe


@pytest.fixture
def system_tool() -> Callable[[str], str]:
    """``system_tool("ncdump")``: the tool's path, or skip the test (see :func:`find_tool`)."""
    return find_tool


@pytest.fixture(scope="session")
def diffuse_run() -> EconomyModel:
    """`diffuse`, seed 1, default burn-in, 6 recorded quarters at a small scale."""
    return EconomyModel("diffuse", seed=1, scale=SMALL_SCALE, quarters=6).run()
