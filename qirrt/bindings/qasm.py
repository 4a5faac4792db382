"""OpenQASM 2 and 3 (text or file) → `Program`, through Qiskit's loaders and qirrt's Qiskit lowering."""

from __future__ import annotations

import re
from typing import Any

from qirrt.errors import FrontendError
from qirrt.qir.program import Program

_HEADER = re.compile(r"^\s*(?://[^\n]*\n\s*)*OPENQASM\s+(\d+)(?:\.\d+)?\s*;", re.DOTALL)


def qasm_version(text: str) -> int:
    """2 or 3, from the `OPENQASM` header (3 when the header is missing, as the OpenQASM 3 spec allows)."""
    match = _HEADER.match(text)
    return int(match.group(1)) if match else 3


def from_qasm(text: str, *, source_file: str | None = None, **options: Any) -> Program:
    """Parse OpenQASM 2 or 3 and lower it; parse errors name the file and line."""
    circuit = parse_qasm(text, source_file=source_file)
    from qirrt.bindings.qiskit.from_circuit import from_qiskit

    program = from_qiskit(circuit, **options)
    program.source_file = source_file
    return program


def parse_qasm(text: str, *, source_file: str | None = None):
    """A Qiskit circuit from OpenQASM 2 or 3; errors are `FrontendError`s naming ``file:line:column``."""
    import contextlib
    import io

    where = source_file or "<qasm>"
    version = qasm_version(text)
    if not _without_comments(text).strip():
        raise FrontendError(f"{where}:1:1: invalid OpenQASM {version}: the program is empty; it needs an "
                            f"`OPENQASM {version}.0;` header and statements")
    chatter = io.StringIO()  # the ANTLR lexer prints its errors to stderr: keep them for the message
    try:
        with contextlib.redirect_stderr(chatter):
            if version == 2:
                from qiskit import qasm2

                return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
            if version == 3:
                from qiskit import qasm3

                return qasm3.loads(text)
    except ImportError as exc:
        raise FrontendError(f"{where}: OpenQASM {version} support needs {exc.name}: "
                            "pip install qiskit-qasm3-import") from None
    except Exception as exc:  # noqa: BLE001 - qiskit and the ANTLR runtime raise assorted parser errors
        line, column, detail = _locate(exc, text, chatter.getvalue())
        position = f":{line}:{column}" if line is not None else ""
        raise FrontendError(f"{where}{position}: invalid OpenQASM {version}: {detail}") from None
    raise FrontendError(f"{where}: unsupported OpenQASM version {version}")


_LINE_COLUMN = re.compile(r"^(?:<input>:)?(\d+),(\d+):\s*(.*)$", re.DOTALL)  # qiskit: "4,0: message" (0-based column)
_ANTLR = re.compile(r"line (\d+):(\d+) (.*)")  # the ANTLR console listener: "line 4:0 message"


def _locate(exc: BaseException, text: str, chatter: str) -> tuple[int | None, int | None, str]:
    """(line, 1-based column, message) of a parser error, from whichever of its forms carries them."""
    message = _first_line(exc)
    if len(message) > 1 and message[0] == message[-1] and message[0] in "'\"":
        message = message[1:-1]  # qiskit quotes some messages
    match = _LINE_COLUMN.match(message)
    if match:
        return int(match.group(1)), int(match.group(2)) + 1, match.group(3).strip()
    for error in _chain(exc):
        token = getattr(error, "offendingToken", None)
        if token is not None and getattr(token, "line", None) is not None:
            shown = "end of file" if token.text == "<EOF>" else f"'{token.text}'"
            return token.line, token.column + 1, f"syntax error at {shown} (a missing ';' or bracket before it?)"
    found = _ANTLR.search(chatter)
    if found:
        return int(found.group(1)), int(found.group(2)) + 1, found.group(3).strip()
    for error in _chain(exc):
        start = getattr(error, "startIndex", None)
        if isinstance(start, int) and 0 <= start <= len(text):
            line = text.count("\n", 0, start) + 1
            return line, start - (text.rfind("\n", 0, start) + 1) + 1, "unrecognised characters"
    return None, None, message


def _chain(exc: BaseException):
    """The exception, its causes and contexts, and exceptions among their arguments."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        error = stack.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        yield error
        stack += [error.__cause__, error.__context__]
        stack += [a for a in getattr(error, "args", ()) if isinstance(a, BaseException)]


def _without_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL)


def _first_line(exc: BaseException) -> str:
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
