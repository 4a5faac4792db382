"""Normalisation step ``promote-memory``: classical memory, IR functions and bounded loops → SSA.

qdk's full Adaptive target (QIR 2.x, `int`/`float` computation, `ir_functions`, `arrays`) keeps
Q# locals in `alloca`s (`load`/`store` of `i1`/`i64`/`double`/result pointers), calls internal IR
functions (`@H`, `@X`, ...) and indexes qubit arrays (constant globals) with loop counters. The
dialect has none of that, so LLVM's own passes (llvmlite's new pass manager) bring the entry point
into it: inline every internal function, promote memory to SSA (`sroa`, LLVM's mem2reg), propagate
constants, fully unroll loops whose trip count is a constant (a `for` over a register), and fold
loads from constant arrays into static qubit/result pointers. Loops whose exit depends on a
measurement (repeat-until-success) stay loops, now over SSA values.

The step runs only when the entry point uses memory or calls an IR-defined function, so programs
already in the dialect are never touched. Afterwards, `__quantum__rt__write_result` on a result the
program never reads, records or measures is dropped; any other remains for validation to name.
"""

from __future__ import annotations

import re

from .dialect import RT_PREFIX
from .errors import InvalidProgramError, Location
from .normalize import State, _argument_kind, split_module, static_id

_MEMORY = ("alloca", "load", "store", "getelementptr")
_WRITE_RESULT = f"{RT_PREFIX}write_result"
_PIPELINE = (
    "always_inliner", "sroa", "sccp", "simplify_cfg",
    "loop_rotate", "loop_unroll", "sroa", "sccp", "simplify_cfg",
    "dead_code_elimination", "lower_switch", "simplify_cfg",
    "global_dead_code_eliminate", "strip_dead_prototype",
)
"""llvmlite `ModulePassManager.add_<name>_pass` calls, in order. No `instcombine`: it introduces
intrinsics (`llvm.umin`, ...) and `freeze` that the dialect has no use for; `lower_switch` keeps the
result in two-way branches."""


def needs_promotion(state: State) -> bool:
    """True when the entry point reads or writes memory, or calls a function the module defines."""
    defined = _defined_functions(state.ir) - {state.entry}
    cudaq_arrays = f"{RT_PREFIX}array_get_element_ptr_1d" in state.ir
    for _, _, instr in state.function.instructions():
        if instr.opcode == "alloca" or (instr.opcode == "call" and instr.callee in defined):
            return True
        if instr.opcode in _MEMORY and not cudaq_arrays:
            return True
        if instr.opcode in ("load", "getelementptr") and " @" in instr.text:
            return True
    return False


def _defined_functions(ir: str) -> set[str]:
    return {m.strip('"') for m in re.findall(r'^define [^@\n]*@("[^"]+"|[-a-zA-Z$._0-9]+)\(', ir, re.MULTILINE)}


def promote_memory(state: State) -> None:
    if not needs_promotion(state):
        return
    before = _summary(state)
    state.ir = _optimise(state)
    state.module = split_module(state.ir, state.entry)
    after = _summary(state)
    state.note(f"promoted memory to SSA values with LLVM (inlined {before['calls']} IR function call(s), "
               f"{before['memory']} memory instruction(s) → {after['memory']}, "
               f"{before['blocks']} block(s) → {after['blocks']}, loops with a constant trip count unrolled)")
    _drop_unused_write_results(state)


def _summary(state: State) -> dict[str, int]:
    defined = _defined_functions(state.ir) - {state.entry}
    instrs = [i for _, _, i in state.function.instructions()]
    return {"calls": sum(1 for i in instrs if i.opcode == "call" and i.callee in defined),
            "memory": sum(1 for i in instrs if i.opcode in _MEMORY),
            "blocks": len(state.function.blocks)}


def _optimise(state: State) -> str:
    from .llvm import llvm
    from .program import parse_module

    try:
        module = llvm.parse_assembly(state.ir)
        module.verify()
    except RuntimeError as exc:
        raise InvalidProgramError(f"LLVM cannot read the module to promote its memory: {str(exc).strip()}",
                                  code="QIR002", location=Location(file=state.source_file)) from None
    for function in module.functions:
        if function.is_declaration or function.name == state.entry:
            continue
        if function.linkage in (llvm.Linkage.internal, llvm.Linkage.private):
            attributes = {str(a) for a in function.attributes}
            if not any("noinline" in a for a in attributes):
                function.add_function_attribute("alwaysinline")
    machine = llvm.Target.from_default_triple().create_target_machine()
    options = llvm.create_pipeline_tuning_options(speed_level=2)
    builder = llvm.create_pass_builder(machine, options)
    manager = llvm.create_new_module_pass_manager()
    for name in _PIPELINE:
        getattr(manager, f"add_{name}_pass")()
    manager.run(module, builder)
    # back through bitcode, so that the text is in the LLVM dialect pyqir (an older LLVM) prints
    return str(parse_module(module.as_bitcode(), file=state.source_file))


def _reads_result(callee: str | None, position: int) -> bool:
    if callee and "read_result" in callee:
        return True
    return callee is not None and _argument_kind(callee, position) == "result"


def _drop_unused_write_results(state: State) -> None:
    function = state.function
    writes = [(b, i) for b, _, i in function.instructions() if i.callee == _WRITE_RESULT]
    if not writes:
        return
    used: set[int | None] = set()
    for _, _, instr in function.instructions():
        if instr.opcode == "call" and instr.callee != _WRITE_RESULT and "ptr" in instr.text:
            used.update(static_id(a.value) for position, a in enumerate(instr.args)
                        if a.type == "ptr" and _reads_result(instr.callee, position))
    dropped = 0
    for block, instr in writes:
        result = static_id(instr.args[1].value) if len(instr.args) == 2 else None
        if result is not None and result not in used:
            block.instrs = [i for i in block.instrs if i is not instr]
            dropped += 1
    if dropped:
        state.note(f"dropped {dropped} `__quantum__rt__write_result` call(s) on results the program never "
                   f"reads, records or measures")


__all__ = ["needs_promotion", "promote_memory"]
