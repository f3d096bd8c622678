"""Row bookkeeping of struct-of-arrays populations: removing rows in place.

``drop_rows`` removes rows from the first ``n`` entries of a buffer in place, keeping the order of
the others (the population's rows stay sorted by id), without allocating: each run of kept rows
after the first removed one moves up by one ``memmove`` (LLVM's intrinsic: a numba slice
assignment within one array would check the overlap and copy through a temporary, ten times
slower for a byte field with thousands of runs), releasing the GIL (a population's fields can be
dropped on several threads at once). ``copy_without_rows`` copies the first ``n`` entries of one
array without the rows into another (a field the population does not own, so it must not change
in place), one ``memmove`` per run.

Both move bytes: the compiled kernels (``drop_row_bytes``, ``copy_row_bytes``) take the arrays'
bytes and the size of a row, so one compiled version serves every dtype and row shape
(``drop_rows`` and ``copy_without_rows`` take those views in Python). With one version per
dtype, a run loaded seven of them from numba's cache at start-up, some 10 ms each.
``drop_rows_py`` and ``copy_without_rows_py`` are their plain-Python twins.
"""

import numba
import numpy as np
from numba.core import cgutils, types
from numba.extending import intrinsic


@intrinsic
def _move(typingctx, dst, d, src, s, count):
    """``memmove`` of ``count`` items of the C-contiguous ``src`` from index ``s`` to index ``d``
    of the C-contiguous ``dst`` of the same dtype (the same array or another; the ranges may
    overlap)."""
    ok = isinstance(dst, types.Array) and isinstance(src, types.Array)
    if not ok or dst.layout != "C" or src.layout != "C" or dst.dtype != src.dtype:
        return None
    sig = types.void(dst, types.int64, src, types.int64, types.int64)

    def codegen(context, builder, signature, args):
        a, di, b, si, n = args
        out = context.make_array(signature.args[0])(context, builder, a)
        inp = context.make_array(signature.args[2])(context, builder, b)
        itemsize = context.get_abi_sizeof(context.get_data_type(signature.args[0].dtype))
        cgutils.raw_memmove(
            builder, builder.gep(out.data, [di]), builder.gep(inp.data, [si]), n, itemsize
        )
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(cache=True, nogil=True)
def drop_row_bytes(buf, n, rows, row_bytes):
    """:func:`drop_rows` on the bytes of a buffer (``buf`` uint8, ``row_bytes`` bytes a row)."""
    m = rows.shape[0]
    if m == 0:
        return n
    w = rows[0]
    for j in range(m):
        start = rows[j] + 1
        end = rows[j + 1] if j + 1 < m else n
        if end > start:
            _move(buf, w * row_bytes, buf, start * row_bytes, (end - start) * row_bytes)
        w += end - start
    return w


@numba.njit(cache=True, nogil=True)
def copy_row_bytes(src, n, rows, dst, row_bytes):
    """:func:`copy_without_rows` on the bytes of two arrays (uint8, ``row_bytes`` bytes a row)."""
    m = rows.shape[0]
    w = rows[0] if m else n
    if w > 0:
        _move(dst, 0, src, 0, w * row_bytes)
    for j in range(m):
        start = rows[j] + 1
        end = rows[j + 1] if j + 1 < m else n
        if end > start:
            _move(dst, w * row_bytes, src, start * row_bytes, (end - start) * row_bytes)
        w += end - start
    return w


def _bytes_of(a: np.ndarray) -> tuple[np.ndarray, int]:
    """The bytes of C-contiguous ``a`` (uint8, a view) and the bytes of one of its rows."""
    if not a.flags.c_contiguous:
        raise ValueError("kernels.rows: the arrays must be C-contiguous")
    return a.reshape(-1).view(np.uint8), a.itemsize * (a.size // a.shape[0] if a.shape[0] else 1)


def drop_rows(buf: np.ndarray, n: int, rows: np.ndarray) -> int:
    """Remove ``rows`` (increasing, unique, int64, each in ``[0, n)``) from ``buf[:n]`` (a
    C-contiguous buffer of any dtype, rows along its first axis) in place; the kept rows move up
    in order. Returns the new length ``n - len(rows)``."""
    if buf.shape[0] == 0:
        return n - rows.shape[0]
    raw, row_bytes = _bytes_of(buf)
    rows = np.asarray(rows, dtype=np.int64)
    return drop_row_bytes(raw, np.int64(n), rows, np.int64(row_bytes))


def copy_without_rows(src: np.ndarray, n: int, rows: np.ndarray, dst: np.ndarray) -> int:
    """Copy ``src[:n]`` without ``rows`` (increasing, unique, int64, each in ``[0, n)``) into the
    start of ``dst`` (another C-contiguous array of the same dtype and row shape, at least
    ``n - len(rows)`` rows long), in order, one ``memmove`` per run of kept rows. Returns the
    number copied, ``n - len(rows)``."""
    if src.dtype != dst.dtype or src.shape[1:] != dst.shape[1:]:
        raise ValueError("kernels.rows.copy_without_rows: src and dst differ in dtype or rows")
    if src.shape[0] == 0 or dst.shape[0] == 0:
        return n - rows.shape[0]
    raw_src, row_bytes = _bytes_of(np.ascontiguousarray(src))  # a view when it is already
    raw_dst, _ = _bytes_of(dst)
    rows = np.asarray(rows, dtype=np.int64)
    return copy_row_bytes(raw_src, np.int64(n), rows, raw_dst, np.int64(row_bytes))


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
