"""What steps and post-processors produce: `QuasiDistribution`s and `Estimate`s.

Outcomes are `QuasiDistribution`s (probabilities over count keys, possibly negative, as readout
inversion or PEC produce) or `Estimate`s (an expectation value with its standard error, cost and
provenance). Mitigation steps (`qirrt.passes.mitigation`) combine them; post-processors
(`qirrt.passes.postprocess`) correct distributions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qirrt.errors import PassError

if TYPE_CHECKING:
    from qirrt.observables import BoundObservable


# -- outcomes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuasiDistribution:
    """Probabilities over count keys (they may be negative and need not sum to one exactly)."""

    probabilities: Mapping[str, float]
    shots: int
    circuits: int = 1

    @classmethod
    def from_counts(cls, counts: Mapping[str, float], shots: int | None = None) -> QuasiDistribution:
        total = sum(counts.values()) if shots is None else shots
        if total <= 0:
            raise PassError("cannot build a distribution from empty counts")
        return cls({k: v / total for k, v in counts.items() if v}, int(total))

    def expectation(self, observable: BoundObservable) -> float:
        return observable.expectation(self.probabilities, normalise=False)

    def standard_error(self, observable: BoundObservable) -> float:
        """Shot-noise standard error of ⟨O⟩, treating the distribution as a sampled one."""
        positive = {k: max(v, 0.0) for k, v in self.probabilities.items()}
        if not any(positive.values()):
            return math.inf
        return observable.standard_error(positive, self.shots)

    def to_counts(self) -> dict[str, float]:
        """Probabilities times shots (floats: a mitigated distribution has no integer counts)."""
        return {k: v * self.shots for k, v in self.probabilities.items()}


@dataclass(frozen=True)
class Estimate:
    """An expectation value with its shot-noise standard error, what it cost, and how it was made."""

    value: float
    std_error: float | None = None
    shots: int = 0
    circuits: int = 1
    details: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", float(self.value))
        if self.std_error is not None:
            object.__setattr__(self, "std_error", float(self.std_error))

    def to_dict(self) -> dict:
        return {"value": self.value, "std_error": self.std_error, "shots": self.shots, "circuits": self.circuits,
                "details": _plain(dict(self.details))}


def _plain(value):
    """numpy scalars and tuples → JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


Outcome = QuasiDistribution | Estimate


def as_distribution(item) -> QuasiDistribution:
    """A QuasiDistribution from an outcome, a qirrt `Result` (its counts) or a plain counts mapping."""
    if isinstance(item, QuasiDistribution):
        return item
    if isinstance(item, Estimate):
        raise PassError("this step needs distributions but got an expectation value: put the step that "
                        "produces expectation values (zne with exponential extrapolation) after it")
    counts = getattr(item, "counts", item)
    if not isinstance(counts, Mapping):
        raise PassError(f"cannot read counts from {type(item).__name__}")
    return QuasiDistribution.from_counts(counts)



__all__ = ["Estimate", "Outcome", "QuasiDistribution", "as_distribution"]
