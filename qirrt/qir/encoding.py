"""Input that must be UTF-8: source text, and the names and strings of a module (pyqir panics on others)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from qirrt.errors import Location, ParseError


def decode_text(data: bytes, *, file: str | None = None) -> str:
    """The UTF-8 text of input that is not bitcode; binary data is a `ParseError` naming the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError(f"the input is neither LLVM bitcode (it lacks the 'BC' magic) nor UTF-8 text (byte "
                         f"0x{data[exc.start]:02x} at offset {exc.start}); give QIR text (.ll), bitcode (.bc), "
                         f"OpenQASM (.qasm) or Q# (.qs)", code="QIR001", location=Location(file=file)) from None


def read_text(path: str | Path) -> str:
    """A source file's text, through `decode_text`."""
    return decode_text(Path(path).read_bytes(), file=str(path))


@contextlib.contextmanager
def pyqir_panics(file: str | None = None):
    """Turn pyqir's Rust panics (a `BaseException`, e.g. printing a module whose bitcode holds names or
    strings that are not UTF-8) into a `ParseError`."""
    try:
        yield
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "a pyqir panic"
        hint = "; the module holds names or strings that are not UTF-8" if "Utf8Error" in detail else ""
        raise ParseError(f"cannot read the module: {detail}{hint}", code="QIR001",
                         location=Location(file=file)) from None


_ESCAPED_STRING = re.compile(r'"([^"\n]*\\[0-9A-Fa-f]{2}[^"\n]*)"')
_ESCAPE = re.compile(rb"\\([0-9A-Fa-f]{2})")


def unescape(raw: bytes) -> bytes:
    """The bytes an LLVM string literal's body spells: each ``\\XX`` escape replaced by byte 0xXX."""
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def check_escaped_strings(text: str, *, file: str | None = None) -> None:
    """LLVM text whose quoted names or strings spell bytes (``\\F7``) that are not UTF-8 is a `ParseError`:
    pyqir cannot read such names back (it panics)."""
    if "\\" not in text:
        return
    for match in _ESCAPED_STRING.finditer(text):
        raw = unescape(match.group(1).encode("utf-8"))
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            line = text.count("\n", 0, match.start()) + 1
            raise ParseError(f"the string or name \"{match.group(1)[:40]}\" spells bytes that are not UTF-8; "
                             f"qirrt reads names and attributes as UTF-8", code="QIR001",
                             location=Location(file=file, line=line)) from None


__all__ = ["check_escaped_strings", "decode_text", "pyqir_panics", "read_text", "unescape"]
