"""Compatibility re-export (one release): ``abm report`` lives in :mod:`abm.cli.report`; this
module also runs as ``python -m abm.report_cli``."""

from __future__ import annotations

from abm.cli.report import report_cmd

__all__ = ["report_cmd"]

if __name__ == "__main__":  # pragma: no cover
    report_cmd()
