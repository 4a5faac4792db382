"""Q# source → `Program`, compiled to QIR by the QDK (`qdk`) and normalised.

Each compilation runs in its own `qdk.Context`, so the caller's `qsharp` session is left alone. The
entry expression is the `@EntryPoint()` operation (namespace-qualified), or `Main()`, unless
`entry_expr=` names one (with its arguments: ``entry_expr="Prepare(0.5)"``).

`profile=None` tries the QDK's Base profile, then Adaptive_RI and Adaptive_RIF; "base" or
"adaptive" pins the choice. Outputs read as the QDK records them: a `Result[]` return value is an
array with element 0 first (leftmost), a tuple's items are separated by spaces.
"""

from __future__ import annotations

import re
from typing import Any

from qirrt.errors import FrontendError, require
from qirrt.qir.program import Profile, Program

_CHAINS = {
    None: ("Base", "Adaptive_RI", "Adaptive_RIF"),
    Profile.BASE: ("Base",),
    Profile.ADAPTIVE: ("Adaptive_RI", "Adaptive_RIF"),
}
_CAPABILITY_ERRORS = ("CapabilitiesCk", "PartialEval", "capabilit", "not supported by the configured target")


def entry_expression(source_text: str) -> str:
    """The expression that runs the program: its `@EntryPoint()` operation, else `Main()`."""
    text = re.sub(r"//[^\n]*", "", source_text)
    namespace = re.search(r"\bnamespace\s+([\w.]+)\s*\{", text)
    prefix = f"{namespace.group(1)}." if namespace else ""
    marked = re.search(r"@EntryPoint\(\s*\)\s*(?:operation|function)\s+(\w+)\s*\(\s*\)", text)
    if marked:
        return f"{prefix}{marked.group(1)}()"
    if re.search(r"\b(?:operation|function)\s+Main\s*\(\s*\)", text):
        return f"{prefix}Main()"
    raise FrontendError("the Q# source has no `@EntryPoint()` operation without parameters and no `Main()`; "
                        "pass entry_expr=\"Operation(arguments)\"")


def from_qsharp(source_text: str, *, source_file: str | None = None, profile: Profile | str | None = None,
                entry_expr: str | None = None) -> Program:
    """Compile Q# source with the QDK and normalise the QIR it emits."""
    qdk = require("qdk", extra="qdk", feature="The Q# frontend")
    requested = Profile.parse(profile) if isinstance(profile, str) else profile
    if requested not in _CHAINS:
        raise FrontendError(f"the Q# frontend compiles to the base or adaptive profile, not {requested.value}")
    expression = entry_expr or entry_expression(source_text)
    where = source_file or "Q# source"
    failures: list[str] = []
    for name in _CHAINS[requested]:
        context = qdk.Context(target_profile=getattr(qdk.TargetProfile, name))
        try:
            context.eval(source_text)
            qir = str(context.compile(expression))
        except Exception as exc:  # noqa: BLE001 - the QDK raises its own QSharpError
            message = str(exc).strip()
            if not any(marker in message for marker in _CAPABILITY_ERRORS):
                raise FrontendError(f"{where}: the QDK rejected the program:\n{message}") from None
            failures.append(f"{name}: {message.splitlines()[0]}")
            continue
        return Program.from_ir(qir, producer="qdk", source_file=source_file)
    raise FrontendError(f"{where}: no QDK target profile accepts the program ({'; '.join(failures)})")


class QSharpFrontend:
    """Entry-point plugin: accepts the QDK's compiled programs (`qsharp.compile(...)` results)."""

    name = "qsharp"

    @staticmethod
    def accepts(source: Any) -> bool:
        kind = type(source)
        return kind.__module__.split(".")[0] in ("qdk", "qsharp") and kind.__name__ == "QirInputData"

    @staticmethod
    def load(source: Any, **options: Any) -> Program:
        unknown = set(options) - {"source_file"}
        if unknown:
            raise FrontendError(f"options {sorted(unknown)} do not apply to compiled Q# programs")
        return Program.from_ir(str(source), producer="qdk", **options)


__all__ = ["QSharpFrontend", "entry_expression", "from_qsharp"]
