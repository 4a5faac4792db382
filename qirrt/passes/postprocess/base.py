"""What a post-processor is: a corrector fitted on calibration data and applied to measured outcomes.

A `PostProcessor` is a frozen dataclass with a kebab-case `name`, its options as fields and, once fitted,
its fitted parameters as fields too, so its whole `state()` is plain JSON-able data (never pickle: the
state travels to cluster workers inside jobs). Its life:

* ``requires`` says what it can learn from: a `Calibration` snapshot's readout errors, calibration
  circuits (the basis states `calibration_states(m)` over the m measured bits, each run with the
  program's measurements), or both;
* ``fit(data)`` returns a fitted copy from a `CalibrationData` (the program's key layout, the snapshot,
  the calibration circuits' outcomes);
* ``apply(outcome)`` corrects a `Result`, a `QuasiDistribution` or a counts mapping and returns the same
  kind (a `Result` keeps its raw counts; the corrected quasi-probabilities go to
  ``metadata["postprocess"]``);
* ``state()`` / ``from_state(data)`` and ``to_spec()`` (``{"name": ..., "state": ...}``) round-trip
  through JSON.

Post-processors are found by name in the ``qirrt.postprocessors`` entry-point group
(`qirrt.passes.postprocess.registry`) and run inside a mitigation pipeline as the
``readout-model{name=...}`` step.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from qirrt.errors import PassError
from qirrt.observables import MeasurementLayout, strip_key
from qirrt.passes.outcomes import QuasiDistribution, as_distribution

if TYPE_CHECKING:
    from qirrt.device.calibration import Calibration


@dataclass(frozen=True)
class ReadoutLayout:
    """Which key position holds which module qubit's final measurement, and the key's width."""

    width: int
    qubit_at: dict[int, int]  # key position -> module qubit
    physical: list[int] | None

    @classmethod
    def of(cls, program) -> ReadoutLayout:
        layout = MeasurementLayout.of(program)
        physical = program.metadata.get("physical_qubits") or _physical_attr(program.ir)
        return cls(layout.width, {pos: q for q, pos in layout.positions.items()}, physical)

    @property
    def measured(self) -> list[int]:
        """Key positions with a qubit, in key order."""
        return sorted(self.qubit_at)

    def physical_qubit(self, position: int) -> int:
        q = self.qubit_at[position]
        return self.physical[q] if self.physical is not None and q < len(self.physical) else q


def _physical_attr(ir: str) -> list[int] | None:
    match = re.search(r'"qirrt_physical_qubits"="([0-9,]+)"', ir)
    return [int(v) for v in match.group(1).split(",")] if match else None


@dataclass(frozen=True)
class Requirements:
    """What a post-processor can be fitted from."""

    snapshot: bool = False
    """A `Calibration` snapshot's per-qubit readout errors suffice."""
    circuits: bool = True
    """Calibration circuits (the states `calibration_states` names) can fit it."""
    max_qubits: int | None = None
    """The most measured bits it corrects (None: no limit of its own)."""


@dataclass(frozen=True)
class CalibrationData:
    """What a post-processor is fitted on: the key layout, a snapshot, and calibration outcomes.

    `positions` are the key positions to correct (final measurements, key order), `physical` the
    physical qubit measured at each; `samples` pairs each prepared state (bits over `positions`, in
    that order) with the distribution its calibration circuit measured (over whole keys).
    """

    width: int
    positions: tuple[int, ...]
    physical: tuple[int, ...]
    snapshot: Calibration | None = None
    samples: tuple[tuple[str, QuasiDistribution], ...] = ()

    @classmethod
    def of(cls, layout: ReadoutLayout, snapshot: Calibration | None = None,
           samples: Sequence[tuple[str, Any]] = ()) -> CalibrationData:
        positions = tuple(layout.measured)
        return cls(layout.width, positions, tuple(layout.physical_qubit(p) for p in positions), snapshot,
                   tuple((state, as_distribution(outcome)) for state, outcome in samples))

    def measured(self, distribution: QuasiDistribution) -> dict[str, float]:
        """`distribution` marginalised onto `positions` (bits in that order)."""
        out: dict[str, float] = {}
        for key, p in distribution.probabilities.items():
            bits = strip_key(key)
            sub = "".join(bits[i] for i in self.positions)
            out[sub] = out.get(sub, 0.0) + p
        return out


@dataclass(frozen=True)
class PostProcessor:
    """Base of all post-processors: subclasses are frozen dataclasses that set `name`.

    Fitted parameters are fields as well (empty until fitted), so `state()` is `dataclasses.asdict`
    in JSON types and `from_state` rebuilds an equal instance. `width` and `positions` record the key
    layout it was fitted for; `apply` refuses keys of another width.
    """

    name: ClassVar[str] = ""
    requires: ClassVar[Requirements] = Requirements()

    width: int = -1
    positions: tuple[int, ...] = field(default=())

    # -- to override ------------------------------------------------------------------------------
    def calibration_states(self, measured: int) -> list[str]:
        """Basis states (bit strings over the measured positions) to prepare for `fit`."""
        raise NotImplementedError

    def fit(self, data: CalibrationData) -> PostProcessor:
        """A fitted copy, from `data`."""
        raise NotImplementedError

    def correct(self, distribution: QuasiDistribution) -> QuasiDistribution:
        """The corrected distribution (same keys' width); only called on a fitted instance."""
        raise NotImplementedError

    # -- provided ---------------------------------------------------------------------------------
    @property
    def fitted(self) -> bool:
        return self.width >= 0

    def apply(self, outcome):
        """Correct a `QuasiDistribution`, a counts mapping (→ QuasiDistribution) or a `Result` (→ a
        Result with the same counts and ``metadata["postprocess"]`` holding the corrected
        quasi-probabilities)."""
        if not self.fitted:
            raise PassError(f"post-processor '{self.name}' is not fitted: fit(data) first, or run it in a pipeline "
                            f"(readout-model{{name={self.name}}}), which fits it on calibration circuits")
        distribution = as_distribution(outcome)
        width = len(strip_key(next(iter(distribution.probabilities), "")))
        if distribution.probabilities and width != self.width:
            raise PassError(f"post-processor '{self.name}' was fitted for {self.width}-bit keys, the outcome has "
                            f"{width}-bit keys: fit it on this program's calibration")
        corrected = self.correct(distribution)
        if hasattr(outcome, "counts") and hasattr(outcome, "metadata"):
            metadata = {**outcome.metadata, "postprocess": {"name": self.name,
                                                            "quasi_probabilities": dict(corrected.probabilities)}}
            return dataclasses.replace(outcome, metadata=metadata)
        return corrected

    def state(self) -> dict:
        """Options and fitted parameters as JSON-able data."""
        import msgspec

        return json.loads(json.dumps(msgspec.to_builtins(self)))

    @classmethod
    def from_state(cls, state: Mapping) -> PostProcessor:
        """The post-processor `state()` describes; a `PassError` naming the bad field otherwise."""
        import msgspec

        if not isinstance(state, Mapping):
            raise PassError(f"post-processor '{cls.name}' state must be a mapping, got {type(state).__name__}")
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(state) - known)
        if unknown:
            raise PassError(f"post-processor '{cls.name}' state has unknown field(s) {', '.join(map(str, unknown))} "
                            f"(fields: {', '.join(sorted(known))})")
        try:
            return msgspec.convert(dict(state), type=cls)
        except (msgspec.ValidationError, TypeError, ValueError) as exc:
            raise PassError(f"post-processor '{cls.name}' state is invalid: {exc}") from None

    def to_spec(self) -> dict:
        """``{"name": ..., "state": ...}``: what `qirrt.passes.postprocess.resolve` and a workload's
        ``execution_options["postprocess"]`` accept."""
        return {"name": self.name, "state": self.state()}

    def _fitted_for(self, data: CalibrationData, **fitted) -> PostProcessor:
        return dataclasses.replace(self, width=data.width, positions=tuple(data.positions), **fitted)


__all__ = ["CalibrationData", "PostProcessor", "ReadoutLayout", "Requirements"]
