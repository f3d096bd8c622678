"""Benchmark case for ``kernels.goods.allocate_demand``: n firms in S = 8 sectors.

Work units are firms.
"""

import numpy as np

from kernels.goods import allocate_demand, allocate_demand_py

N_SECTORS = 8
MAX_ROUNDS = 50


def case(n: int, rng: np.random.Generator) -> dict:
    """Skewed sector sizes and market shares; capacity roughly proportional to share; demand from
    80% to 115% of sector capacity, so some sectors ration and send the excess to imports."""
    sector_weight = rng.dirichlet(np.full(N_SECTORS, 2.0))
    firm_sector = rng.choice(N_SECTORS, n, p=sector_weight).astype(np.int64)
    share = rng.lognormal(0.0, 1.0, n)
    share /= np.bincount(firm_sector, weights=share, minlength=N_SECTORS)[firm_sector]
    capacity = share * 1e9 * rng.lognormal(0.0, 0.3, n)
    capacity[rng.random(n) < 0.02] = 0.0  # sold out already
    sector_capacity = np.bincount(firm_sector, weights=capacity, minlength=N_SECTORS)
    demand = sector_capacity * rng.uniform(0.8, 1.15, N_SECTORS)
    return {
        "name": "goods.allocate_demand",
        "kernel": lambda: allocate_demand(firm_sector, share, capacity, demand, MAX_ROUNDS),
        "twin": lambda: allocate_demand_py(firm_sector, share, capacity, demand, MAX_ROUNDS),
        "units": n,
        "unit_name": "firm",
    }
