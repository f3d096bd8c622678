"""Result objects shared by comparison, sensitivity analysis and reports (issue #5).

They are plain dataclasses over pandas tables and file paths, so a scripted analysis can use
them without the command line, and the report builder can rely on their fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class CompareResult:
    """Outcome of :func:`abm.compare.compare` (and of :func:`abm.analysis.compare.analyse`).

    Attributes
    ----------
    scenarios : list of str
        Scenario names in the order given; ``scenarios[0]`` is the reference of the paired
        differences.
    table : pandas.DataFrame
        One row per (outcome, year, scenario) with columns ``outcome``, ``year``, ``scenario``,
        ``units``, ``mean``, ``p05``, ``p95`` (90% interval across members), ``diff_mean``,
        ``diff_low``, ``diff_high`` (paired difference against the reference with its 90%
        bootstrap interval; NaN for the reference), ``unpaired_low``, ``unpaired_high`` (the
        interval the difference would have without pairing), ``prob_better`` (share of paired
        members where the scenario beats the reference; NaN for the reference).
    targets : pandas.DataFrame
        One row per (scenario, target) with columns ``scenario``, ``target`` (e.g.
        ``"industry >= 15% of GDP in 2030"``), ``threshold``, ``mean``, ``share_meeting``
        (share of members meeting it), ``met`` (bool: the ensemble mean meets it).
    figures : dict of str to pathlib.Path
        PNG files by name (``"fan_gdp_real"``, ``"paired_differences"``, ...).
    outdir : pathlib.Path
        Folder holding ``comparison.md``, ``comparison.csv``, ``targets.csv`` and the figures
        (None until the tables are written).
    ensemble : pathlib.Path or None
        The ensemble NetCDF file the comparison was computed from.
    provenance : dict
        Model version, root seed, runs, scenarios, creation time.
    sectors : pandas.DataFrame or None
        Value added by sector (``value_added_by_sector.csv``): ``sector``, ``year``,
        ``scenario``, ``mean``, ``diff_mean``, ``diff_low``, ``diff_high`` (EUR per year).
    """

    scenarios: list[str]
    table: pd.DataFrame
    targets: pd.DataFrame
    figures: dict[str, Path] = field(default_factory=dict)
    outdir: Path | None = None
    ensemble: Path | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    sectors: pd.DataFrame | None = None


@dataclass
class SensitivityResult:
    """Outcome of :func:`abm.sensitivity.sensitivity`.

    Attributes
    ----------
    a, b : str
        The two scenarios; outcomes are differences ``a - b``.
    method : str
        ``"morris"`` or ``"sobol"``.
    outcomes : list of str
        Outcome names (e.g. ``"gdp_real_2040"``, ``"rd_intensity_2030"``).
    indices : pandas.DataFrame
        One row per (outcome, parameter). Sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf``;
        Morris: ``mu_star``, ``mu_star_conf``, ``sigma``. Always ``outcome`` and ``parameter``.
    flip : pandas.DataFrame
        "When does the answer flip": one row per (outcome, parameter) for the most influential
        parameters with ``flip_value`` (the value at which ``a`` stops beating ``b``, NaN if it
        never does within the range), ``flip_low``, ``flip_high`` (its uncertainty) and
        ``note``.
    samples : pandas.DataFrame
        The parameter points (one column per parameter) and the outcome differences.
    figures : dict of str to pathlib.Path
        PNG files by name.
    outdir : pathlib.Path or None
        Folder holding the CSV tables and figures.
    provenance : dict
        Model version, root seed, samples, parameters and ranges, creation time.
    """

    a: str
    b: str
    method: str
    outcomes: list[str]
    indices: pd.DataFrame
    flip: pd.DataFrame
    samples: pd.DataFrame
    figures: dict[str, Path] = field(default_factory=dict)
    outdir: Path | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
