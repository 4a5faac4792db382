"""Normalisation steps on calls: dynamic qubits → static ones, and every QIS call → the dialect's gates.

Two steps of `qirrt.qir.normalize.core` live here because they are the bulk of it:

* `lower_dynamic` turns full-QIR qubit management (cudaq's `qir` target: `__quantum__rt__qubit_allocate`,
  `..._array`, `array_get_element_ptr_1d` + `load`, result-returning `mz`, `__quantum__rt__read_result`
  on those results, releases) into static `inttoptr` qubits and results, allocated in program order
  (qubit 0 is the first allocated). A measurement site inside a loop keeps one result, overwritten on
  each iteration, as cudaq's own adaptive lowering does; an allocation inside a loop is refused.
* `canonicalise_calls` dispatches each call through `_HANDLERS` (by callee) or `_qis_handler` (by QIS
  name): canonical names and `__body` suffixes, adjoints, `r1`/`u3`/`phased_rx`, `m`/`mresetz` → `mz`,
  `rt` read_result → `qis`, controlled gates decomposed, `__quantum__rt__initialize` dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from qirrt.qir.dialect import (
    ALIASES,
    GATES,
    INVERSES,
    QIS_PREFIX,
    RT_PREFIX,
    gate_symbol,
)
from qirrt.qir.normalize.state import State
from qirrt.qir.text import (
    LOCAL_RE,
    Block,
    Cfg,
    Instr,
    call_text,
    count_ids,
    double_literal,
    parse_double,
    ptr,
    static_id,
    substitute,
)

READ_RESULT = f"{QIS_PREFIX}read_result__body"
MZ = f"{QIS_PREFIX}mz__body"
RESET = f"{QIS_PREFIX}reset__body"
INVOKE = "generalizedInvokeWithRotationsControlsTargets"


# =============================================================================================
# Dynamic qubits and results
# =============================================================================================
@dataclass(frozen=True)
class _Static:
    """A value known at compile time by its id; the subclasses say what the id names."""

    id: int


class _Qubit(_Static):
    """A static qubit."""


class _Result(_Static):
    """A static result."""


class _Handle(_Static):
    """An i64 result handle (cudaq's `mz_handle__to__register`)."""


@dataclass(frozen=True)
class _Literal:
    text: str


@dataclass(eq=False)
class _Array:
    items: list


class _Slot(NamedTuple):
    """An element of a static array at a constant index."""

    array: _Array
    index: int


class _IndexedSlot(NamedTuple):
    """An element of a static qubit array at an index computed at run time (`qirrt.qir.normalize.dispatch` resolves it)."""

    array: _Array
    index: str


_ONE, _ZERO = _Literal("result-one"), _Literal("result-zero")

_DROPPED_RT = {
    "qubit_release", "qubit_release_array", "array_update_reference_count", "array_update_alias_count",
    "result_update_reference_count", "qubit_update_reference_count", "tuple_update_reference_count",
    "tuple_update_alias_count",
}
_DYNAMIC_MEASURE = {"mz", "m", "measure", "mz__to__register", "mz_handle__to__register", "m__body", "mz__body"}


def _uses_dynamic(function) -> bool:
    for _, _, instr in function.instructions():
        callee = instr.callee or ""
        if callee.startswith((RT_PREFIX + "qubit_allocate", RT_PREFIX + "array_")) \
                and not callee.endswith("_record_output"):
            return True
        if callee.startswith(QIS_PREFIX) and instr.ret not in (None, "void", "i1") \
                and callee[len(QIS_PREFIX):] in _DYNAMIC_MEASURE:
            return True
        if instr.opcode in ("phi", "select") and " ptr " in f" {instr.text} ":
            return True
    return False


class _Dynamic:
    """The analysis: a static value for every pointer-valued local, found in program order."""

    def __init__(self, state: State):
        self.state = state
        self.function = state.function
        self.env: dict[str, object] = {}
        self.sites: dict[tuple[str, int], object] = {}
        self.next_qubit = count_ids(self.function, "qubit")
        self.next_result = count_ids(self.function, "result")
        self.allocated = self.measured = self.released = self.folded = self.tables = 0
        self.cfg = Cfg(self.function) if len(self.function.blocks) > 1 else None

    def value(self, text: str):
        text = text.strip()
        if text.startswith("%"):
            return self.env.get(text)
        if static_id(text) is not None:
            return _Literal(text)
        return _Literal(text)

    def _in_loop(self, block: Block) -> bool:
        return self.cfg is not None and block.label in self.cfg.cyclic

    def analyse(self) -> None:
        for _ in range(4):
            before = len(self.env)
            for block, index, instr in self.function.instructions():
                if instr.result and instr.result in self.env:
                    continue
                self._visit(block, index, instr)
            if len(self.env) == before:
                return

    def _site(self, block: Block, index: int, make: Callable[[], object]) -> object:
        key = (block.label, index)
        if key not in self.sites:
            self.sites[key] = make()
        return self.sites[key]

    def _new_qubits(self, count: int) -> list[_Qubit]:
        qubits = [_Qubit(self.next_qubit + i) for i in range(count)]
        self.next_qubit += count
        self.allocated += count
        return qubits

    def _new_result(self) -> _Result:
        self.next_result += 1
        self.measured += 1
        return _Result(self.next_result - 1)

    def _visit(self, block: Block, index: int, instr: Instr) -> None:
        state, res = self.state, instr.result
        callee = instr.callee or ""
        if instr.opcode == "call":
            name = callee[len(RT_PREFIX):] if callee.startswith(RT_PREFIX) else None
            if name == "qubit_allocate":
                if self._in_loop(block):
                    raise state.error("QIR102", "a qubit is allocated inside a loop; qirrt needs a fixed number of "
                                      "qubits known before the program runs", block=block, instr=instr)
                self.env[res] = self._site(block, index, lambda: self._new_qubits(1)[0])
            elif name == "qubit_allocate_array":
                size = _int_literal(instr.args[0].value)
                if size is None or self._in_loop(block):
                    raise state.error("QIR102", "a qubit array whose size is not a constant, or that is allocated "
                                      "inside a loop", block=block, instr=instr)
                self.env[res] = self._site(block, index, lambda: _Array(list(self._new_qubits(size))))
            elif name == "array_create_1d":
                size = _int_literal(instr.args[1].value)
                if size is None:
                    raise state.error("QIR101", "an array whose size is not a constant", block=block, instr=instr)
                self.env[res] = self._site(block, index, lambda: _Array([None] * size))
            elif name == "array_get_element_ptr_1d":
                array, position = self.value(instr.args[0].value), _int_literal(instr.args[1].value)
                if isinstance(array, _Array) and position is not None:
                    self.env[res] = _Slot(array, position)
                elif isinstance(array, _Array) and array.items and all(isinstance(q, _Qubit) for q in array.items):
                    self.env[res] = self._site(block, index, lambda: _IndexedSlot(array, instr.args[1].value))
            elif name == "array_get_size_1d":
                array = self.value(instr.args[0].value)
                if isinstance(array, _Array):
                    self.env[res] = _Literal(str(len(array.items)))
            elif name == "array_concatenate":
                a, b = (self.value(x.value) for x in instr.args[:2])
                if isinstance(a, _Array) and isinstance(b, _Array):
                    self.env[res] = _Array(a.items + b.items)
            elif name == "array_copy":
                a = self.value(instr.args[0].value)
                if isinstance(a, _Array):
                    self.env[res] = _Array(list(a.items))
            elif name in ("result_get_one", "result_get_zero"):
                self.env[res] = _ONE if name.endswith("one") else _ZERO
            elif callee.startswith(QIS_PREFIX) and res and instr.ret in ("ptr", "i64") \
                    and callee[len(QIS_PREFIX):] in _DYNAMIC_MEASURE:
                result = self._site(block, index, self._new_result)
                self.env[res] = _Handle(result.id) if instr.ret == "i64" else result
        elif instr.opcode == "load" and res:
            match = re.match(r"^%\S+ = load (ptr|i1), ptr (%\S+)", instr.text)
            if match:
                source = self.env.get(match.group(2).rstrip(","))
                if match.group(1) == "ptr" and isinstance(source, _Slot):
                    item = source.array.items[source.index]
                    if item is not None:
                        self.env[res] = item
        elif instr.opcode == "store":
            match = re.match(r"^store ptr (.+), ptr (%\S+)", instr.text)
            if match:
                slot = self.env.get(match.group(2).rstrip(","))
                value = self.value(match.group(1))
                if isinstance(value, _Literal) and static_id(value.text) is not None:
                    value = _Qubit(static_id(value.text))  # cudaq `qir-adaptive` fills arrays with static qubits
                if isinstance(slot, _Slot) and isinstance(value, _Qubit):
                    slot.array.items[slot.index] = value
        elif instr.opcode == "bitcast" and res:  # typed-pointer producers: a no-op once pointers are opaque
            match = re.match(r"^%\S+ = bitcast ptr (%\S+) to ptr$", instr.text)
            if match and match.group(1) in self.env:
                self.env[res] = self.env[match.group(1)]
        elif instr.opcode == "inttoptr" and res:
            match = re.match(r"^%\S+ = inttoptr i64 (%\S+) to ptr", instr.text)
            if match and isinstance(self.env.get(match.group(1)), _Handle):
                self.env[res] = _Result(self.env[match.group(1)].id)
        elif instr.opcode == "phi" and res and instr.text.split(" = ", 1)[1].startswith("phi ptr"):
            incoming = re.findall(r"\[\s*(.+?),\s*%[^\s\]]+\s*\]", instr.text)
            values = {self._key(self.value(v)) for v in incoming if v.strip() != res}
            if len(values) == 1 and None not in values:
                only = next(v for v in incoming if v.strip() != res)
                self.env[res] = self.value(only)
                self.folded += 1

    @staticmethod
    def _key(value):
        if value is None:
            return None
        if isinstance(value, _Literal):
            sid = static_id(value.text)
            return ("ptr", sid) if sid is not None else ("lit", value.text)
        if isinstance(value, (_Qubit, _Result)):
            return ("ptr", value.id)
        return ("obj", id(value))

    # -- rewriting ----------------------------------------------------------------------------
    def text(self, value) -> str | None:
        if isinstance(value, (_Qubit, _Result)):
            return ptr(value.id)
        if isinstance(value, _Handle):
            return str(value.id)
        if isinstance(value, _Literal) and value not in (_ONE, _ZERO):
            return value.text
        return None

    def rewrite(self) -> None:
        state = self.state
        substitutions = {name: t for name, v in self.env.items() if (t := self.text(v)) is not None}
        for block in self.function.blocks:
            out: list[Instr] = []
            for index, instr in enumerate(block.instrs):
                for line in self._rewrite_one(block, index, instr, substitutions):
                    out.append(Instr.parse(line))
            block.instrs = out
        if self.allocated:
            action = (f"lowered {self.allocated} dynamically allocated qubit(s) to static qubits "
                      f"{_span(self.next_qubit - self.allocated, self.next_qubit)} in allocation order")
            if state.declares_profile:  # full QIR allocates dynamically by design
                state.repair("QIR033", f"entry point @{state.function.name} allocates qubits dynamically in a "
                             "module that claims a static-qubit profile", action)
            else:
                state.note(action)
        if self.measured:
            state.note(f"lowered {self.measured} result-returning measurement(s) to "
                       f"@{MZ} into static results {_span(self.next_result - self.measured, self.next_result)} "
                       f"in program order")
        if self.released:
            state.note(f"dropped {self.released} qubit release/reference-count call(s)")
        if self.folded:
            state.note(f"folded {self.folded} pointer phi(s) with one constant incoming value")
        if self.allocated or self.measured:
            state.dynamic_lowered = True

    def _rewrite_one(self, block: Block, index: int, instr: Instr, subs: dict[str, str]) -> list[str]:
        res, callee = instr.result, instr.callee or ""
        resolved = res is not None and res in self.env
        if instr.opcode == "call":
            name = callee[len(RT_PREFIX):] if callee.startswith(RT_PREFIX) else None
            if resolved and isinstance(self.env[res], _IndexedSlot):
                return [self._table_element(res, self.env[res], subs)]
            if name in ("qubit_allocate", "qubit_allocate_array", "array_create_1d", "array_get_element_ptr_1d",
                        "array_get_size_1d", "array_concatenate", "array_copy", "result_get_one",
                        "result_get_zero") and resolved:
                return []
            if name in _DROPPED_RT:
                self.released += 1
                return []
            if name == "result_equal":
                return self._result_equal(block, instr, subs)
            if callee.startswith(QIS_PREFIX) and resolved and isinstance(self.env[res], (_Result, _Handle)):
                qubit = substitute(instr.args[0].value, subs)
                return [call_text(MZ, [f"ptr {qubit}", f"ptr {ptr(self.env[res].id)}"])]
            if callee == INVOKE or callee.endswith("__ctl"):
                return [self._expand_control_arrays(block, instr, subs)]
        if instr.opcode in ("load", "inttoptr", "phi", "bitcast") and resolved:
            return []
        if instr.opcode == "store":
            match = re.match(r"^store ptr (.+), ptr (%\S+)", instr.text)
            if match and isinstance(self.env.get(match.group(2).rstrip(",")), _Slot):
                return []
        if instr.opcode == "load" and res:
            match = re.match(r"^%\S+ = load i1, ptr (%\S+)", instr.text)
            if match and isinstance(self.env.get(match.group(1).rstrip(",")), _Result):
                return [call_text(READ_RESULT, [f"ptr {ptr(self.env[match.group(1).rstrip(',')].id)}"],
                                  ret="i1", result=res)]
        return [substitute(instr.text, subs)]

    def _table_element(self, res: str, slot: _IndexedSlot, subs: dict[str, str]) -> str:
        """The element's address in a constant table of the array's static qubits."""
        name = f"@qirrt.qubits.{self.tables}"
        self.tables += 1
        items = ", ".join(f"ptr {ptr(q.id)}" for q in slot.array.items)
        self.state.module.before += f"{name} = internal constant [{len(slot.array.items)} x ptr] [{items}]\n"
        index = substitute(slot.index, subs)
        return f"{res} = getelementptr [{len(slot.array.items)} x ptr], ptr {name}, i64 0, i64 {index}"

    def _result_equal(self, block: Block, instr: Instr, subs: dict[str, str]) -> list[str]:
        a, b = (self.value(x.value) for x in instr.args[:2])
        if b in (_ONE, _ZERO):
            a, b = b, a
        other = self.text(b) if b not in (_ONE, _ZERO) else None
        if a not in (_ONE, _ZERO) or other is None:
            raise self.state.error("QIR104", "`__quantum__rt__result_equal` compares two measured results; qirrt "
                                   "lowers only comparisons with `result_get_one`/`result_get_zero`",
                                   block=block, instr=instr)
        if a is _ONE:
            return [call_text(READ_RESULT, [f"ptr {other}"], ret="i1", result=instr.result)]
        temp = self.state.temp()
        return [call_text(READ_RESULT, [f"ptr {other}"], ret="i1", result=temp),
                f"{instr.result} = xor i1 {temp}, true"]

    def _expand_control_arrays(self, block: Block, instr: Instr, subs: dict[str, str]) -> str:
        """Control arrays → control qubits, so that canonicalisation sees qubits only."""
        if instr.callee == INVOKE:
            counts = [_int_literal(a.value) for a in instr.args[:4]]
            if None in counts:
                raise self.state.error("QIR103", "a controlled gate with a dynamic number of operands",
                                       block=block, instr=instr)
            n_rot, n_arrays, n_qubits, n_targets = counts
            rest = instr.args[5:]
            rotations, rest = rest[:n_rot], rest[n_rot:]
            arrays, rest = rest[: 2 * n_arrays], rest[2 * n_arrays:]
            controls = [self._array_qubits(block, instr, arrays[2 * i + 1].value) for i in range(n_arrays)]
            function = instr.args[4].value
        else:  # __quantum__qis__<gate>__ctl(ptr controls, <rotations>, <targets>)
            base = instr.callee[:-len("__ctl")]
            controls = [self._array_qubits(block, instr, instr.args[0].value)]
            rotations = [a for a in instr.args[1:] if a.type == "double"]
            rest = [a for a in instr.args[1:] if a.type != "double"]
            n_qubits, n_targets = 0, len(rest)
            function = f"@{base}__ctl"
        flat = [f"ptr {ptr(q.id)}" for group in controls for q in group]
        args = [f"i64 {len(rotations)}", "i64 0", f"i64 {len(flat) + n_qubits}", f"i64 {n_targets}",
                f"ptr {function}"]
        args += [str(a) for a in rotations] + flat + [str(a) for a in rest]
        return substitute(call_text(INVOKE, args), subs)

    def _array_qubits(self, block: Block, instr: Instr, value: str) -> list[_Qubit]:
        array = self.value(value)
        if not isinstance(array, _Array) or any(not isinstance(q, _Qubit) for q in array.items):
            raise self.state.error("QIR101", f"control array {value} is not a known array of static qubits",
                                   block=block, instr=instr)
        return list(array.items)


def _int_literal(text: str) -> int | None:
    text = text.strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def _span(start: int, stop: int) -> str:
    return str(start) if stop - start == 1 else f"{start}..{stop - 1}"


def lower_dynamic(state: State) -> None:
    if not _uses_dynamic(state.function):
        return
    dynamic = _Dynamic(state)
    dynamic.analyse()
    dynamic.rewrite()


# =============================================================================================
# Canonical calls
# =============================================================================================
@dataclass
class _Ctx:
    state: State
    renames: Counter = field(default_factory=Counter)
    counts: Counter = field(default_factory=Counter)
    pending: list[str] = field(default_factory=list)
    violations: dict = field(default_factory=dict)  # counts key → (rule code, violation, block, instr)

    def count(self, key: str, block: Block, instr: Instr, violation: tuple[str, str] | None = None) -> None:
        """Count one rewrite of kind `key`; `violation` (code, text) when the rewrite repairs a rule."""
        self.counts[key] += 1
        if violation is not None and key not in self.violations:
            self.violations[key] = (*violation, block, instr)

    def angle(self, text: str, factor: float) -> str:
        """`factor * angle` as an operand: a literal when the angle is one, else an `fmul`."""
        value = parse_double(text)
        if value is not None:
            return double_literal(factor * value)
        if factor == 1.0:
            return text
        temp = self.state.temp()
        self.pending.append(f"{temp} = fmul double {text}, {double_literal(factor)}")
        return temp


Gate = tuple[str, list[str], list[int]]


def _gate_lines(ctx: _Ctx, gates: list[Gate]) -> list[str]:
    lines = list(ctx.pending)
    ctx.pending.clear()
    for name, angles, qubits in gates:
        args = [f"double {a}" for a in angles] + [f"ptr {ptr(q)}" for q in qubits]
        lines.append(call_text(gate_symbol(name), args))
    return lines


def _qubit_ids(ctx: _Ctx, block: Block, instr: Instr, args) -> list[int]:
    ids = []
    for arg in args:
        sid = static_id(arg.value)
        if sid is None:
            raise ctx.state.error("QIR101", f"qubit operand `{arg}` is not a compile-time constant; qirrt needs "
                                  f"static qubits (`null` or `inttoptr (i64 N to ptr)`)", block=block, instr=instr)
        ids.append(sid)
    return ids


# -- controlled gates ---------------------------------------------------------------------------
def _cp(ctx: _Ctx, theta: str, c: int, t: int) -> list[Gate]:
    half, minus_half = ctx.angle(theta, 0.5), ctx.angle(theta, -0.5)
    return [("rz", [half], [c]), ("cx", [], [c, t]), ("rz", [minus_half], [t]), ("cx", [], [c, t]),
            ("rz", [half], [t])]


def _crot(ctx: _Ctx, axis: str, theta: str, c: int, t: int) -> list[Gate]:
    if axis == "x":
        return [("h", [], [t])] + _crot(ctx, "z", theta, c, t) + [("h", [], [t])]
    half, minus_half = ctx.angle(theta, 0.5), ctx.angle(theta, -0.5)
    return [(f"r{axis}", [half], [t]), ("cx", [], [c, t]), (f"r{axis}", [minus_half], [t]), ("cx", [], [c, t])]


_PHASES = {"s": math.pi / 2, "s__adj": -math.pi / 2, "t": math.pi / 4, "t__adj": -math.pi / 4, "z": math.pi}


def controlled(ctx: _Ctx, base: str, angles: list[str], controls: list[int], targets: list[int]) -> list[Gate]:
    """A controlled gate as the dialect's gates (exact up to a global phase)."""
    base = ALIASES.get(base, base)
    if base in ("r1", "p", "phase", "u1"):
        base = "phase"
    n = len(controls)
    if n == 0:
        return _uncontrolled(ctx, base, angles, targets)
    if n == 1:
        c, t = controls[0], targets[0]
        if base in ("x", "y", "z") and len(targets) == 1:
            return [(f"c{base}", [], [c, t])]
        if base == "h":
            return [("s", [], [t]), ("h", [], [t]), ("t", [], [t]), ("cx", [], [c, t]), ("t__adj", [], [t]),
                    ("h", [], [t]), ("s__adj", [], [t])]
        if base in _PHASES:
            return _cp(ctx, double_literal(_PHASES[base]), c, t)
        if base == "phase":
            return _cp(ctx, angles[0], c, t)
        if base in ("rx", "ry", "rz"):
            return _crot(ctx, base[1], angles[0], c, t)
        if base == "swap":
            a, b = targets
            return [("cx", [], [b, a]), ("ccx", [], [c, a, b]), ("cx", [], [b, a])]
    if n == 2 and len(targets) == 1:
        c1, c2, t = controls[0], controls[1], targets[0]
        if base == "x":
            return [("ccx", [], [c1, c2, t])]
        if base == "z":
            return [("h", [], [t]), ("ccx", [], [c1, c2, t]), ("h", [], [t])]
        if base == "y":
            return [("s__adj", [], [t]), ("ccx", [], [c1, c2, t]), ("s", [], [t])]
    return _synthesise(ctx, base, angles, controls, targets)


def _uncontrolled(ctx: _Ctx, base: str, angles: list[str], targets: list[int]) -> list[Gate]:
    if base in GATES:
        return [(base, angles, targets)]
    if base == "phase":
        return [("rz", angles, targets)]
    if base in ("u3", "u"):
        theta, phi, lam = angles
        return [("rz", [lam], targets), ("ry", [theta], targets), ("rz", [phi], targets)]
    if base in ("phased_rx", "phasedx"):  # Rz(φ) Rx(θ) Rz(-φ): cudaq's phased_rx, Quantinuum's PhasedX
        theta, phi = angles
        return [("rz", [ctx.angle(phi, -1.0)], targets), ("rx", [theta], targets), ("rz", [phi], targets)]
    if base == "zzmax":  # Quantinuum's ZZMax = ZZPhase(1/2) = rzz(π/2)
        return [("rzz", [double_literal(math.pi / 2)], targets)]
    if base == "rxxyyzz":  # pytket's TK2: exp(-i/2 (a XX + b YY + c ZZ)); the three terms commute
        a, b, c = angles
        return [("rxx", [a], targets), ("ryy", [b], targets), ("rzz", [c], targets)]
    raise KeyError(base)


_QISKIT_GATES = {
    "x": "XGate", "y": "YGate", "z": "ZGate", "h": "HGate", "s": "SGate", "s__adj": "SdgGate", "t": "TGate",
    "t__adj": "TdgGate", "sx": "SXGate", "rx": "RXGate", "ry": "RYGate", "rz": "RZGate", "phase": "PhaseGate",
    "swap": "SwapGate", "u3": "U3Gate", "u": "UGate",
}
_FROM_QISKIT = {"sdg": "s__adj", "tdg": "t__adj"}


def _synthesise(ctx: _Ctx, base: str, angles: list[str], controls: list[int], targets: list[int]) -> list[Gate]:
    """Any other controlled gate with constant angles, decomposed exactly by Qiskit's synthesis."""
    values = [parse_double(a) for a in angles]
    if base not in _QISKIT_GATES or None in values:
        raise KeyError(base)
    from qiskit import QuantumCircuit, transpile
    from qiskit.circuit import library

    gate = getattr(library, _QISKIT_GATES[base])(*values).control(len(controls), annotated=False)
    qubits = controls + targets
    circuit = QuantumCircuit(len(qubits))
    circuit.append(gate, list(range(len(qubits))))
    basis = ["cx", "rz", "ry", "rx", "h", "x", "y", "z", "s", "sdg", "t", "tdg", "sx"]
    lowered = transpile(circuit, basis_gates=basis, optimization_level=0)
    gates: list[Gate] = []
    for instruction in lowered.data:
        name = _FROM_QISKIT.get(instruction.operation.name, instruction.operation.name)
        ids = [qubits[lowered.find_bit(q).index] for q in instruction.qubits]
        gates.append((name, [double_literal(float(p)) for p in instruction.operation.params], ids))
    return gates


def _invoke(ctx: _Ctx, block: Block, index: int, instr: Instr) -> list[str]:
    counts = [int(a.value) for a in instr.args[:4]]
    n_rot, n_arrays, n_controls, n_targets = counts
    if n_arrays:
        raise ctx.state.error("QIR103", "a controlled gate whose controls are an array the normaliser cannot "
                              "resolve", block=block, instr=instr)
    function = instr.args[4].value.lstrip("@")
    match = re.fullmatch(rf"{QIS_PREFIX}(\w+?)(?:__ctl)?", function.removeprefix("nonnull ").lstrip("@"))
    base = match.group(1) if match else function
    operands = instr.args[5:]
    angles = [a.value for a in operands[:n_rot]]
    qubits = _qubit_ids(ctx, block, instr, operands[n_rot:n_rot + n_controls + n_targets])
    controls, targets = qubits[:n_controls], qubits[n_controls:]
    try:
        gates = controlled(ctx, base, angles, controls, targets)
    except KeyError:
        raise ctx.state.error("QIR103", f"cannot lower `{base}` with {n_controls} control(s) and "
                              f"{'dynamic angles' if angles else 'these operands'} to the dialect's gates",
                              block=block, instr=instr) from None
    ctx.count(f"controlled `{base}` ({n_controls} control{'s' if n_controls != 1 else ''})", block, instr,
              ("QIR053", f"@{instr.callee} is an external function, not QIS") if ctx.state.declares_profile
              else None)
    return _gate_lines(ctx, gates)


# -- QIS calls ----------------------------------------------------------------------------------
def _rename(ctx: _Ctx, instr: Instr, symbol: str, args=None, *, ret: str = "void") -> list[str] | None:
    if instr.callee == symbol and args is None:
        return None  # already canonical: keep the line as the producer wrote it
    if instr.callee != symbol:
        ctx.renames[(instr.callee, symbol)] += 1
    return [call_text(symbol, args if args is not None else instr.args, ret=ret, result=instr.result)]


def _measure(ctx: _Ctx, block: Block, index: int, instr: Instr) -> list[str] | None:
    if instr.ret != "void" or len(instr.args) != 2:
        return None
    return _rename(ctx, instr, MZ)


def _mresetz(ctx: _Ctx, block: Block, index: int, instr: Instr) -> list[str]:
    qubit = static_id(instr.args[0].value)
    later = block.instrs[index + 1:]
    reused = len(ctx.state.function.blocks) > 1 or qubit is None or any(
        (i.callee or "").startswith(QIS_PREFIX) and any(static_id(a.value) == qubit for a in i.args if a.type == "ptr")
        for i in later)
    ctx.counts["`mresetz` → `mz`" + (" + `reset`" if reused else "")] += 1
    lines = [call_text(MZ, instr.args[:2])]
    if reused:
        lines.append(call_text(RESET, instr.args[:1]))
    return lines


_CANONICAL = {gate_symbol(g) for g in GATES} | {MZ, RESET, READ_RESULT}


def _qis(ctx: _Ctx, block: Block, index: int, instr: Instr) -> list[str] | None:
    if instr.callee in _CANONICAL and instr.ret in ("void", "i1"):
        return None  # the dialect's own spelling (qubit operands are checked afterwards)
    name = instr.callee[len(QIS_PREFIX):].removesuffix("__body")
    if name.endswith("__ctl"):
        return None  # control arrays: `lower_dynamic` expands those it can resolve
    if name in ("m", "mz", "measure"):
        return _measure(ctx, block, index, instr)
    if name == "mresetz":
        return _mresetz(ctx, block, index, instr)
    if name == "reset":
        return _rename(ctx, instr, RESET)
    if name == "read_result":
        return _rename(ctx, instr, READ_RESULT, ret="i1")
    adjoint = name.endswith("__adj") and name not in GATES
    base = name[: -len("__adj")] if adjoint else name
    base = ALIASES.get(base, base)
    n_angles = sum(1 for a in instr.args if a.type == "double")
    angles = [a.value for a in instr.args[:n_angles]]
    if adjoint:
        if base in INVERSES:
            base = INVERSES[base]
        elif base in GATES and GATES[base].self_inverse:
            pass
        elif base in ("rx", "ry", "rz", "rxx", "ryy", "rzz", "r1", "p", "phase", "u1"):
            angles = [ctx.angle(angles[0], -1.0)]
        elif base == "sx":
            base, angles = "rx", [double_literal(-math.pi / 2)]
        else:
            return None
        ctx.count(f"adjoint `{name}`", block, instr, ("QIR050", f"@{instr.callee} is not a QIS gate qirrt knows"))
    targets = _qubit_ids(ctx, block, instr, instr.args[n_angles:])
    if base in GATES and not adjoint:
        symbol = gate_symbol(base)
        return _rename(ctx, instr, symbol)
    try:
        gates = _uncontrolled(ctx, "phase" if base in ("r1", "p", "u1") else base, angles, targets)
    except KeyError:
        return None
    if not adjoint:
        ctx.count(f"`{name}` decomposed", block, instr, ("QIR050", f"@{instr.callee} is not a QIS gate qirrt knows"))
    return _gate_lines(ctx, gates)


def _initialize(ctx: _Ctx, block: Block, index: int, instr: Instr) -> list[str]:
    late = block is not ctx.state.function.blocks[0] or any(
        (i.callee or "").startswith(QIS_PREFIX) for i in block.instrs[:index])
    ctx.count("`__quantum__rt__initialize` dropped (no effect on a static-qubit program)", block, instr,
              ("QIR069", "__quantum__rt__initialize comes after a quantum instruction") if late else None)
    return []


def _rt_read_result(ctx: _Ctx, block: Block, index: int, instr: Instr) -> list[str]:
    return _rename(ctx, instr, READ_RESULT, ret="i1")


Handler = Callable[[_Ctx, Block, int, Instr], "list[str] | None"]
_HANDLERS: dict[str, Handler] = {
    f"{RT_PREFIX}initialize": _initialize,
    f"{RT_PREFIX}read_result": _rt_read_result,
    INVOKE: _invoke,
}


def _handler(callee: str) -> Handler | None:
    handler = _HANDLERS.get(callee)
    if handler is None and callee.startswith(QIS_PREFIX):
        return _qis
    return handler


def canonicalise_calls(state: State) -> None:
    ctx = _Ctx(state)
    function = state.function
    for block in function.blocks:
        out: list[Instr] = []
        for index, instr in enumerate(block.instrs):
            handler = _handler(instr.callee) if instr.opcode == "call" and instr.callee else None
            replacement = handler(ctx, block, index, instr) if handler else None
            if replacement is None:
                out.append(instr)
            else:
                out.extend(Instr.parse(line) for line in replacement)
        block.instrs = out
    _check_static_operands(state)
    for (old, new), _count in sorted(ctx.renames.items()):
        state.note(f"renamed @{old} to @{new}")
    repaired: dict[tuple[str, str], list[str]] = {}  # one repair per violation, listing its rewrites
    for what, count in ctx.counts.items():
        action = f"{what}: {count} call(s)" if not what.startswith("`__quantum__rt__initialize`") else what
        state.note(action)
        if what in ctx.violations:
            repaired.setdefault(ctx.violations[what][:2], []).append(action)
    for (code, violation), actions in repaired.items():
        _, _, block, instr = next(v for v in ctx.violations.values() if v[:2] == (code, violation))
        state.repair(code, violation, "; ".join(actions), block=block, instr=instr, note=False)


def _check_static_operands(state: State) -> None:
    for block, _, instr in state.function.instructions():
        callee = instr.callee or ""
        pointer_args = []
        if "ptr %" not in instr.text:
            continue
        if callee.startswith(QIS_PREFIX):
            pointer_args = [a for a in instr.args if a.type == "ptr"]
        elif callee == f"{RT_PREFIX}result_record_output":
            pointer_args = instr.args[:1]
        for arg in pointer_args:
            if LOCAL_RE.fullmatch(arg.value.strip()):
                raise state.error("QIR101", f"operand `{arg}` is not a compile-time constant qubit or result; "
                                  f"qirrt needs static qubits and results", block=block, instr=instr)


__all__ = ["canonicalise_calls", "controlled", "lower_dynamic"]
