"""qirrt: a QIR-centric compiler and execution runtime for quantum programs."""

from __future__ import annotations

from . import exact
from .compiler import CompiledProgram, compile
from .conformance import NonConformanceWarning
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
from .executors.distributed.client import connect
from .loader import load
from .mitigation import run_batch
from .program import Profile, Program, Resources
from .runtime import run

__version__ = "0.1.0"

__all__ = [
    "AdapterError",
    "CalibrationError",
    "CompiledProgram",
    "ExecutionError",
    "FrontendError",
    "InvalidProgramError",
    "MissingOptionalDependencyError",
    "NonConformanceWarning",
    "PassError",
    "PluginError",
    "Profile",
    "Program",
    "QirrtError",
    "Resources",
    "__version__",
    "compile",
    "connect",
    "exact",
    "load",
    "run",
    "run_batch",
]
