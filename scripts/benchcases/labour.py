"""Benchmark case for ``kernels.labour.match_labour``: n seekers, n // 10 vacancy rows, k = 8.

Work units are vacancy looks (n * k).
"""

import numpy as np

from kernels.labour import match_labour, match_labour_py

K = 8


def case(n: int, rng: np.random.Generator) -> dict:
    """Seekers and vacancies with Dutch-like skill mix and wages in euros per quarter."""
    v = max(n // 10, 1)
    seeker_skill = rng.choice(3, n, p=[0.25, 0.40, 0.35]).astype(np.int64)
    seeker_field = (rng.random(n) < 0.3).astype(np.int64)
    seeker_reservation = rng.lognormal(np.log(9000.0), 0.3, n)
    order = rng.permutation(n).astype(np.int64)
    vac_skill = rng.choice(3, v, p=[0.25, 0.40, 0.35]).astype(np.int64)
    vac_field = rng.choice(np.array([-1, 0, 1]), v, p=[0.5, 0.3, 0.2]).astype(np.int64)
    vac_wage = rng.lognormal(np.log(10500.0), 0.3, v)
    vac_openings = (1 + rng.poisson(3.0, v)).astype(np.int64)
    samples = rng.integers(0, v, (n, K), dtype=np.int64)
    args = (
        seeker_skill,
        seeker_field,
        seeker_reservation,
        order,
        vac_skill,
        vac_field,
        vac_wage,
        vac_openings,
        samples,
    )
    return {
        "name": "labour.match_labour",
        "kernel": lambda: match_labour(*args),
        "twin": lambda: match_labour_py(*args),
        "units": n * K,
        "unit_name": "vacancy look",
    }
