"""Input errors of the analyses: one line that names the option or file at fault, raised before
any member runs and before anything is written."""

from __future__ import annotations


class CompareError(ValueError):
    """Bad input to a comparison (scenario, option, ensemble file); the message is one line."""


class SensitivityInputError(ValueError):
    """Bad input (scenario, parameter, outcome, option); raised before any member runs."""
