"""Benchmark case for ``kernels.events.lottery_rows``: n agents (ids with 10% holes), the
lottery of a quit rate of 1% a quarter. Work units are agents; the twin draws every uniform in
plain Python (timed up to 10^5 agents)."""

import numpy as np

from kernels.events import lottery_rows, lottery_rows_py

K0, K1 = np.uint64(0x9E3779B97F4A7C15), np.uint64(12345)


def case(n: int, rng: np.random.Generator) -> dict:
    ids = np.sort(rng.choice(np.arange(1, int(n * 1.1) + 2), n, replace=False)).astype(np.int32)
    return {
        "name": "events.lottery_rows",
        "kernel": lambda: lottery_rows(ids, K0, K1, 10_010, 1, 0.01),
        "twin": (lambda: lottery_rows_py(ids, int(K0), int(K1), 10_010, 1, 0.01))
        if n <= 10**5
        else None,
        "units": n,
        "unit_name": "agent",
    }
