"""The numba kernels of the local executor: gate matrices, fusion, state-vector passes."""

from __future__ import annotations
