"""Distributions over count keys as dense vectors and back, and the per-qubit matrix algebra on them.

Shared by the readout corrections (`qirrt.passes.mitigation.readout` and the post-processors): a key's
bits (spaces between registers removed) index a vector of length 2^width, first bit most significant.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from qirrt.errors import PassError
from qirrt.observables import strip_key

MAX_DENSE_BITS = 20


def confusion_from_errors(p01: float, p10: float) -> np.ndarray:
    """A 2×2 confusion matrix A[m, p] = P(read m | prepared p) from P(1|0) and P(0|1)."""
    return np.array([[1 - p01, p10], [p01, 1 - p10]], dtype=float)


def dense(distribution: Mapping[str, float], width: int) -> tuple[np.ndarray, str]:
    """(vector over 2^width keys, a key to copy the register spacing from)."""
    if width > MAX_DENSE_BITS:
        raise PassError(f"readout correction handles at most {MAX_DENSE_BITS} recorded bits, the program records "
                        f"{width}")
    vector = np.zeros(2 ** width)
    template = ""
    for key, p in distribution.items():
        bits = strip_key(key)
        if len(bits) != width:
            raise PassError(f"count key {key!r} has {len(bits)} bits where the program records {width}")
        vector[int(bits, 2) if bits else 0] += p
        template = template or key
    return vector, template


def sparse(vector: np.ndarray, width: int, template: str, cutoff: float = 1e-12) -> dict[str, float]:
    """The entries of `vector` above `cutoff` as count keys spaced like `template`."""
    spaces = [i for i, ch in enumerate(template) if ch == " "]
    out = {}
    for index in np.flatnonzero(np.abs(vector) > cutoff):
        bits = format(int(index), f"0{width}b") if width else ""
        for position in spaces:
            bits = bits[:position] + " " + bits[position:]
        out[bits] = float(vector[index])
    return out


def apply_per_axis(vector: np.ndarray, width: int, matrices: Mapping[int, np.ndarray]) -> np.ndarray:
    """⊗ matrices applied to `vector`, matrix `matrices[k]` on key position k (others untouched)."""
    tensor = vector.reshape((2,) * width) if width else vector
    for axis, m in matrices.items():
        tensor = np.moveaxis(np.tensordot(m, tensor, axes=([1], [axis])), 0, axis)
    return tensor.reshape(-1)


def nearest_probability(quasi: np.ndarray) -> np.ndarray:
    """The probability vector closest (L2) to a quasi-probability vector summing to one (Smolin et al.)."""
    order = np.argsort(quasi)
    values = quasi[order].astype(float).copy()
    n = len(values)
    accumulated = 0.0
    i = 0
    while i < n and values[i] + accumulated / (n - i) < 0:
        accumulated += values[i]
        values[i] = 0.0
        i += 1
    if i < n:
        values[i:] += accumulated / (n - i)
    out = np.empty_like(values)
    out[order] = values
    return out


__all__ = ["MAX_DENSE_BITS", "apply_per_axis", "confusion_from_errors", "dense", "nearest_probability", "sparse"]
