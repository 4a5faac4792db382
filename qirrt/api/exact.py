"""The exact reference for users: the output distribution of anything `qirrt.load` accepts, and ⟨O⟩.

`qirrt.exact` is this module. `qirrt.qir.exact` interprets a `Program`; this layer loads the source and,
for an observable with X or Y terms, builds its measurement circuits (`qirrt.passes.basis_change`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qirrt.api.load import load
from qirrt.passes.basis_change import measurement_circuits
from qirrt.qir import exact as _exact


def exact_distribution(program: Any, params=None, *, cutoff: float = 1e-14,
                       max_steps: int = 1_000_000) -> dict[str, float] | list[dict[str, float]]:
    """Exact probabilities of the program's count keys (keys as `Result.counts` prints them).

    `program` is anything `qirrt.load` accepts; `params` takes the forms `qirrt.run` takes — a
    mapping name → value, a sequence in `program.parameters` order, or a list of those, which gives
    a list of distributions.
    """
    return _exact.exact_distribution(load(program), params, cutoff=cutoff, max_steps=max_steps)


def exact_expectation(program, observable, params: Sequence[float] | None = None) -> float:
    """⟨O⟩ from `exact_distribution`, group by group (the noiseless reference); `program` as for
    `exact_distribution`."""
    program = load(program)
    total = 0.0
    for measured, bound, _ in measurement_circuits(program, observable):
        total += bound.expectation(_exact.exact_distribution(measured, params))
    return total


__all__ = ["exact_distribution", "exact_expectation"]
