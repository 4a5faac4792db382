"""Normalisation: QIR from any producer → qirrt's one dialect (`qirrt.dialect`).

Each rewrite is a named step that records what it changed, so `Program.normalisation` says
exactly how the input differed from the dialect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyqir

from .dialect import ALIASES, GATES, PARAMETER_ATTR, PRODUCER_ATTR, QIS_PREFIX
from .errors import InvalidProgramError, Location
from .program import Profile, decode_parameters, parse_module

_V01_ATTRIBUTES = {
    "EntryPoint": "entry_point",
    "requiredQubits": "required_num_qubits",
    "requiredResults": "required_num_results",
}


@dataclass
class EntryAttributes:
    entry_point: str
    profile: Profile
    num_qubits: int
    num_results: int
    parameters: tuple[str, ...]
    producer: str | None


@dataclass
class NormalizedModule:
    ir: str
    entry_point: str
    profile: Profile
    num_qubits: int
    num_results: int
    parameters: tuple[str, ...]
    producer: str
    changes: list[str] = field(default_factory=list)


def _string_attr(function: pyqir.Function, key: str) -> str | None:
    attribute = function.attributes.func[key] if key in function.attributes.func else None
    return attribute.string_value if attribute is not None else None


def entry_points(module: pyqir.Module) -> list[pyqir.Function]:
    return [f for f in module.functions if pyqir.is_entry_point(f)]


def read_entry_attributes(module: pyqir.Module) -> EntryAttributes:
    """Read the entry point and its QIR attributes from a module already in the dialect."""
    entries = entry_points(module)
    if len(entries) != 1:
        raise InvalidProgramError(f"expected exactly one entry point, found {len(entries)}", code="QIR010")
    entry = entries[0]
    profile_text = _string_attr(entry, "qir_profiles") or "adaptive_profile"
    return EntryAttributes(
        entry_point=entry.name,
        profile=Profile.parse(profile_text),
        num_qubits=int(_string_attr(entry, "required_num_qubits") or 0),
        num_results=int(_string_attr(entry, "required_num_results") or 0),
        parameters=decode_parameters(_string_attr(entry, PARAMETER_ATTR)),
        producer=_string_attr(entry, PRODUCER_ATTR),
    )


def _rename_symbol(ir: str, old: str, new: str) -> str:
    """Rename a global symbol, dropping the old declaration if the new one is already declared."""
    pattern = re.compile(rf"@{re.escape(old)}(?=[\s(,)])")
    if re.search(rf"^declare [^\n]*@{re.escape(new)}\(", ir, re.M):
        ir = re.sub(rf"^declare [^\n]*@{re.escape(old)}\([^\n]*\n", "", ir, flags=re.M)
    return pattern.sub(f"@{new}", ir)


def _called_symbols(ir: str) -> set[str]:
    return set(re.findall(r"@(__quantum__[A-Za-z0-9_]+)", ir))


def _rename_gates(ir: str, changes: list[str]) -> str:
    """`cnot__body` → `cx__body`, `__quantum__qis__h` → `__quantum__qis__h__body`, `rt` read_result → `qis`."""
    renames: dict[str, str] = {}
    for symbol in _called_symbols(ir):
        if symbol == "__quantum__rt__read_result":
            renames[symbol] = "__quantum__qis__read_result__body"
            continue
        if not symbol.startswith(QIS_PREFIX):
            continue
        name = symbol[len(QIS_PREFIX):].removesuffix("__body")
        canonical = ALIASES.get(name, name)
        if canonical in GATES or canonical in ("mz", "m", "mresetz", "reset", "read_result"):
            target = f"{QIS_PREFIX}{canonical}__body"
            if target != symbol:
                renames[symbol] = target
    for old, new in sorted(renames.items()):
        ir = _rename_symbol(ir, old, new)
        changes.append(f"renamed @{old} to @{new}")
    return ir


def _rename_v01_attributes(ir: str, changes: list[str]) -> str:
    for old, new in _V01_ATTRIBUTES.items():
        if f'"{old}"' in ir:
            ir = ir.replace(f'"{old}"', f'"{new}"')
            changes.append(f"attribute {old} renamed to {new} (QIR 0.1 → 1.0)")
    return ir


def _infer_profile(module: pyqir.Module, entry: pyqir.Function) -> Profile:
    """base when the entry point is one straight-line block that reads no result, else adaptive."""
    blocks = entry.basic_blocks
    if len(blocks) > 1:
        return Profile.ADAPTIVE
    for block in blocks:
        for instruction in block.instructions:
            if isinstance(instruction, pyqir.Call) and "read_result" in instruction.callee.name:
                return Profile.ADAPTIVE
    return Profile.BASE


def _set_entry_attributes(ir: str, entry: str, values: dict[str, str]) -> str:
    """Set string attributes of the entry point's attribute group, adding any that are missing."""
    header = re.search(rf"^define [^\n]*@{re.escape(entry)}\([^\n]*\)([^\n{{]*)\{{", ir, re.M)
    if header is None:
        raise InvalidProgramError(f"cannot find the definition of @{entry}", code="QIR010")
    group = re.search(r"#(\d+)", header.group(1))
    rendered = " ".join(f'"{k}"="{v}"' if v is not None else f'"{k}"' for k, v in values.items())
    if group is None:
        new_id = max((int(g) for g in re.findall(r"^attributes #(\d+)", ir, re.M)), default=-1) + 1
        start, end = header.span(1)
        ir = ir[:start] + header.group(1).rstrip() + f" #{new_id} " + ir[end:]
        return ir.rstrip("\n") + f"\n\nattributes #{new_id} = {{ {rendered} }}\n"
    gid = group.group(1)
    match = re.search(rf"^attributes #{gid} = \{{(.*)\}}$", ir, re.M)
    body = match.group(1)
    for key, value in values.items():
        attr_re = re.compile(rf'"{re.escape(key)}"(="[^"]*")?')
        new = f'"{key}"="{value}"' if value is not None else f'"{key}"'
        body = attr_re.sub(new, body) if attr_re.search(body) else f"{body.rstrip()} {new} "
    return ir[: match.start(1)] + body + ir[match.end(1):]


def normalize(module: pyqir.Module, *, producer: str | None = None,
              source_file: str | None = None) -> NormalizedModule:
    """Rewrite a parsed module into the dialect; raise `InvalidProgramError` where that is impossible."""
    from . import producers

    changes: list[str] = []
    ir = str(module)
    detected = producer or producers.detect(module, ir)
    ir = producers.prepare(detected, module, ir, changes)
    ir = _rename_v01_attributes(ir, changes)
    ir = _rename_gates(ir, changes)
    module = parse_module(ir, file=source_file)

    entries = entry_points(module)
    if not entries:
        raise InvalidProgramError("no function has the `entry_point` attribute", code="QIR010",
                                  location=Location(file=source_file))
    if len(entries) > 1:
        names = ", ".join("@" + f.name for f in entries)
        raise InvalidProgramError(f"more than one entry point: {names}", code="QIR011",
                                  location=Location(file=source_file))
    entry = entries[0]
    profile_text = _string_attr(entry, "qir_profiles")
    try:
        profile = Profile.parse(profile_text) if profile_text else None
    except ValueError:
        profile = None
    updates: dict[str, str] = {}
    if profile is None or profile is Profile.FULL:
        profile = _infer_profile(module, entry)
        updates["qir_profiles"] = profile.attribute
        changes.append(f"profile {profile_text or 'missing'!r} read as {profile.attribute}")
    elif profile_text != profile.attribute:
        updates["qir_profiles"] = profile.attribute
    for key in ("required_num_qubits", "required_num_results"):
        if _string_attr(entry, key) is None:
            counted = producers.count_ids(module, entry, "qubit" if "qubits" in key else "result")
            updates[key] = str(counted)
            changes.append(f"{key} missing, counted {counted}")
    if _string_attr(entry, "output_labeling_schema") is None:
        updates["output_labeling_schema"] = "qirrt"
    if detected and _string_attr(entry, PRODUCER_ATTR) is None:
        updates[PRODUCER_ATTR] = detected
    if updates:
        ir = _set_entry_attributes(str(module), entry.name, updates)
        module = parse_module(ir, file=source_file)
    module = producers.ensure_module_flags(module, profile, changes)
    attrs = read_entry_attributes(module)
    return NormalizedModule(
        ir=str(module), entry_point=attrs.entry_point, profile=attrs.profile,
        num_qubits=attrs.num_qubits, num_results=attrs.num_results, parameters=attrs.parameters,
        producer=attrs.producer or detected or "unknown", changes=changes,
    )
