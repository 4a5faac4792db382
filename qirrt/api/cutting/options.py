"""`CuttingOptions`: what `qirrt.run(..., cutting={...})` and `qirrt.cut(...)` accept, checked up front."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from qirrt.errors import PassError

MAX_QUBITS_LIMIT = 100_000
"""The largest `max_qubits` accepted: far beyond any device or statevector, so a larger one is a typo."""


class CuttingError(PassError, ValueError):
    """Bad cutting options, or a program that cannot be cut (an operation the cutting library cannot handle)."""


@dataclass(frozen=True)
class CuttingOptions:
    """How to cut: each piece at most `max_qubits` wide.

    `seed` drives the cut finder's search; `max_gamma` bounds the sampling-overhead factor γ it will
    accept (the overhead is γ²); `max_backjumps` bounds its best-first search (past it, the greedy cuts
    found so far are used: fewer is faster on wide programs cut into many small pieces); `gate_cuts` /
    `wire_cuts` allow gate and wire cuts; a plan of more than `max_subexperiments` circuits is refused
    before anything is generated.
    """

    max_qubits: int
    seed: int = 0
    max_gamma: float = 1024.0
    max_backjumps: int = 10_000
    gate_cuts: bool = True
    wire_cuts: bool = True
    max_subexperiments: int = 20_000

    def __post_init__(self) -> None:
        _whole("max_qubits", self.max_qubits, 1, MAX_QUBITS_LIMIT,
               "the qubits one piece may use, e.g. cutting={'max_qubits': 12}")
        _whole("seed", self.seed, 0, 2**63 - 1, "a whole number ≥ 0")
        _whole("max_subexperiments", self.max_subexperiments, 1, 10**9, "a whole number ≥ 1")
        _whole("max_backjumps", self.max_backjumps, 0, 10**9, "a whole number ≥ 0")
        for name in ("max_qubits", "seed", "max_subexperiments", "max_backjumps"):
            object.__setattr__(self, name, int(getattr(self, name)))
        if isinstance(self.max_gamma, bool) or not isinstance(self.max_gamma, (int, float)) \
                or not 1.0 <= float(self.max_gamma) < float("inf"):
            raise CuttingError(f"cutting option max_gamma must be a finite number ≥ 1, got {self.max_gamma!r}")
        for name in ("gate_cuts", "wire_cuts"):
            if not isinstance(getattr(self, name), bool):
                raise CuttingError(f"cutting option {name} must be true or false, got {getattr(self, name)!r}")
        if not (self.gate_cuts or self.wire_cuts):
            raise CuttingError("cutting options gate_cuts and wire_cuts are both false: allow at least one kind of cut")

    @classmethod
    def parse(cls, value: Any) -> CuttingOptions:
        """From a mapping (``{"max_qubits": 12}``), a whole number (the max_qubits) or a CuttingOptions."""
        if isinstance(value, CuttingOptions):
            return value
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return cls(max_qubits=value)
        if not isinstance(value, Mapping):
            raise CuttingError(f"cutting must be a mapping such as {{'max_qubits': 12}}, got {type(value).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(k) for k in value if k not in known)
        if unknown:
            raise CuttingError(f"unknown cutting option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        if "max_qubits" not in value:
            raise CuttingError("cutting needs max_qubits, the qubits one piece may use, e.g. {'max_qubits': 12}")
        return cls(**{str(k): v for k, v in value.items()})


def _whole(name: str, value: Any, low: int, high: int, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise CuttingError(f"cutting option {name} must be a whole number ({hint}), got {value!r}")
    if not low <= value <= high:
        raise CuttingError(f"cutting option {name} must be between {low} and {high:,} ({hint}), got {value}")


__all__ = ["MAX_QUBITS_LIMIT", "CuttingError", "CuttingOptions"]
