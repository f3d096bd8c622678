"""The dose-response of focus: each key outcome's paired difference against the dose (issue #12).

An ensemble swept over one parameter (``abm compare A B --sweep reallocation=0,0.5,1``) is split
by the sweep's values; at each value every scenario is compared member by member (common random
numbers) with the reference, with a bootstrap 90% interval of the mean difference and the share
of members in which the scenario does better. The reference of a dose-response is the scenario
the dose leaves alone (for ``reallocation``: the one scenario without targeted programmes, e.g.
``diffuse``); when none or several are left alone, it is the first scenario, as in
``abm compare``. Nothing here renders or writes files.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from abm.analysis.compare import _paired, outcome_values
from abm.analysis.errors import CompareError
from abm.analysis.outcomes import KEY_OUTCOMES
from abm.analysis.stats import cell_rng, mean_or_nan, paired_interval, prob_better

#: Columns of ``dose_response.csv``.
DOSE_COLUMNS = (
    "parameter",
    "value",
    "outcome",
    "year",
    "scenario",
    "reference",
    "diff_mean",
    "diff_low",
    "diff_high",
    "prob_better",
    "members",
)


def sweep_coordinate(ds: xr.Dataset) -> str:
    """The one ``param_*`` coordinate of a swept ensemble."""
    params = [c for c in ds.coords if str(c).startswith("param_")]
    if len(params) != 1:
        raise CompareError(
            f"a dose-response needs an ensemble swept over exactly one parameter; this one has "
            f"{len(params)} ({', '.join(map(str, params)) or 'none'})"
        )
    return str(params[0])


def reference_index(ds: xr.Dataset, coord: str) -> int:
    """The scenario the dose leaves alone (its members' outcomes do not depend on the swept
    value in its innovation money), else 0."""
    names = [str(s) for s in ds["scenario"].values]
    values = ds[coord].values
    points = np.unique(values)
    if len(points) < 2 or "programme_spending" not in ds:
        return 0
    spent = ds["programme_spending"].sum("time")
    alone = []
    for i, _ in enumerate(names):
        s = spent.isel(scenario=i)
        totals = [float(s.isel(realization=np.flatnonzero(values == v)).mean()) for v in points]
        if np.allclose(totals, totals[0], rtol=1e-9, atol=0.0):
            alone.append(i)
    return alone[0] if len(alone) == 1 else 0


def dose_response(
    ds: xr.Dataset,
    outcomes: Sequence[str] | None = None,
    n_boot: int = 2000,
    boot_seed: int = 0,
) -> pd.DataFrame:
    """The dose-response table (module docstring) of a swept ensemble."""
    coord = sweep_coordinate(ds)
    names = [str(s) for s in ds["scenario"].values]
    ref = reference_index(ds, coord)
    values = ds[coord].values
    rows = []
    for v in np.unique(values):
        sub = ds.isel(realization=np.flatnonzero(values == v))
        for (name, year), x in outcome_values(sub, outcomes).items():
            o = KEY_OUTCOMES[name]
            for i, s in enumerate(names):
                if i == ref:
                    continue
                _, _, d = _paired(x[i], x[ref])
                if d.size == 0:  # no member has the outcome (e.g. value for money without
                    continue  # laissez_faire): no row rather than a row of NaN
                rng = cell_rng(boot_seed, name, year, s, f"{float(v):.12g}")
                lo, hi = paired_interval(d, n_boot, rng)
                rows.append(
                    {
                        "parameter": coord.removeprefix("param_").replace("__", "."),
                        "value": float(v),
                        "outcome": name,
                        "year": int(year),
                        "scenario": s,
                        "reference": names[ref],
                        "diff_mean": mean_or_nan(d),
                        "diff_low": lo,
                        "diff_high": hi,
                        "prob_better": prob_better(d, o.higher_is_better),
                        "members": int(d.size),
                    }
                )
    return pd.DataFrame(rows, columns=list(DOSE_COLUMNS))
