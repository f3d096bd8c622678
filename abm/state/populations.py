"""Struct-of-arrays populations: one numpy array per attribute, rows found by stable id.

Ids are assigned in increasing order and compaction keeps row order, so the id array is always
sorted and a row is found by binary search (``row_of``). Agents (``abm.agents``) are views that
read and write their own row.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class Population:
    """A population's numeric state: ``fields`` name -> dtype, all arrays of equal length."""

    def __init__(self, fields: Mapping[str, np.dtype | type | str], name: str) -> None:
        self.name = name
        self.fields = {k: np.dtype(v) for k, v in fields.items()}
        if "id" not in self.fields:
            raise ValueError("a population needs an 'id' field")
        self.arrays: dict[str, np.ndarray] = {k: np.zeros(0, d) for k, d in self.fields.items()}

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
        start = len(self)
        for k, d in self.fields.items():
            v = np.broadcast_to(np.asarray(values[k], dtype=d), (n,))
            self.arrays[k] = np.concatenate([self.arrays[k], v])
        return np.arange(start, start + n)

    def compact(self, keep: np.ndarray) -> np.ndarray:
        """Drop rows where ``keep`` is False. Returns old-row -> new-row map (-1 if dropped)."""
        keep = np.asarray(keep, dtype=bool)
        mapping = np.full(len(self), -1, dtype=np.int64)
        mapping[keep] = np.arange(int(keep.sum()))
        for k in self.fields:
            self.arrays[k] = self.arrays[k][keep]
        return mapping

    def row_of(self, uid: int) -> int:
        """Row of the agent with id ``uid``; KeyError if it is not (or no longer) here."""
        ids = self.arrays["id"]
        r = int(np.searchsorted(ids, uid))
        if r >= len(ids) or ids[r] != uid:
            raise KeyError(f"{self.name}: no agent with id {uid} (exited or never existed)")
        return r
