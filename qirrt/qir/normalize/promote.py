"""Normalisation step ``promote-memory``: classical memory, IR functions and bounded loops → SSA.

qdk's full Adaptive target (QIR 2.x, `int`/`float` computation, `ir_functions`, `arrays`) keeps
Q# locals in `alloca`s (`load`/`store` of `i1`/`i64`/`double`/result pointers), calls internal IR
functions (`@H`, `@X`, ...) and indexes qubit arrays (constant globals) with loop counters. The
dialect has none of that, so LLVM's own passes (llvmlite's new pass manager) bring the entry point
into it: inline every internal function, promote memory to SSA (`sroa`, LLVM's mem2reg), propagate
constants, fully unroll counted loops that fit `qirrt.qir.normalize.unroll`'s bounds (a `for` over a register), and fold
loads from constant arrays into static qubit/result pointers. Loops whose exit depends on a
measurement (repeat-until-success) stay loops, now over SSA values.

The step runs only when the entry point uses memory or calls an IR-defined function, so programs
already in the dialect are never touched. `lower_write_results` (step ``lower-write-result``, after
run-time operands are dispatched) handles qdk's `__quantum__rt__write_result`.
"""

from __future__ import annotations

import re

from qirrt.errors import InvalidProgramError, Location
from qirrt.qir.dialect import QIS_PREFIX, RT_PREFIX
from qirrt.qir.module import parse_module
from qirrt.qir.normalize.state import State
from qirrt.qir.normalize.unroll import hint_counted_loops
from qirrt.qir.text import (
    Instr,
    argument_kind,
    call_text,
    count_ids,
    ptr,
    split_module,
    static_id,
)

_MEMORY = ("alloca", "load", "store", "getelementptr")
_WRITE_RESULT = f"{RT_PREFIX}write_result"
_PIPELINE = (
    "always_inliner", "sroa", "sccp", "simplify_cfg",
    "loop_rotate", "loop_unroll", "sroa", "sccp", "simplify_cfg",
    "dead_code_elimination", "lower_switch", "simplify_cfg",
    "global_dead_code_eliminate", "strip_dead_prototype",
)
"""llvmlite `ModulePassManager.add_<name>_pass` calls, in order (from `loop_rotate` on again after
counted loops got their full-unroll hint, `qirrt.qir.normalize.unroll`). No `instcombine`: it introduces
intrinsics (`llvm.umin`, ...) and `freeze` that the dialect has no use for; `lower_switch` keeps the
result in two-way branches."""

_UNROLL_ROUNDS = 3
"""Rounds of hinting and unrolling (a nested loop's bound is known once its outer loop unrolled)."""


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
    action = (f"promoted memory to SSA values with LLVM (inlined {before['calls']} IR function call(s), "
              f"{before['memory']} memory instruction(s) → {after['memory']}, "
              f"{before['blocks']} block(s) → {after['blocks']})")
    if before["memory"] and state.declares_profile and not state.qir2_adaptive:
        state.repair("QIR041", f"entry point @{state.entry} uses {before['memory']} memory instruction(s) "
                     "(alloca/load/store), which its profile does not allow", action)
    else:
        state.note(action)


def _summary(state: State) -> dict[str, int]:
    defined = _defined_functions(state.ir) - {state.entry}
    instrs = [i for _, _, i in state.function.instructions()]
    return {"calls": sum(1 for i in instrs if i.opcode == "call" and i.callee in defined),
            "memory": sum(1 for i in instrs if i.opcode in _MEMORY),
            "blocks": len(state.function.blocks)}


def _optimise(state: State) -> str:
    from qirrt.qir.llvm import llvm

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
    _run(module, _PIPELINE)
    for _ in range(_UNROLL_ROUNDS):
        text = _hint_counted_loops(str(module), state.entry)
        if text is None:
            break
        module = llvm.parse_assembly(text)
        _run(module, _PIPELINE[4:])
    # back through bitcode, so that the text is in the LLVM dialect pyqir (an older LLVM) prints
    return _drop_loop_metadata(str(parse_module(module.as_bitcode(), file=state.source_file, trusted=True)))


def _run(module, passes: tuple[str, ...]) -> None:
    from qirrt.qir.llvm import llvm

    machine = llvm.Target.from_default_triple().create_target_machine()
    options = llvm.create_pipeline_tuning_options(speed_level=2)
    builder = llvm.create_pass_builder(machine, options)
    manager = llvm.create_new_module_pass_manager()
    for name in passes:
        getattr(manager, f"add_{name}_pass")()
    manager.run(module, builder)


def _hint_counted_loops(ir: str, entry: str) -> str | None:
    """`ir` with full-unroll hints on the entry point's counted loops that fit (`qirrt.qir.normalize.unroll`), or None."""
    module = split_module(ir, entry)
    numbers = [int(n) for n in re.findall(r"^!(\d+) = ", ir, re.MULTILINE)]
    function, nodes = hint_counted_loops(module.function.print(), max(numbers, default=0) + 1)
    if not nodes:
        return None
    return f"{module.before}{function}\n{module.after.rstrip()}\n\n" + "\n".join(nodes) + "\n"


def _drop_loop_metadata(ir: str) -> str:
    """Remove the `!llvm.loop` hints left on loops LLVM did not unroll, and the nodes nobody uses then."""
    ir = re.sub(r", !llvm\.loop !\d+", "", ir)
    while True:
        definitions = list(re.finditer(r"^(!\d+) = (?:distinct )?!\{.*\}\n", ir, re.MULTILINE))
        unused = [m for m in definitions if _mentions(ir, m.group(1)) == _mentions(m.group(0), m.group(1))]
        if not unused:
            return ir
        for match in reversed(unused):
            ir = ir[: match.start()] + ir[match.end():]


def _mentions(text: str, node: str) -> int:
    return len(re.findall(rf"{re.escape(node)}(?!\d)", text))


def _reads_result(callee: str | None, position: int) -> bool:
    if callee and "read_result" in callee:
        return True
    return callee is not None and argument_kind(callee, position) == "result"


def lower_write_results(state: State) -> None:
    """`__quantum__rt__write_result(i1 v, r)` (qdk's initial value of a mutable `Result`): dropped where
    the program never reads, records or measures into `r`; otherwise `r` is measured from a scratch
    qubit prepared in |v⟩ (`x`, `mz`, `reset`: deterministic, the scratch qubit back in |0⟩)."""
    function = state.function
    writes = [(b, i) for b, _, i in function.instructions() if i.callee == _WRITE_RESULT]
    if not writes:
        return
    used: set[int | None] = set()
    for _, _, instr in function.instructions():
        if instr.opcode == "call" and instr.callee != _WRITE_RESULT and "ptr" in instr.text:
            used.update(static_id(a.value) for position, a in enumerate(instr.args)
                        if a.type == "ptr" and _reads_result(instr.callee, position))
    dropped, scratch = 0, None
    for block, instr in writes:
        value, result = (instr.args[0].value.strip(), static_id(instr.args[1].value)) if len(instr.args) == 2 \
            else (None, None)
        position = next(i for i, ins in enumerate(block.instrs) if ins is instr)
        if result is not None and result not in used:
            del block.instrs[position]
            dropped += 1
            continue
        if result is None or value not in ("true", "false"):
            raise state.error("QIR104", "`__quantum__rt__write_result` of a value computed at run time (or into a "
                              "result chosen at run time): qirrt lowers only constant writes to static results",
                              block=block, instr=instr)
        if scratch is None:
            scratch = count_ids(function, "qubit")
        qubit = f"ptr {ptr(scratch)}"
        lines = ([call_text(f"{QIS_PREFIX}x__body", [qubit])] if value == "true" else []) + [
            call_text(f"{QIS_PREFIX}mz__body", [qubit, f"ptr {ptr(result)}"]),
            call_text(f"{QIS_PREFIX}reset__body", [qubit])]
        block.instrs[position:position + 1] = [Instr.parse(line) for line in lines]
    if dropped:
        state.note(f"dropped {dropped} `__quantum__rt__write_result` call(s) on results the program never "
                   f"reads, records or measures")
    if scratch is not None:
        _raise_required_qubits(state, scratch + 1)
        state.note(f"lowered {len(writes) - dropped} `__quantum__rt__write_result` call(s) to a measurement of "
                   f"scratch qubit {scratch} prepared in the written value")


def _raise_required_qubits(state: State, count: int) -> None:
    group = re.search(r"#(\d+)", state.function.suffix)
    if group is None:
        return
    pattern = re.compile(rf'^(attributes #{group.group(1)} = \{{.*"required_num_qubits"=")(\d+)(")', re.MULTILINE)
    module = state.module
    module.after = pattern.sub(lambda m: f"{m.group(1)}{max(int(m.group(2)), count)}{m.group(3)}", module.after)


__all__ = ["lower_write_results", "needs_promotion", "promote_memory"]
