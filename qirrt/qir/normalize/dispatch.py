"""Normalisation step ``dispatch-dynamic-operands``: qubit and result operands chosen at run time.

Some programs pick a qubit by a value the program computes: qdk's full Adaptive target indexes a
qubit array (a constant global of pointers) with a loop counter in a loop that cannot be unrolled
(its exit depends on a measurement), and CUDA-Q picks `q[k]` with `k` set in a branch. The dialect
needs static operands, so every such operand is traced back to a finite set of static pointers and
an `i64` *id* computed at run time, and the call is replaced by a two-way branch chain, one arm per
candidate, each calling with a static operand:

    call @h(ptr %q)        ; %q = load ptr, ptr (getelementptr [3 x ptr], ptr @qs, i64 0, i64 %i)
  →
    %id = add i64 %i, 0
    br (icmp eq i64 %id, 0), %arm0, %test1 ; ... ; arm0: call @h(ptr null) ; br %join ...

A pointer is traced through loads from constant pointer tables (`getelementptr` with any index),
`select` and `phi`. An index outside the table is undefined behaviour in the source program; here it
takes the last arm. The pointer instructions left without uses are removed afterwards.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from qirrt.qir.dialect import QIS_PREFIX, RT_PREFIX
from qirrt.qir.normalize.state import State
from qirrt.qir.text import (
    LOCAL_RE,
    Block,
    Instr,
    call_text,
    parse_arg,
    ptr,
    split_top,
    static_id,
)

MAX_ARMS = 256
"""The most arms one call may dispatch over (the product of its operands' candidate sets)."""

_TABLE_RE = re.compile(r"^(@[-a-zA-Z$._0-9]+) = (?:private |internal )(?:unnamed_addr )?constant "
                       r"\[(\d+) x ptr\] \[(.*)\]$", re.MULTILINE)
_GEP_RE = re.compile(r"^getelementptr (?:inbounds |nuw |nusw )*(?P<type>\[(?P<n>\d+) x ptr\]|ptr), "
                     r"ptr (?P<base>@[-a-zA-Z$._0-9]+), (?P<indices>.+)$")
_LOAD_RE = re.compile(r"^load ptr, ptr (?P<address>%\S+?)(?:, align \d+)?$")
_SELECT_RE = re.compile(r"^select i1 (?P<cond>\S+), ptr (?P<a>.+), ptr (?P<b>.+)$")


@dataclass(frozen=True)
class _Id:
    """A pointer operand known up to a finite set: `value` (an i64 literal or local) is its static id."""

    value: str
    candidates: tuple[int, ...]


def _tables(state: State) -> dict[str, list[int]]:
    text = state.module.before + state.module.after
    tables: dict[str, list[int]] = {}
    for name, _size, items in _TABLE_RE.findall(text):
        ids = [static_id(parse_arg(item).value) for item in split_top(items)]
        if None not in ids:
            tables[name] = ids
    return tables


def _is_dynamic(value: str) -> bool:
    return LOCAL_RE.fullmatch(value.strip()) is not None


def _dynamic_calls(state: State) -> list[tuple[Block, Instr]]:
    calls = []
    for block, _, instr in state.function.instructions():
        callee = instr.callee or ""
        if instr.opcode != "call" or "ptr %" not in instr.text:
            continue
        if callee.startswith(QIS_PREFIX) or callee in (f"{RT_PREFIX}read_result",
                                                       f"{RT_PREFIX}result_record_output"):
            operands = instr.args[:1] if callee.endswith("_record_output") else instr.args
            if any(a.type == "ptr" and _is_dynamic(a.value) for a in operands):
                calls.append((block, instr))
    return calls


class _Tracer:
    """Finds the `_Id` of each dynamic pointer, emitting the i64 instructions that compute it."""

    def __init__(self, state: State):
        self.state = state
        self.tables = _tables(state)
        self.defs: dict[str, Instr] = {i.result: i for _, _, i in state.function.instructions() if i.result}
        self.ids: dict[str, _Id | None] = {}
        self.inserts: dict[int, list[str]] = {}  # id(instr) → lines emitted right after it
        self.phis: dict[int, list[str]] = {}     # id(instr) → phi lines emitted right after it

    def trace(self, value: str) -> _Id | None:
        value = value.strip()
        sid = static_id(value)
        if sid is not None:
            return _Id(str(sid), (sid,))
        if value not in self.defs:
            return None
        if value in self.ids:
            return self.ids[value]
        instr = self.defs[value]
        body = instr.text.split(" = ", 1)[1]
        self.ids[value] = None  # a cycle through anything but a phi is not traceable
        result = None
        if instr.opcode == "load":
            result = self._load(instr, body)
        elif instr.opcode == "select":
            result = self._select(instr, body)
        elif instr.opcode == "phi" and body.startswith("phi ptr"):
            result = self._phi(instr, body)
        self.ids[value] = result
        return result

    def _emit(self, after: Instr, line: str) -> str:
        name = self.state.temp()
        self.inserts.setdefault(id(after), []).append(f"{name} = {line}")
        return name

    def _load(self, instr: Instr, body: str) -> _Id | None:
        match = _LOAD_RE.match(body)
        if match is None or match.group("address") not in self.defs:
            return None
        gep = self.defs[match.group("address")]
        gep_match = _GEP_RE.match(gep.text.split(" = ", 1)[1]) if gep.opcode == "getelementptr" else None
        if gep_match is None or gep_match.group("base") not in self.tables:
            return None
        table = self.tables[gep_match.group("base")]
        indices = [parse_arg(i).value for i in split_top(gep_match.group("indices"))]
        if gep_match.group("n"):
            if len(indices) != 2:
                return None
            outer, inner = indices
            if outer == "0":
                flat = inner
            else:
                rows = self._emit(instr, f"mul i64 {outer}, {gep_match.group('n')}")
                flat = self._emit(instr, f"add i64 {rows}, {inner}")
        else:
            if len(indices) != 1:
                return None
            flat = indices[0]
        step = table[1] - table[0] if len(table) > 1 else 0
        if all(table[j] == table[0] + j * step for j in range(len(table))):
            # non-negative constants only: `sub` rather than a multiplication by a negative step
            scaled = flat if abs(step) == 1 else self._emit(instr, f"mul i64 {flat}, {abs(step)}")
            if step < 0:
                value = self._emit(instr, f"sub i64 {table[0]}, {scaled}")
            else:
                value = scaled if table[0] == 0 else self._emit(instr, f"add i64 {scaled}, {table[0]}")
        else:
            value = str(table[-1])
            for position in range(len(table) - 2, -1, -1):
                test = self._emit(instr, f"icmp eq i64 {flat}, {position}")
                value = self._emit(instr, f"select i1 {test}, i64 {table[position]}, i64 {value}")
        return _Id(value, tuple(sorted(set(table))))

    def _select(self, instr: Instr, body: str) -> _Id | None:
        match = _SELECT_RE.match(body)
        if match is None:
            return None
        a, b = self.trace(match.group("a")), self.trace(match.group("b"))
        if a is None or b is None:
            return None
        value = self._emit(instr, f"select i1 {match.group('cond')}, i64 {a.value}, i64 {b.value}")
        return _Id(value, tuple(sorted(set(a.candidates) | set(b.candidates))))

    def _phi(self, instr: Instr, body: str) -> _Id | None:
        incoming = re.findall(r"\[\s*(.+?),\s*(%[^\s\]]+)\s*\]", body)
        name = self.state.temp()
        self.ids[instr.result] = placeholder = _Id(name, ())
        parts, candidates = [], set()
        for value, label in incoming:
            traced = placeholder if value.strip() == instr.result else self.trace(value)
            if traced is None:
                return None
            parts.append(f"[ {traced.value}, {label} ]")
            candidates |= set(traced.candidates)
        self.phis.setdefault(id(instr), []).append(f"{name} = phi i64 {', '.join(parts)}")
        return _Id(name, tuple(sorted(candidates)))


def dispatch_dynamic_operands(state: State) -> None:
    calls = _dynamic_calls(state)
    if not calls:
        return
    tracer = _Tracer(state)
    plans: list[tuple[Block, Instr, list[tuple[int, _Id]]]] = []
    for block, instr in calls:
        operands = []
        for position, arg in enumerate(instr.args):
            if arg.type == "ptr" and _is_dynamic(arg.value):
                traced = tracer.trace(arg.value)
                if traced is None:
                    return  # not traceable: canonicalisation names the operand (QIR101)
                operands.append((position, traced))
        arms = 1
        for _, traced in operands:
            arms *= len(traced.candidates)
        if arms > MAX_ARMS:
            raise state.error("QIR101", f"this call's qubit/result operands can take {arms} combinations of static "
                              f"values, more than the {MAX_ARMS} qirrt dispatches over; index a smaller register",
                              block=block, instr=instr)
        plans.append((block, instr, operands))
    _insert_id_computations(state, tracer)
    counter = itertools.count()
    for block, instr, operands in plans:
        _split(state, block, instr, operands, next(counter))
    removed = _remove_dead_code(state)
    action = (f"dispatched {len(plans)} call(s) with run-time qubit/result operands over their static "
              f"candidates ({removed} dead instruction(s) removed)")
    if state.declares_profile and not state.qir2_adaptive:  # QIR 1 profiles ask for constant operands
        state.repair("QIR032", f"entry point @{state.entry} passes qubit/result operands computed at run time",
                     action)
    else:
        state.note(action)


def _insert_id_computations(state: State, tracer: _Tracer) -> None:
    for block in state.function.blocks:
        out: list[Instr] = []
        phis: list[Instr] = []
        for instr in block.instrs:
            out.append(instr)
            phis.extend(Instr.parse(line) for line in tracer.phis.get(id(instr), []))
            out.extend(Instr.parse(line) for line in tracer.inserts.get(id(instr), []))
        if phis:  # phis must stay the first instructions of their block
            first = next((i for i, ins in enumerate(out) if ins.opcode != "phi"), len(out))
            out[first:first] = phis
        block.instrs = out


def _split(state: State, block: Block, instr: Instr, operands: list[tuple[int, _Id]], number: int) -> None:
    function = state.function
    block = next(b for b in function.blocks if any(i is instr for i in b.instrs))  # earlier splits move calls
    index = next(i for i, ins in enumerate(block.instrs) if ins is instr)
    head, tail = block.instrs[:index], block.instrs[index + 1:]
    base = f"qirrt.qir.normalize.dispatch{number}"
    join = Block(f"{base}.join", True, tail)
    combos = [c for c in itertools.product(*(t.candidates for _, t in operands))]
    arms: list[Block] = []
    tests: list[Block] = []
    results: list[tuple[str, str]] = []
    for k, combo in enumerate(combos):
        args = [str(a) for a in instr.args]
        for (position, _), value in zip(operands, combo, strict=True):
            args[position] = f"ptr {ptr(value)}"
        result = f"%{base}.{k}.value" if instr.result else None
        line = call_text(instr.callee, args, ret=instr.ret or "void", result=result)
        arms.append(Block(f"{base}.{k}", True, [Instr.parse(line), Instr.parse(f"br label %{join.label}")]))
        if result:
            results.append((result, arms[-1].label))
    current = head
    for k, combo in enumerate(combos[:-1]):
        conditions = []
        for (_, traced), value in zip(operands, combo, strict=True):
            name = state.temp()
            current.append(Instr.parse(f"{name} = icmp eq i64 {traced.value}, {value}"))
            conditions.append(name)
        while len(conditions) > 1:
            name = state.temp()
            current.append(Instr.parse(f"{name} = and i1 {conditions[0]}, {conditions[1]}"))
            conditions[:2] = [name]
        following = f"{base}.test{k + 1}" if k + 1 < len(combos) - 1 else arms[-1].label
        current.append(Instr.parse(f"br i1 {conditions[0]}, label %{arms[k].label}, label %{following}"))
        if k + 1 < len(combos) - 1:
            test = Block(following, True, [])
            tests.append(test)
            current = test.instrs
    if len(combos) == 1:
        current.append(Instr.parse(f"br label %{arms[0].label}"))
    if instr.result:
        incoming = ", ".join(f"[ {value}, %{label} ]" for value, label in results)
        join.instrs.insert(0, Instr.parse(f"{instr.result} = phi {instr.ret} {incoming}"))
    block.instrs = head
    position = function.blocks.index(block)
    function.blocks[position + 1:position + 1] = tests + arms + [join]
    _retarget_phis(function, block.label, join.label, join)


def _retarget_phis(function, old: str, new: str, join: Block) -> None:
    """Successors of the split block now come from its join block."""
    terminator = join.terminator
    if terminator is None:
        return
    pattern = re.compile(rf"(\[\s*[^\[\]]+?,\s*)%{re.escape(old)}(\s*\])")
    for label in set(terminator.successors()):
        successor = function.block(label)
        for i, instr in enumerate(successor.instrs):
            if instr.opcode != "phi":
                break
            new_text = pattern.sub(lambda m: f"{m.group(1)}%{new}{m.group(2)}", instr.text)
            if new_text != instr.text:
                successor.instrs[i] = Instr.parse(new_text)


_PURE = {"load", "getelementptr", "select", "phi", "icmp", "add", "sub", "mul", "and", "or", "xor", "shl", "lshr",
         "ashr", "zext", "sext", "trunc"}


def _remove_dead_code(state: State) -> int:
    """Remove pure instructions left without uses: the pointer loads, GEPs, selects and phis the
    dispatch replaced, and the index arithmetic only they used."""
    function = state.function
    removed = 0
    while True:
        text = "\n".join(i.text for _, _, i in function.instructions())
        uses: dict[str, int] = {}
        for name in LOCAL_RE.findall(text):
            uses[name] = uses.get(name, 0) + 1
        dead = set()
        for _, _, instr in function.instructions():
            if instr.result and instr.opcode in _PURE and uses.get(instr.result, 0) <= 1 + _self_uses(instr):
                dead.add(id(instr))
        if not dead:
            return removed
        for block in function.blocks:
            kept = [i for i in block.instrs if id(i) not in dead]
            removed += len(block.instrs) - len(kept)
            block.instrs = kept


def _self_uses(instr: Instr) -> int:
    body = instr.text.split(" = ", 1)[1] if " = " in instr.text else ""
    return len([m for m in LOCAL_RE.findall(body) if m == instr.result])


__all__ = ["MAX_ARMS", "dispatch_dynamic_operands"]
