"""Conformance: the spec violations normalisation repaired, how they are reported and refused.

Normalisation brings QIR from every producer into qirrt's dialect. Most of what it rewrites is
dialect (gate spellings, typed pointers, QIR 0.1 attribute names); some of it repairs a module that
breaks a rule of the QIR profiles (a missing `required_num_qubits`, an entry point with parameters,
output recorded between gates, a loop without `backwards_branching`, ...). Each such repair is a
`Repair` carrying the rule's code (see `qirrt.qir.validate.rules.RULES`) and lands in `Program.repairs`.

By default a repaired program loads, and each repair is reported once as a
`NonConformanceWarning` (filter it with the `warnings` module); `strict=True` refuses it with an
`InvalidProgramError` naming the first repair's rule and location.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

from qirrt.errors import InvalidProgramError, Location
from qirrt.qir.validate.rules import RULES


@dataclass(frozen=True)
class Repair:
    """One spec violation that normalisation repaired: the rule, what was wrong, what qirrt did."""

    code: str
    violation: str
    action: str
    location: Location = field(default_factory=Location)

    @property
    def rule(self) -> str:
        return RULES[self.code].name if self.code in RULES else ""

    def __str__(self) -> str:
        where = f" (at {self.location})" if str(self.location) else ""
        return _one_line(f"[{self.code}] {self.rule}: {self.violation}{where}; repaired: {self.action}")

    def to_dict(self) -> dict:
        return {"code": self.code, "rule": self.rule, "violation": self.violation, "repaired": self.action,
                "location": str(self.location)}


class NonConformanceWarning(UserWarning):
    """A loaded module broke a QIR profile rule and qirrt repaired it; `.repair` says which and how."""

    def __init__(self, repair: Repair):
        self.repair = repair
        super().__init__(str(repair))


def warn(repairs: Iterable[Repair]) -> None:
    """One `NonConformanceWarning` per repair, attributed to the first caller outside qirrt."""
    repairs = list(repairs)
    if not repairs:
        return
    level = _caller_level()
    for repair in repairs:
        warnings.warn(NonConformanceWarning(repair), stacklevel=level)


def refuse(repairs: Iterable[Repair], *, source_file: str | None = None) -> None:
    """Raise `InvalidProgramError` for the first repair (strict mode); nothing when there is none."""
    repairs = list(repairs)
    if not repairs:
        return
    first = repairs[0]
    more = f" (and {len(repairs) - 1} more)" if len(repairs) > 1 else ""
    location = first.location if first.location.file or not source_file else Location(
        file=source_file, function=first.location.function, block=first.location.block,
        instruction=first.location.instruction, line=first.location.line)
    raise InvalidProgramError(
        f"{first.rule}: {first.violation}{more}; refused in strict mode (otherwise qirrt repairs it: "
        f"{first.action})", code=first.code, location=location)


def _caller_level() -> int:
    """The `stacklevel` of the first frame outside the qirrt package (so the warning names user code)."""
    level, frame = 2, sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "qirrt":
        frame = frame.f_back
        level += 1
    return level


def _one_line(text: str) -> str:
    return " ".join(text.split())


__all__ = ["NonConformanceWarning", "Repair", "refuse", "warn"]
