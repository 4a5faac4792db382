"""The qirrt error tree: one root, one branch per layer.

Every message says what failed, where, and how to fix it. `Location` carries the "where" for
errors that point into a QIR module or a source file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A place in a program: file, function, block, instruction text and source line."""

    file: str | None = None
    function: str | None = None
    block: str | None = None
    instruction: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(f"{self.file}:{self.line}" if self.line else self.file)
        elif self.line:
            parts.append(f"line {self.line}")
        if self.function:
            parts.append(f"function @{self.function}")
        if self.block:
            parts.append(f"block %{self.block}")
        if self.instruction:
            parts.append(f"instruction `{self.instruction.strip()}`")
        return ", ".join(parts)


class QirrtError(Exception):
    """Root of every error qirrt raises on purpose."""


class InvalidProgramError(QirrtError):
    """A QIR module breaks a rule of its profile; `code` names the rule (e.g. ``QIR012``)."""

    def __init__(self, message: str, *, code: str = "QIR000", location: Location | None = None,
                 diagnostics: list | None = None):
        self.code = code
        self.location = location
        self.diagnostics = list(diagnostics or [])
        where = f" (at {location})" if location and str(location) else ""
        super().__init__(f"[{code}] {message}{where}")


class ParseError(InvalidProgramError):
    """The input is not LLVM IR or bitcode that LLVM can read."""


class FrontendError(QirrtError):
    """A framework object or source file cannot be lowered to QIR."""


class UnsupportedInputError(FrontendError):
    """No frontend accepts this kind of input."""


class PassError(QirrtError):
    """A pass failed, or a pipeline string is malformed."""


class CalibrationError(QirrtError):
    """Calibration data is missing, malformed or stale."""


class ExecutionError(QirrtError):
    """Running a program failed."""


class ResourceLimitError(ExecutionError):
    """The run would exceed a memory, qubit or time limit; raised before anything is allocated."""


class JobCancelledError(ExecutionError):
    """The job was cancelled before it produced a result."""


class JobTimeoutError(ExecutionError):
    """Waiting for a job's result took longer than the caller allowed."""


class PoisonError(ExecutionError):
    """An instruction's result is poison or its behaviour undefined in LLVM (division by zero, a shift by the
    width or more, a broken nsw/nuw/exact flag, ...); see `qirrt.qir.values`."""


class AdapterError(QirrtError):
    """A hardware adapter or its vendor API failed."""


class PluginError(QirrtError):
    """A plugin (pass, executor, adapter, frontend) is missing, duplicated or broken."""


class MissingOptionalDependencyError(QirrtError, ImportError):
    """An optional package is needed for this feature; the message carries the pip command."""

    def __init__(self, package: str, extra: str, feature: str):
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs the optional package '{package}', which is not installed. "
            f"Install it with: pip install 'qirrt[{extra}]'"
        )


def require(module_name: str, *, extra: str, feature: str):
    """Import an optional module, or raise `MissingOptionalDependencyError` with an install hint."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise MissingOptionalDependencyError(module_name.split(".")[0], extra, feature) from exc
