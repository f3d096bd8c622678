"""Compatibility re-export (one release): ``abm compare`` lives in :mod:`abm.cli.compare`; this
module also runs as ``python -m abm.compare_cli``."""

from __future__ import annotations

from abm.cli.compare import compare_cmd

__all__ = ["compare_cmd"]

if __name__ == "__main__":  # pragma: no cover
    compare_cmd()
