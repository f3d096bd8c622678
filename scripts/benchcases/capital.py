"""Benchmark case for :func:`kernels.capital.fund_requests` (S = 8 sectors).

The investor allocation (``allocate_investors``) runs over a few hundred investors and is too small
to matter; the firm-level step is the funding queue.
"""

import numpy as np

from kernels.capital import fund_requests, fund_requests_py

N_SECTORS = 8
SHARE_ASKING = 0.4  # share of firms asking for outside funding in a quarter


def case(n: int, rng: np.random.Generator) -> dict:
    """Build a funding queue of ``n`` firms where money is scarce in most sectors."""
    firm_sector = rng.integers(0, N_SECTORS, size=n).astype(np.int64)
    asking = rng.random(n) < SHARE_ASKING
    request = np.where(asking, rng.lognormal(mean=0.0, sigma=1.0, size=n), 0.0)
    prospect = rng.normal(0.05, 0.03, size=n)  # expected return on the project
    demand = np.bincount(firm_sector, weights=request, minlength=N_SECTORS)
    # Private money covers 40-110% of demand: most sectors ration, some do not.
    sector_private = demand * rng.uniform(0.4, 1.1, size=N_SECTORS)
    match_ratio = np.zeros(N_SECTORS)
    match_ratio[:2] = 1.0  # two targeted sectors, one public euro per private euro
    sector_public = 0.3 * demand * (match_ratio > 0)
    args = (firm_sector, request, prospect, sector_private, match_ratio, sector_public)
    return {
        "name": "capital.fund_requests",
        "kernel": lambda: fund_requests(*args),
        "twin": lambda: fund_requests_py(*args),
        "units": n,
        "unit_name": "firm",
    }
