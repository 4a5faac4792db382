"""`qirrt.load`: anything a user holds → `Program`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .errors import FrontendError, UnsupportedInputError
from .program import Program, decode_text, is_bitcode, read_text

_SOURCE_SUFFIXES = {".qasm": "qasm", ".qs": "qsharp"}


def load(source: Any, **options) -> Program:
    """A `Program` from a path, QIR text, bitcode bytes, OpenQASM text, or a framework object.

    Keyword options go to the frontend that handles `source` (e.g. `profile="adaptive"`).
    """
    if isinstance(source, Program):
        return source
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if is_bitcode(data):
            return Program.from_bitcode(data, **options)
        source = decode_text(data)
    elif isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        return load_file(Path(source), **options)
    if isinstance(source, str):
        if _looks_like_ir(source):
            return Program.from_ir(source, **options)
        if source.lstrip().upper().startswith("OPENQASM"):
            from .bindings.qasm import from_qasm

            return from_qasm(source, **options)
        raise UnsupportedInputError(
            "text input is neither LLVM IR (no `define`) nor OpenQASM (no `OPENQASM` header); "
            "pass a file path, QIR text, bitcode bytes or a framework object")
    from .bindings import find_frontend

    frontend = find_frontend(source)
    if frontend is None:
        raise UnsupportedInputError(
            f"no frontend accepts an object of type {type(source).__module__}.{type(source).__name__}; "
            "supported: Qiskit QuantumCircuit, Cirq Circuit, PennyLane tape/QNode, CUDA-Q kernel, "
            "OpenQASM text, Q# source, QIR text or bitcode")
    return frontend.load(source, **options)


def load_file(path: Path, **options) -> Program:
    if not path.exists():
        raise FrontendError(f"{path}: no such file")
    if path.is_dir():
        raise FrontendError(f"{path}: is a directory, not a program file")
    suffix = path.suffix.lower()
    if suffix == ".qasm":
        from .bindings.qasm import from_qasm

        return from_qasm(read_text(path), source_file=str(path), **options)
    if suffix == ".qs":
        from .bindings.qsharp import from_qsharp

        return from_qsharp(read_text(path), source_file=str(path), **options)
    program = Program.from_file(path, **_qir_options(options))
    return program


def _qir_options(options: dict) -> dict:
    unknown = set(options) - {"producer", "validate"}
    if unknown:
        raise FrontendError(f"options {sorted(unknown)} do not apply to QIR input")
    return options


def _looks_like_path(text: str) -> bool:
    if "\n" in text or len(text) > 4096:
        return False
    return Path(text).suffix.lower() in {".ll", ".bc", ".qasm", ".qs"} or Path(text).exists()


def _looks_like_ir(text: str) -> bool:
    return "define " in text or "declare " in text or "; ModuleID" in text
