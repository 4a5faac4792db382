"""QIR text → native code: runtime shims, a step guard, and MCJIT compilation (cached per program).

The program's IR is rewritten before compilation:

* every `__quantum__qis__*` / `__quantum__rt__*` / `__qirrt__*` declaration becomes a small
  internal definition that loads the context pointer from the module global `@__qirrt_ctx` and
  calls one of four numba cfuncs (`__qirrt_cb_op`, `_read`, `_record`, `_param`) bound with
  `llvmlite.binding.add_symbol`;
* every labelled block starts with `@__qirrt_tick`, which counts steps and, past the limit or once
  a callback has flagged an error, `longjmp`s out of the program (so an endless loop ends cleanly);
* `define void @__qirrt_run(ptr %ctx)` stores the context, `setjmp`s and calls the entry point.

Compiled modules are kept per program hash for the life of the process, and their object code in the
disk cache (`qirrt.qir.disk_cache`, kind ``jit``), keyed by the program hash, the optimisation level,
qirrt's code stamp, the llvmlite version and the host CPU: a second process loads the object instead
of optimising and generating code again (a corrupt entry is removed and the program recompiled).
"""

from __future__ import annotations

import ctypes
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from qirrt.errors import ExecutionError, ResourceLimitError
from qirrt.executors.local import abi
from qirrt.qir.dialect import GATES, PARAMETER_FN, QIS_PREFIX, RT_PREFIX

_DECLARE = re.compile(r"^declare\s+(?P<head>[^@]*?)\s*@(?P<name>\"[^\"]+\"|[-\w$.]+)\((?P<params>[^)]*)\)(?P<tail>.*)$")
_DEFINE = re.compile(r"^define\s+(?P<head>[^@]*?)\s*@(?P<name>\"[^\"]+\"|[-\w$.]+)\(")
_LABEL = re.compile(r"^(?:\"[^\"]+\"|[-\w$.]+):(?:\s*;.*)?$")
_PHI = re.compile(r"^\s+%[-\w$.\"]+ = (?:phi|landingpad) ")

_CALLBACKS = """
declare void @__qirrt_cb_op(ptr, i64, i64, i64, i64, double)
declare i8 @__qirrt_cb_read(ptr, i64)
declare void @__qirrt_cb_record(ptr, i64, i64, i64)
declare double @__qirrt_cb_param(ptr, i64)
declare i32 @_setjmp(ptr) returns_twice
declare void @longjmp(ptr, i32) noreturn
@__qirrt_ctx = internal global ptr null
@__qirrt_jmp = internal global ptr null
"""

_TICK = f"""
define internal void @__qirrt_tick() alwaysinline {{
entry:
  %c = load ptr, ptr @__qirrt_ctx
  %sp = getelementptr i64, ptr %c, i64 {abi.H_STEPS}
  %s = load i64, ptr %sp
  %s1 = add i64 %s, 1
  store i64 %s1, ptr %sp
  %mp = getelementptr i64, ptr %c, i64 {abi.H_MAX_STEPS}
  %m = load i64, ptr %mp
  %ep = getelementptr i64, ptr %c, i64 {abi.H_ERROR}
  %e = load i64, ptr %ep
  %over = icmp sgt i64 %s1, %m
  %bad = icmp ne i64 %e, 0
  %stop = or i1 %over, %bad
  br i1 %stop, label %abort, label %ok, !prof !{{!"branch_weights", i32 1, i32 100000}}
ok:
  ret void
abort:
  br i1 %bad, label %jump, label %limit
limit:
  store i64 {abi.ERR_STEP_LIMIT}, ptr %ep
  %ap = getelementptr i64, ptr %c, i64 {abi.H_ERROR_ARG}
  store i64 %s1, ptr %ap
  br label %jump
jump:
  %jb = load ptr, ptr @__qirrt_jmp
  call void @longjmp(ptr %jb, i32 1)
  unreachable
}}
"""


def _run_wrapper(entry: str, return_type: str) -> str:
    return f"""
define void @__qirrt_run(ptr %ctx) noinline {{
entry:
  %jb = alloca [64 x i64], align 16
  store ptr %ctx, ptr @__qirrt_ctx
  store ptr %jb, ptr @__qirrt_jmp
  %r = call i32 @_setjmp(ptr %jb) returns_twice
  %z = icmp eq i32 %r, 0
  br i1 %z, label %go, label %done
go:
  call {return_type} @{entry}()
  br label %done
done:
  ret void
}}
"""


def _param_types(params: str) -> list[str]:
    params = params.strip()
    if not params:
        return []
    return [p.strip().split()[0] for p in params.split(",")]


def _shim(name: str, return_type: str, types: list[str]) -> str | None:
    """The definition replacing declaration `name`, or None when qirrt does not implement it."""
    args = ", ".join(f"{t} %a{i}" for i, t in enumerate(types))
    head = f"define internal {return_type} @{name}({args}) alwaysinline {{\nentry:\n  %c = load ptr, ptr @__qirrt_ctx\n"

    def ids(indices):
        body = ""
        for i in indices:
            body += f"  %q{i} = ptrtoint ptr %a{i} to i64\n"
        return body

    def op_call(opcode, qubits, angle="0.0"):
        args = [f"i64 {q}" for q in qubits] + ["i64 -1"] * (3 - len(qubits))
        return (f"  call void @__qirrt_cb_op(ptr %c, i64 {opcode}, {', '.join(args)}, double {angle})\n"
                f"  ret void\n}}\n")

    qis = name[len(QIS_PREFIX):].removesuffix("__body") if name.startswith(QIS_PREFIX) else None
    if qis is not None and qis in GATES:
        spec = GATES[qis]
        expected = ["double"] * spec.num_params + ["ptr"] * spec.num_qubits
        if types != expected or return_type != "void":
            raise ExecutionError(f"@{name} is declared as {return_type} ({', '.join(types)}); the local "
                                 f"executor expects void ({', '.join(expected)})")
        qubit_args = list(range(spec.num_params, len(types)))
        angle = "%a0" if spec.num_params else "0.0"
        return head + ids(qubit_args) + op_call(abi.OPCODES[qis], [f"%q{i}" for i in qubit_args], angle)
    if qis in ("mz", "m", "mresetz"):
        if types != ["ptr", "ptr"]:
            raise ExecutionError(f"@{name} must take (ptr qubit, ptr result)")
        return head + ids([0, 1]) + op_call(abi.OPCODES[qis], ["%q0", "%q1"])
    if qis == "reset":
        return head + ids([0]) + op_call(abi.OP_RESET, ["%q0"])
    if qis == "read_result" or name == f"{RT_PREFIX}read_result":
        if types != ["ptr"] or return_type != "i1":
            raise ExecutionError(f"@{name} must be declared i1 (ptr)")
        return (head + ids([0]) + "  %v = call i8 @__qirrt_cb_read(ptr %c, i64 %q0)\n"
                "  %b = trunc i8 %v to i1\n  ret i1 %b\n}\n")
    if name.startswith(RT_PREFIX) and name.endswith("_record_output"):
        kind = name[len(RT_PREFIX):-len("_record_output")]
        if kind not in abi.RECORD_KINDS or len(types) < 1:
            return None
        code = abi.RECORD_KINDS[kind]
        value_type = types[0]
        if value_type == "ptr":
            convert = "  %v = ptrtoint ptr %a0 to i64\n"
        elif value_type == "i1":
            convert = "  %v = zext i1 %a0 to i64\n"
        elif value_type == "double":
            convert = "  %v = bitcast double %a0 to i64\n"
        elif value_type == "i64":
            convert = "  %v = add i64 %a0, 0\n"
        else:
            raise ExecutionError(f"@{name} records a value of unsupported type {value_type}")
        label = "  %l = ptrtoint ptr %a1 to i64\n" if len(types) > 1 and types[1] == "ptr" else "  %l = add i64 0, 0\n"
        return (head + convert + label + f"  call void @__qirrt_cb_record(ptr %c, i64 {code}, i64 %v, i64 %l)\n"
                "  ret void\n}\n")
    if name == PARAMETER_FN:
        if types != ["i64"] or return_type != "double":
            raise ExecutionError(f"@{name} must be declared double (i64)")
        return head + "  %v = call double @__qirrt_cb_param(ptr %c, i64 %a0)\n  ret double %v\n}\n"
    if name in (f"{RT_PREFIX}initialize", "__qirrt__delay", f"{QIS_PREFIX}barrier__body") and return_type == "void":
        return f"define internal void @{name}({args}) alwaysinline {{\nentry:\n  ret void\n}}\n"
    return None


_CONSTANT_CALL = re.compile(r"^\s+call void @[-\w$.]+\([^%]*\)(?:\s*#\d+)?$")
OUTLINE_CALLS = 1000
"""Largest run of constant-operand calls moved into one function of its own (`outline`)."""


def outline(ir: str, run_length: int = OUTLINE_CALLS) -> str:
    """`ir` with every run of calls whose operands are all constants (gates on static qubits, records)
    moved into internal functions of at most `run_length` calls, each called once where the run was.

    Such calls neither use nor define SSA values, so moving them keeps the program's meaning, and
    LLVM's code generator, whose time grows faster than linearly with the size of a block (250,000
    gates around one branch: 51 s, 2 GB), then compiles many small functions in linear time.
    """
    out: list[str] = []
    chunks: list[str] = []
    run: list[str] = []
    in_body = False

    def flush():
        if len(run) >= 16:
            name = f"__qirrt_run_of_calls.{len(chunks)}"
            chunks.append(f"define internal void @{name}() noinline {{\nentry:\n" + "\n".join(run) + "\n  ret void\n}\n")
            out.append(f"  call void @{name}()")
        else:
            out.extend(run)
        run.clear()

    for line in ir.split("\n"):
        if in_body and _CONSTANT_CALL.match(line):
            run.append(line)
            if len(run) >= run_length:
                flush()
            continue
        if run:
            flush()
        if line.startswith("define ") and line.rstrip().endswith("{"):
            in_body = True
        elif line.startswith("}"):
            in_body = False
        out.append(line)
    flush()
    return "\n".join(out) + "\n" + "\n".join(chunks)


def instrument(ir: str, entry_point: str) -> str:
    """The program's IR with runtime shims, step guards and the `__qirrt_run` wrapper."""
    out: list[str] = []
    unsupported: list[str] = []
    entry_return = None
    in_body = False
    need_tick = False
    for line in ir.splitlines():
        if not in_body:
            match = _DECLARE.match(line)
            if match:
                name = match.group("name").strip('"')
                if name.startswith("llvm."):
                    out.append(line)
                    continue
                head = match.group("head").split()
                return_type = head[-1] if head else "void"
                shim = _shim(name, return_type, _param_types(match.group("params")))
                if shim is None:
                    unsupported.append(name)
                    out.append(line)
                else:
                    out.append(shim)
                continue
            match = _DEFINE.match(line)
            if match and line.rstrip().endswith("{"):
                in_body = True
                if match.group("name").strip('"') == entry_point:
                    head = match.group("head").split()
                    entry_return = head[-1] if head else "void"
            out.append(line)
            continue
        if line.startswith("}"):
            in_body = False
            need_tick = False
            out.append(line)
            continue
        if _LABEL.match(line):
            need_tick = True
            out.append(line)
            continue
        if need_tick and line.strip() and not _PHI.match(line) and not line.lstrip().startswith(";"):
            out.append("  call void @__qirrt_tick()")
            need_tick = False
        out.append(line)
    if unsupported:
        raise ExecutionError(
            "the local executor cannot run this program: it calls "
            + ", ".join(f"@{n}" for n in sorted(set(unsupported)))
            + ", which qirrt's runtime does not implement; normalise the program (qirrt.load) or "
              "remove those calls")
    if entry_return is None:
        raise ExecutionError(f"entry point @{entry_point} is not defined in the module")
    return "\n".join(out) + _CALLBACKS + _TICK + _run_wrapper(_quote(entry_point), entry_return)


def _quote(name: str) -> str:
    return name if re.fullmatch(r"[-\w$.]+", name) else f'"{name}"'


# -- callbacks ------------------------------------------------------------------------------------------
_bound: list = []
_lock = threading.RLock()


def _bind_callbacks() -> None:
    """Bind the runtime's cfuncs (cached on disk by numba) and setjmp/longjmp into LLVM's symbol table."""
    if _bound:
        return
    from qirrt.executors.local import driver as native
    from qirrt.qir.llvm import llvm

    for name, fn in native.CALLBACKS.items():
        llvm.add_symbol(name, fn.address)
    libc = ctypes.CDLL(None)
    for name in ("_setjmp", "longjmp"):
        llvm.add_symbol(name, ctypes.cast(getattr(libc, name), ctypes.c_void_p).value)
    _bound.extend(native.CALLBACKS.values())


# -- compilation -----------------------------------------------------------------------------------------
@dataclass
class CompiledProgram:
    """A program JIT-compiled for this process: `run_address` is `void __qirrt_run(ptr ctx)`."""

    program_hash: str
    run_address: int
    compile_time_s: float
    engine: object = field(repr=False)
    labels: dict[int, str | None] = field(default_factory=dict, repr=False)
    templates: dict = field(default_factory=dict, repr=False)
    """Rendered count-key templates by raw path records (`shots.build_counts`)."""
    operations: object = field(default=None, repr=False)
    """The operation list (`operations.Operations`) when the program runs without compiled code."""
    from_disk: bool = False
    """Whether the object code came from the disk cache (no optimisation or code generation ran)."""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def label(self, address: int) -> str | None:
        """The label string at `address` inside this module (None for a null label)."""
        if address == 0:
            return None
        text = self.labels.get(address)
        if text is None:
            text = ctypes.string_at(address).decode("utf-8", "replace")
            self.labels[address] = text
        return text


_cache: OrderedDict[str, CompiledProgram] = OrderedDict()
_CACHE_SIZE = 128

OPTIMISE_INSTRUCTIONS = 1000
"""Programs up to this many instructions are optimised by LLVM (O1, codegen O2); larger ones are
compiled without optimisation, whose time grows linearly (the optimiser's and the O2 code
generator's grow faster: 2,000 nested branches took 6 s, 10⁴ straight-line gates 15 s)."""


def count_instructions(ir: str) -> int:
    """The number of instruction lines in the module text (an upper bound on what LLVM compiles)."""
    return ir.count("\n  ") + ir.count("\n\t")


def _target_machine(codegen_level: int):
    """A new target machine: each MCJIT engine owns (and, when it is evicted, frees) the one it was given."""
    from qirrt.qir.llvm import llvm

    target = llvm.Target.from_default_triple()
    return target.create_target_machine(opt=codegen_level, codemodel="jitdefault", jit=True)


_host: str | None = None


def _host_cpu() -> str:
    """The host CPU's name and features (object code is specific to them)."""
    global _host
    if _host is None:
        from qirrt.qir.llvm import llvm

        _host = f"{llvm.get_host_cpu_name()}|{llvm.get_host_cpu_features().flatten()}|{llvm.llvm_version_info}"
    return _host


def object_cache_path(program_hash: str, opt_level: int):
    """Where the disk cache keeps this program's object code (None when the cache is off)."""
    from qirrt.qir import disk_cache

    return disk_cache.entry_path("jit", disk_cache.key("jit", program_hash, opt_level, _host_cpu()), ".o")


def compile_program(program, *, opt_level: int | None = None, max_instructions: int | None = None,
                    disk_cache: bool = True) -> CompiledProgram:
    """The native code of `program` (a `qirrt.Program`), compiled once per process.

    `opt_level` None picks by size (`OPTIMISE_INSTRUCTIONS`). A program of more than
    `max_instructions` instructions is refused with `ResourceLimitError` before LLVM sees it.
    With `disk_cache`, object code from an earlier process is loaded instead of compiled, and
    freshly compiled code is stored for the next one.
    """
    import time

    key = program.hash
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
        size = count_instructions(program.ir)
        if max_instructions is not None and size > max_instructions:
            raise ResourceLimitError(
                f"program @{program.entry_point} ({key[:12]}) has {size} instructions, more than the local "
                f"executor JIT-compiles (max_jit_instructions={max_instructions}; compile time and memory "
                f"grow with the program; programs that branch only on measurement results run without "
                f"compilation at any length). Raise the limit with max_jit_instructions={size} "
                f"(LocalExecutor(...) or qirrt.run(...)) or `qirrt run --max-jit-instructions {size}`")
        if opt_level is None:
            opt_level = 1 if size <= OPTIMISE_INSTRUCTIONS else 0
        start = time.perf_counter()
        _bind_callbacks()
        from qirrt.qir.llvm import llvm

        machine = _target_machine(2 if opt_level > 0 else 0)
        text = instrument(outline(program.ir) if opt_level == 0 else program.ir, program.entry_point)
        try:
            module = llvm.parse_assembly(text)
            module.verify()
        except RuntimeError as exc:
            raise ExecutionError(f"the local executor could not compile program {key[:12]}: "
                                 f"{str(exc).strip().splitlines()[0]}") from None
        del text
        module.triple = machine.triple
        module.data_layout = str(machine.target_data)
        from qirrt.qir import disk_cache as cache

        path = object_cache_path(key, opt_level) if disk_cache else None
        stored = cache.read(path)
        if stored is None:  # a cached object replaces optimisation and code generation
            pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
            builder = llvm.create_pass_builder(machine, pto)
            if opt_level > 0:
                builder.getModulePassManager().run(module, builder)
            else:
                passes = llvm.create_new_module_pass_manager()
                passes.add_always_inliner_pass()
                passes.run(module, builder)
        engine = llvm.create_mcjit_compiler(module, machine)
        produced: list[bytes] = []
        engine.set_object_cache(notify_func=lambda _module, data: produced.append(data),
                                getbuffer_func=lambda _module: stored)
        engine.finalize_object()
        address = engine.get_function_address("__qirrt_run")
        if stored is None and produced and path is not None:
            cache.write(path, produced[0])
        compiled = CompiledProgram(program_hash=key, run_address=address,
                                   compile_time_s=time.perf_counter() - start, engine=engine,
                                   from_disk=stored is not None)
        _cache[key] = compiled
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
        return compiled


def clear_cache() -> None:
    with _lock:
        _cache.clear()
