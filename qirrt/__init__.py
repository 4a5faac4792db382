"""qirrt: a QIR-centric compiler and execution runtime for quantum programs."""

from __future__ import annotations

import importlib as _importlib

from qirrt.api.load import load
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
from qirrt.qir.conformance import NonConformanceWarning
from qirrt.qir.program import Profile, Program, Resources

__version__ = "0.1.0"

_LAZY = {
    "exact": ("qirrt.api.exact", None),
    "CompiledProgram": ("qirrt.api.compile", "CompiledProgram"),
    "compile": ("qirrt.api.compile", "compile"),
    "run_batch": ("qirrt.api.mitigate.pipeline", "run_batch"),
    "connect": ("qirrt.api.run", "connect"),
    "cut": ("qirrt.api.cutting", "cut"),
}
"""Public names imported on first use: they pull in scipy, Qiskit's transpiler or ZeroMQ, which a
plain `load` + `run` (and the `qirrt run` command) never needs."""


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'qirrt' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = _importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

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
    "cut",
    "exact",
    "load",
    "run",
    "run_batch",
]
