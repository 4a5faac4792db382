"""What each QIR producer emits, and the producer-specific rewrites that come before the generic ones.

See ../shared/QIR-NOTES.md for the measured facts; in short:

=============  ==========================================================================================
producer       fingerprint and what `prepare` does about it
=============  ==========================================================================================
cudaq          entry `@__nvqpp__mlirgen__<kernel>..0x<address>` (the address changes per run: renamed to
               `@<kernel>` so the program hash is stable); `qir` (full) has no `entry_point` attribute
               (the kernel is taken as the entry point).
pytket         `@main`, profile "custom"; the PYTKET profile's `create_creg`/`mz_to_creg_bit`/
               `get_creg_bit`/`get_int_from_creg` register helpers are lowered to one static result
               per register bit and an i64 built from `read_result` (kept as an int output, as pytket's
               ADAPTIVE profile records it).
qdk            `@ENTRYPOINT__main`, `__quantum__rt__initialize`, typed pointers (upgraded by LLVM).
qbraid         `__quantum__rt__initialize`, profile "custom", entry named after the circuit.
pyqir          profile "custom", QIR 2.0 module flags.
=============  ==========================================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pyqir

from qirrt.qir.dialect import QIS_PREFIX, RT_PREFIX
from qirrt.qir.text import Instr, call_text, count_ids, ptr

CUDAQ_ENTRY_PREFIX = "__nvqpp__mlirgen__"
_CUDAQ_ENTRY_RE = re.compile(rf"^{CUDAQ_ENTRY_PREFIX}(?:function_)?(?P<kernel>[A-Za-z_][A-Za-z0-9_]*?)"
                             r"(?P<suffix>\.\.0x[0-9a-fA-F]+|\._Z\S*|\.\.\S*)?$")
PYTKET_HELPERS = ("create_creg", "mz_to_creg_bit", "get_creg_bit", "set_creg_bit", "set_creg_to_int",
                  "get_int_from_creg")


def detect(ir: str) -> str:
    """Best guess at which tool wrote a module, from the fingerprints each one leaves."""
    match = re.search(r'"qirrt_producer"="([^"]*)"', ir)
    if match:
        return match.group(1)
    if CUDAQ_ENTRY_PREFIX in ir:
        return "cudaq"
    if "@ENTRYPOINT__" in ir:
        return "qdk"
    if any(f"@{helper}(" in ir for helper in PYTKET_HELPERS):
        return "pytket"
    custom = '"qir_profiles"="custom"' in ir
    if custom and "__quantum__rt__initialize" in ir:
        return "qbraid"
    if custom and (f"@{RT_PREFIX}int_record_output(i64 %" in ir or re.search(r'c"c\[\d+\]\\00"', ir)):
        return "pytket"
    if custom and re.search(r'!"qir_major_version", i32 2\}', ir):
        return "pyqir"
    return "unknown"


def implicit_entry_point(producer: str, module: pyqir.Module) -> str | None:
    """The entry point of a module without an `entry_point` attribute, where the producer implies one."""
    defined = [f.name for f in module.functions if f.basic_blocks]
    kernels = [name for name in defined if name.startswith(CUDAQ_ENTRY_PREFIX)]
    if len(kernels) == 1:
        return kernels[0]
    return None


def prepare(state) -> None:
    """Producer-specific rewrites: `_PREPARE[producer]`, then the fingerprint-driven ones."""
    step = _PREPARE.get(state.producer)
    if step is not None:
        step(state)
    if any((i.callee or "") in PYTKET_HELPERS for _, _, i in state.function.instructions()):
        _lower_pytket_registers(state)


# -- cudaq -----------------------------------------------------------------------------------------
def _cudaq(state) -> None:
    function = state.function
    match = _CUDAQ_ENTRY_RE.match(function.name)
    if match is None or not match.group("suffix"):
        return
    new = match.group("kernel")
    taken = re.search(rf"@{re.escape(new)}(?![-a-zA-Z$._0-9])", state.module.before + state.module.after)
    if taken:
        new = f"{CUDAQ_ENTRY_PREFIX}{new}"
    old = function.name
    function.name = new
    state.entry = new
    state.ir = state.ir.replace(f"@{old}(", f"@{new}(")
    state.note(f"entry point @{old} renamed to @{new} (cudaq embeds a per-run address in the name)")


# -- pytket's PYTKET profile -------------------------------------------------------------------------
def _lower_pytket_registers(state) -> None:
    """`create_creg` registers → static results; reads → `read_result`; the int → zext/shl/or."""
    function = state.function
    registers: dict[str, list[int | None]] = {}
    next_result = count_ids(function, "result")
    lowered = 0
    for block in function.blocks:
        out = []
        for instr in block.instrs:
            callee = instr.callee or ""
            if callee not in PYTKET_HELPERS:
                out.append(instr)
                continue
            lowered += 1
            if callee == "create_creg":
                size = instr.args[0].value
                if not size.isdigit():
                    raise state.error("QIR101", "a pytket register whose size is not a constant", block=block,
                                      instr=instr)
                registers[instr.result] = [None] * int(size)
                continue
            if callee in ("set_creg_bit", "set_creg_to_int"):
                raise state.error("QIR107", f"pytket's `{callee}` writes a classical register, which static QIR "
                                  f"results cannot express; convert the circuit with pytket-qir's "
                                  f"QIRProfile.ADAPTIVE instead of PYTKET", block=block, instr=instr)
            register = registers.get(instr.args[1 if callee == "mz_to_creg_bit" else 0].value)
            if register is None:
                raise state.error("QIR101", "a pytket register the normaliser cannot follow", block=block,
                                  instr=instr)
            if callee == "mz_to_creg_bit":
                bit = int(instr.args[2].value)
                if register[bit] is not None:
                    raise state.error("QIR107", f"register bit {bit} is measured twice; qirrt lowers each pytket "
                                      f"register bit to one result", block=block, instr=instr)
                register[bit] = next_result
                next_result += 1
                out.append(Instr.parse(call_text(f"{QIS_PREFIX}mz__body",
                                                 [instr.args[0], f"ptr {ptr(register[bit])}"])))
            elif callee == "get_creg_bit":
                bit = int(instr.args[1].value)
                out.extend(_read_bit(state, register[bit], instr.result))
            elif callee == "get_int_from_creg":
                out.extend(_register_int(state, register, instr.result))
        block.instrs = out
    if lowered:
        count = sum(1 for bits in registers.values() for b in bits if b is not None)
        state.repair("QIR053", "the program calls pytket's register functions (`create_creg`, `mz_to_creg_bit`, "
                     "...), which are neither QIS nor QIR runtime",
                     f"lowered pytket's register helpers ({lowered} call(s), {len(registers)} register(s)) to "
                     f"{count} static result(s) read with read_result; the register is recorded as an int "
                     f"(bit 0 least significant), as pytket's ADAPTIVE profile does")


def _read_bit(state, result: int | None, name: str) -> list:
    if result is None:  # never measured: pytket registers start at 0
        return [Instr.parse(f"{name} = and i1 false, false")]
    return [Instr.parse(call_text(f"{QIS_PREFIX}read_result__body", [f"ptr {ptr(result)}"], ret="i1",
                                  result=name))]


def _register_int(state, register: list[int | None], name: str) -> list:
    lines: list = []
    accumulator = "0"
    bits = [(position, r) for position, r in enumerate(register) if r is not None]
    for count, (position, result) in enumerate(bits):
        bit = state.temp()
        lines.extend(_read_bit(state, result, bit))
        wide, shifted = state.temp(), state.temp()
        lines.append(Instr.parse(f"{wide} = zext i1 {bit} to i64"))
        lines.append(Instr.parse(f"{shifted} = shl i64 {wide}, {position}"))
        target = name if count == len(bits) - 1 else state.temp()
        lines.append(Instr.parse(f"{target} = or i64 {accumulator}, {shifted}"))
        accumulator = target
    if not bits:
        lines.append(Instr.parse(f"{name} = add i64 0, 0"))
    return lines


_PREPARE: dict[str, Callable] = {
    "cudaq": _cudaq,
}


__all__ = ["CUDAQ_ENTRY_PREFIX", "PYTKET_HELPERS", "detect", "implicit_entry_point", "prepare"]
