"""Struct-of-arrays populations: one numpy array per attribute, rows found by stable id.

Ids are assigned in increasing order and compaction keeps row order, so the id array is always
sorted and a row is found by binary search (``row_of``). Agents (``abm.agents``) are views that
read and write their own row.

Each field's array is a view of the first ``len(pop)`` entries of a buffer with spare capacity,
so appending rows writes into the spare room (the buffer grows by a quarter when full) and
:meth:`Population.drop` removes rows in place (``kernels.rows.drop_rows``): neither copies the
whole population every quarter. Both change the arrays in place, so a reference to a field's
array taken before an append or a drop is stale afterwards; read the field again.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from kernels.rows import copy_without_rows, drop_rows

#: values (rows times fields) from which a drop on several threads pays: a million talent
#: agents (eight fields), or the firms at 1:1 (534,000 rows, 36 fields)
PARALLEL_DROP_VALUES = 8_000_000


class Population:
    """A population's numeric state: ``fields`` name -> dtype, all arrays of equal length."""

    def __init__(self, fields: Mapping[str, np.dtype | type | str], name: str) -> None:
        self.name = name
        self.fields = {k: np.dtype(v) for k, v in fields.items()}
        if "id" not in self.fields:
            raise ValueError("a population needs an 'id' field")
        self.arrays: dict[str, np.ndarray] = {k: np.zeros(0, d) for k, d in self.fields.items()}
        # field -> buffer whose first len(self) entries are the field's array, when the
        # population allocated it (arrays assigned from outside may be shared, so they are not
        # changed in place)
        self._buffers: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return int(self.arrays["id"].shape[0])

    def __getattr__(self, key: str) -> np.ndarray:
        try:
            return self.__dict__["arrays"][key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: object) -> None:
        if "arrays" in self.__dict__ and key in self.__dict__["arrays"]:
            arr = self.__dict__["arrays"][key]
            value = np.asarray(value, dtype=arr.dtype)
            if value.shape != arr.shape:
                raise ValueError(f"{self.name}.{key}: shape {value.shape} != {arr.shape}")
            self.__dict__["arrays"][key] = value
            self.__dict__["_buffers"].pop(key, None)
        else:
            object.__setattr__(self, key, value)

    def append(self, **values: np.ndarray) -> np.ndarray:
        """Append rows; every field must be given (broadcast scalars allowed). Returns new rows."""
        missing = set(self.fields) - set(values)
        if missing:
            raise ValueError(f"{self.name}: append misses fields {sorted(missing)}")
        n = int(np.size(values["id"]))
        ids = np.asarray(values["id"], dtype=np.int64).reshape(n)
        if len(self) and n and ids[0] <= self.arrays["id"][-1]:
            raise ValueError(f"{self.name}: ids must increase")
        if n and ids[-1] > np.iinfo(self.fields["id"]).max:
            raise ValueError(f"{self.name}: id {ids[-1]} does not fit {self.fields['id']}")
        start = len(self)
        end = start + n
        for k, d in self.fields.items():
            buf = self._buffers.get(k)
            if buf is None or buf.shape[0] < end:
                buf = np.empty(end + end // 4 + 16, dtype=d)
                buf[:start] = self.arrays[k]
                self._buffers[k] = buf
            v = np.asarray(values[k], dtype=d)
            if v.shape != (n,):  # a scalar (or a wrong shape: broadcast_to says so)
                v = np.broadcast_to(v, (n,))
            buf[start:end] = v
            self.arrays[k] = buf[:end]
        return np.arange(start, end)

    def drop(self, rows: np.ndarray, threads: int = 1) -> None:
        """Remove ``rows`` (increasing and unique) in place, keeping the order of the others;
        with ``threads > 1`` the fields of a large population (``PARALLEL_DROP_VALUES`` rows
        times fields or more) move on that many threads. A field assigned from outside is not
        changed in place: its kept rows go to a new buffer of the population's (on the threads
        too)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 0:
            return
        n = len(self)
        m = n - rows.size
        tasks: list[tuple[np.ndarray, np.ndarray | None]] = []  # (source, new buffer or None)
        for k in self.fields:
            if self._buffers.get(k) is None:  # not ours: the kept rows go to a new buffer
                buf = np.empty(n + n // 4 + 16, dtype=self.fields[k])
                tasks.append((self.arrays[k], buf))
                self._buffers[k] = buf
            elif self.arrays[k].shape[0] == n:
                tasks.append((self._buffers[k], None))

        def move(task: tuple[np.ndarray, np.ndarray | None]) -> None:
            src, dst = task
            if dst is None:
                drop_rows(src, n, rows)
            else:
                copy_without_rows(src, n, rows, dst)

        # an outside array that may be a view of one of our buffers (``a.x = a.y``) is copied
        # before any buffer changes in place
        ours = [src for src, dst in tasks if dst is None]
        later = []
        for task in tasks:
            if task[1] is not None and any(np.may_share_memory(task[0], b) for b in ours):
                move(task)
            else:
                later.append(task)
        tasks = later
        if threads > 1 and n * len(tasks) >= PARALLEL_DROP_VALUES:
            with ThreadPoolExecutor(threads) as pool:  # both kernels release the GIL
                list(pool.map(move, tasks))
        else:
            for task in tasks:
                move(task)
        for k in self.fields:
            self.arrays[k] = self._buffers[k][:m]

    def compact(self, keep: np.ndarray) -> np.ndarray:
        """Drop rows where ``keep`` is False. Returns old-row -> new-row map (-1 if dropped)."""
        keep = np.asarray(keep, dtype=bool)
        mapping = np.full(len(self), -1, dtype=np.int64)
        mapping[keep] = np.arange(int(keep.sum()))
        for k in self.fields:
            self.arrays[k] = self._buffers[k] = self.arrays[k][keep]  # a new array: ours
        return mapping

    def row_of(self, uid: int) -> int:
        """Row of the agent with id ``uid``; KeyError if it is not (or no longer) here."""
        ids = self.arrays["id"]
        r = int(np.searchsorted(ids, uid))
        if r >= len(ids) or ids[r] != uid:
            raise KeyError(f"{self.name}: no agent with id {uid} (exited or never existed)")
        return r
