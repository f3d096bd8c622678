"""Benchmark case for the talent step ``kernels.talent.quits_and_search``: n agents (13% abroad,
85% of residents employed at n // 25 firms), quits at 1% and searches at 55% a quarter. Work
units are agents; the kernel changes the agents in place (1% quit a call), the twin is timed
once up to 10^5 agents."""

import numpy as np

from kernels.talent import count_staff, quits_and_search, quits_and_search_py

K0, K1 = np.uint64(0x9E3779B97F4A7C15), np.uint64(12345)


def case(n: int, rng: np.random.Generator) -> dict:
    n_f = max(n // 25, 1)
    ids = np.arange(1, n + 1, dtype=np.int32)
    abroad = (rng.random(n) < 0.13).astype(np.int8)
    skill = rng.integers(0, 3, n).astype(np.int8)
    employer = np.where((abroad == 0) & (rng.random(n) < 0.85), rng.integers(0, n_f, n), -1)
    employer = employer.astype(np.int32)
    experience = np.full(n, -1, np.int8)
    reservation = rng.uniform(6e3, 2e4, n).astype(np.float32)
    wages = rng.uniform(8e3, 3e4, (n_f, 3))
    sector = rng.integers(0, 8, n_f)
    staff = count_staff(employer, skill, n_f, 3)
    floor = np.array([6e3, 9e3, 1.4e4])

    def args(job):
        return (ids, abroad, *job, floor, 0.97, 0.01, 0.55, K0, K1, 10_010, 1, 10)

    job = [employer, skill, experience, reservation, wages, sector, 0.8, staff]
    twin_job = [x.copy() if isinstance(x, np.ndarray) else x for x in job]
    return {
        "name": "talent.quits_and_search",
        "kernel": lambda: quits_and_search(*args(job)),
        "twin": (lambda: quits_and_search_py(*args(twin_job))) if n <= 10**5 else None,
        "units": n,
        "unit_name": "agent",
    }
