"""What each QIR producer emits, and the producer-specific rewrites that come before normalisation.

See ../shared/QIR-NOTES.md for the measured facts each rule encodes.
"""

from __future__ import annotations

import re

import pyqir

from .program import Profile

_MODULE_FLAGS = (
    (pyqir.ModuleFlagBehavior.ERROR, "qir_major_version", 1),
    (pyqir.ModuleFlagBehavior.MAX, "qir_minor_version", 0),
    (pyqir.ModuleFlagBehavior.ERROR, "dynamic_qubit_management", False),
    (pyqir.ModuleFlagBehavior.ERROR, "dynamic_result_management", False),
)


def detect(module: pyqir.Module, ir: str) -> str:
    """Best guess at which tool wrote a module, from the fingerprints each one leaves."""
    if "__nvqpp__mlirgen__" in ir:
        return "cudaq"
    if "qirrt_producer" in ir:
        match = re.search(r'"qirrt_producer"="([^"]*)"', ir)
        if match:
            return match.group(1)
    if "ENTRYPOINT__" in ir or "__quantum__rt__initialize" in ir:
        return "qdk"
    if "create_creg" in ir or "mz_to_creg_bit" in ir or "set_creg_bit" in ir:
        return "pytket"
    if "__quantum__rt__int_record_output" in ir and '"qir_profiles"="custom"' in ir:
        return "pytket"
    return "unknown"


def prepare(producer: str, module: pyqir.Module, ir: str, changes: list[str]) -> str:
    """Producer-specific rewrites applied to the printed module before the generic ones."""
    return ir


def count_ids(module: pyqir.Module, entry: pyqir.Function, kind: str) -> int:
    """1 + the highest static qubit or result id used by the entry point."""
    highest = -1
    id_of = pyqir.ptr_id
    wanted_type = kind
    for block in entry.basic_blocks:
        for instruction in block.instructions:
            if not isinstance(instruction, pyqir.Call):
                continue
            callee = instruction.callee.name
            for position, argument in enumerate(instruction.args):
                if not _is_pointer(argument):
                    continue
                if _argument_kind(callee, position) != wanted_type:
                    continue
                value = id_of(argument)
                if value is not None:
                    highest = max(highest, value)
    return highest + 1


def _is_pointer(value: pyqir.Value) -> bool:
    return isinstance(value.type, pyqir.PointerType)


def _argument_kind(callee: str, position: int) -> str | None:
    """Whether argument `position` of a call to `callee` is a qubit or a result."""
    from .dialect import QIS_PREFIX

    if callee.startswith(QIS_PREFIX):
        if "read_result" in callee:
            return "result"
        if callee.startswith(("__quantum__qis__mz", "__quantum__qis__m__", "__quantum__qis__mresetz")):
            return "qubit" if position == 0 else "result"
        return "qubit"
    if callee in ("__quantum__rt__result_record_output", "__quantum__rt__read_result") and position == 0:
        return "result"
    return None


def ensure_module_flags(module: pyqir.Module, profile: Profile, changes: list[str]) -> pyqir.Module:
    """Add the QIR module flags a producer left out (cudaq emits none)."""
    for behavior, name, value in _MODULE_FLAGS:
        if module.get_flag(name) is None:
            constant = (pyqir.const(pyqir.IntType(module.context, 1), int(value)) if isinstance(value, bool)
                        else pyqir.const(pyqir.IntType(module.context, 32), value))
            module.add_flag(behavior, name, constant)
            changes.append(f"module flag {name} added")
    return module
