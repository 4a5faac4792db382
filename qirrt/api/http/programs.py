"""A submitted program (QIR text, base64 bitcode, OpenQASM) read into a `Program`, or a 422 naming the field."""

from __future__ import annotations

import base64
import binascii
import warnings

from qirrt.api.http.errors import bad_request
from qirrt.api.http.models import SubmitRequest
from qirrt.errors import QirrtError
from qirrt.qir.sniff import is_bitcode


def _read(field: str, build):
    """`build()`, or a 422 raised outside the `except` block: the parser's exception (and the pyqir objects
    its traceback holds, which must die on the thread that made them) is gone before the reply is sent."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # conformance repairs: the program runs as repaired
        try:
            return build()
        except QirrtError as exc:
            problem = f"{field}: {exc}"
        except RecursionError:
            problem = f"{field}: the program is nested too deeply to read"
        except Exception as exc:  # noqa: BLE001 -- third-party parsers raise anything on garbage: a 422, not a 500
            problem = f"{field}: cannot be read ({type(exc).__name__}: {exc})"
    raise bad_request(422, problem[:2000], field)


def program_of(body: SubmitRequest):
    """The request's program, parsed and validated (as `qirrt.load` does)."""
    from qirrt.api.load import load

    if body.qir is not None:
        if "define" not in body.qir:
            raise bad_request(422, "qir: not LLVM IR text (no `define`); send OpenQASM as qasm", "qir")
        return _read("qir", lambda: load(body.qir, cache=False))
    if body.bitcode_base64 is not None:
        try:
            data = base64.b64decode(body.bitcode_base64, validate=True)
        except (binascii.Error, ValueError):
            raise bad_request(422, "bitcode_base64: not base64", "bitcode_base64") from None
        if not is_bitcode(data):
            raise bad_request(422, "bitcode_base64: not LLVM bitcode", "bitcode_base64")
        return _read("bitcode_base64", lambda: load(data, cache=False))
    from qirrt.bindings.qasm import from_qasm

    if "OPENQASM" not in body.qasm[:4096]:
        raise bad_request(422, "qasm: no `OPENQASM 2.0;` or `OPENQASM 3;` header", "qasm")
    return _read("qasm", lambda: from_qasm(body.qasm))
