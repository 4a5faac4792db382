"""OpenQASM 2 and 3 (text or file) → `Program`, through Qiskit's loaders and qirrt's Qiskit lowering."""

from __future__ import annotations

import re
from typing import Any

from ..errors import FrontendError
from ..program import Program

_HEADER = re.compile(r"^\s*(?://[^\n]*\n\s*)*OPENQASM\s+(\d+)(?:\.\d+)?\s*;", re.DOTALL)


def qasm_version(text: str) -> int:
    """2 or 3, from the `OPENQASM` header (3 when the header is missing, as the OpenQASM 3 spec allows)."""
    match = _HEADER.match(text)
    return int(match.group(1)) if match else 3


def from_qasm(text: str, *, source_file: str | None = None, **options: Any) -> Program:
    """Parse OpenQASM 2 or 3 and lower it; parse errors name the file and line."""
    circuit = parse_qasm(text, source_file=source_file)
    from .qiskit import from_qiskit

    program = from_qiskit(circuit, **options)
    program.source_file = source_file
    return program


def parse_qasm(text: str, *, source_file: str | None = None):
    where = source_file or "<qasm>"
    version = qasm_version(text)
    try:
        if version == 2:
            from qiskit import qasm2

            return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
        if version == 3:
            from qiskit import qasm3

            return qasm3.loads(text)
    except ImportError as exc:
        raise FrontendError(f"{where}: OpenQASM {version} support needs {exc.name}: "
                            "pip install qiskit-qasm3-import") from None
    except Exception as exc:  # qiskit raises several parser error types
        raise FrontendError(f"{where}: invalid OpenQASM {version}: {_first_line(exc)}") from None
    raise FrontendError(f"{where}: unsupported OpenQASM version {version}")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class QasmFrontend:
    """Entry-point plugin: OpenQASM source text."""

    name = "qasm"

    @staticmethod
    def accepts(source: Any) -> bool:
        return isinstance(source, str) and _HEADER.match(source) is not None

    @staticmethod
    def load(source: str, **options) -> Program:
        return from_qasm(source, **options)
