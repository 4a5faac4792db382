"""`qirrt.load`: anything a user holds → `Program`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qirrt.errors import FrontendError, UnsupportedInputError
from qirrt.qir.program import Program, decode_text, read_text
from qirrt.qir.sniff import SUFFIX_KINDS, file_kind, is_bitcode, text_kind


def load(source: Any, *, strict: bool = False, cache: bool = True, **options) -> Program:
    """A `Program` from a path, QIR text, bitcode bytes, OpenQASM text, or a framework object.

    Keyword options go to the frontend that handles `source` (e.g. `profile="adaptive"`). QIR that
    breaks a rule of its profile is repaired with a `NonConformanceWarning` per repair;
    `strict=True` refuses it instead (`InvalidProgramError` with the rule's code). qirrt's own
    frontends (OpenQASM, Qiskit, ...) emit conformant QIR, so `strict` has nothing to refuse there.

    Files, QIR text and bitcode are remembered by their bytes (`qirrt.qir.program_cache`: in this
    process and in the disk cache, see `qirrt.qir.disk_cache`), so loading them again skips parsing,
    normalising and validating; `cache=False` (or ``QIRRT_NO_CACHE=1``) loads afresh.
    """
    if isinstance(source, Program):
        if strict:
            from qirrt.qir.conformance import refuse

            refuse(source.repairs, source_file=source.source_file)
        return source
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if is_bitcode(data):
            return _cached(data, options, lambda: Program.from_bitcode(data, strict=strict, **options),
                           strict=strict, cache=cache)
        source = decode_text(data)
    elif isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        return load_file(Path(source), strict=strict, cache=cache, **options)
    if isinstance(source, str):
        kind = text_kind(source)
        if kind == "ir" or (kind is None and _looks_like_ir(source)):
            text = source
            return _cached(text.encode("utf-8", "surrogatepass"), options,
                           lambda: Program.from_ir(text, strict=strict, **options), strict=strict, cache=cache)
        if kind == "qasm":
            from qirrt.bindings.qasm import from_qasm

            return from_qasm(source, **options)
        raise UnsupportedInputError(
            "text input is neither LLVM IR (no `define`) nor OpenQASM (no `OPENQASM` header); "
            "pass a file path, QIR text, bitcode bytes or a framework object")
    from qirrt.bindings import find_frontend

    frontend = find_frontend(source)
    if frontend is None:
        raise UnsupportedInputError(
            f"no frontend accepts an object of type {type(source).__module__}.{type(source).__name__}; "
            "supported: Qiskit QuantumCircuit, Cirq Circuit, PennyLane tape/QNode, CUDA-Q kernel, "
            "OpenQASM text, Q# source, QIR text or bitcode")
    return frontend.load(source, **options)


def load_file(path: Path, *, strict: bool = False, cache: bool = True, **options) -> Program:
    """A `Program` from a file: QIR text or bitcode, OpenQASM 2/3 or Q#, told apart by `qirrt.qir.sniff`;
    remembered by the file's bytes unless `cache=False` (see `load`)."""
    if not path.exists():
        raise FrontendError(f"{path}: no such file")
    if path.is_dir():
        raise FrontendError(f"{path} is a directory; pass a QIR (.ll/.bc), OpenQASM or Q# file")
    if not cache:
        return _load_file(path, strict=strict, **options)
    data = path.read_bytes()
    return _cached(data, options, lambda: _load_file(path, strict=strict, **options), strict=strict,
                   cache=cache, source_file=str(path))


def _cached(data: bytes, options: dict, build, *, strict: bool, cache: bool, source_file: str | None = None):
    if not cache:
        return build()
    from qirrt.qir.program_cache import load_cached

    return load_cached(data, options, build, strict=strict, source_file=source_file)


def _load_file(path: Path, *, strict: bool = False, **options) -> Program:
    kind = file_kind(path)
    if kind is None and _looks_like_ir(path.read_bytes()[:65536].decode("utf-8", errors="replace")):
        kind = "ir"
    if kind == "qasm":
        from qirrt.bindings.qasm import from_qasm

        return from_qasm(read_text(path), source_file=str(path), **options)
    if kind == "qsharp":
        from qirrt.bindings.qsharp import from_qsharp

        return from_qsharp(read_text(path), source_file=str(path), **options)
    if kind is None:
        known = ", ".join(sorted(SUFFIX_KINDS))
        raise UnsupportedInputError(
            f"{path}: cannot tell what kind of program this is: it is not LLVM bitcode, does not start like "
            f"LLVM IR (`define`, `;`, `source_filename`, ...) or OpenQASM (an `OPENQASM` header), and its "
            f"extension is none of {known}; add the header or rename the file")
    return Program.from_file(path, strict=strict, **_qir_options(options))


def _qir_options(options: dict) -> dict:
    unknown = set(options) - {"producer", "validate"}
    if unknown:
        raise FrontendError(f"options {sorted(unknown)} do not apply to QIR input")
    return options


def _looks_like_path(text: str) -> bool:
    if "\n" in text or len(text) > 4096:
        return False
    return Path(text).suffix.lower() in SUFFIX_KINDS or Path(text).exists()


def _looks_like_ir(text: str) -> bool:
    return "define " in text or "declare " in text or "; ModuleID" in text
