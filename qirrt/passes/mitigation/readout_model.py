"""`readout-model`: a post-processor (`qirrt.passes.postprocess`) as a mitigation step.

``readout-model{name=mlp}`` picks the post-processor registered as ``mlp`` (``tensored``, ``mlp`` or a
plugin). `expand` adds the calibration circuits the post-processor asks for (`calibration_states`,
each the program's own measurements after X gates; later steps pass them through unexpanded, as
they do the ``readout`` step's); `combine` fits the post-processor on their outcomes — or on the
context's `Calibration` snapshot with ``source=calibration`` (``auto`` uses the snapshot when the
post-processor can learn from one and the snapshot covers every measured qubit) — and applies it to
the program's outcome. A post-processor that is already fitted (`ReadoutModel.of(fitted)`, or a
``{"name", "state"}`` spec shipped with a cluster job) runs no calibration circuits at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from qirrt.errors import CalibrationError, PassError
from qirrt.passes.mitigation.base import MitigationStep, as_distribution, tag_of, tagged
from qirrt.passes.mitigation.readout import (
    _has_readout,
    calibration_program,
    corrected_outcome,
)
from qirrt.passes.postprocess.base import CalibrationData, PostProcessor, ReadoutLayout
from qirrt.passes.postprocess.registry import resolve

SOURCES = ("auto", "calibration", "circuits")


@dataclass(frozen=True)
class ReadoutModel(MitigationStep):
    """Fit a post-processor on calibration data and apply it to the program's outcome."""

    name: ClassVar[str] = "readout-model"
    option_names: ClassVar[dict[str, str]] = {"model": "name"}

    model: str = "tensored"
    source: str = "auto"
    processor: PostProcessor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise PassError(f"readout-model source must be one of {', '.join(SOURCES)}, got {self.source!r}")
        object.__setattr__(self, "processor", resolve(self.model))

    @classmethod
    def of(cls, processor, source: str = "auto") -> ReadoutModel:
        """The step running `processor` (an instance — fitted or not —, a class, a name or a spec)."""
        resolved = resolve(processor)
        step = cls.__new__(cls)
        for name, value in (("model", resolved.name), ("source", source), ("processor", resolved)):
            object.__setattr__(step, name, value)
        if source not in SOURCES:
            raise PassError(f"readout-model source must be one of {', '.join(SOURCES)}, got {source!r}")
        return step

    def resolved_source(self, layout: ReadoutLayout, ctx) -> str:
        needs = self.processor.requires
        calibration = getattr(ctx, "calibration", None) if ctx is not None else None
        covered = calibration is not None and all(_has_readout(calibration, layout.physical_qubit(p))
                                                  for p in layout.measured)
        if self.source == "calibration" or (self.source == "auto" and needs.snapshot and covered):
            if not needs.snapshot:
                raise PassError(f"post-processor '{self.model}' learns from calibration circuits only: use "
                                "source=circuits")
            if calibration is None:
                raise CalibrationError("readout-model source=calibration needs a Calibration in the pass context")
            return "calibration"
        if not needs.circuits:
            raise CalibrationError(f"post-processor '{self.model}' is fitted from a Calibration snapshot: give one "
                                   "(calibration=...)")
        return "circuits"

    def expand(self, program, ctx=None) -> list:
        out = [tagged(program, self.name, role="target")]
        if self.processor.fitted:
            return out
        layout = ReadoutLayout.of(program)
        limit = self.processor.requires.max_qubits
        if limit is not None and len(layout.measured) > limit:
            raise PassError(f"post-processor '{self.model}' corrects up to {limit} measured bits, the program "
                            f"measures {len(layout.measured)}")
        if self.resolved_source(layout, ctx) == "circuits":
            for state in self.processor.calibration_states(len(layout.measured)):
                out.append(tagged(calibration_program(program, layout, state), self.name, role="calibration",
                                  state=state))
        return out

    def combine(self, results, *, programs=None, observable=None, ctx=None):
        self._check(results, programs, need_programs=True)
        targets, samples = [], []
        for result, program in zip(results, programs):
            tag = tag_of(program, self.name)
            if tag["role"] == "target":
                targets.append((result, program))
            else:
                samples.append((tag["state"], as_distribution(result)))
        if len(targets) != 1:
            raise PassError(f"readout-model expects one target program among its results, got {len(targets)}")
        result, program = targets[0]
        processor = self.processor
        if not processor.fitted:
            snapshot = getattr(ctx, "calibration", None) if ctx is not None else None
            processor = processor.fit(CalibrationData.of(ReadoutLayout.of(program), snapshot, samples))
        corrected = processor.apply(as_distribution(result))
        return corrected_outcome(corrected, [d for _, d in samples], observable)


__all__ = ["SOURCES", "ReadoutModel"]
