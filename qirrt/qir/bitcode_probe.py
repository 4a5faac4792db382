"""Untrusted bitcode is read in a child process first: LLVM's bitcode reader can crash on corrupt input.

Fuzzing showed that a few flipped bytes in valid QIR bitcode make the reader segfault, abort on a huge
allocation ("LLVM ERROR: out of memory"), or make pyqir panic when it prints names that are not
UTF-8 — each fatal to the process that reads it, be it the CLI, a notebook or a worker. `probe_bitcode`
reads, verifies and prints the module in a short-lived child (memory-limited, its stderr kept), checks
the printed names and strings are UTF-8, and turns whatever goes wrong into a `ParseError`; only
bitcode the child read cleanly is then read in-process. The child costs about a quarter of a second, once per bitcode input.
"""

from __future__ import annotations

import signal
import subprocess
import sys

from qirrt.errors import Location, ParseError
from qirrt.qir.encoding import check_escaped_strings

MEMORY_LIMIT_BYTES = 4 << 30
"""Address-space limit of the child reading the bitcode."""
TIMEOUT_S = 120.0

_CHILD = """
import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
import pyqir
data = sys.stdin.buffer.read()
try:
    module = pyqir.Module.from_bitcode(pyqir.Context(), data, "probe")
    module.verify()
    text = str(module)
except BaseException as exc:
    text = str(exc).strip()
    print(text.splitlines()[0] if text else type(exc).__name__)
    sys.exit(3)
sys.stdout.write(text)
"""


def probe_bitcode(data: bytes, *, file: str | None = None) -> None:
    """Return when `data` reads cleanly; else raise a `ParseError` saying what happened to the reader."""
    where = Location(file=file)
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _CHILD, str(MEMORY_LIMIT_BYTES)], input=data,
                              capture_output=True, timeout=TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ParseError(f"cannot parse bitcode: reading it took over {TIMEOUT_S:.0f} s (corrupt?)", code="QIR001",
                         location=where) from None
    if done.returncode == 0:
        check_escaped_strings(done.stdout.decode("utf-8", "replace"), file=file)
        return
    if done.returncode == 3:
        message = done.stdout.decode("utf-8", "replace").strip() or "unreadable"
        if "Utf8Error" in message:
            message = "it holds names or strings that are not UTF-8"
        raise ParseError(f"cannot parse bitcode: {message}", code="QIR001", location=where)
    raise ParseError(f"cannot parse bitcode: LLVM's reader crashed on it ({_describe(done.returncode)}); the "
                     f"bitcode is corrupt or truncated", code="QIR001", location=where)


def _describe(returncode: int) -> str:
    if returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"
