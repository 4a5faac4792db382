"""Validation against the QIR base and adaptive profiles: every rule a named check with its own code."""

from __future__ import annotations

from dataclasses import dataclass

import pyqir

from .errors import InvalidProgramError, Location
from .program import Profile


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    location: Location


def validate(module: pyqir.Module, *, profile: Profile, source_file: str | None = None,
             source_text: str | None = None) -> list[Diagnostic]:
    """All rule violations found in `module`, in module order."""
    diagnostics: list[Diagnostic] = []
    error = module.verify()
    if error:
        diagnostics.append(Diagnostic("QIR002", f"module does not verify: {error.strip()}",
                                      Location(file=source_file)))
    return diagnostics


def check(module: pyqir.Module, *, profile: Profile, source_file: str | None = None,
          source_text: str | None = None) -> None:
    """Raise `InvalidProgramError` for the first violation, carrying all of them."""
    diagnostics = validate(module, profile=profile, source_file=source_file, source_text=source_text)
    if diagnostics:
        first = diagnostics[0]
        raise InvalidProgramError(first.message, code=first.code, location=first.location,
                                  diagnostics=diagnostics)
