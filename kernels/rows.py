"""Row bookkeeping of struct-of-arrays populations: removing rows in place.

``drop_rows`` removes rows from the first ``n`` entries of a buffer in place, keeping the order of
the others (the population's rows stay sorted by id), without allocating: one pass over the rows
after the first removed one, releasing the GIL (a population's fields can be dropped on several
threads at once). ``drop_rows_py`` is its plain-Python twin.
"""

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def drop_rows(buf, n, rows):
    """Remove ``rows`` (increasing, unique, each in ``[0, n)``) from ``buf[:n]`` in place; the
    kept rows move up in order. Returns the new length ``n - len(rows)``."""
    m = rows.shape[0]
    if m == 0:
        return n
    w = rows[0]
    for j in range(m):
        start = rows[j] + 1
        end = rows[j + 1] if j + 1 < m else n
        buf[w : w + end - start] = buf[start:end]  # forward copy: w < start
        w += end - start
    return w


def drop_rows_py(buf: np.ndarray, n: int, rows: np.ndarray) -> int:
    """Plain-Python twin of :func:`drop_rows`."""
    kept = np.delete(buf[:n], rows)
    buf[: kept.size] = kept
    return int(kept.size)
