"""A pass's working view of a Program's entry point: blocks of gates, measurements and raw lines.

Passes read a `Program`'s LLVM text into a `Circuit`, edit the item lists, and write the text back;
everything a pass does not understand stays as `Raw` text in its original order. Nothing here goes
through a Qiskit circuit, and nothing is re-parsed by LLVM until `Circuit.to_program`, which verifies.

Angles are `Angle`s: a constant plus a linear combination of SSA doubles. Reading a module folds the
entry point's linear float arithmetic (`fadd`, `fsub`, `fmul` by a constant, `fneg`) into these forms,
so a rotation by ``2θ + 0.1`` merged with one by ``-θ`` becomes ``θ + 0.1`` over the original
``__qirrt__parameter`` value, and parameter-derived angles are never evaluated at compile time.

Rules every pass keeps: a gate that moves never crosses an impure `Raw` line (a barrier for every
qubit); pure float lines may be hoisted to the start of their segment (the stretch between barriers)
in their original order, which keeps SSA definitions ahead of their uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from qirrt.errors import PassError
from qirrt.qir.dialect import GATES, PARAMETER_FN, QIS_PREFIX
from qirrt.qir.emitter import qubit
from qirrt.qir.text import Instr, double_literal, entry_span, is_label, parse_arg, parse_double, static_pointer

PHYSICAL_ATTR = "qirrt_physical_qubits"
"""Entry-point attribute: module qubit i runs on physical qubit `physical[i]` (comma-separated)."""

_TWO_PI = 2 * math.pi


# -- angles ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Angle:
    """``const + Σ coeff·value`` over SSA double names (``%p0``); hashable, exact for constants."""

    const: float = 0.0
    terms: tuple[tuple[str, float], ...] = ()

    @staticmethod
    def of(value: Angle | float) -> Angle:
        return value if isinstance(value, Angle) else Angle(float(value))

    @staticmethod
    def symbol(name: str) -> Angle:
        return Angle(0.0, ((name, 1.0),))

    @property
    def is_constant(self) -> bool:
        return not self.terms

    def __add__(self, other: Angle | float) -> Angle:
        other = Angle.of(other)
        merged: dict[str, float] = dict(self.terms)
        for name, coeff in other.terms:
            merged[name] = merged.get(name, 0.0) + coeff
        return Angle(self.const + other.const, tuple((n, c) for n, c in merged.items() if c != 0.0))

    __radd__ = __add__

    def __neg__(self) -> Angle:
        return Angle(-self.const, tuple((n, -c) for n, c in self.terms))

    def __sub__(self, other: Angle | float) -> Angle:
        return self + (-Angle.of(other))

    def __rsub__(self, other: float) -> Angle:
        return Angle.of(other) - self

    def __mul__(self, factor: float) -> Angle:
        factor = float(factor)
        if factor == 0.0:
            return Angle(0.0)
        return Angle(self.const * factor, tuple((n, c * factor) for n, c in self.terms))

    __rmul__ = __mul__

    def is_multiple_of(self, period: float, atol: float = 1e-12) -> bool:
        """True when constant and a multiple of `period` (a rotation by it is the identity up to phase)."""
        if self.terms:
            return False
        ratio = self.const / period
        return abs(ratio - round(ratio)) < atol

    def __str__(self) -> str:
        parts = [f"{c:g}*{n}" for n, c in self.terms]
        if self.const or not parts:
            parts.append(f"{self.const:g}")
        return " + ".join(parts)


# -- items ----------------------------------------------------------------------------------------
@dataclass
class Gate:
    """A unitary QIS gate (a `qirrt.qir.dialect.GATES` name) on module qubit indices."""

    name: str
    qubits: tuple[int, ...]
    angles: tuple[Angle, ...] = ()

    @property
    def spec(self):
        return GATES[self.name]


@dataclass
class Op:
    """A non-unitary operation on one qubit: mz / m / mresetz (with `result`), reset, or a delay."""

    name: str
    qubit: int
    result: int | None = None
    suffix: str = ""  # delay: the arguments after the qubit, verbatim


@dataclass
class Raw:
    """A line passes keep as text. `pure`: float arithmetic or a parameter read (movable within a
    segment); otherwise a barrier. `quantum`: it mentions a QIS function passes cannot interpret."""

    text: str
    pure: bool = False
    quantum: bool = False
    defines: str | None = None


Item = Gate | Op | Raw


@dataclass
class Block:
    label: str | None  # the label line as written (None for an unlabelled first block)
    items: list[Item] = field(default_factory=list)

    def gates(self) -> Iterator[Gate]:
        return (item for item in self.items if isinstance(item, Gate))


# -- parsing ----------------------------------------------------------------------------------------
_DELAY = "__qirrt__delay"
_FLOAT_OPS = frozenset({"fadd", "fsub", "fmul", "fdiv", "fneg"})
_METADATA_RE = re.compile(r"\s*,\s*!.*$")


def _pure_call(instr: Instr) -> bool:
    """A parameter read or an f64 math intrinsic: float values with no effect."""
    callee = instr.callee or ""
    return instr.ret == "double" and (callee == PARAMETER_FN or callee.startswith("llvm.") and callee.endswith(".f64"))


class _Reader:
    def __init__(self) -> None:
        self.values: dict[str, Angle] = {}

    def operand(self, text: str) -> Angle:
        text = text.strip()
        if text.startswith("%"):
            return self.values.get(text, Angle.symbol(text))
        value = parse_double(text)
        if value is None:
            raise ValueError(text)
        return Angle(value)

    def pure(self, line: str, instr: Instr) -> Raw | None:
        if instr.result is None:
            return None
        if instr.opcode in _FLOAT_OPS:
            flags, _, rest = instr.text.split(" = ", 1)[1].partition(" double ")
            if not rest or not _is_float_flags(flags):
                return None
            operands = [o.strip() for o in _METADATA_RE.sub("", rest).split(",")]
            try:
                values = [self.operand(o) for o in operands]
            except ValueError:
                values = None
            form = None if values is None else _linear(instr.opcode, values)
            if form is not None:
                self.values[instr.result] = form
            return Raw(line, pure=True, defines=instr.result)
        if instr.opcode == "call" and _pure_call(instr):
            return Raw(line, pure=True, defines=instr.result)
        return None

    def item(self, line: str) -> Item:
        instr = Instr.parse(line)
        callee = instr.callee
        if callee is not None and instr.result is None and instr.ret == "void" \
                and (callee.startswith(QIS_PREFIX) or callee == _DELAY):
            parsed = self._quantum(callee, instr.arg_texts())
            if parsed is not None:
                return parsed
            return Raw(line, quantum=True)
        pure = self.pure(line, instr)
        if pure is not None:
            return pure
        return Raw(line, quantum=QIS_PREFIX in line)

    def _quantum(self, symbol: str, args: list[str]) -> Item | None:
        if symbol == _DELAY:
            q = static_pointer(args[0]) if args else None
            return None if q is None else Op("delay", q, None, ", " + ", ".join(args[1:]))
        name = symbol[len(QIS_PREFIX):].removesuffix("__body")
        spec = GATES.get(name)
        if spec is not None:
            if len(args) != spec.num_params + spec.num_qubits:
                return None
            try:
                angles = tuple(self.operand(parse_arg(a).value) for a in args[: spec.num_params])
            except ValueError:
                return None
            qubits = tuple(static_pointer(a) for a in args[spec.num_params:])
            if any(q is None for q in qubits):
                return None
            return Gate(name, qubits, angles)
        if name in ("mz", "m", "mresetz") and len(args) == 2:
            q, r = static_pointer(args[0]), static_pointer(args[1])
            return None if q is None or r is None else Op(name, q, r)
        if name == "reset" and len(args) == 1:
            q = static_pointer(args[0])
            return None if q is None else Op(name, q)
        return None


def _is_float_flags(flags: str) -> bool:
    """`fadd`, `fmul fast`, `fneg nnan ninf`: an opcode and lower-case fast-math flags."""
    return all(word.isalpha() and word.islower() for word in flags.split()[1:])


def _linear(opcode: str, values: list[Angle]) -> Angle | None:
    """The linear form of a float instruction on `values`, or None where it is not linear."""
    if opcode == "fneg" and len(values) == 1:
        return -values[0]
    if len(values) != 2:
        return None
    a, b = values
    if opcode == "fadd":
        return a + b
    if opcode == "fsub":
        return a - b
    if opcode == "fmul":
        if a.is_constant:
            return b * a.const
        return a * b.const if b.is_constant else None
    if opcode == "fdiv" and b.is_constant and b.const != 0:
        return a * (1.0 / b.const)
    return None


@dataclass
class Circuit:
    """The entry point of one Program, as blocks of items, plus the module text around it."""

    head: str
    blocks: list[Block]
    tail: str
    num_qubits: int
    physical: list[int] | None = None
    _names: int = 0

    # -- reading ---------------------------------------------------------------------------------
    @classmethod
    def from_program(cls, program) -> Circuit:
        return cls.from_ir(program.ir, program.entry_point, program.num_qubits)

    @classmethod
    def from_ir(cls, ir: str, entry_point: str, num_qubits: int) -> Circuit:
        lines = ir.split("\n")
        span = entry_span(lines, entry_point)
        if span is None:
            raise PassError(f"cannot find the definition of @{entry_point} in the module")
        start, end = span
        reader = _Reader()
        blocks: list[Block] = [Block(None)]
        for line in lines[start + 1:end]:
            if is_label(line):
                blocks.append(Block(line))
                continue
            if not line.strip():
                continue
            blocks[-1].items.append(reader.item(line))
        if not blocks[0].items and len(blocks) > 1:
            blocks.pop(0)
        head = "\n".join(lines[: start + 1])
        tail = "\n".join(lines[end:])
        physical = None
        match = re.search(rf'"{PHYSICAL_ATTR}"="([0-9,]*)"', tail)
        if match and match.group(1):
            physical = [int(v) for v in match.group(1).split(",")]
        used = re.findall(r"%qirrt\.a(\d+)\b", ir)
        return cls(head, blocks, tail, num_qubits, physical, max((int(u) for u in used), default=0))

    # -- queries ---------------------------------------------------------------------------------
    @property
    def is_straight_line(self) -> bool:
        return len(self.blocks) == 1

    def items(self) -> Iterator[Item]:
        for block in self.blocks:
            yield from block.items

    def gates(self) -> Iterator[Gate]:
        for block in self.blocks:
            yield from block.gates()

    def opaque_quantum(self) -> list[str]:
        """Lines touching qubits that passes cannot interpret (dynamic qubits, unknown QIS calls)."""
        return [item.text.strip() for item in self.items() if isinstance(item, Raw) and item.quantum
                and "read_result" not in item.text]

    def require_static(self, pass_name: str) -> None:
        opaque = self.opaque_quantum()
        if opaque:
            raise PassError(f"pass '{pass_name}' cannot interpret `{opaque[0]}`: qubit operands must be "
                            "static and gates in the dialect (normalise the program first)")

    def used_qubits(self) -> set[int]:
        used: set[int] = set()
        for item in self.items():
            if isinstance(item, Gate):
                used.update(item.qubits)
            elif isinstance(item, Op):
                used.add(item.qubit)
        return used

    # -- writing ---------------------------------------------------------------------------------
    def fresh_name(self) -> str:
        self._names += 1
        return f"%qirrt.a{self._names}"

    def _materialise(self, angle: Angle, out: list[str]) -> str:
        if not angle.terms:
            return double_literal(angle.const)
        if angle.const == 0.0 and len(angle.terms) == 1 and angle.terms[0][1] == 1.0:
            return angle.terms[0][0]
        value: str | None = None
        for name, coeff in angle.terms:
            term = name
            if coeff == -1.0:
                term = self.fresh_name()
                out.append(f"  {term} = fneg double {name}")
            elif coeff != 1.0:
                term = self.fresh_name()
                out.append(f"  {term} = fmul double {double_literal(coeff)}, {name}")
            if value is None:
                value = term
            else:
                total = self.fresh_name()
                out.append(f"  {total} = fadd double {value}, {term}")
                value = total
        if angle.const != 0.0:
            total = self.fresh_name()
            out.append(f"  {total} = fadd double {value}, {double_literal(angle.const)}")
            value = total
        return value

    def _emit(self, item: Item, out: list[str]) -> None:
        if isinstance(item, Raw):
            out.append(item.text)
        elif isinstance(item, Gate):
            args = [f"double {self._materialise(a, out)}" for a in item.angles]
            args += [qubit(q) for q in item.qubits]
            out.append(f"  call void @{QIS_PREFIX}{item.name}__body({', '.join(args)})")
        elif item.name == "delay":
            out.append(f"  call void @{_DELAY}({qubit(item.qubit)}{item.suffix})")
        elif item.result is not None:
            out.append(f"  call void @{QIS_PREFIX}{item.name}__body({qubit(item.qubit)}, {qubit(item.result)})")
        else:
            out.append(f"  call void @{QIS_PREFIX}{item.name}__body({qubit(item.qubit)})")

    def _body(self) -> list[str]:
        out: list[str] = []
        for index, block in enumerate(self.blocks):
            if index and out[-1] != "":
                out.append("")
            if block.label is not None:
                out.append(block.label)
            elif index == 0:
                out.append("entry:")
            for item in block.items:
                self._emit(item, out)
        return out

    def to_ir(self) -> str:
        body = self._body()
        _dead_code(body)
        tail = self.tail
        text_body = "\n".join(body)
        used = set(re.findall(r"@(__quantum__qis__\w+__body)\(", text_body))
        declared = set(re.findall(r"^declare [^\n]*@(__quantum__qis__\w+__body)\(", tail, re.MULTILINE))
        # Drop declarations of gates no longer called; declare gates new to the module.
        for symbol in declared - used:
            name = symbol[len(QIS_PREFIX):].removesuffix("__body")
            if name in GATES:
                tail = re.sub(rf"^declare [^\n]*@{re.escape(symbol)}\([^\n]*\n\n?", "", tail, flags=re.MULTILINE)
        new = []
        for symbol in sorted(used - declared):
            spec = GATES.get(symbol[len(QIS_PREFIX):].removesuffix("__body"))
            if spec is not None:
                params = ", ".join(["double"] * spec.num_params + ["ptr"] * spec.num_qubits)
                new.append(f"declare void @{symbol}({params})")
        if new:
            first, _, rest = tail.partition("\n")
            tail = first + "\n\n" + "\n\n".join(new) + "\n" + rest
        tail = re.sub(r'"required_num_qubits"="\d+"', f'"required_num_qubits"="{self.num_qubits}"', tail)
        tail = _set_physical(tail, self.physical)
        return "\n".join([self.head, *body, tail])

    @classmethod
    def rewrite_blocks(cls, program, rewrite, *, note: str):
        """`rewrite(items) -> (items, removed)` on every block of `program`; `program` itself if nothing went."""
        circuit = cls.from_program(program)
        total = 0
        for block in circuit.blocks:
            block.items, removed = rewrite(block.items)
            total += removed
        if not total:
            return program
        return circuit.to_program(program, note=f"{note} (-{total} gates)")

    def to_program(self, program, *, note: str, validate: bool = True):
        """A new Program with this circuit as its entry point (verified by LLVM)."""
        metadata_changes = {}
        if self.physical is not None:
            metadata = dict(program.metadata)
            metadata["physical_qubits"] = list(self.physical)
            metadata_changes["metadata"] = metadata
        return program.replace_ir(self.to_ir(), note=note, validate=validate, **metadata_changes)


def _set_physical(tail: str, physical: list[int] | None) -> str:
    tail = re.sub(rf'\s*"{PHYSICAL_ATTR}"="[0-9,]*"', "", tail)
    if physical is None:
        return tail
    value = ",".join(str(p) for p in physical)
    return re.sub(r'("entry_point")', rf'\1 "{PHYSICAL_ATTR}"="{value}"', tail, count=1)


_DEF_RE = re.compile(r"^\s*(%[A-Za-z_.$][-\w.$]*) = f(?:add|sub|mul|div|neg) ")
_USE_RE = re.compile(r"%[-\w.$]+")


def _dead_code(body: list[str]) -> None:
    """Remove named float arithmetic that nothing uses any more (numbered values are left alone)."""
    uses: dict[str, int] = {}
    for line in body:
        for name in _USE_RE.findall(line):
            uses[name] = uses.get(name, 0) + 1
    changed = True
    while changed:
        changed = False
        for i in range(len(body) - 1, -1, -1):
            match = _DEF_RE.match(body[i])
            if match and uses.get(match.group(1), 0) == 1:
                for name in _USE_RE.findall(body[i]):
                    uses[name] -= 1
                del body[i]
                changed = True


# -- commutation ------------------------------------------------------------------------------------
_ACTION: dict[str, tuple[str | None, ...]] = {
    "x": ("X",), "sx": ("X",), "rx": ("X",),
    "y": ("Y",), "ry": ("Y",),
    "z": ("Z",), "s": ("Z",), "s__adj": ("Z",), "t": ("Z",), "t__adj": ("Z",), "rz": ("Z",),
    "h": (None,),
    "cx": ("Z", "X"), "cy": ("Z", "Y"), "cz": ("Z", "Z"), "swap": (None, None),
    "rxx": ("X", "X"), "ryy": ("Y", "Y"), "rzz": ("Z", "Z"), "ccx": ("Z", "Z", "X"),
}
"""How a gate acts on each of its qubits: a function of that qubit's X, Y or Z (None: neither).
Two gates commute when on every shared qubit they act through the same Pauli."""


def action_on(gate: Gate, qubit: int) -> str | None:
    kinds = _ACTION.get(gate.name)
    if kinds is None:
        return None
    for q, kind in zip(gate.qubits, kinds):
        if q == qubit:
            return kind
    return None


def commutes(a: Item, b: Item) -> bool:
    """A sufficient test that two items commute (False whenever unsure)."""
    if not isinstance(a, Gate) or not isinstance(b, Gate):
        if isinstance(a, Raw) and a.pure or isinstance(b, Raw) and b.pure:
            return True
        return not _touches(a, _qubits(b)) if not isinstance(a, Raw) and not isinstance(b, Raw) else False
    shared = set(a.qubits) & set(b.qubits)
    for q in shared:
        kind = action_on(a, q)
        if kind is None or kind != action_on(b, q):
            return False
    return True


def _qubits(item: Item) -> tuple[int, ...]:
    if isinstance(item, Gate):
        return item.qubits
    if isinstance(item, Op):
        return (item.qubit,)
    return ()


def _touches(item: Item, qubits: Iterable[int]) -> bool:
    if isinstance(item, Raw):
        return not item.pure
    return bool(set(_qubits(item)) & set(qubits))


def qubits_of(item: Item) -> tuple[int, ...]:
    """The qubits an item acts on (() for raw lines)."""
    return _qubits(item)


def is_barrier(item: Item) -> bool:
    """An impure raw line: nothing moves across it."""
    return isinstance(item, Raw) and not item.pure


def segments(items: list[Item]) -> Iterator[tuple[list[Raw], list[Item], Raw | None]]:
    """Split a block into (pure lines, quantum items, the barrier that ends it or None)."""
    pure: list[Raw] = []
    body: list[Item] = []
    for item in items:
        if isinstance(item, Raw):
            if item.pure:
                pure.append(item)
            else:
                yield pure, body, item
                pure, body = [], []
        else:
            body.append(item)
    if pure or body:
        yield pure, body, None


def join_segments(parts: Iterable[tuple[list[Raw], list[Item], Raw | None]]) -> list[Item]:
    out: list[Item] = []
    for pure, body, barrier in parts:
        out.extend(pure)
        out.extend(body)
        if barrier is not None:
            out.append(barrier)
    return out


def parameter_reads(circuit: Circuit) -> dict[str, int]:
    """SSA name → parameter index of every `__qirrt__parameter` call."""
    reads: dict[str, int] = {}
    pattern = re.compile(rf"^\s*(%[-\w.$]+) = (?:\w+ )*call double @{PARAMETER_FN}\(i64 (\d+)\)")
    for item in circuit.items():
        if isinstance(item, Raw) and item.pure:
            match = pattern.match(item.text)
            if match:
                reads[match.group(1)] = int(match.group(2))
    return reads


__all__ = [
    "PHYSICAL_ATTR",
    "Angle",
    "Block",
    "Circuit",
    "Gate",
    "Item",
    "Op",
    "Raw",
    "action_on",
    "commutes",
    "is_barrier",
    "join_segments",
    "parameter_reads",
    "qubits_of",
    "segments",
]


def earlier_partners(items: list, index: int, item: Item, *, lookback: int = 64) -> Iterator[int]:
    """Indices j < index of the items `item` meets on a qubit, nearest first, while it can move past them.

    Stops at a barrier, after the first partner `item` does not commute with, or after `lookback`
    partners. `None` entries (already removed) and pure IR lines are skipped.
    """
    qubits = set(qubits_of(item))
    seen = 0
    for j in range(index - 1, -1, -1):
        other = items[j]
        if other is None or isinstance(other, Raw) and other.pure:
            continue
        if is_barrier(other):
            return
        if not qubits & set(qubits_of(other)):
            continue
        yield j
        if not commutes(other, item):
            return
        seen += 1
        if seen >= lookback:
            return
