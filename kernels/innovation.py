"""Innovation kernel: firms' productivity search by innovation and imitation.

:func:`innovate` implements the two-stage search of Dosi, Fagiolo and Roventini (2010): R&D
effort buys a chance of an innovation (a new productivity draw around the firm's own) and a
chance of an imitation (copying a technologically close peer of the same sector); the firm keeps
the best of what it has and what it found. Both success probabilities are scaled by a knowledge
spillover multiplier that rises with the sector's knowledge intensity.

The kernel is compiled with ``numba.njit(cache=True)``; ``innovate_py`` is a plain-Python twin
with the same signature and results. ``innovate_keyed`` is the same kernel with the firms' keyed
uniforms drawn inside (the model's call), ``innovate_keyed_py`` its twin. Inputs are not
validated: the preconditions in the docstring are the caller's responsibility.
"""

# numba caches this module's kernels with compiled copies of kernels.philox.philox4x64, keyed on
# this file alone: change this file whenever kernels/philox.py changes (philox: Philox4x64-10,
# uniforms as (x >> 11) 2**-53), or a warm cache keeps the old draws.

import math

import numba
import numpy as np

from kernels.market import _renamed
from kernels.philox import philox4x64, philox_uniforms_py


@numba.njit(cache=True)
def _multipliers(knowledge_intensity, k_ref, sigma, eta):
    """The spillover multiplier of each sector, 1 + sigma (k / k_ref)^eta (1 without knowledge)."""
    multiplier = np.empty(knowledge_intensity.shape[0], dtype=np.float64)
    for s in range(knowledge_intensity.shape[0]):
        k = knowledge_intensity[s]
        multiplier[s] = 1.0 + sigma * (k / k_ref) ** eta if k > 0.0 else 1.0
    return multiplier


@numba.njit(cache=True)
def innovate(
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
):
    """Update firms' labour productivity by innovation and imitation (DFR 2010 + spillovers).

    Each firm spends R&D effort on innovation and on imitation. More effort, and a richer
    knowledge environment in the firm's sector, raise the chance that a search succeeds: the
    sector's knowledge intensity relative to the economy's scales the effective effort by a
    spillover multiplier. A successful innovation draws a new technology a proportional ``jump``
    away from the firm's own; a successful imitation samples ``c`` peers of the same sector and
    copies one of them, favouring technologically close peers (weight falling with the relative
    productivity gap). The firm adopts the best of its current productivity and the candidates it
    found, so productivity never falls.

    Equations, for firm ``i`` of sector ``s`` with productivity ``a_i``::

        m_s   = 1 + sigma * (k_s / k_ref) ** eta        (m_s = 1 if k_s <= 0)
        p_in  = 1 - exp(-zeta_in * rd_innovation_i * m_s);  innovated_i = u_in_i < p_in
        p_im  = 1 - exp(-zeta_im * rd_imitation_i  * m_s);  imitated_i  = u_im_i < p_im
        a_in  = a_i * (1 + jump_i)
        peer_ij = sector_members[start_s + min(floor(peer_u_ij * n_s), n_s - 1)],  j < c
        w_ij  = 1 / (1 + |a_peer_ij - a_i| / a_i)
        pick  = first j with u_pick_i < (w_i0 + ... + w_ij) / sum_j w_ij;  a_im = a_peer_pick
        a_i'  = max(a_i, a_in if innovated_i, a_im if imitated_i)

    Parameters
    ----------
    firm_sector : int64[n]
        Sector of each firm, in ``[0, S)``.
    productivity : float64[n]
        Current labour productivity ``a_i``, ``> 0``. Peers are read from this input, never from
        updated values, so the result does not depend on the order of firms.
    rd_innovation, rd_imitation : float64[n]
        R&D effort spent on innovation / imitation, ``>= 0`` (the model passes R&D staff per
        employee relative to the sector's 2025 ratio, split by the innovation share).
    knowledge_intensity : float64[S]
        Sector knowledge stock over value added, ``k_s >= 0``.
    k_ref : float
        Economy-wide knowledge intensity, ``> 0``.
    sigma : float
        Spillover strength, ``>= 0`` (0 switches spillovers off).
    eta : float
        Spillover elasticity, ``>= 0``.
    zeta_in, zeta_im : float
        Search productivity of innovation / imitation effort, ``> 0``.
    u_in, u_im : float64[n]
        Uniform draws in ``[0, 1)`` for the innovation / imitation success.
    jump : float64[n]
        Proportional productivity jump of an innovation (a Beta draw on ``[x_low, x_high]``),
        ``> -1``.
    peer_u : float64[n, c]
        Uniform draws in ``[0, 1)`` choosing ``c`` candidate peers (``c`` may be 0: then a
        successful imitation finds nobody and the firm keeps ``a_i``).
    u_pick : float64[n]
        Uniform draw in ``[0, 1)`` picking one candidate by its normalized cumulative weight.
    sector_members : int64[n]
        Firm indices grouped by sector (sector ``s`` occupies
        ``sector_members[sector_start[s]:sector_start[s + 1]]``).
    sector_start : int64[S + 1]
        Offsets into ``sector_members``; ``sector_start[0] == 0``, ``sector_start[S] == n``.

    Returns
    -------
    new_productivity : float64[n]
        Updated productivity, ``>= productivity``.
    innovated : bool[n]
        The innovation draw succeeded (whether or not the new technology was better).
    imitated : bool[n]
        The imitation draw succeeded (whether or not the copied peer was better).

    Notes
    -----
    Preconditions (not checked): array lengths agree; ``sector_members``/``sector_start`` are
    consistent with ``firm_sector`` (each firm is listed in its own sector's block); values are
    finite and in the stated ranges. ``n = 0`` and sectors without firms are allowed.
    """
    n = firm_sector.shape[0]
    n_peers = peer_u.shape[1]
    multiplier = _multipliers(knowledge_intensity, k_ref, sigma, eta)

    # Pass 1, every firm: both success draws and the innovation candidate. Successful imitators
    # are listed for pass 2 (only the listed part of `imitators` is ever touched).
    new_productivity = np.empty(n, dtype=np.float64)
    innovated = np.empty(n, dtype=np.bool_)
    imitated = np.empty(n, dtype=np.bool_)
    imitators = np.empty(n, dtype=np.int32)  # half the write traffic of int64 (n < 2**31)
    n_imitators = 0
    for i in range(n):
        m_s = multiplier[firm_sector[i]]
        a = productivity[i]
        success_in = u_in[i] < 1.0 - np.exp(-zeta_in * rd_innovation[i] * m_s)
        a_in = a * (1.0 + jump[i])
        new_productivity[i] = a_in if success_in and a_in > a else a
        innovated[i] = success_in
        success_im = u_im[i] < 1.0 - np.exp(-zeta_im * rd_imitation[i] * m_s)
        imitated[i] = success_im
        imitators[n_imitators] = i
        n_imitators += success_im

    # Pass 2, successful imitators: sample peers of the own sector, pick one by closeness.
    if n_peers == 0:
        return new_productivity, innovated, imitated
    peer_a = np.empty(n_peers, dtype=np.float64)
    weight = np.empty(n_peers, dtype=np.float64)
    for t in range(n_imitators):
        i = imitators[t]
        _imitate(
            i, peer_u[i], u_pick[i], firm_sector, productivity, sector_members, sector_start,
            peer_a, weight, new_productivity,
        )  # fmt: skip
    return new_productivity, innovated, imitated


@numba.njit(cache=True, inline="always")
def _imitate(
    i, peer_u, u_pick, firm_sector, productivity, sector_members, sector_start, peer_a, weight,
    new_productivity,
):  # fmt: skip
    """Firm ``i``'s imitation (pass 2 of :func:`innovate`): ``len(peer_u)`` peers of its
    sector, one picked by closeness; adopted when better."""
    n_peers = peer_u.shape[0]
    s = firm_sector[i]
    a = productivity[i]
    first = sector_start[s]
    n_s = sector_start[s + 1] - first
    total = 0.0
    for j in range(n_peers):
        peer = sector_members[first + min(int(peer_u[j] * n_s), n_s - 1)]
        peer_a[j] = productivity[peer]
        w = 1.0 / (1.0 + abs(peer_a[j] - a) / a)
        weight[j] = w
        total += w
    a_im = peer_a[n_peers - 1]
    cumulative = 0.0
    for j in range(n_peers):
        cumulative += weight[j]
        if u_pick < cumulative / total:
            a_im = peer_a[j]
            break
    if a_im > new_productivity[i]:
        new_productivity[i] = a_im


_INV53 = 1.0 / 9007199254740992.0


CHUNK = 1 << 12  #: firms per chunk of innovate_keyed (fixed: never the thread count)


@numba.njit(cache=True)
def _innovate_chunk(c, args, keys, key, multiplier, out, scratch):
    """Chunk ``c`` of :func:`innovate_keyed`: each firm's first Philox block decides innovation
    and imitation; the chunk's successful imitators, listed at the chunk's own rows of
    ``scratch``, then draw their second block and imitate (each firm writes its own row only,
    and reads the peers' productivity before this quarter's search)."""
    firm_sector, productivity, rd_innovation, rd_imitation, zeta_in, zeta_im, jump = args[:7]
    sector_members, sector_start = args[7:]
    new_productivity, innovated, imitated = out
    imitators, first_peers = scratch
    k0, k1, q, m = key
    sh = np.uint64(11)
    lo = c * CHUNK
    hi = min(lo + CHUNK, firm_sector.shape[0])
    n_imitators = lo
    for i in range(lo, hi):
        x0, x1, x2, x3 = philox4x64(np.uint64(keys[i]), q, m, np.uint64(0), k0, k1)
        m_s = multiplier[firm_sector[i]]
        a = productivity[i]
        success_in = (x0 >> sh) * _INV53 < 1.0 - np.exp(-zeta_in * rd_innovation[i] * m_s)
        a_in = a * (1.0 + jump[i])
        new_productivity[i] = a_in if success_in and a_in > a else a
        innovated[i] = success_in
        success_im = (x1 >> sh) * _INV53 < 1.0 - np.exp(-zeta_im * rd_imitation[i] * m_s)
        imitated[i] = success_im
        first_peers[n_imitators, 0] = (x2 >> sh) * _INV53
        first_peers[n_imitators, 1] = (x3 >> sh) * _INV53
        imitators[n_imitators] = i
        n_imitators += success_im  # stores past the chunk's last imitator stay in its rows
    peer_u = np.empty(4, dtype=np.float64)
    peer_a = np.empty(4, dtype=np.float64)
    weight = np.empty(4, dtype=np.float64)
    for t in range(lo, n_imitators):
        i = imitators[t]
        y0, y1, y2, _ = philox4x64(np.uint64(keys[i]), q, m, np.uint64(1), k0, k1)
        peer_u[0] = first_peers[t, 0]
        peer_u[1] = first_peers[t, 1]
        peer_u[2] = (y0 >> sh) * _INV53
        peer_u[3] = (y1 >> sh) * _INV53
        _imitate(
            i, peer_u, (y2 >> sh) * _INV53, firm_sector, productivity, sector_members,
            sector_start, peer_a, weight, new_productivity,
        )  # fmt: skip


def _innovate_keyed_impl(
    firm_sector, productivity, rd_innovation, rd_imitation, knowledge_intensity, k_ref, sigma,
    eta, zeta_in, zeta_im, jump, keys, key0, key1, quarter, mechanism, sector_members,
    sector_start,
):  # fmt: skip
    """The driver of :func:`innovate_keyed` (a ``prange`` loop over fixed chunks of firms: a
    plain range when compiled without ``parallel``)."""
    n = firm_sector.shape[0]
    multiplier = _multipliers(knowledge_intensity, k_ref, sigma, eta)
    key = (np.uint64(key0), np.uint64(key1), np.uint64(quarter), np.uint64(mechanism))
    out = (np.empty(n, dtype=np.float64), np.empty(n, dtype=np.bool_), np.empty(n, np.bool_))
    # a chunk's imitators and their first two peer uniforms, at the chunk's own rows (firm i's
    # store goes to a row from the chunk's first to i)
    scratch = (np.empty(n, dtype=np.int32), np.empty((n, 2), dtype=np.float64))
    args = (firm_sector, productivity, rd_innovation, rd_imitation, zeta_in, zeta_im, jump,
            sector_members, sector_start)  # fmt: skip
    for c in numba.prange((n + CHUNK - 1) // CHUNK):
        _innovate_chunk(c, args, keys, key, multiplier, out, scratch)
    return out


innovate_keyed = numba.njit(cache=True)(_renamed(_innovate_keyed_impl, "innovate_keyed"))
innovate_keyed.__doc__ = """:func:`innovate` with the firms' own keyed uniforms drawn inside.

Firm ``i``'s eight uniforms are those of ``philox_uniforms(key0, key1, keys, quarter,
mechanism, 8)``: ``u_in = u[i, 0]``, ``u_im = u[i, 1]``, four peers ``u[i, 2:6]`` and
``u_pick = u[i, 6]``, the arguments the model passed to :func:`innovate`, so the same
result to the bit. The second Philox block (uniforms 4 to 7) is drawn only for the
successful imitators, the only firms that read it. Fixed chunks of firms
(``_innovate_chunk``), on numba's threads in :func:`innovate_keyed_parallel`: each firm's
result is its own, so the same result whatever the thread count."""
innovate_keyed_parallel = numba.njit(cache=True, parallel=True)(
    _renamed(_innovate_keyed_impl, "innovate_keyed_parallel")
)
innovate_keyed_parallel.__doc__ = ":func:`innovate_keyed` with its chunks on numba's threads."


def innovate_keyed_py(
    firm_sector, productivity, rd_innovation, rd_imitation, knowledge_intensity, k_ref, sigma,
    eta, zeta_in, zeta_im, jump, keys, key0, key1, quarter, mechanism, sector_members,
    sector_start,
):  # fmt: skip
    """Plain-Python twin of :func:`innovate_keyed`: the eight uniforms of every firm, then
    :func:`innovate_py`."""
    d = philox_uniforms_py(int(key0), int(key1), keys, int(quarter), int(mechanism), 8)
    return innovate_py(
        firm_sector, productivity, rd_innovation, rd_imitation, knowledge_intensity, k_ref,
        sigma, eta, zeta_in, zeta_im, d[:, 0], jump, d[:, 1], d[:, 2:6], d[:, 6], sector_members,
        sector_start,
    )  # fmt: skip


def innovate_py(
    firm_sector: np.ndarray,
    productivity: np.ndarray,
    rd_innovation: np.ndarray,
    rd_imitation: np.ndarray,
    knowledge_intensity: np.ndarray,
    k_ref: float,
    sigma: float,
    eta: float,
    zeta_in: float,
    zeta_im: float,
    u_in: np.ndarray,
    jump: np.ndarray,
    u_im: np.ndarray,
    peer_u: np.ndarray,
    u_pick: np.ndarray,
    sector_members: np.ndarray,
    sector_start: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain-Python twin of :func:`innovate` (same signature, same result)."""
    n = len(firm_sector)
    n_peers = peer_u.shape[1]
    new_productivity = np.empty(n, dtype=np.float64)
    innovated = np.zeros(n, dtype=np.bool_)
    imitated = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        s = firm_sector[i]
        a = productivity[i]
        k = knowledge_intensity[s]
        m_s = 1.0 + sigma * (k / k_ref) ** eta if k > 0.0 else 1.0
        options = [a]

        p_in = 1.0 - math.exp(-zeta_in * rd_innovation[i] * m_s)
        if u_in[i] < p_in:
            innovated[i] = True
            options.append(a * (1.0 + jump[i]))

        p_im = 1.0 - math.exp(-zeta_im * rd_imitation[i] * m_s)
        if u_im[i] < p_im:
            imitated[i] = True
            members = sector_members[sector_start[s] : sector_start[s + 1]]
            n_s = len(members)
            peers = [members[min(int(peer_u[i, j] * n_s), n_s - 1)] for j in range(n_peers)]
            weights = [1.0 / (1.0 + abs(productivity[p] - a) / a) for p in peers]
            total = sum(weights)
            cumulative = 0.0
            for j in range(n_peers):
                cumulative += weights[j]
                if u_pick[i] < cumulative / total or j == n_peers - 1:
                    options.append(productivity[peers[j]])
                    break

        new_productivity[i] = max(options)
    return new_productivity, innovated, imitated
