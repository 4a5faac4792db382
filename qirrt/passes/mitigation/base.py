"""What every mitigation step is: a pass with an `expand` half and a `combine` half.

``expand(program, ctx)`` returns the programs to run in the program's place (folded copies, twirled
instances, calibration circuits, PEC samples); ``combine(results, programs=..., observable=...)``
turns their outcomes, in the same order, back into one outcome. Steps compose by nesting: in
``["ddd", "zne"]`` ZNE expands each DDD-padded program and combines first, DDD combines last (see
`qirrt.api.mitigate.pipeline.Pipeline`).

Outcomes are `QuasiDistribution`s (probabilities over count keys, possibly negative, as readout
inversion or PEC produce) or `Estimate`s (an expectation value). A step whose combination is
linear works on either; ZNE with exponential extrapolation needs an observable. Whatever a step must
remember from `expand` to `combine` (a scale factor, a PEC sign) is a *tag* in the expanded
program's ``metadata["mitigation"]`` list, which is why `combine` is given the programs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from qirrt.errors import PassError
from qirrt.passes.base import Pass
from qirrt.passes.outcomes import Estimate, Outcome, QuasiDistribution, as_distribution

if TYPE_CHECKING:
    from qirrt.observables import BoundObservable
    from qirrt.passes.base import PassContext
    from qirrt.qir.program import Program

TAGS = "mitigation"
"""``Program.metadata`` key of the list of tags mitigation steps leave on the programs they expand."""


def value_of(item, observable: BoundObservable | None) -> tuple[float, float | None]:
    """(⟨O⟩, standard error) of an outcome."""
    if isinstance(item, Estimate):
        return item.value, item.std_error
    if observable is None:
        raise PassError("an expectation value was needed but no observable was given")
    distribution = as_distribution(item)
    return distribution.expectation(observable), distribution.standard_error(observable)


def linear_combination(items: Sequence, weights: Sequence[float], observable: BoundObservable | None,
                       details: Mapping[str, Any] | None = None) -> Outcome:
    """Σ wᵢ·itemᵢ: an Estimate when an observable is given or any item is one, else a QuasiDistribution."""
    if len(items) != len(weights):
        raise PassError(f"{len(items)} outcomes but {len(weights)} weights")
    shots = sum(_shots(i) for i in items)
    circuits = sum(_circuits(i) for i in items)
    if observable is not None or any(isinstance(i, Estimate) for i in items):
        value, variance, known = 0.0, 0.0, True
        for item, weight in zip(items, weights):
            v, se = value_of(item, observable)
            value += weight * v
            if se is None or not math.isfinite(se):
                known = False
            else:
                variance += (weight * se) ** 2
        return Estimate(value, math.sqrt(variance) if known else None, shots, circuits, dict(details or {}))
    merged: dict[str, float] = {}
    for item, weight in zip(items, weights):
        for key, p in as_distribution(item).probabilities.items():
            merged[key] = merged.get(key, 0.0) + weight * p
    effective = _effective_shots(items, weights)
    return QuasiDistribution({k: v for k, v in merged.items() if v != 0.0}, effective, circuits)


def _shots(item) -> int:
    if isinstance(item, (QuasiDistribution, Estimate)):
        return item.shots
    counts = getattr(item, "counts", item)
    return int(sum(counts.values()))


def _circuits(item) -> int:
    return item.circuits if isinstance(item, (QuasiDistribution, Estimate)) else 1


def _effective_shots(items, weights) -> int:
    """Shots of an equally-good single sample: (Σw)² / Σ(w²/nᵢ), so that the combination's variance
    Σ wᵢ² σ²/nᵢ is σ²(Σw)²/n: the total for a plain average, fewer than any nᵢ for an extrapolation whose
    weights have both signs (ZNE's (1.5, −0.5) at n shots each: 0.4·n)."""
    denominator = sum(w * w / max(_shots(i), 1) for i, w in zip(items, weights))
    if denominator == 0:
        return sum(_shots(i) for i in items)
    return max(round(sum(weights) ** 2 / denominator), 1)


# -- tags -------------------------------------------------------------------------------------------
def tagged(program: Program, step: str, **info) -> Program:
    """A copy of `program` carrying one more tag ({"step": name, ...info})."""
    metadata = dict(program.metadata)
    metadata[TAGS] = [*metadata.get(TAGS, ()), {"step": step, **info}]
    return replace(program, metadata=metadata)


def tag_of(program: Program, step: str) -> dict:
    """The last tag `step` left on `program` (what its expand recorded for its combine)."""
    for tag in reversed(program.metadata.get(TAGS, ())):
        if tag.get("step") == step:
            return tag
    raise PassError(f"program {program!r} carries no '{step}' tag: pass combine() the programs that this "
                    f"step's expand() returned, in the same order")


# -- the step ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MitigationStep(Pass):
    """A mitigation pass: `expand` before execution, `combine` after.

    Used as an ordinary pass (`apply`), a step whose expansion is a single program (DDD) returns it;
    the others raise, since their outcomes need combining.
    """

    mitigation: ClassVar[bool] = True

    def expand(self, program: Program, ctx: PassContext | None = None) -> list[Program]:
        raise NotImplementedError

    def combine(self, results: Sequence, *, programs: Sequence[Program] | None = None,
                observable: BoundObservable | None = None, ctx: PassContext | None = None) -> Outcome:
        raise NotImplementedError

    def shot_weights(self, programs: Sequence[Program]) -> list[float] | None:
        """Relative shares of a shot budget for the programs `expand` returned (None: equal shares)."""
        return None

    def apply(self, program: Program, ctx: PassContext) -> Program:
        expanded = self.expand(program, ctx)
        if len(expanded) != 1:
            raise PassError(f"mitigation step '{self}' expands one program into {len(expanded)}: run it "
                            "through qirrt.api.mitigate.pipeline (run, run_batch or Pipeline), which combines the results")
        return expanded[0]

    def _check(self, results: Sequence, programs: Sequence | None, *, need_programs: bool = False) -> None:
        if not results:
            raise PassError(f"step '{self.name}': nothing to combine")
        if programs is not None and len(programs) != len(results):
            raise PassError(f"step '{self.name}': {len(results)} results for {len(programs)} programs")
        if need_programs and programs is None:
            raise PassError(f"step '{self.name}' needs the expanded programs to combine: "
                            "combine(results, programs=step.expand(program))")


__all__ = [
    "TAGS",
    "Estimate",
    "MitigationStep",
    "Outcome",
    "QuasiDistribution",
    "as_distribution",
    "linear_combination",
    "tag_of",
    "tagged",
    "value_of",
]
