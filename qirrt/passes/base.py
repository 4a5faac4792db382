"""`Pass` and `PassContext`: what every pass is and what it may read and write.

A pass is a frozen dataclass with a kebab-case `name` and its options as fields, so the pipeline
text ``decompose{basis=rz,sx,x,cz}`` parses into ``Decompose(basis=("rz", "sx", "x", "cz"))`` and
prints back the same. `apply(program, ctx)` returns a new `Program`; an analysis pass returns the
program it was given and leaves its findings in `ctx.properties[name]`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from qirrt.passes.spec import format_spec, kebab, render_value

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
    option_names: ClassVar[dict[str, str]] = {}
    """Field → option name where the option is not the field in kebab case (an option called ``name``)."""

    def apply(self, program: Program, ctx: PassContext) -> Program:
        raise NotImplementedError

    def _options(self) -> list[tuple[str, str]]:
        """(option, value text) for each option that differs from its default, in field order."""
        options = []
        for f in dataclasses.fields(self):
            if not f.init:
                continue
            value = getattr(self, f.name)
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = dataclasses.MISSING
            if value != default:
                options.append((self.option_names.get(f.name, kebab(f.name)), render_value(value)))
        return options

    def __str__(self) -> str:
        """The pass as pipeline text: its name and the options that differ from their defaults."""
        return format_spec(self.name, self._options())


__all__ = ["Pass", "PassContext"]
