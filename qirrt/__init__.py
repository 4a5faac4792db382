"""qirrt: a QIR-centric compiler and execution runtime for quantum programs."""

from __future__ import annotations

from qirrt.api import exact
from qirrt.api.compile import CompiledProgram, compile
from qirrt.api.load import load
from qirrt.api.mitigate.pipeline import run_batch
from qirrt.api.run import run
from qirrt.errors import (
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
from qirrt.executors.distributed.cluster import connect
from qirrt.qir.conformance import NonConformanceWarning
from qirrt.qir.program import Profile, Program, Resources

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
