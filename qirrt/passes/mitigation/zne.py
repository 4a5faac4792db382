"""`zne`: zero-noise extrapolation by unitary folding on the LLVM module.

`expand` makes one program per scale factor λ by replacing gates G with G (G†G)^k, which is the
identity on the ideal circuit and multiplies the noise roughly by λ:

* ``folding=global``: each unitary segment U (a run of gates and delays between measurements, resets
  or other barriers) becomes U (U†U)^k, then the last s gates L of U are folded once more (U … L†L)
  so the gate count reaches λ·n (mitiq's `fold_global`). Delays fold with their segment (an idle is
  its own ideal inverse), so a DDD-padded circuit keeps its pulse spacing in every copy and its idle
  noise scales with the gates';
* ``folding=local``: every gate is folded k times and the first s gates once more (`fold_gates_from_left`);
* ``folding=random``: as local, the s extra gates drawn at random with `seed` (`fold_gates_at_random`).

The scale factor actually reached, 1 + 2·folds/n (n: unitary gates), is what the extrapolation uses.
Inverses: self-inverse gates are their own, ``s``/``t`` swap with their adjoints, rotations negate their
angle (parameter expressions included), ``sx``† is ``z sx z`` (exact up to a global phase).

`combine` extrapolates to λ = 0: ``linear`` (least squares, degree 1), ``richardson`` (the polynomial
through all points), ``polynomial`` (least squares of degree `order`), ``exponential``
(a + b·e^(−cλ), with `asymptote` fixing a when given). The first three are linear in the data, so
they extrapolate distributions as well as expectation values; ``exponential`` needs an observable.
Richardson through 1, 3, 5 leaves a bias on the near-exponential decay ⟨O⟩ ≈ A·e^(−cλ) of real noise
(≈ 0.02–0.03 on the circuits of `benchmarks/mitigation_accuracy.py`); a fourth point (1, 3, 5, 7) cuts
it about 3× at 1.7× the shot noise (Σ|wᵢ| = 6 against 3.5), the better trade at ~10⁵ shots.

**Shots.** Under a total shot budget (`qirrt.api.mitigate.pipeline.run(..., shot_budget=N)`) the scale factors
get shares ∝ |wᵢ|, the extrapolation weights (``shot-allocation=weighted``, the default): with equal
per-circuit variance σ² that minimises the extrapolated value's variance Σ wᵢ²σ²/nᵢ at fixed Σ nᵢ
(for Richardson at 1,3,5: shares 0.54/0.36/0.11, variance × 0.78 against an even split).
``shot-allocation=equal`` splits evenly; exponential extrapolation always does.

**Readout error.** Folding scales gate and idle noise but not measurement error, which then survives
the extrapolation. With ``readout-scaling=auto`` (the default) and a `Calibration` in the context that
has readout errors for every measured qubit, `combine` also scales the measurement noise: the outcome
at reached scale λ is passed through each measured bit's calibrated confusion matrix A_q raised to
the power λ − 1 (A_q^t = Π + μ^t·(I − Π), Π the stationary projector and μ = 1 − P(1|0) − P(0|1) its
second eigenvalue, so A_q^{λ−1} is a stochastic matrix for every λ ≥ 1). The readout noise at scale λ
is then A_q^λ, and the extrapolation to λ = 0 removes it with the gate noise. This is classical post-
processing of the counts (no extra circuits, no matrix inversion), applied only to distributions; it
assumes the calibration describes the device, as readout mitigation does. ``readout-scaling=off``
scales gates only (mitiq's behaviour), and so does a pipeline with a ``readout`` step, which corrects
measurement error itself (`qirrt.api.mitigate.pipeline.Pipeline` switches ``auto`` off there).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from qirrt.errors import PassError
from qirrt.passes.circuit import Angle, Circuit, Gate, Op, Raw, is_barrier, qubits_of
from qirrt.passes.mitigation.base import (
    Estimate,
    MitigationStep,
    QuasiDistribution,
    as_distribution,
    linear_combination,
    tag_of,
    tagged,
    value_of,
)
from qirrt.qir.dialect import GATES, INVERSES

FOLDINGS = ("global", "local", "random")
EXTRAPOLATIONS = ("linear", "richardson", "polynomial", "exponential")
READOUT_SCALINGS = ("auto", "off")
SHOT_ALLOCATIONS = ("weighted", "equal")


def inverse(gate: Gate) -> list[Gate]:
    """Gates whose product is gate† (up to a global phase)."""
    spec = GATES[gate.name]
    if spec.self_inverse:
        return [Gate(gate.name, gate.qubits, gate.angles)]
    if gate.name in INVERSES:
        return [Gate(INVERSES[gate.name], gate.qubits)]
    if spec.num_params:
        return [Gate(gate.name, gate.qubits, tuple(-Angle.of(a) for a in gate.angles))]
    if gate.name == "sx":
        return [Gate("z", gate.qubits), Gate("sx", gate.qubits), Gate("z", gate.qubits)]
    raise PassError(f"zne: no inverse known for gate '{gate.name}'")


def _copy(item: Gate | Op) -> Gate | Op:
    if isinstance(item, Op):
        return Op(item.name, item.qubit, item.result, item.suffix)
    return Gate(item.name, item.qubits, item.angles)


def _undo(timed: list) -> list:
    """The inverse of a run of gates and delays: reversed, gates inverted, delays kept (an idle is its own
    ideal inverse), so a folded copy idles where the original did."""
    return [x for item in reversed(timed) for x in ([_copy(item)] if isinstance(item, Op) else inverse(item))]


def _last_gates(timed: list, count: int) -> list:
    """The shortest suffix of `timed` that holds `count` gates."""
    seen = 0
    for i in range(len(timed) - 1, -1, -1):
        seen += isinstance(timed[i], Gate)
        if seen == count:
            return timed[i:]
    return list(timed)


def _is_delay(item) -> bool:
    return isinstance(item, Op) and item.name == "delay"


def _segments(items: list) -> list[tuple[int, int]]:
    """(start, end) item ranges of unitary segments: gates, delays and pure lines, between barriers."""
    out, start = [], None
    for i, item in enumerate(items):
        unitary = isinstance(item, Gate) or _is_delay(item) or (isinstance(item, Raw) and item.pure)
        if unitary and start is None:
            start = i
        elif not unitary and start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(items)))
    return [(a, b) for a, b in out if any(isinstance(x, Gate) for x in items[a:b])]


def sink_final_measurements(items: list) -> list:
    """`items` with each measurement moved down past the operations on other qubits that follow it, up
    to the next barrier line or the next operation on its own qubit (an equivalent program). Terminal
    measurements that a producer interleaves with other qubits' gates then no longer cut the unitary
    into pieces that fold separately."""
    out: list = []
    pending: list[Op] = []
    for item in items:
        if is_barrier(item):
            out.extend(pending)
            pending = []
            out.append(item)
            continue
        touched = set(qubits_of(item))
        blocked = [m for m in pending if m.qubit in touched]
        if blocked:
            out.extend(blocked)
            pending = [m for m in pending if m.qubit not in touched]
        if isinstance(item, Op) and item.name in ("mz", "m"):
            pending.append(item)
        else:
            out.append(item)
    out.extend(pending)
    return out


def fold_global(items: list, scale: float) -> tuple[list, int, int]:
    """A block's items with every unitary segment folded globally; returns (items, gates, folds)."""
    items = sink_final_measurements(items)
    segments = _segments(items)
    out: list = []
    position, gates_total, folds_total = 0, 0, 0
    for start, end in segments:
        out.extend(items[position:start])
        segment = items[start:end]
        timed = [x for x in segment if isinstance(x, Gate) or _is_delay(x)]
        n = sum(isinstance(x, Gate) for x in timed)
        folds = round(n * (scale - 1) / 2)
        full, rest = divmod(folds, n)
        out.extend(segment)
        for _ in range(full):
            out.extend(_undo(timed))
            out.extend(_copy(x) for x in timed)
        if rest:
            tail = _last_gates(timed, rest)
            out.extend(_undo(tail))
            out.extend(_copy(x) for x in tail)
        gates_total += n
        folds_total += folds
        position = end
    out.extend(items[position:])
    return out, gates_total, folds_total


def fold_local(items: list, scale: float, chooser) -> tuple[list, int, int]:
    """Every gate folded k times, `rest` chosen gates once more; `chooser(n, rest)` picks indices."""
    gates = [i for i, x in enumerate(items) if isinstance(x, Gate)]
    n = len(gates)
    if n == 0:
        return list(items), 0, 0
    folds = round(n * (scale - 1) / 2)
    full, rest = divmod(folds, n)
    extra = set(chooser(n, rest))
    out: list = []
    ordinal = 0
    for item in items:
        out.append(item)
        if isinstance(item, Gate):
            times = full + (1 if ordinal in extra else 0)
            for _ in range(times):
                out.extend(inverse(item))
                out.append(_copy(item))
            ordinal += 1
    return out, n, folds


@dataclass(frozen=True)
class ZeroNoiseExtrapolation(MitigationStep):
    """Run the program at several noise scales (unitary folding) and extrapolate to zero noise."""

    name: ClassVar[str] = "zne"

    scale_factors: tuple[float, ...] = (1.0, 3.0, 5.0)
    folding: str = "global"
    extrapolation: str = "richardson"
    order: int = 2
    asymptote: float | None = None
    seed: int = 0
    readout_scaling: str = "auto"
    shot_allocation: str = "weighted"

    def __post_init__(self) -> None:
        factors = tuple(float(s) for s in self.scale_factors)
        object.__setattr__(self, "scale_factors", factors)
        if len(factors) < 2:
            raise PassError("zne needs at least two scale factors (scale-factors=1,3,5)")
        if any(s < 1 for s in factors):
            raise PassError(f"zne scale factors must be ≥ 1, got {','.join(f'{s:g}' for s in factors)}")
        if len(set(factors)) != len(factors):
            raise PassError("zne scale factors must be distinct")
        if self.folding not in FOLDINGS:
            raise PassError(f"zne folding must be one of {', '.join(FOLDINGS)}, got {self.folding!r}")
        if self.shot_allocation not in SHOT_ALLOCATIONS:
            raise PassError(f"zne shot-allocation must be one of {', '.join(SHOT_ALLOCATIONS)}, "
                            f"got {self.shot_allocation!r}")
        if self.readout_scaling not in READOUT_SCALINGS:
            raise PassError(f"zne readout-scaling must be one of {', '.join(READOUT_SCALINGS)}, "
                            f"got {self.readout_scaling!r}")
        if self.extrapolation not in EXTRAPOLATIONS:
            raise PassError(f"zne extrapolation must be one of {', '.join(EXTRAPOLATIONS)}, "
                            f"got {self.extrapolation!r}")
        if self.extrapolation == "polynomial" and not 1 <= self.order < len(factors):
            raise PassError(f"zne polynomial extrapolation of order {self.order} needs more than {self.order} "
                            f"scale factors, got {len(factors)}")
        if self.extrapolation == "exponential" and len(factors) < (2 if self.asymptote is not None else 3):
            raise PassError("zne exponential extrapolation needs three scale factors (two with an asymptote)")

    # -- expand ---------------------------------------------------------------------------------
    def fold(self, program, scale: float):
        """`program` folded to noise scale ≈ `scale`; returns (program, scale reached)."""
        circuit = Circuit.from_program(program)
        circuit.require_static(self.name)
        rng = random.Random(f"{self.seed}:{scale}")
        gates_total = folds_total = 0
        for block in circuit.blocks:
            if self.folding == "global":
                items, gates, folds = fold_global(block.items, scale)
            elif self.folding == "local":
                items, gates, folds = fold_local(block.items, scale, lambda n, k: range(k))
            else:
                items, gates, folds = fold_local(block.items, scale, lambda n, k: rng.sample(range(n), k))
            block.items = items
            gates_total += gates
            folds_total += folds
        reached = 1.0 + 2.0 * folds_total / gates_total if gates_total else scale
        if folds_total == 0:
            return program, reached
        return circuit.to_program(program, note=f"zne-fold{{scale={scale:g},folding={self.folding}}}"), reached

    def expand(self, program, ctx=None) -> list:
        out = []
        for scale in self.scale_factors:
            folded, reached = self.fold(program, scale)
            out.append(tagged(folded, self.name, scale_factor=scale, reached=reached))
        return out

    def shot_weights(self, programs) -> list[float] | None:
        """Under a shot budget, shares ∝ |wᵢ| (the variance Σ wᵢ²σ²/nᵢ is least at nᵢ ∝ |wᵢ| for equal σ)."""
        if self.shot_allocation == "equal" or self.extrapolation == "exponential":
            return None
        scales = [tag_of(p, self.name)["reached"] for p in programs]
        if len({round(s, 12) for s in scales}) < len(scales):
            return None
        return [abs(float(w)) for w in self.weights(scales)]

    # -- combine --------------------------------------------------------------------------------
    def weights(self, scales: Sequence[float]) -> np.ndarray:
        """The linear extrapolation's weights: the zero-noise value is Σ wᵢ·yᵢ."""
        x = np.asarray(scales, dtype=float)
        if self.extrapolation == "richardson":
            return np.array([math.prod(x[j] / (x[j] - x[i]) for j in range(len(x)) if j != i)
                             for i in range(len(x))])
        degree = 1 if self.extrapolation == "linear" else self.order
        vandermonde = np.vander(x, degree + 1, increasing=True)
        return np.linalg.pinv(vandermonde)[0]

    def combine(self, results, *, programs=None, observable=None, ctx=None):
        self._check(results, programs, need_programs=True)
        scales = [tag_of(p, self.name)["reached"] for p in programs]
        if len({round(s, 12) for s in scales}) < len(scales):
            raise PassError(f"zne: the program is too short to reach distinct scale factors "
                            f"({', '.join(f'{s:g}' for s in scales)}); choose factors further apart")
        details = {"scale_factors": scales, "extrapolation": self.extrapolation}
        if self.extrapolation == "polynomial":
            details["order"] = self.order
        results, scaled = self.scale_readout(results, programs, scales, ctx)
        details["readout_scaled"] = scaled
        if self.extrapolation != "exponential":
            weights = self.weights(scales)
            details["weights"] = [float(w) for w in weights]
            outcome = linear_combination(results, list(weights), observable, details)
            if isinstance(outcome, Estimate):
                measured = [value_of(r, observable) for r in results]
                outcome = Estimate(outcome.value, outcome.std_error, outcome.shots, outcome.circuits,
                                   {**details, "values": [v for v, _ in measured],
                                    "errors": [se for _, se in measured]})
            return outcome
        values = []
        errors = []
        for r in results:
            v, se = value_of(r, observable)
            values.append(v)
            errors.append(se)
        value = extrapolate_exponential(scales, values, self.asymptote)
        shots = sum(getattr(r, "shots", 0) for r in results)
        return Estimate(value, None, shots, len(results), {**details, "values": values, "errors": errors})

    def scale_readout(self, results, programs, scales, ctx) -> tuple[list, bool]:
        """`results` with each measured bit's readout noise raised from A to A^λ (see the module notes)."""
        if self.readout_scaling == "off":
            return list(results), False
        calibration = getattr(ctx, "calibration", None) if ctx is not None else None
        if calibration is None or any(isinstance(r, Estimate) for r in results):
            return list(results), False
        from qirrt.passes.mitigation.readout import (
            ReadoutLayout,
            ReadoutMitigation,
            _has_readout,
        )
        from qirrt.passes.postprocess.dense import apply_per_axis, dense, sparse

        out = []
        for result, program, scale in zip(results, programs, scales):
            layout = ReadoutLayout.of(program)
            if not layout.measured or not all(_has_readout(calibration, layout.physical_qubit(p))
                                              for p in layout.measured):
                return list(results), False
            distribution = as_distribution(result)
            if scale == 1.0:
                out.append(distribution)
                continue
            matrices = ReadoutMitigation().matrices_from_calibration(layout, calibration)
            powers = {position: confusion_power(m, scale - 1.0) for position, m in matrices.items()}
            vector, template = dense(distribution.probabilities, layout.width)
            scaled = apply_per_axis(vector, layout.width, powers)
            out.append(QuasiDistribution(sparse(scaled, layout.width, template), distribution.shots,
                                         distribution.circuits))
        return out, True


def confusion_power(matrix: np.ndarray, power: float) -> np.ndarray:
    """A 2×2 column-stochastic confusion matrix to a real power ≥ 0: Π + μ^t·(I − Π)."""
    a, b = float(matrix[1, 0]), float(matrix[0, 1])  # P(1|0), P(0|1)
    mu = 1.0 - a - b
    if a + b <= 0:
        return np.eye(2)
    if mu <= 0:
        raise PassError(f"zne: readout error P(1|0)={a:.3g}, P(0|1)={b:.3g} is too large to scale")
    stationary = np.array([[b, b], [a, a]]) / (a + b)
    return stationary + mu ** power * (np.eye(2) - stationary)


def extrapolate_exponential(scales: Sequence[float], values: Sequence[float], asymptote: float | None) -> float:
    """Zero-noise value of the fit y = a + b·e^(−cλ) (a = `asymptote` when given)."""
    x = np.asarray(scales, dtype=float)
    y = np.asarray(values, dtype=float)
    if asymptote is not None:
        shifted = y - asymptote
        if np.all(shifted > 0) or np.all(shifted < 0):
            sign = np.sign(shifted[0])
            _slope, intercept = np.polyfit(x, np.log(np.abs(shifted)), 1)
            return float(asymptote + sign * math.exp(intercept))
        # values on both sides of the asymptote: no exponential fits, fall back to a straight line
        return float(np.polyval(np.polyfit(x, y, 1), 0.0))

    def residual(rate: float) -> tuple[float, float, float]:
        basis = np.column_stack([np.ones_like(x), np.exp(-rate * x)])
        coefficients, *_ = np.linalg.lstsq(basis, y, rcond=None)
        error = float(np.sum((basis @ coefficients - y) ** 2))
        return error, float(coefficients[0]), float(coefficients[1])

    # variable projection: for each decay rate the best a, b are linear; search the rate on a log grid
    rates = np.geomspace(1e-4, 10.0, 400)
    errors = [residual(r)[0] for r in rates]
    best = int(np.argmin(errors))
    low, high = rates[max(best - 1, 0)], rates[min(best + 1, len(rates) - 1)]
    for _ in range(60):  # golden-section refinement
        m1, m2 = low + 0.382 * (high - low), low + 0.618 * (high - low)
        if residual(m1)[0] < residual(m2)[0]:
            high = m2
        else:
            low = m1
    _, a, b = residual((low + high) / 2)
    return a + b


__all__ = ["EXTRAPOLATIONS", "FOLDINGS", "READOUT_SCALINGS", "SHOT_ALLOCATIONS", "ZeroNoiseExtrapolation", "confusion_power", "extrapolate_exponential", "fold_global",
           "fold_local", "inverse", "sink_final_measurements"]
