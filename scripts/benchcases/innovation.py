"""Benchmark case for :func:`kernels.innovation.innovate` (S = 8 sectors, c = 4 peers)."""

import numpy as np

from kernels.innovation import innovate, innovate_py

N_SECTORS = 8
N_PEERS = 4


def case(n: int, rng: np.random.Generator) -> dict:
    """Build ``n`` firms in 8 sectors with DFR-like parameters and pre-drawn uniforms."""
    firm_sector = rng.integers(0, N_SECTORS, size=n).astype(np.int64)
    productivity = rng.lognormal(mean=0.0, sigma=0.3, size=n)
    rd_innovation = rng.gamma(shape=2.0, scale=0.25, size=n)  # researcher-quarters per firm
    rd_imitation = rng.gamma(shape=2.0, scale=0.15, size=n)
    knowledge_intensity = rng.uniform(0.2, 3.0, size=N_SECTORS)
    k_ref = 1.0
    sigma, eta = 0.5, 0.7
    zeta_in, zeta_im = 0.3, 0.3
    u_in = rng.random(n)
    jump = -0.15 + 0.30 * rng.beta(3.0, 3.0, size=n)  # Beta law on [-0.15, 0.15]
    u_im = rng.random(n)
    peer_u = rng.random((n, N_PEERS))
    u_pick = rng.random(n)
    sector_members = np.argsort(firm_sector, kind="stable").astype(np.int64)
    sector_start = np.zeros(N_SECTORS + 1, dtype=np.int64)
    sector_start[1:] = np.cumsum(np.bincount(firm_sector, minlength=N_SECTORS))
    args = (
        firm_sector,
        productivity,
        rd_innovation,
        rd_imitation,
        knowledge_intensity,
        k_ref,
        sigma,
        eta,
        zeta_in,
        zeta_im,
        u_in,
        jump,
        u_im,
        peer_u,
        u_pick,
        sector_members,
        sector_start,
    )
    return {
        "name": "innovation.innovate",
        "kernel": lambda: innovate(*args),
        "twin": lambda: innovate_py(*args),
        "units": n,
        "unit_name": "firm",
    }
