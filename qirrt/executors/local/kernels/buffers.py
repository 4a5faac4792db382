"""Growable work buffers for the numba kernels: double the array when it runs out of room."""

from __future__ import annotations

import numpy as np
from numba import njit

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)


@njit(cache=True)
def grow(a, need):
    """`a` (1-D) with room for `need` items: `a` itself, or a copy at least twice its size."""
    if need <= a.size:
        return a
    b = np.empty(max(2 * a.size, need), a.dtype)
    for i in range(a.size):
        b[i] = a[i]
    return b


@njit(cache=True)
def grow_rows(a, need):
    """`a` (2-D) with room for `need` rows: `a` itself, or a copy with at least twice its rows."""
    if need <= a.shape[0]:
        return a
    b = np.empty((max(2 * a.shape[0], need), a.shape[1]), a.dtype)
    for i in range(a.shape[0]):
        for c in range(a.shape[1]):
            b[i, c] = a[i, c]
    return b
