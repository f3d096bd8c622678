"""Compatibility re-export (one release): ``abm ensemble`` lives in :mod:`abm.cli.ensemble`; this
module also runs as ``python -m abm.ensemble_cli``."""

from __future__ import annotations

from abm.cli.ensemble import ensemble_cmd

__all__ = ["ensemble_cmd"]

if __name__ == "__main__":  # pragma: no cover
    ensemble_cmd()
