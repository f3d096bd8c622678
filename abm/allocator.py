"""The C allocator of a simulation process: keep freed memory for the next quarter.

A quarter allocates and frees thousands of arrays, numpy's temporaries and the kernels' results,
many of them as large as a population field. glibc's ``malloc`` serves a block above its mmap
threshold (128 KiB, raised after each free of a larger block up to 32 MiB) with new pages from
the kernel and unmaps them when it is freed, and it gives back the top of its heap when more
than its trim threshold lies free there. Every first touch of such a page is a page fault,
2.5 microseconds on the project's sandboxed machine (docs/performance.md, "Sixth session"). At
1:1 a quarter took 5,000-8,000 page faults and 15-30 ms of system time; with the thresholds
set to 256 MiB and 1 GiB, 680 faults and 2-6 ms, about 3% of the quarter, for 0.1 GiB more
peak memory (1.95 against 1.85 GiB). Memory that a quarter frees stays with the process for the
next one, which needs as much again.

:func:`keep_freed_memory` sets the two thresholds once per process, from the first model built.
It leaves the allocator alone where it is not glibc's, where the user has set either threshold
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_`` or ``GLIBC_TUNABLES``), and when the
environment variable ``ABM_KEEP_FREED_MEMORY`` is ``0`` (or ``false``, ``no``, ``off``). The
settings hold for the whole process from then on: a process that goes on after its runs keeps
up to the trim threshold of freed memory. An allocator loaded in glibc's place (jemalloc or
tcmalloc by ``LD_PRELOAD``) ignores them.
"""

from __future__ import annotations

import ctypes
import os
import sys

MMAP_THRESHOLD = 256 << 20  #: bytes from which glibc maps a block of its own
FALLBACK_MMAP = 32 << 20  #: the largest mmap threshold that older glibc accepts
TRIM_THRESHOLD = 1 << 30  #: free bytes at the top of the heap above which glibc gives them back
_M_TRIM_THRESHOLD = -1  # mallopt's parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3

_state: list[bool] = []  # the outcome, once decided


def _user_chose() -> bool:
    """Whether the environment sets the allocator's thresholds or asks for glibc's defaults."""
    env = os.environ
    if env.get("ABM_KEEP_FREED_MEMORY", "").strip().lower() in ("0", "false", "no", "off"):
        return True
    if "MALLOC_MMAP_THRESHOLD_" in env or "MALLOC_TRIM_THRESHOLD_" in env:
        return True
    tunables = env.get("GLIBC_TUNABLES", "")
    return "mmap_threshold" in tunables or "trim_threshold" in tunables


def _glibc() -> bool:
    """Whether this process runs on glibc (its version string, as ``confstr`` gives it)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return os.confstr("CS_GNU_LIBC_VERSION").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # not known here: musl, for one
        return False


def keep_freed_memory() -> bool:
    """Set glibc's mmap threshold to :data:`MMAP_THRESHOLD` and its trim threshold to
    :data:`TRIM_THRESHOLD` (``mallopt``), once per process (module docstring).

    Returns
    -------
    bool
        Whether these settings are in force: False on a C library other than glibc, when the
        environment chose the thresholds (or ``ABM_KEEP_FREED_MEMORY=0``), or when ``mallopt``
        refused them.
    """
    if _state:
        return _state[0]
    ok = False
    if _glibc() and not _user_chose():
        try:
            libc = ctypes.CDLL("libc.so.6")
            mallopt = libc.mallopt
            mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
            mallopt.restype = ctypes.c_int
            # glibc before 2.35 or so refuses an mmap threshold above 32 MiB; either setting
            # freezes glibc's own raising of the mmap threshold, so the trim threshold is set
            # only once an mmap threshold is in force (else more blocks would be mapped anew)
            ok = any(mallopt(_M_MMAP_THRESHOLD, v) for v in (MMAP_THRESHOLD, FALLBACK_MMAP))
            ok = ok and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
        except (OSError, AttributeError):  # no such library or function: glibc's defaults stay
            ok = False
    _state.append(ok)
    return ok
