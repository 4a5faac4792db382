"""Normalisation: QIR from any producer → qirrt's one dialect (`qirrt.qir.dialect`).

The normaliser works on the module as LLVM prints it (one instruction a line, opaque pointers: LLVM
upgrades typed-pointer input while parsing). The entry point is read into a small instruction model
(`Function`, `Block`, `Instr` of `qirrt.qir.text`) and rewritten by a fixed sequence of named steps; every step that
changes something appends a human-readable line to `changes` (→ `Program.normalisation`); a change
that repairs a violation of a QIR profile rule is also recorded as a `qirrt.qir.conformance.Repair` with
the rule's code (→ `Program.repairs`, warned about, refused with `strict=True`). The result is
printed, re-parsed and verified by LLVM.

Steps, in order (see `_STEPS`):

* ``rename-v01-attributes``  QIR 0.1 attribute names (`requiredQubits`, ...) → QIR 1.0 names.
* ``select-entry-point``     the function with `entry_point` (cudaq's full QIR has no attribute: its
  `__nvqpp__mlirgen__` kernel is taken); QIR010/QIR011 otherwise.
* ``promote-memory``          (`qirrt.qir.normalize.promote`) `alloca`/`load`/`store`, IR functions and counted
  loops → SSA values and static qubits, by LLVM's own passes (qdk's full Adaptive); it reads the
  module text as parsed, so it comes before any step that edits the entry point.
* ``check-measurement-attributes``  measurements declared without `irreversible` (QIR056).
* producer steps (`qirrt.qir.normalize.producers`): cudaq's per-run entry name, pytket's `create_creg` helpers.
* ``lower-entry-parameters``  unused parameters dropped, `double` parameters → `__qirrt__parameter`.
* ``lower-dynamic-qubits``    `__quantum__rt__qubit_allocate*`, arrays, element pointers, loads,
  result-returning measurements and constant pointer phis → static `inttoptr` qubits and results.
* ``dispatch-dynamic-operands`` (`qirrt.qir.normalize.dispatch`) a call whose qubit/result operand is chosen at run
  time from a finite set (a loaded table entry, `select`, `phi`) → a branch chain of static calls.
* ``lower-write-result``      (`qirrt.qir.normalize.promote`) qdk's `__quantum__rt__write_result` of a constant.
* ``canonicalise-calls``      gate names and aliases, `__body` suffixes, adjoints, `r1`/`u3`,
  `m`/`mresetz` → `mz` (+ `reset`), `rt` read_result → `qis`, controlled gates (cudaq's variadic
  `generalizedInvokeWithRotationsControlsTargets`) decomposed, `__quantum__rt__initialize` dropped.
* ``hoist-output-records``    output records between gates (cudaq `qir-adaptive`) moved to the end.
* ``add-output-records``      a program that measures but records nothing records its results in
  result-id order (result 0 first, i.e. leftmost in a count key).
* ``mark-measurements-irreversible``  adds the attribute those declarations lack.
* ``set-entry-attributes`` / ``set-module-flags``  profile, counts, labelling schema, QIR version,
  dynamic-management and capability flags.

Error codes raised here: QIR001 (parse), QIR002 (verify), QIR010 (no entry point), QIR011 (several
entry points) and the QIR1xx codes of `NORMALISATION_ERRORS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pyqir

from qirrt.errors import InvalidProgramError, Location
from qirrt.qir.conformance import Repair
from qirrt.qir.dialect import (
    GATES,
    PARAMETER_ATTR,
    PARAMETER_FN,
    PRODUCER_ATTR,
    QIS_PREFIX,
    RECORDS,
    RT_PREFIX,
)
from qirrt.qir.module import (
    EntryAttributes,
    Profile,
    encode_parameters,
    entry_points,
    parse_module,
    read_entry_attributes,
)
from qirrt.qir.normalize import calls, dispatch, producers, promote
from qirrt.qir.normalize.records import place_records_on_paths, records_at_returns
from qirrt.qir.normalize.state import State
from qirrt.qir.text import (  # noqa: F401  (the text model is re-exported for older imports)
    _GLOBAL_NAME,
    LOCAL_RE,
    Arg,
    Block,
    Cfg,
    Function,
    Instr,
    ModuleText,
    _first_token,
    argument_kind,
    call_text,
    count_ids,
    double_literal,
    entry_string_attrs,
    parse_arg,
    parse_double,
    parse_function,
    ptr,
    quote_name,
    renumber,
    split_module,
    split_top,
    static_id,
    strip_comment,
    substitute,
)

NORMALISATION_ERRORS = {
    "QIR100": "an entry-point parameter that is used and is not a double",
    "QIR101": "a qubit or result operand that is not a compile-time constant",
    "QIR102": "a qubit allocated inside a loop",
    "QIR103": "a controlled gate that cannot be lowered to the dialect's gates",
    "QIR104": "a producer runtime call with no static equivalent",
    "QIR105": "an output record on only some paths inside a loop, or in too many blocks (`qirrt.qir.normalize.records`)",
    "QIR106": "a result recorded before it is measured again",
    "QIR107": "a classical register written directly (pytket `set_creg_bit`/`set_creg_to_int`)",
    "QIR108": "an entry point with several return points where records must move",
}
"""Codes of the inputs normalisation cannot bring into the dialect."""

_V01_ATTRIBUTES = {
    "EntryPoint": "entry_point",
    "requiredQubits": "required_num_qubits",
    "requiredResults": "required_num_results",
}


# =============================================================================================
# Results
# =============================================================================================
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
    repairs: list[Repair] = field(default_factory=list)
    module: pyqir.Module | None = None
    """The verified module `ir` was printed from (saves the Program a re-parse)."""


# =============================================================================================
# The normalisation state and its steps
# =============================================================================================
Step = Callable[[State], None]


def _rename_v01_attributes(state: State) -> None:
    for old, new in _V01_ATTRIBUTES.items():
        if f'"{old}"' not in state.ir:
            continue
        pattern = re.compile(rf'^(attributes #\d+ = \{{.*)"{old}"', re.MULTILINE)
        if pattern.search(state.ir):
            while pattern.search(state.ir):
                state.ir = pattern.sub(rf'\1"{new}"', state.ir)
            state.note(f"attribute {old} renamed to {new} (QIR 0.1 → 1.0)")


def _select_entry_point(state: State) -> None:
    module = state.source_module
    entries = [f for f in module.functions
               if any(key in f.attributes.func for key in ("entry_point", "EntryPoint"))]
    if len(entries) > 1:
        names = ", ".join("@" + f.name for f in entries)
        raise InvalidProgramError(f"more than one entry point: {names}", code="QIR011",
                                  location=Location(file=state.source_file))
    if entries:
        state.entry = entries[0].name
    else:
        candidate = producers.implicit_entry_point(state.producer, module)
        if candidate is None:
            raise InvalidProgramError(
                "no function has the `entry_point` attribute; mark the program's entry function with "
                "`\"entry_point\"`", code="QIR010", location=Location(file=state.source_file))
        state.entry = candidate
        state.add_entry_attribute = True
        state.repair("QIR010", "no function has the `entry_point` attribute",
                     f"@{candidate} has no `entry_point` attribute: taken as the entry point "
                     f"({state.producer} full QIR)")
    state.module = split_module(state.ir, state.entry)


def _lower_entry_parameters(state: State) -> None:
    function = state.function
    if not function.params:
        return
    body = "\n".join(i.text for _, _, i in function.instructions())
    used_names: list[str] = []
    env: dict[str, str] = {}
    for position, param in enumerate(function.params):
        type_, rest = _first_token(param)
        name = LOCAL_RE.search(rest)
        uses = name is not None and re.search(re.escape(name.group(0)) + r"(?![-a-zA-Z$._0-9])", body)
        if not uses:
            continue
        if type_ != "double":
            raise state.error("QIR100", f"entry-point parameter {position} ({param}) is used by the program and is "
                              f"not a double; only double parameters can become runtime parameters — bind it "
                              f"before compiling")
        index = len(used_names)
        label = name.group(0)[1:].strip('"')
        used_names.append(label if not label.isdigit() else f"p{position}")
        env[name.group(0)] = f"%qirrt.param{index}"
    dropped = len(function.params) - len(used_names)
    violation = f"entry point @{function.name} takes parameters ({', '.join(function.params)})"
    function.params = []
    if dropped:
        state.repair("QIR012", violation, f"entry point @{function.name}: {dropped} unused parameter(s) removed")
    if used_names:
        for block, index, instr in list(function.instructions()):
            new = substitute(instr.text, env)
            if new != instr.text:
                block.instrs[index] = Instr.parse(new)
        first = function.blocks[0]
        reads = [Instr.parse(call_text(PARAMETER_FN, [f"i64 {i}"], ret="double", result=f"%qirrt.param{i}"))
                 for i in range(len(used_names))]
        first.instrs[0:0] = reads
        state.parameters = tuple(used_names)
        state.repair("QIR012", violation, f"entry point @{function.name}: double parameter(s) "
                     f"{', '.join(used_names)} became runtime parameters (@{PARAMETER_FN})")


def _promote_memory(state: State) -> None:
    promote.promote_memory(state)


def _dispatch_dynamic_operands(state: State) -> None:
    dispatch.dispatch_dynamic_operands(state)


def _lower_write_results(state: State) -> None:
    promote.lower_write_results(state)


def _lower_dynamic_qubits(state: State) -> None:
    calls.lower_dynamic(state)


def _canonicalise_calls(state: State) -> None:
    calls.canonicalise_calls(state)


def _is_record(instr: Instr) -> bool:
    return (instr.callee or "").startswith(RT_PREFIX) and (instr.callee or "").endswith("_record_output")


def _measured_result(instr: Instr) -> int | None:
    if instr.callee == f"{QIS_PREFIX}mz__body" and len(instr.args) == 2:
        return static_id(instr.args[1].value)
    return None


def _hoist_output_records(state: State) -> None:
    function = state.function
    records = [(b, i, ins) for b, i, ins in function.instructions() if _is_record(ins)]
    if not records:
        return
    cfg = Cfg(function)
    exit_label = cfg.exits[0] if len(cfg.exits) == 1 else None
    if exit_label is not None and _records_in_place(function.block(exit_label)) \
            and all(b.label == exit_label for b, _, _ in records) and exit_label not in cfg.cyclic:
        return

    if records_at_returns(function, cfg):
        return
    if exit_label is None:
        block, _, instr = records[0]
        raise state.error("QIR108", f"output records must move to the end of the program, but @{function.name} "
                          f"has {len(cfg.exits)} return points", block=block, instr=instr)
    dominators = cfg.dominators_of(exit_label)
    writes: dict[int, list[tuple[str, int]]] = {}
    for block, index, instr in function.instructions():
        r = _measured_result(instr)
        if r is not None:
            writes.setdefault(r, []).append((block.label, index))
    if any(block.label not in dominators for block, _, _ in records):
        place_records_on_paths(state, cfg, exit_label, records, writes)
        return
    ordered = sorted(records, key=lambda item: (cfg.order(item[0].label), item[1]))
    moved: list[Instr] = []
    seen: set[str] = set()
    in_loop = False
    for block, index, instr in ordered:
        if instr.callee == f"{RT_PREFIX}result_record_output":
            r = static_id(instr.args[0].value)
            later = cfg.reachable_from(block.label)
            for label, position in writes.get(r, []):
                after = (label == block.label and position > index) or (label != block.label and label in later)
                if after and block.label not in cfg.cyclic:
                    raise state.error("QIR106", f"result {r} is recorded here and measured again later; the "
                                      f"record cannot move to the end of the program", block=block, instr=instr)
        if block.label in cfg.cyclic:
            in_loop = True
        if instr.text in seen and block.label in cfg.cyclic:
            continue
        seen.add(instr.text)
        moved.append(instr)
    for block in function.blocks:
        block.instrs = [i for i in block.instrs if not _is_record(i)]
    exit_block = function.block(exit_label)
    exit_block.instrs[-1:-1] = moved
    note = f"moved {len(moved)} output record(s) to the end of the program (they were recorded between gates)"
    if in_loop:
        note += "; records inside a loop now record the final value once per shot"
    first_block, _, first = ordered[0]
    state.repair("QIR070", "output is recorded before the program's last quantum instruction", note,
                 block=first_block, instr=first)


def _records_in_place(block: Block) -> bool:
    """True when no quantum operation follows the block's first output record."""
    seen_record = False
    for instr in block.instrs:
        if _is_record(instr):
            seen_record = True
        elif seen_record and (instr.callee or "").startswith(QIS_PREFIX):
            return False
    return True


def _add_output_records(state: State) -> None:
    function = state.function
    if any(_is_record(i) for _, _, i in function.instructions()):
        return
    measured = sorted({r for _, _, i in function.instructions() if (r := _measured_result(i)) is not None})
    if not measured:
        return
    cfg = Cfg(function)
    if len(cfg.exits) != 1:
        raise state.error("QIR108", f"results must be recorded at the end of the program, but @{function.name} "
                          f"has {len(cfg.exits)} return points")
    exit_block = function.block(cfg.exits[0])
    record = f"{RT_PREFIX}result_record_output"
    exit_block.instrs[-1:-1] = [Instr.parse(call_text(record, [f"ptr {ptr(r)}", "ptr null"])) for r in measured]
    shown = ", ".join(f"r{r}" for r in measured)
    state.note(f"the program records no output: added result records {shown} in result-id order "
               f"(r{measured[0]} leftmost)")


# -- assembling the module ------------------------------------------------------------------------

def _declaration(symbol: str, irreversible: str) -> str | None:
    """The dialect's declaration of `symbol`, or None for a symbol the dialect does not define."""
    name = symbol[len(QIS_PREFIX):] if symbol.startswith(QIS_PREFIX) else None
    if name is not None and name.endswith("__body"):
        gate = GATES.get(name[: -len("__body")])
        if gate is not None:
            params = ", ".join(["double"] * gate.num_params + ["ptr"] * gate.num_qubits)
            return f"declare void @{symbol}({params})"
        base = name[: -len("__body")]
        if base == "mz":
            return f"declare void @{symbol}(ptr, ptr writeonly) {irreversible}"
        if base == "reset":
            return f"declare void @{symbol}(ptr)"
        if base == "read_result":
            return f"declare i1 @{symbol}(ptr)"
    if symbol.startswith(RT_PREFIX) and symbol[len(RT_PREFIX):] in RECORDS:
        value_type, _ = RECORDS[symbol[len(RT_PREFIX):]]
        return f"declare void @{symbol}({value_type}, ptr)"
    if symbol == PARAMETER_FN:
        return f"declare double @{PARAMETER_FN}(i64)"
    return None


def _assemble(state: State) -> None:
    """Print the entry point back into the module; declare what it now calls, drop dead declarations."""
    module = state.module
    renumber(module.function)
    body = module.function.print()
    called = set(re.findall(rf"@({_GLOBAL_NAME})", body))
    called = {c.strip('"') for c in called}
    rest = module.before + module.after
    declared: set[str] = set()
    kept_lines: list[str] = []
    for line in module.after.splitlines():
        match = re.match(rf"^declare [^@]*@({_GLOBAL_NAME})\(", line)
        if match:
            symbol = match.group(1).strip('"')
            other_uses = len(re.findall(rf"@{quote_name(symbol)}(?![-a-zA-Z$._0-9])", rest)) - 1
            if symbol not in called and other_uses <= 0:
                continue
            declared.add(symbol)
        kept_lines.append(line)
    missing = sorted(s for s in called if s not in declared and _declaration(s, "") is not None
                     and not re.search(rf"^define [^\n]*@{quote_name(s)}\(", rest, re.MULTILINE))
    after = "\n".join(kept_lines)
    if missing:
        irreversible, group = "", ""
        if f"{QIS_PREFIX}mz__body" in missing:
            irreversible, group = _attribute_group(module.before + after + module.function.suffix,
                                                   '{ "irreversible" }')
        after = "\n".join(_declaration(s, irreversible).rstrip() for s in missing) + "\n\n" + after
        if group:
            after = after.rstrip("\n") + f"\n\n{group}\n"
    module.after = after
    text = module.print()
    text = _drop_dead_globals(text)
    state.ir = text


def _attribute_group(text: str, body: str) -> tuple[str, str]:
    """The id of an attribute group with exactly `body`, and the line to add when there is none."""
    for match in re.finditer(r"^attributes (#\d+) = (\{.*\})$", text, re.MULTILINE):
        if match.group(2).strip() == body:
            return match.group(1), ""
    ids = [int(g) for g in re.findall(r"#(\d+)", text)]
    new_id = max(ids, default=-1) + 1
    return f"#{new_id}", f"attributes #{new_id} = {body}"


def _drop_dead_globals(text: str) -> str:
    """Remove private/internal constants nothing refers to (cudaq's register-name strings)."""
    while True:
        removed = False
        for match in re.finditer(rf"^@({_GLOBAL_NAME}) = (?:private|internal) (?:unnamed_addr )?constant [^\n]*\n",
                                 text, re.MULTILINE):
            name = match.group(1)
            if len(re.findall(rf"@{re.escape(name)}(?![-a-zA-Z$._0-9])", text)) == 1:
                text = text[: match.start()] + text[match.end():]
                removed = True
                break
        if not removed:
            return text


def _set_entry_attributes(ir: str, entry: str, values: dict[str, str | None]) -> str:
    """Set string attributes of the entry point's attribute group, adding any that are missing."""
    header = re.search(rf"^define [^\n]*@{quote_name(entry)}\([^\n]*\)([^\n{{]*)\{{", ir, re.MULTILINE)
    if header is None:
        raise InvalidProgramError(f"cannot find the definition of @{entry}", code="QIR010")
    group = re.search(r"#(\d+)", header.group(1))
    rendered = " ".join(f'"{k}"="{v}"' if v is not None else f'"{k}"' for k, v in values.items())
    if group is None:
        new_id = max((int(g) for g in re.findall(r"^attributes #(\d+)", ir, re.MULTILINE)), default=-1) + 1
        start, end = header.span(1)
        ir = ir[:start] + header.group(1).rstrip() + f" #{new_id} " + ir[end:]
        return ir.rstrip("\n") + f"\n\nattributes #{new_id} = {{ {rendered} }}\n"
    gid = group.group(1)
    match = re.search(rf"^attributes #{gid} = \{{(.*)\}}$", ir, re.MULTILINE)
    body = match.group(1)
    for key, value in values.items():
        attr_re = re.compile(rf'"{re.escape(key)}"(="[^"]*")?')
        new = f'"{key}"="{value}"' if value is not None else f'"{key}"'
        body = attr_re.sub(lambda _m: new, body) if attr_re.search(body) else f"{body.rstrip()} {new} "
    return ir[: match.start(1)] + body + ir[match.end(1):]


def infer_profile(function: Function) -> Profile:
    """base for one straight-line block that reads no result, resets nothing and reuses no measured
    qubit; adaptive otherwise."""
    if len(function.blocks) > 1:
        return Profile.ADAPTIVE
    measured: set[int] = set()
    for _, _, instr in function.instructions():
        callee = instr.callee or ""
        if "read_result" in callee or callee.endswith(("reset__body", "mresetz__body")):
            return Profile.ADAPTIVE
        if instr.opcode not in ("call", "ret"):
            return Profile.ADAPTIVE
        if callee.startswith(QIS_PREFIX):
            qubits = [static_id(a.value) for a in instr.args if a.type == "ptr"]
            if callee.endswith("mz__body"):
                qubits = qubits[:1]
            if any(q in measured for q in qubits):
                return Profile.ADAPTIVE
            if callee.endswith("mz__body"):
                measured.update(qubits)
    return Profile.BASE


def _set_entry_attributes_step(state: State) -> None:
    function = state.function
    attrs = entry_string_attrs(state.ir, state.entry) if not state.add_entry_attribute else {}
    updates: dict[str, str | None] = {}
    if state.add_entry_attribute:
        updates["entry_point"] = None
    claimed = attrs.get("qir_profiles")
    try:
        profile = Profile.parse(claimed) if claimed else None
    except ValueError:
        profile = None
    if profile is None or profile is Profile.FULL:
        profile = infer_profile(function)
        action = f"profile {claimed or 'missing'!r} read as {profile.attribute} (inferred from the program)"
        if (claimed or "").lower().removesuffix("_profile") == "full":  # a QIR profile, lowered: dialect
            state.note(action)
        elif claimed is None:
            state.repair("QIR014", f"entry point @{state.entry} lacks the `qir_profiles` attribute", action)
        else:
            state.repair("QIR016", f"`qir_profiles`={claimed!r} names no known profile", action)
    if claimed != profile.attribute:
        updates["qir_profiles"] = profile.attribute
    for key, kind in (("required_num_qubits", "qubit"), ("required_num_results", "result")):
        counted = count_ids(function, kind)
        given = attrs.get(key)
        if given is None or not given.isdigit():
            updates[key] = str(counted)
            action = f"{key} missing, counted {counted}"
            if state.dynamic_lowered:
                pass  # the lowering's own note says how many it allocated
            elif key not in attrs:
                state.repair("QIR014", f"entry point @{state.entry} lacks the `{key}` attribute", action)
            else:
                state.repair("QIR015", f"`{key}`={given!r} is not a non-negative integer",
                             f"{key} {given!r} replaced by the count, {counted}")
    if not attrs.get("output_labeling_schema"):
        updates["output_labeling_schema"] = "qirrt"
        action = "attribute output_labeling_schema set to \"qirrt\" (keys: records in order, first leftmost)"
        if "output_labeling_schema" in attrs:  # present without a value: allowed
            state.note(action)
        else:
            state.repair("QIR014", f"entry point @{state.entry} lacks the `output_labeling_schema` attribute",
                         action)
    if PRODUCER_ATTR not in attrs and state.producer:
        updates[PRODUCER_ATTR] = state.producer
    if state.parameters:
        updates[PARAMETER_ATTR] = encode_parameters(state.parameters).replace('"', "\\22")
    if updates:
        state.ir = _set_entry_attributes(state.ir, state.entry, updates)
    state.features = _features(function)
    state.profile = profile


_INT_OPS = {"add", "sub", "mul", "udiv", "sdiv", "urem", "srem", "shl", "lshr", "ashr", "and", "or", "xor", "icmp",
            "zext", "sext", "trunc", "select", "phi"}
_FLOAT_OPS = {"fadd", "fsub", "fmul", "fdiv", "frem", "fneg", "fcmp", "sitofp", "uitofp", "fptosi", "fptoui"}


def _features(function: Function) -> set[str]:
    """The adaptive-profile capabilities the entry point uses."""
    features: set[str] = set()
    returns = 0
    for _, _, instr in function.instructions():
        body = instr.text.split(" = ", 1)[-1]
        if instr.opcode in _FLOAT_OPS or (instr.opcode == "call" and (instr.callee or "").startswith("llvm.")
                                          and "double" in body):
            features.add("float_computations")
        elif instr.opcode in _INT_OPS and re.search(r"\bi(?:[2-9]|[1-9]\d+)\b", body):
            features.add("int_computations")
        if instr.opcode == "switch":
            features.add("multiple_target_branching")
        if instr.opcode == "ret":
            returns += 1
    if returns > 1:
        features.add("multiple_return_points")
    if len(function.blocks) > 1 and Cfg(function).has_cycles:
        features.add("backwards_branching")
    return features


_FLAG_VALUES = {
    "int_computations": (5, '!{!"i64"}'),
    "float_computations": (5, '!{!"double"}'),
    "backwards_branching": (7, "i2 3"),
    "multiple_target_branching": (1, "i1 true"),
    "multiple_return_points": (1, "i1 true"),
}


_CAPABILITY_RULES = {"int_computations": "QIR042", "float_computations": "QIR043", "backwards_branching": "QIR064",
                     "multiple_target_branching": "QIR066", "multiple_return_points": "QIR065"}
"""The rule a program breaks when it uses a capability without declaring it."""


def _flag_conforms(name: str, value: str) -> bool:
    """Whether a QIR module flag's value is one the spec allows (see QIR021)."""
    number = value.split()[-1] if value.startswith("i32 ") else None
    if name == "qir_major_version":
        return number in ("1", "2")
    if name == "qir_minor_version":
        return number is not None and number.isdigit()
    return value == "i1 false"


def _set_module_flags(state: State) -> None:
    """QIR version 1.0, static qubit and result management, and the capabilities the program uses."""
    ir = state.ir
    named = re.search(r"^!llvm\.module\.flags = !\{(.*)\}$", ir, re.MULTILINE)
    refs = [r.strip() for r in named.group(1).split(",")] if named else []
    nodes = {m.group(1): m.group(2) for m in re.finditer(r"^(!\d+) = (?:distinct )?(!\{.*\})$", ir, re.MULTILINE)}
    flags: dict[str, tuple[int, str]] = {}
    others: list[str] = []
    for ref in refs:
        node = nodes.get(ref, "")
        match = re.match(r'^!\{i32 (\d+), !"([^"]+)", (.*)\}$', node)
        if match:
            flags[match.group(2)] = (int(match.group(1)), match.group(3))
        else:
            others.append(ref)
    wanted = {
        "qir_major_version": (1, "i32 1"),
        "qir_minor_version": (7, "i32 0"),
        "dynamic_qubit_management": (1, "i1 false"),
        "dynamic_result_management": (1, "i1 false"),
    }
    changed = False
    missing = [name for name in wanted if name not in flags]
    for name, (behaviour, value) in wanted.items():
        if name not in flags:
            flags[name] = (behaviour, value)
            state.note(f"module flag {name} added ({value})")
            changed = True
        elif flags[name][1] != value:
            action = f"module flag {name} set from {flags[name][1]} to {value}"
            if _flag_conforms(name, flags[name][1]):
                state.note(action)  # e.g. QIR 2.0 written as 1.0: both are valid
            else:
                state.repair("QIR021", f"module flag `{name}` is `{flags[name][1]}`", action, in_entry=False)
            flags[name] = (behaviour, value)
            changed = True
    if missing:
        names = ", ".join(f"`{name}`" for name in missing)
        state.repair("QIR020", f"module flag(s) {names} missing", f"added {names} (QIR 1.0, static qubits and "
                     "results)", note=False, in_entry=False)
    if state.profile is Profile.ADAPTIVE:
        for feature in sorted(state.features):
            if feature not in flags:
                flags[feature] = _FLAG_VALUES[feature]
                state.repair(_CAPABILITY_RULES[feature], f"the program uses {feature.replace('_', ' ')} but "
                             f"does not declare the `{feature}` capability",
                             f"module flag {feature} added: the program uses it")
                changed = True
    if not changed:
        return
    ids = [int(i) for i in re.findall(r"^!(\d+) = ", ir, re.MULTILINE)]
    next_id = max(ids, default=-1) + 1
    new_nodes, new_refs = [], list(others)
    order = list(wanted) + [k for k in flags if k not in wanted]
    for name in order:
        behaviour, value = flags[name]
        new_refs.append(f"!{next_id}")
        new_nodes.append(f'!{next_id} = !{{i32 {behaviour}, !"{name}", {value}}}')
        next_id += 1
    line = "!llvm.module.flags = !{" + ", ".join(new_refs) + "}"
    if named:
        ir = ir[: named.start()] + line + ir[named.end():]
    else:
        ir = ir.rstrip("\n") + "\n\n" + line
    state.ir = ir.rstrip("\n") + "\n" + "\n".join(new_nodes) + "\n"


_MEASURE_DECL_RE = re.compile(rf"^declare void @({QIS_PREFIX}(?:mz|m|mresetz)(?:__body)?)\(.*\)([^()\n]*)$",
                              re.MULTILINE)


def _reversible_measurements(ir: str) -> list[tuple[str, str]]:
    """(symbol, line) of every measurement declaration without the `irreversible` attribute."""
    groups = {m.group(1) for m in re.finditer(r"^attributes #(\d+) = \{(.*)\}$", ir, re.MULTILINE)
              if '"irreversible"' in m.group(2)}
    return [(m.group(1), m.group(0)) for m in _MEASURE_DECL_RE.finditer(ir)
            if '"irreversible"' not in m.group(2) and not groups & set(re.findall(r"#(\d+)", m.group(2)))]


def _check_measurement_attributes(state: State) -> None:
    for symbol, line in _reversible_measurements(state.ir):
        state.repair("QIR056", f"@{symbol} is declared without the `irreversible` attribute",
                     f"@{symbol} marked `irreversible`", instr=line, in_entry=False)


def _mark_measurements_irreversible(state: State) -> None:
    """Give the measurement declarations the `irreversible` attribute the spec requires."""
    for symbol, line in _reversible_measurements(state.ir):
        group, new_group = _attribute_group(state.ir, '{ "irreversible" }')
        state.ir = state.ir.replace(line, f"{line.rstrip()} {group}", 1)
        if new_group:
            state.ir = state.ir.rstrip("\n") + f"\n\n{new_group}\n"  # noted by check-measurement-attributes


def _producer_steps(state: State) -> None:
    producers.prepare(state)


_STEPS: list[tuple[str, Step]] = [
    ("rename-v01-attributes", _rename_v01_attributes),
    ("select-entry-point", _select_entry_point),
    ("promote-memory", _promote_memory),
    ("check-measurement-attributes", _check_measurement_attributes),
    ("producer", _producer_steps),
    ("lower-entry-parameters", _lower_entry_parameters),
    ("lower-dynamic-qubits", _lower_dynamic_qubits),
    ("dispatch-dynamic-operands", _dispatch_dynamic_operands),
    ("lower-write-result", _lower_write_results),
    ("canonicalise-calls", _canonicalise_calls),
    ("hoist-output-records", _hoist_output_records),
    ("add-output-records", _add_output_records),
    ("assemble", _assemble),
    ("mark-measurements-irreversible", _mark_measurements_irreversible),
    ("set-entry-attributes", _set_entry_attributes_step),
    ("set-module-flags", _set_module_flags),
]


def _same_but_layout(a: str, b: str) -> bool:
    """Whether two LLVM texts differ at most in blank lines, comments and trailing spaces."""
    if a == b:
        return True

    def squeezed(text: str) -> list[str]:
        return [line for line in (strip_comment(raw).rstrip() for raw in text.split("\n")) if line]

    return squeezed(a) == squeezed(b)


def normalize(module: pyqir.Module, *, producer: str | None = None,
              source_file: str | None = None) -> NormalizedModule:
    """Rewrite a parsed module into the dialect; raise `InvalidProgramError` where that is impossible."""
    error = module.verify()
    if error:
        lines = [line for line in error.strip().splitlines() if line.strip()]
        quoted = next((line.strip() for line in lines[1:] if line[:1].isspace()), None)
        raise InvalidProgramError(f"module does not verify: {lines[0].strip() if lines else 'unknown error'}",
                                  code="QIR002", location=Location(file=source_file, instruction=quoted))
    ir = str(module)
    state = State(ir=ir, producer=producer or producers.detect(ir), source_file=source_file, source_module=module)
    for _name, step in _STEPS:
        step(state)
    if not state.changes and _same_but_layout(state.ir, ir):
        # already in the dialect (qirrt's own output, say): the verified input module is the result
        normalised, error = module, None
    else:
        normalised = parse_module(state.ir, file=source_file)
        error = normalised.verify()
    if error:
        raise InvalidProgramError(f"the normalised module does not verify (a normaliser bug; please report it "
                                  f"with the input): {error.strip()}", code="QIR002",
                                  location=Location(file=source_file, function=state.entry))
    attrs = read_entry_attributes(normalised)
    return NormalizedModule(
        ir=ir if normalised is module else str(normalised), entry_point=attrs.entry_point, profile=attrs.profile,
        num_qubits=attrs.num_qubits, num_results=attrs.num_results, parameters=attrs.parameters,
        producer=attrs.producer or state.producer or "unknown", changes=state.changes, repairs=state.repairs,
        module=normalised,
    )


__all__ = [
    "NORMALISATION_ERRORS",
    "EntryAttributes",
    "NormalizedModule",
    "entry_points",
    "infer_profile",
    "normalize",
    "read_entry_attributes",
]
