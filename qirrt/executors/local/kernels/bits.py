"""Bit shuffles the numba kernels share: a k-qubit index spread over, or gathered from, register positions."""

from __future__ import annotations

import numpy as np
from numba import njit

from qirrt.executors.local import numba_cache  # noqa: F401  (cache keyed on all kernel sources; before any @njit)


@njit(cache=True, inline="always")
def spread(j, pos, k):
    """The index with bit b of `j` at position pos[b], for b < k."""
    x = 0
    for b in range(k):
        if (j >> b) & 1:
            x |= 1 << pos[b]
    return x


@njit(cache=True, inline="always")
def offsets(pos, k):
    """offs[j] = spread(j, pos, k) for every j < 2**k."""
    offs = np.zeros(1 << k, np.int64)
    for j in range(1 << k):
        offs[j] = spread(j, pos, k)
    return offs


@njit(cache=True, inline="always")
def gather(i, pos, k):
    """The k-bit index whose bit b is bit pos[b] of `i`."""
    idx = 0
    for b in range(k):
        idx |= ((i >> pos[b]) & 1) << b
    return idx
