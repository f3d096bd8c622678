"""Compatibility re-export (one release): ``abm sensitivity`` lives in
:mod:`abm.cli.sensitivity`; this module also runs as ``python -m abm.sensitivity_cli``."""

from __future__ import annotations

from abm.cli.sensitivity import sensitivity_cmd

__all__ = ["sensitivity_cmd"]

if __name__ == "__main__":  # pragma: no cover
    sensitivity_cmd()
