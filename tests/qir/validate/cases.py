"""The golden invalid modules of `tests/golden/invalid/`, read into `Case` records.

Each file in `tests/golden/invalid/` starts with a header naming the rule it breaks:

    ; rule: QIR030 qubit-out-of-range       code and rule name the error must carry
    ; breaks: ...                           what is wrong, in words
    ; expect: phrase; phrase                key words the message must contain
    ; also: QIR032                          other codes the same mistake legitimately triggers
    ; at: function=main block=entry instruction=...   the expected location (absent keys: None)
    ; profile: base                         the profile to validate against

and marks the source line the diagnostic must point at with `; <-- error` (no marker: no line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from qirrt.qir.program import Profile

GOLDEN = Path(__file__).parent.parent.parent / "golden" / "invalid"
INVALID_FILES = sorted(GOLDEN.glob("*.ll"))

# -- the golden invalid modules ------------------------------------------------------------------


@dataclass
class Case:
    path: Path
    code: str
    rule: str
    profile: Profile
    expect: list[str]
    also: set[str] = field(default_factory=set)
    at: dict[str, str] = field(default_factory=dict)
    line: int | None = None


def read_case(path: Path) -> Case:
    header: dict[str, str] = {}
    text = path.read_text()
    for line in text.splitlines():
        match = re.match(r";\s*(\w+):\s*(.*)$", line)
        if not match:
            break
        header[match.group(1)] = match.group(2).strip()
    code, rule = header["rule"].split()
    at: dict[str, str] = {}
    spec = header.get("at", "-")
    if spec != "-":
        head, _, instruction = spec.partition("instruction=")
        for pair in head.split():
            key, _, value = pair.partition("=")
            at[key] = value
        if instruction:
            at["instruction"] = instruction.strip()
    markers = [n for n, line in enumerate(text.splitlines(), 1) if "; <-- error" in line]
    return Case(path=path, code=code, rule=rule, profile=Profile.parse(header["profile"]),
                expect=[p.strip() for p in header["expect"].split(";") if p.strip()],
                also=set(header.get("also", "").split()), at=at, line=markers[0] if markers else None)


CASES = [read_case(path) for path in INVALID_FILES]
