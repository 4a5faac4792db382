"""`Pass` and `PassContext`: what every pass is and what it may read and write.

A pass is a frozen dataclass with a kebab-case `name` and its options as fields, so the pipeline
text ``decompose{basis=rz,sx,x,cz}`` parses into ``Decompose(basis=("rz", "sx", "x", "cz"))`` and
prints back the same. `apply(program, ctx)` returns a new `Program`; an analysis pass returns the
program it was given and leaves its findings in `ctx.properties[name]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from qirrt.device.calibration import Calibration
    from qirrt.device.target import Target
    from qirrt.qir.program import Program


@dataclass
class PassContext:
    """What passes share during one run: the target, its calibration, and the property set.

    `properties` is where analysis passes leave results for later passes and for the caller (the
    layout chosen, resource estimates, ...). `debug` makes the pass manager verify the module after
    every pass.
    """

    target: Target | None = None
    calibration: Calibration | None = None
    properties: dict = field(default_factory=dict)
    debug: bool = False


@dataclass(frozen=True)
class Pass:
    """Base of all passes. Subclasses are frozen dataclasses and set `name`."""

    name: ClassVar[str] = ""
    analysis: ClassVar[bool] = False
    """True for passes that only read the program and write `ctx.properties`."""

    def apply(self, program: Program, ctx: PassContext) -> Program:
        raise NotImplementedError

    def __str__(self) -> str:
        from qirrt.passes.pipeline import format_pass

        return format_pass(self)


__all__ = ["Pass", "PassContext"]
