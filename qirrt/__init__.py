"""qirrt: a QIR-centric compiler and execution runtime for quantum programs."""

from __future__ import annotations

from .errors import (
    AdapterError,
    CalibrationError,
    ExecutionError,
    FrontendError,
    InvalidProgramError,
    MissingOptionalDependencyError,
    PassError,
    PluginError,
    QirrtError,
)
from .compiler import CompiledProgram, compile
from .executors.distributed.client import connect
from .loader import load
from .runtime import run
from .mitigation import run_batch
from .program import Profile, Program, Resources

__version__ = "0.1.0"

__all__ = [
    "AdapterError", "CalibrationError", "CompiledProgram", "compile", "ExecutionError", "FrontendError", "InvalidProgramError",
    "MissingOptionalDependencyError", "PassError", "PluginError", "Profile", "Program", "QirrtError",
    "Resources", "connect", "load", "run", "run_batch", "__version__",
]
