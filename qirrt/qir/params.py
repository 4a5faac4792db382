"""Parameter bindings: the forms `qirrt.run` and `exact_distribution` take for a program's parameters
(a name → value mapping, a sequence in `program.parameters` order, or a list of those / a 2-D array)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from qirrt.errors import ExecutionError


def is_binding_batch(params: Any) -> bool:
    """True when `params` holds several bindings (a list of mappings/vectors or a 2-D array)."""
    if params is None or isinstance(params, Mapping):
        return False
    if isinstance(params, np.ndarray):
        return params.ndim == 2
    if isinstance(params, Sequence) and not isinstance(params, (str, bytes)):
        return len(params) > 0 and all(isinstance(p, Mapping) or (isinstance(p, np.ndarray) and p.ndim >= 1)
                                       or (isinstance(p, Sequence) and not isinstance(p, (str, bytes)))
                                       for p in params)  # a 0-d array (a PennyLane tensor) is one value
    return False


def bindings(program, params: Any) -> list[np.ndarray]:
    """`params` as a list of float64 vectors in `program.parameters` order (one per binding)."""
    names = program.parameters
    if params is None:
        items: list[Any] = [None]
    elif is_binding_batch(params):
        items = list(params)
    else:
        items = [params]
    vectors = []
    for item in items:
        vectors.append(_vector(names, item))
    return vectors


def _vector(names: tuple[str, ...], item: Any) -> np.ndarray:
    if item is None:
        if names:
            raise ExecutionError(
                f"the program has {len(names)} unbound parameter(s) ({_list(names)}) and no values were "
                f"given; pass params={{name: value, ...}} or a sequence of {len(names)} floats")
        return np.zeros(0)
    if isinstance(item, Mapping):
        values = {str(getattr(k, "name", k)): v for k, v in item.items()}
        missing = [n for n in names if n not in values]
        if missing:
            raise ExecutionError(f"missing values for parameter(s) {_list(missing)}; the program needs "
                                 f"{_list(names)}")
        unknown = [k for k in values if k not in names]
        if unknown:
            raise ExecutionError(f"unknown parameter(s) {_list(unknown)}; the program has "
                                 f"{_list(names) if names else 'none'}")
        try:
            return np.array([float(values[n]) for n in names], dtype=np.float64)
        except (TypeError, ValueError):
            raise ExecutionError(f"parameter values must be numbers; got "
                                 f"{', '.join(f'{n}: {values[n]!r}' for n in names)}") from None
    try:
        vector = np.asarray(item, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ExecutionError(f"parameter values must be numbers, one per parameter"
                             f"{' (' + _list(names) + ')' if names else ''}; got {item!r}") from None
    if vector.size != len(names):
        raise ExecutionError(f"got {vector.size} parameter value(s) for {len(names)} parameter(s)"
                             f"{' (' + _list(names) + ')' if names else ''}")
    return vector


def _list(names) -> str:
    return ", ".join(repr(n) for n in names)


__all__ = ["bindings", "is_binding_batch"]
