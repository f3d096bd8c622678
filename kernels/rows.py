"""Row bookkeeping of struct-of-arrays populations: removing rows in place.

``drop_rows`` removes rows from the first ``n`` entries of a buffer in place, keeping the order of
the others (the population's rows stay sorted by id), without allocating: each run of kept rows
after the first removed one moves up by one ``memmove`` (LLVM's intrinsic: a numba slice
assignment within one array would check the overlap and copy through a temporary, ten times
slower for a byte field with thousands of runs), releasing the GIL (a population's fields can be
dropped on several threads at once). ``copy_without_rows`` copies the first ``n`` entries of one
array without the rows into another (a field the population does not own, so it must not change
in place).
``drop_rows_py`` and ``copy_without_rows_py`` are their plain-Python twins.
"""

import numba
import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def _move_within(typingctx, arr, dst, src, count):
    """``memmove`` of ``count`` items of the C-contiguous ``arr`` from index ``src`` to index
    ``dst`` (the ranges may overlap)."""
    if not isinstance(arr, types.Array) or arr.layout != "C":
        return None
    sig = types.void(arr, types.int64, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        a, d, s, n = args
        ary = context.make_array(signature.args[0])(context, builder, a)
        itemsize = context.get_abi_sizeof(context.get_data_type(signature.args[0].dtype))
        cgutils.raw_memmove(
            builder, builder.gep(ary.data, [d]), builder.gep(ary.data, [s]), n, itemsize
        )
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(cache=True, nogil=True)
def drop_rows(buf, n, rows):
    """Remove ``rows`` (increasing, unique, each in ``[0, n)``) from ``buf[:n]`` (a C-contiguous
    1-d buffer) in place; the kept rows move up in order. Returns the new length
    ``n - len(rows)``."""
    m = rows.shape[0]
    if m == 0:
        return n
    w = rows[0]
    for j in range(m):
        start = rows[j] + 1
        end = rows[j + 1] if j + 1 < m else n
        if end > start:
            _move_within(buf, np.int64(w), np.int64(start), np.int64(end - start))
        w += end - start
    return w


@numba.njit(cache=True, nogil=True)
def copy_without_rows(src, n, rows, dst):
    """Copy ``src[:n]`` without ``rows`` (increasing, unique, each in ``[0, n)``) into the start
    of ``dst`` (another array, at least ``n - len(rows)`` long), in order, one slice per run of
    kept rows. Returns the number copied, ``n - len(rows)``."""
    m = rows.shape[0]
    w = rows[0] if m else n
    dst[:w] = src[:w]
    for j in range(m):
        start = rows[j] + 1
        end = rows[j + 1] if j + 1 < m else n
        dst[w : w + end - start] = src[start:end]
        w += end - start
    return w


def copy_without_rows_py(src: np.ndarray, n: int, rows: np.ndarray, dst: np.ndarray) -> int:
    """Plain-Python twin of :func:`copy_without_rows`."""
    kept = np.delete(src[:n], rows)
    dst[: kept.size] = kept
    return int(kept.size)


def drop_rows_py(buf: np.ndarray, n: int, rows: np.ndarray) -> int:
    """Plain-Python twin of :func:`drop_rows`."""
    kept = np.delete(buf[:n], rows)
    buf[: kept.size] = kept
    return int(kept.size)
