"""What kind of program a file or text holds: LLVM bitcode, LLVM IR (QIR), OpenQASM or Q#.

The content decides where it can: bitcode by its magic bytes (raw `BC\\xc0\\xde` or the wrapper
`\\xde\\xc0\\x17\\x0b`), OpenQASM by its `OPENQASM` header (after comments), LLVM IR by what a module
starts with (`;`, `define`, `declare`, `%T =`, `@g =`, `!0 =`, `source_filename`, `target`, `attributes`). Only
text that none of these recognise falls back to the file extension (`.qasm`, `.qasm2`, `.qasm3`, `.qs`,
`.ll`, `.bc`), so a file with no extension or a misleading one still loads as what it is.
"""

from __future__ import annotations

import re
from pathlib import Path

BITCODE_MAGICS = (b"BC\xc0\xde", b"\xde\xc0\x17\x0b")

QASM_SUFFIXES = (".qasm", ".qasm2", ".qasm3")
SUFFIX_KINDS = {**dict.fromkeys(QASM_SUFFIXES, "qasm"), ".qs": "qsharp", ".ll": "ir", ".bc": "bitcode"}
"""File extensions qirrt knows, and the kind each names when the content does not say."""

_COMMENTS = r"(?:\s+|//[^\n]*(?:\n|$)|/\*.*?\*/)*"
_QASM_HEADER = re.compile(rf"^\ufeff?{_COMMENTS}OPENQASM\s+\d", re.DOTALL)
_LLVM_START = re.compile(r"^\ufeff?\s*(?:;|define\b|declare\b|source_filename\s*=|target\s+(?:datalayout|triple)\b"
                         r"|attributes\s+#|![-\w.]*\s*=|[%@](?:[-\w.$]+|\"[^\"]*\")\s*=)")
"""LLVM text starts with a comment, a definition, or a named value, type or metadata (`@x = `, `%T = `,
`!0 = `); a Q# `@EntryPoint()` or an OpenQASM `@annotation` does not match."""


def is_bitcode(data: bytes) -> bool:
    return data[:4] in BITCODE_MAGICS


def text_kind(text: str) -> str | None:
    """'qasm' or 'ir' when the text says so itself, else None."""
    head = text[:65536]
    if _QASM_HEADER.match(head):
        return "qasm"
    if _LLVM_START.match(head):
        return "ir"
    return None


def file_kind(path: Path, data: bytes | None = None) -> str | None:
    """'bitcode', 'ir', 'qasm' or 'qsharp' for a file (its bytes, when already read), or None."""
    if data is None:
        with open(path, "rb") as handle:
            data = handle.read(65536)
    if is_bitcode(data):
        return "bitcode"
    kind = text_kind(data[:65536].decode("utf-8", errors="replace"))
    if kind is not None:
        return kind
    return SUFFIX_KINDS.get(path.suffix.lower())


__all__ = ["BITCODE_MAGICS", "QASM_SUFFIXES", "SUFFIX_KINDS", "file_kind", "is_bitcode", "text_kind"]
