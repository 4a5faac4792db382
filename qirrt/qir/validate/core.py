"""Validation against the QIR base and adaptive profiles: every rule a named check with its own code.

`RULES` lists every rule (code → short name and summary). `validate` returns all violations as
`Diagnostic`s pointing at the function, block and instruction (and, given the source text, its
line); `check` raises `InvalidProgramError` for the first one, carrying all of them.

How it stays fast: pyqir is used only to verify the module. Everything else is read from the
module's printed text (one `str(module)`, or the `ir` the caller already holds) by precompiled
regexes into a light structure: functions, blocks, and instructions with opcode, callee and
operands. Instruction lines are analysed once per distinct text (a circuit repeats the same gate
lines), and calls are classified through `_CALLEES`, a table built from `qirrt.qir.dialect`, so no
check branches on callee names. The checks in `_CHECKS` then walk that structure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain

import pyqir

from qirrt.errors import InvalidProgramError, Location
from qirrt.qir.dialect import (
    ALIASES,
    GATES,
    MEASUREMENTS,
    NON_UNITARY,
    PARAMETER_ATTR,
    PARAMETER_FN,
    QIS_PREFIX,
    READ_RESULT,
    RECORDS,
    RT_PREFIX,
)
from qirrt.qir.module import Profile
from qirrt.qir.validate.rules import RULES, Rule


@dataclass(frozen=True)
class Diagnostic:
    """One rule violation: code, message (rule name, what is wrong, how to fix it) and location."""

    code: str
    message: str
    location: Location
    rule: str = ""

    def __str__(self) -> str:
        where = f" (at {self.location})" if str(self.location) else ""
        return f"[{self.code}] {self.message}{where}"


# -- what each callee is ------------------------------------------------------------------------

_OPERAND_TYPES = {
    "qubit": "ptr", "result": "ptr", "label": "ptr", "pointer": "ptr",
    "angle": "double", "double": "double", "bool": "i1", "int": "i64", "count": "i64", "index": "i64",
}


@dataclass(frozen=True)
class _CallSpec:
    """What a known callee is: its role, operand kinds, return type and what it may do where."""

    role: str                       # gate, measure, reset, read_result, record, initialize, parameter, delay, math, debug
    operands: tuple[str, ...] | None  # operand kinds (see _OPERAND_TYPES); None: not checked
    returns: str = "void"
    record: str | None = None        # result, bool, int, double, array, tuple
    in_base: bool = True

    @property
    def quantum(self) -> bool:
        return self.role in ("gate", "measure", "reset", "read_result", "delay")


def _build_callees() -> dict[str, _CallSpec]:
    table: dict[str, _CallSpec] = {}
    for gate in GATES.values():
        table[gate.symbol] = _CallSpec("gate", ("angle",) * gate.num_params + ("qubit",) * gate.num_qubits)
    for name, arity in MEASUREMENTS.items():
        table[f"{QIS_PREFIX}{name}__body"] = _CallSpec("measure", ("qubit", "result")[:arity])
    for name, arity in NON_UNITARY.items():
        table[f"{QIS_PREFIX}{name}__body"] = _CallSpec("reset", ("qubit",) * arity)
    read = _CallSpec("read_result", ("result",), returns="i1", in_base=False)
    table[READ_RESULT] = read
    table[f"{RT_PREFIX}read_result"] = read
    value_kind = {"result_record_output": "result", "bool_record_output": "bool", "int_record_output": "int",
                  "double_record_output": "double", "array_record_output": "count",
                  "tuple_record_output": "count"}
    for name in RECORDS:
        kind = name.removesuffix("_record_output")
        table[f"{RT_PREFIX}{name}"] = _CallSpec("record", (value_kind[name], "label"), record=kind,
                                                in_base=kind in ("result", "array", "tuple"))
    table[f"{RT_PREFIX}initialize"] = _CallSpec("initialize", ("pointer",))
    table[PARAMETER_FN] = _CallSpec("parameter", ("index",), returns="double")
    table["__qirrt__delay"] = _CallSpec("delay", ("qubit", "double", "int"))
    for fn, arity in _MATH.items():
        table[f"llvm.{fn}.f64"] = _CallSpec("math", ("double",) * arity, returns="double")
    for fn in ("value", "declare", "label", "assign"):
        table[f"llvm.dbg.{fn}"] = _CallSpec("debug", None)
    return table


_MATH = {"sin": 1, "cos": 1, "tan": 1, "asin": 1, "acos": 1, "atan": 1, "exp": 1, "exp2": 1, "log": 1,
         "log2": 1, "log10": 1, "sqrt": 1, "fabs": 1, "floor": 1, "ceil": 1, "round": 1, "trunc": 1,
         "pow": 2, "atan2": 2, "minnum": 2, "maxnum": 2, "copysign": 2, "fma": 3}
_CALLEES = _build_callees()
_ALLOCATION = {f"{RT_PREFIX}{name}" for name in (
    "qubit_allocate", "qubit_allocate_array", "qubit_release", "qubit_release_array",
    "result_allocate", "result_release", "qubit_borrow", "qubit_return")}

# -- what each opcode is -------------------------------------------------------------------------

_INT_OPS = {"add", "sub", "mul", "udiv", "sdiv", "urem", "srem", "shl", "lshr", "ashr", "and", "or", "xor",
            "icmp", "zext", "sext", "trunc", "select", "phi"}
_FLOAT_OPS = {"fadd", "fsub", "fmul", "fdiv", "frem", "fneg", "fcmp", "fpext", "fptrunc", "sitofp", "uitofp",
              "fptosi", "fptoui"}
_MEMORY_OPS = {"alloca", "load", "store", "getelementptr", "atomicrmw", "cmpxchg", "fence", "va_arg"}
_OPCODE_CLASS = {
    "call": "call", "br": "branch", "switch": "switch", "ret": "return", "inttoptr": "inttoptr",
    **{op: "compute" for op in _INT_OPS | _FLOAT_OPS},
    **{op: "memory" for op in _MEMORY_OPS},
}
_FLOAT_TYPES = {"half", "bfloat", "float", "double", "fp128", "x86_fp80", "ppc_fp128"}
_FLAG_WORDS = {"nuw", "nsw", "exact", "disjoint", "fast", "nnan", "ninf", "nsz", "arcp", "contract", "afn",
               "reassoc", "samesign", "nneg", "inbounds"}
_CAPABILITIES = ("int_computations", "float_computations", "backwards_branching", "multiple_target_branching",
                 "ir_functions", "multiple_return_points")
_REQUIRED_ATTRIBUTES = ("qir_profiles", "required_num_qubits", "required_num_results", "output_labeling_schema")

# -- reading the printed module --------------------------------------------------------------------

_NAME = r'(?:[-\w.$]+|"[^"]*")'
_HEAD_RE = re.compile(rf'\s*(?:(%{_NAME})\s*=\s*)?(?:(?:tail|musttail|notail)\s+)?([a-z][a-z0-9_]*)\b\s*(.*)$')
_CALLEE_RE = re.compile(rf'([@%])({_NAME})\(')
_CALL_END_RE = re.compile(r'\)(?:\s*#\d+)*(?:\s*,\s*![-\w.]+\s+!\d+)*\s*$')
_INTTOPTR_RE = re.compile(r'inttoptr \((?:i64|i32) (-?\d+) to ptr\)$')
_SSA_RE = re.compile(rf'%{_NAME}')
_LABEL_RE = re.compile(rf'label (%{_NAME})')
_DEFINE_RE = re.compile(rf'define\s+(.*?)@({_NAME})\((.*)\)([^{{]*)\{{')
_DECLARE_RE = re.compile(rf'declare\s+(.*?)@({_NAME})\((.*)\)(.*)$')
_BLOCK_LABEL_RE = re.compile(rf'({_NAME}):')
_ATTR_GROUP_RE = re.compile(r'attributes #(\d+) = \{(.*)\}\s*$')
_ATTR_PAIR_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(?:="((?:[^"\\]|\\.)*)")?')
_META_RE = re.compile(r'(![-\w.]+)\s*=\s*(?:distinct\s+)?!\{(.*)\}\s*$')
_DOUBLE_CONST_RE = re.compile(r'double (?:0x[0-9A-Fa-f]+|[-+]?\d[\d.eE+-]*)')
_UNESCAPE_RE = re.compile(r'\\([0-9A-Fa-f]{2})')
_SIMPLE_ARG = r'(?:ptr (?:null|inttoptr \(i64 \d+ to ptr\)|@[\w.]+)|(?:double|i64|i1) %?[-+\w.]+)'
_SIMPLE_CALL_RE = re.compile(rf'(void|double|i1|i64) @([\w.]+)\(((?:{_SIMPLE_ARG}(?:, {_SIMPLE_ARG})*)?)\)$')
_SIMPLE_ARG_RE = re.compile(r'ptr (?:null|inttoptr \(i64 (\d+) to ptr\)|(@[\w.]+))|(double|i64|i1) (%?[-+\w.]+)')
_SIMPLE_BINARY_RE = re.compile(r'(?:(?:fast|nnan|ninf|nsz|arcp|contract|afn|reassoc|nuw|nsw|disjoint) )*'
                               r'(double|float|i1|i8|i16|i32|i64) (%?[-+\w.]+), (%?[-+\w.]+)$')
_BINARY_OPS = {"fadd", "fsub", "fmul", "fdiv", "frem", "add", "sub", "mul", "udiv", "sdiv", "urem", "srem", "shl",
               "lshr", "ashr", "and", "or", "xor"}


class _Inst:
    """One instruction as read from its printed line (immutable once built; shared between lines
    that differ only in double constants)."""

    __slots__ = (
        "args",
        "callee",
        "cls",
        "conditional",
        "float_types",
        "int_types",
        "measured",
        "opcode",
        "operands",
        "record",
        "result",
        "ret",
        "sequential",
        "spec",
        "targets",
        "touched",
        "written",
    )

    def __init__(self, opcode: str, result: str | None):
        self.opcode = opcode
        self.cls = _OPCODE_CLASS.get(opcode, "other")
        self.result = result
        self.callee: str | None = None
        self.ret = ""
        self.args: tuple = ()
        self.operands: tuple[str, ...] = ()
        self.targets: tuple[str, ...] = ()
        self.conditional = False
        self.int_types: tuple[str, ...] = ()
        self.float_types: tuple[str, ...] = ()
        self.spec: _CallSpec | None = None
        self.sequential = True        # needs the in-order scan (computations, parameters, initialize)
        self.record: str | None = None
        self.touched: tuple = ()      # qubits a gate/reset/measurement acts on
        self.measured: tuple = ()     # qubits a measurement measures
        self.written: tuple = ()      # results a measurement writes

    def finish(self) -> _Inst:
        """Derive the facts the checks read from the callee table (done once per distinct line)."""
        if self.cls == "call":
            spec = _CALLEES.get(self.callee) if self.callee else None
            self.spec = spec
            self.sequential = spec is not None and spec.role in ("parameter", "math", "initialize")
            if spec is not None and spec.operands is not None:
                pairs = list(zip(spec.operands, self.args))
                qubits = tuple(v for k, (_, v) in pairs if k == "qubit" and isinstance(v, int))
                if spec.role in ("gate", "reset", "measure"):
                    self.touched = qubits
                if spec.role == "measure":
                    self.measured = qubits
                    self.written = tuple(v for k, (_, v) in pairs if k == "result" and isinstance(v, int))
                self.record = spec.record
        elif self.cls in ("branch", "switch", "return"):
            self.sequential = False
        return self


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name


def _split_top(text: str) -> list[str]:
    """Split a comma-separated operand list at depth 0."""
    if "getelementptr" not in text and "{" not in text and "<" not in text and "[" not in text:
        return text.split(", ")
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _parse_arg(text: str) -> tuple[str, object]:
    """`ptr inttoptr (i64 3 to ptr)` → ("ptr", 3); `ptr null` → ("ptr", 0); `double %p` → ("double", "%p")."""
    text = text.strip()
    space = text.find(" ")
    if space < 0:
        return text, ""
    ty = text[:space]
    if text.endswith(")"):
        match = _INTTOPTR_RE.search(text)
        if match and ty == "ptr":
            return ty, int(match.group(1))
        return ty, "expr " + text[space + 1:]
    value = text.rsplit(" ", 1)[1]
    if ty == "ptr" and value == "null":
        return ty, 0
    return ty, value


def _analyse(line: str) -> _Inst:
    match = _HEAD_RE.match(line)
    if match is None:
        return _Inst("?", None).finish()
    result, opcode, rest = match.groups()
    inst = _Inst(opcode, result)
    if opcode == "call":
        _analyse_call(inst, rest)
    else:
        _analyse_other(inst, rest)
    return inst.finish()


def _analyse_call(inst: _Inst, rest: str) -> None:
    fast = _SIMPLE_CALL_RE.match(rest)
    if fast is not None:                 # `void @f(ptr null, ptr inttoptr (i64 1 to ptr), double %a, ...)`
        inst.ret, inst.callee = fast.group(1), fast.group(2)
        args = []
        for ptr_id, ptr_global, ty, value in _SIMPLE_ARG_RE.findall(fast.group(3)):
            if ty:
                args.append((ty, value))
            else:
                args.append(("ptr", ptr_global or (int(ptr_id) if ptr_id else 0)))
        inst.args = tuple(args)
        inst.operands = tuple(v for _, v in args if isinstance(v, str) and v[:1] == "%")
        return
    match = _CALLEE_RE.search(rest)
    if match is None:
        inst.callee = None
        return
    pre = rest[:match.start()]
    if "(" in pre:
        pre = pre[:pre.index("(")]
    tokens = pre.split()
    inst.ret = tokens[-1] if tokens else ""
    if match.group(1) == "@":
        inst.callee = _unquote(match.group(2))
    else:
        inst.callee = None
        inst.operands = (match.group(1) + match.group(2),)
    end = _CALL_END_RE.search(rest, match.end() - 1)
    argtext = rest[match.end(): end.start()] if end else rest[match.end():].rstrip(")")
    inst.args = tuple(_parse_arg(a) for a in _split_top(argtext)) if argtext.strip() else ()
    inst.operands += tuple(v for _, v in inst.args if isinstance(v, str) and v.startswith("%"))


def _analyse_other(inst: _Inst, rest: str) -> None:
    opcode = inst.opcode
    if opcode in _BINARY_OPS:
        fast = _SIMPLE_BINARY_RE.match(rest)
        if fast is not None:             # `fmul double 2.0, %p0`
            ty, lhs, rhs = fast.groups()
            inst.operands = tuple(v for v in (lhs, rhs) if v[:1] == "%")
            if ty[0] == "i":
                inst.int_types = (ty,)
            else:
                inst.float_types = (ty,)
            return
    inst.operands = tuple(_SSA_RE.findall(rest))
    if "label %" in rest and opcode != "phi":        # br, switch, and disallowed invoke/callbr/indirectbr
        inst.targets = tuple(_LABEL_RE.findall(rest))
        inst.conditional = opcode != "br" or not rest.startswith("label")
        labels = set(inst.targets)
        inst.operands = tuple(o for o in inst.operands if o not in labels)
        if opcode in ("br", "switch"):
            return
    if inst.cls != "compute":
        return
    words = [w for w in rest.replace(",", " ").split() if w not in _FLAG_WORDS]
    types: list[str] = []
    if opcode in ("icmp", "fcmp"):
        types = words[1:2]
    elif " to " in rest:
        source, _, dest = rest.partition(" to ")
        source_words = [w for w in source.split() if w not in _FLAG_WORDS]
        types = source_words[:1] + dest.split()[:1]
    elif opcode == "select":
        parts = _split_top(rest)
        types = [parts[0].split()[0]] + ([parts[1].split()[0]] if len(parts) > 1 else [])
    else:
        types = words[:1]
    inst.int_types = tuple(t for t in types if t.startswith("i") and t[1:].isdigit())
    inst.float_types = tuple(t for t in types if t in _FLOAT_TYPES)
    if any(t not in _FLOAT_TYPES and not (t.startswith("i") and t[1:].isdigit()) for t in types):
        inst.cls = "other"        # e.g. a phi or select of pointers


@dataclass
class _Block:
    name: str
    insts: list         # _Inst per instruction
    lines: list         # the printed line of each instruction


@dataclass
class _Function:
    name: str
    returns: str
    params: str
    attribute_groups: tuple[str, ...]
    header: str
    blocks: list
    inttoptr_defs: set
    param_names: set

    def occurrence(self, block_index: int, index: int) -> tuple[str, int]:
        """The instruction's anchor: (callee or opcode, how many such came before it in the function)."""
        token = _token(self.blocks[block_index].insts[index])
        count = 0
        for b, block in enumerate(self.blocks):
            for i, inst in enumerate(block.insts):
                if b == block_index and i == index:
                    return token, count
                if _token(inst) == token:
                    count += 1
        return token, count


def _token(inst: _Inst) -> str:
    return _canonical(inst.callee) if inst.opcode == "call" and inst.callee else inst.opcode


def _canonical(symbol: str) -> str:
    """The dialect's name for a callee, so `cnot`/`cx`, `rt`/`qis` read_result and `__body` match."""
    if symbol == f"{RT_PREFIX}read_result":
        return READ_RESULT
    if symbol.startswith(QIS_PREFIX):
        name = symbol[len(QIS_PREFIX):].removesuffix("__body")
        return f"{QIS_PREFIX}{ALIASES.get(name, name)}__body"
    return symbol


@dataclass
class _Parsed:
    functions: dict
    declarations: dict          # name → (returns, [param types], line text)
    attribute_groups: dict      # id → {key: value or None}
    metadata: dict              # !N → body text
    flag_refs: list
    globals: set


_LINE_CACHE: dict[str, _Inst] = {}
_SHAPE_CACHE: dict[str, _Inst] = {}
_CACHE_LIMIT = 100_000
_GAP = object()         # a blank or comment line inside a function body
_NOT_INSTRUCTION = ("", " ", "\t", ";")


def _instruction(line: str) -> _Inst:
    """The analysis of one instruction line, from the caches when an equal line was seen before."""
    shape = _DOUBLE_CONST_RE.sub("double 0.0", line) if "double " in line else line
    inst = _SHAPE_CACHE.get(shape)
    if inst is None:
        inst = _analyse(shape)
        if len(_SHAPE_CACHE) > _CACHE_LIMIT:
            _SHAPE_CACHE.clear()
        _SHAPE_CACHE[shape] = inst
    if len(_LINE_CACHE) > _CACHE_LIMIT:
        _LINE_CACHE.clear()
    _LINE_CACHE[line] = inst
    return inst


def _read_body(fn: _Function, body: list[str]) -> None:
    """Split a function body into blocks of analysed instructions.

    Most lines are found in the line cache by one C-level `map`; only the rest (labels, blank lines,
    instructions not seen before) are looked at one by one.
    """
    items = list(map(_LINE_CACHE.get, body))
    labels = _read_uncached(body, items) if None in items else []
    if not labels or labels[0][0] != 0:
        unnamed = sum(1 for p in _split_top(fn.params)
                      if p.strip() and ("%" not in p or p.split()[-1][1:].isdigit()))
        labels.insert(0, (-1, str(unnamed)))     # unnamed entry block: numbered after unnamed parameters
    bounds = labels + [(len(body), "")]
    for (start, name), (stop, _) in zip(bounds, bounds[1:]):
        insts = items[start + 1: stop]
        lines = body[start + 1: stop]
        if _GAP in insts:
            keep = [n for n, item in enumerate(insts) if item is not _GAP]
            insts = [insts[n] for n in keep]
            lines = [lines[n] for n in keep]
        fn.blocks.append(_Block(name, insts, lines))


def _read_uncached(body: list[str], items: list) -> list[tuple[int, str]]:
    """Fill the `None` entries of `items` (lines not in the cache); the block labels found, by line."""
    labels: list[tuple[int, str]] = []
    for k in [k for k, item in enumerate(items) if item is None]:
        if items[k] is not None:            # continuation line of a multi-line instruction
            continue
        line = body[k]
        if line[:2] == "  " and line[2:3] not in _NOT_INSTRUCTION and line[-1] != "[":
            items[k] = _instruction(line)   # the common case: a one-line instruction
            continue
        _read_odd_line(k, body, items, labels)
    return labels


def _read_odd_line(k: int, body: list[str], items: list, labels: list[tuple[int, str]]) -> None:
    """Line `k` when it is not a plain one-line instruction: gap, label, or part of a multi-line one."""
    line = body[k]
    stripped = line.strip()
    if not stripped or stripped.startswith(";"):
        items[k] = _GAP
    elif not line[0].isspace():
        match = _BLOCK_LABEL_RE.match(line)
        items[k] = _GAP
        if match:
            labels.append((k, _unquote(match.group(1))))
    elif line.startswith("    ") and k > 0 and isinstance(items[k - 1], _Inst):
        body[k - 1] = f"{body[k - 1].rstrip()} {stripped}"     # e.g. `invoke ...` + `to label ...`
        items[k - 1] = _instruction(body[k - 1])
        items[k] = _GAP
    else:
        if stripped.endswith("["):         # `switch ... [` continues until a line `]`
            line = _join_bracketed(k, body, items)
        items[k] = _instruction(line)


def _join_bracketed(k: int, body: list[str], items: list) -> str:
    """Join line `k` (ending in `[`) with the lines up to its closing `]`, which become gaps."""
    j = k + 1
    while j < len(body) and body[j].strip() != "]":
        j += 1
    line = " ".join([body[k].rstrip()] + [x.strip() for x in body[k + 1:j + 1]])
    body[k] = line
    for gap in range(k + 1, min(j + 1, len(body))):
        items[gap] = _GAP
    return line


def _parse(text: str) -> _Parsed:
    parsed = _Parsed({}, {}, {}, {}, [], set())
    lines = text.split("\n")
    i, count = 0, len(lines)
    while i < count:
        line = lines[i]
        if line[:1] == "d" and line.startswith("define"):
            i = _parse_define(parsed, lines, i, text) + 1
            continue
        _parse_line(parsed, line)
        i += 1
    return parsed


def _parse_define(parsed: _Parsed, lines: list[str], i: int, text: str) -> int:
    """Read the function defined at line `i` into `parsed`; the index of its last line."""
    line = lines[i]
    match = _DEFINE_RE.match(line)
    if not match:
        return i
    pre, name, params, post = match.groups()
    tokens = pre.split()
    names = {p.split()[-1] for p in _split_top(params) if "%" in p}
    fn = _Function(_unquote(name), tokens[-1] if tokens else "", params.strip(),
                   tuple(re.findall(r"#(\d+)", post)), line, [], set(), names)
    parsed.functions[fn.name] = fn
    if line.rstrip().endswith("}"):
        return i
    try:
        end = lines.index("}", i + 1)
    except ValueError:
        end = len(lines)
    _read_body(fn, lines[i + 1:end])
    if "= inttoptr " in text:
        fn.inttoptr_defs = {inst.result for block in fn.blocks for inst in block.insts
                            if inst.opcode == "inttoptr"}
    return end


def _parse_line(parsed: _Parsed, line: str) -> None:
    """A top-level line other than `define`: declaration, attribute group, metadata or global."""
    first = line[:1]
    if first == "d" and line.startswith("declare"):
        match = _DECLARE_RE.match(line)
        if match:
            pre, name, params, _ = match.groups()
            tokens = pre.split()
            types = [p.split()[0] for p in _split_top(params) if p.strip()]
            parsed.declarations[_unquote(name)] = (tokens[-1] if tokens else "", types, line)
    elif first == "a":
        match = _ATTR_GROUP_RE.match(line)
        if match:
            parsed.attribute_groups[match.group(1)] = {
                pair.group(1): pair.group(2) for pair in _ATTR_PAIR_RE.finditer(match.group(2))}
    elif first == "!":
        if line.startswith("!llvm.module.flags"):
            parsed.flag_refs = re.findall(r"![-\w.]+", line.split("=", 1)[1])
        else:
            match = _META_RE.match(line)
            if match:
                parsed.metadata[match.group(1)] = match.group(2)
    elif first == "@":
        parsed.globals.add(_unquote(line[1:].split(" ", 1)[0]))


def _unescape(text: str) -> str:
    return _UNESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text)


# -- where a diagnostic is in the source text ----------------------------------------------------


class _SourceIndex:
    """Line numbers of functions, blocks and instructions in the text the user wrote."""

    def __init__(self, text: str):
        self.lines = text.split("\n")
        self.functions: dict[str, tuple[int, int]] = {}
        self._tokens: dict[int, dict[str, list[int]]] = {}
        current, start = None, 0
        for number, line in enumerate(self.lines):
            if line.startswith("define"):
                match = re.search(rf"@({_NAME})\s*\(", line)
                current, start = (_unquote(match.group(1)) if match else None), number
                if line.rstrip().endswith("}") and current:
                    self.functions[current] = (start, number)
                    current = None
            elif line.startswith("}") and current is not None:
                self.functions[current] = (start, number)
                current = None

    def _function(self, name: str | None, entry: bool) -> tuple[int, int] | None:
        if name in self.functions:
            return self.functions[name]
        if entry and len(self.functions) == 1:
            return next(iter(self.functions.values()))
        return None

    def define(self, name: str, entry: bool) -> int | None:
        span = self._function(name, entry)
        return span[0] + 1 if span else None

    def block(self, function: str, block: str, entry: bool) -> int | None:
        span = self._function(function, entry)
        if span is None:
            return None
        for number in range(span[0] + 1, span[1]):
            match = _BLOCK_LABEL_RE.match(self.lines[number])
            if match and _unquote(match.group(1)) == block:
                return number + 1
        return None

    def instruction(self, function: str, token: str, occurrence: int, entry: bool) -> int | None:
        span = self._function(function, entry)
        if span is None:
            return None
        key = span[0]
        table = self._tokens.get(key)
        if table is None:
            table = {}
            for number in range(span[0] + 1, span[1]):
                line = self.lines[number]
                if not line[:1].isspace() or line.lstrip().startswith(";") or not line.strip():
                    continue
                match = _HEAD_RE.match(line)
                if match is None:
                    continue
                opcode = match.group(2)
                if opcode in ("call", "invoke"):
                    callee = re.search(rf"@({_NAME})\s*\(", line)
                    if callee:
                        opcode = _canonical(_unquote(callee.group(1)))
                table.setdefault(opcode, []).append(number + 1)
            self._tokens[key] = table
        found = table.get(token, [])
        return found[occurrence] if occurrence < len(found) else None

    def declaration(self, name: str) -> int | None:
        for number, line in enumerate(self.lines):
            if line.startswith("declare"):
                match = re.search(rf"@({_NAME})\s*\(", line)
                if match and _canonical(_unquote(match.group(1))) == _canonical(name):
                    return number + 1
        return None

    def search(self, needle: str) -> int | None:
        for number, line in enumerate(self.lines):
            if needle in line and not line.lstrip().startswith(";"):
                return number + 1
        return None


# -- the validation context ----------------------------------------------------------------------


class _Context:
    """What every check reads (the parsed module, profile, capabilities) and where it reports."""

    def __init__(self, parsed: _Parsed, profile: Profile, source_file: str | None, source_text: str | None):
        self.parsed = parsed
        self.profile = profile
        self.base = profile is Profile.BASE
        self.full = profile is Profile.FULL
        self.source_file = source_file
        self._source = _SourceIndex(source_text) if source_text else None
        self.diagnostics: list[Diagnostic] = []
        self._places: list[tuple] = []
        self._function_order = {name: n for n, name in enumerate(parsed.functions)}
        self.entry: _Function | None = None
        self.num_qubits: int | None = None
        self.num_results: int | None = None
        self.num_parameters: int | None = None
        self.flags: dict[str, str] = {}
        self.capabilities: dict[str, set[str] | bool] = {}
        self.bad_declarations: set[str] = set()

    # capabilities ------------------------------------------------------------------------------
    def allows(self, capability: str) -> bool:
        if self.full:
            return True
        if self.base:
            return False
        return bool(self.capabilities.get(capability))

    def widths(self, capability: str) -> set[str] | None:
        """Listed precisions of int/float_computations, or None when the flag lists none (all allowed)."""
        value = self.capabilities.get(capability)
        return value if isinstance(value, set) and value else None

    # reporting ---------------------------------------------------------------------------------
    def report(self, code: str, text: str, *, function: _Function | None = None, block: int | None = None,
               index: int | None = None, instruction: str | None = None, anchor: tuple | None = None,
               name: str | None = None, inst: _Inst | None = None, inst_at: int | None = None) -> None:
        rule = RULES[code]
        if inst_at is not None and function is not None:    # position in the function's flat sequence
            for b, candidate in enumerate(function.blocks):
                if inst_at < len(candidate.insts):
                    block, index = b, inst_at
                    break
                inst_at -= len(candidate.insts)
        if inst is not None and function is not None:       # first place of a shared instruction
            for b, candidate in enumerate(function.blocks):
                if inst in candidate.insts:
                    block, index = b, candidate.insts.index(inst)
                    break
        line = None
        block_name = None
        entry = function is not None and function is self.entry
        if function is not None and block is not None:
            block_name = function.blocks[block].name
            if index is not None:
                instruction = function.blocks[block].lines[index].strip()
                if self._source:
                    token, occurrence = function.occurrence(block, index)
                    line = self._source.instruction(function.name, token, occurrence, entry)
            elif self._source:
                line = self._source.block(function.name, block_name, entry)
        elif self._source and anchor:
            kind, value = anchor
            if kind == "define":
                line = self._source.define(value, entry)
            elif kind == "declare":
                line = self._source.declaration(value)
            elif kind == "search":
                line = self._source.search(value)
        location = Location(file=self.source_file, function=function.name if function else name,
                            block=block_name, instruction=instruction, line=line)
        if function is not None:
            order = self._function_order.get(function.name, 0)
            place = (1, order, -1 if block is None else block, -1 if index is None else index)
        else:
            place = (0, 0, 0, 0) if name is None else (2, 0, 0, 0)     # module-level, then declarations
        self._places.append(place)
        self.diagnostics.append(Diagnostic(code, f"{rule.name}: {text}", location, rule.name))

    def ordered(self) -> list[Diagnostic]:
        """The diagnostics in module order (module-level first, then by function, block, instruction)."""
        indices = sorted(range(len(self.diagnostics)), key=lambda k: self._places[k])
        return [self.diagnostics[k] for k in indices]


_CHECKS: list[Callable[[_Context], None]] = []


def _check(*codes: str):
    """Register a check; `codes` are the rules it reports (each must exist in RULES)."""
    unknown = [code for code in codes if code not in RULES]
    if unknown:
        raise ValueError(f"check reports codes missing from RULES: {unknown}")

    def register(function: Callable[[_Context], None]) -> Callable[[_Context], None]:
        function.codes = codes
        _CHECKS.append(function)
        return function

    return register


# -- module-level checks -------------------------------------------------------------------------


def _entry_attributes(ctx: _Context, fn: _Function) -> dict:
    merged: dict = {}
    for group in fn.attribute_groups:
        merged.update(ctx.parsed.attribute_groups.get(group, {}))
    return merged


@_check("QIR010", "QIR011", "QIR012", "QIR013")
def _check_entry_point(ctx: _Context) -> None:
    entries = [fn for fn in ctx.parsed.functions.values() if "entry_point" in _entry_attributes(ctx, fn)]
    if not entries:
        ctx.report("QIR010", "no function has the `entry_point` attribute; add it to the attribute group of "
                   "the function that runs the program (`attributes #0 = { \"entry_point\" ... }`)")
        return
    ctx.entry = entries[0]
    for extra in entries[1:]:
        names = ", ".join("@" + fn.name for fn in entries)
        ctx.report("QIR011", f"more than one entry point ({names}); keep `entry_point` on one function",
                   function=extra, instruction=extra.header, anchor=("define", extra.name))
    entry = ctx.entry
    if entry.params:
        ctx.report("QIR012", f"entry point @{entry.name} takes parameters ({entry.params}); an entry point "
                   "takes none: make them constants, or qirrt runtime parameters (`__qirrt__parameter`)",
                   function=entry, instruction=entry.header, anchor=("define", entry.name))
    if entry.returns not in ("i64", "void"):
        ctx.report("QIR013", f"entry point @{entry.name} returns `{entry.returns}`; it must return i64 "
                   "(the exit code, 0 on success) or void", function=entry, instruction=entry.header,
                   anchor=("define", entry.name))


@_check("QIR014", "QIR015", "QIR016", "QIR055")
def _check_entry_attributes(ctx: _Context) -> None:
    entry = ctx.entry
    if entry is None:
        return
    attrs = _entry_attributes(ctx, entry)
    where = dict(function=entry, instruction=entry.header, anchor=("define", entry.name))
    for key in _REQUIRED_ATTRIBUTES:
        if key not in attrs:
            example = {"qir_profiles": f'"qir_profiles"="{ctx.profile.attribute}"',
                       "output_labeling_schema": '"output_labeling_schema"="labeled"'}.get(key, f'"{key}"="N"')
            ctx.report("QIR014", f"entry point @{entry.name} lacks the `{key}` attribute; add {example} to "
                       "its attribute group", **where)
    for key, kind in (("required_num_qubits", "qubits"), ("required_num_results", "results")):
        value = attrs.get(key)
        if key not in attrs:
            continue
        if value is None or not value.isdigit():
            ctx.report("QIR015", f"`{key}`={value!r} is not a non-negative integer; set it to the number of "
                       f"{kind} the program uses", **where)
        elif kind == "qubits":
            ctx.num_qubits = int(value)
        else:
            ctx.num_results = int(value)
    profile_text = attrs.get("qir_profiles")
    if "qir_profiles" in attrs:
        try:
            declared = Profile.parse(profile_text or "")
        except ValueError:
            declared = None
        if declared is None:
            ctx.report("QIR016", f"`qir_profiles`={profile_text!r} names no known profile; use "
                       "\"base_profile\" or \"adaptive_profile\"", **where)
        elif declared is not ctx.profile and not ctx.full:
            ctx.report("QIR016", f"`qir_profiles` says {declared.attribute} but the program is validated as "
                       f"{ctx.profile.attribute}; make the attribute and the requested profile agree", **where)
    raw = attrs.get(PARAMETER_ATTR)
    if raw is not None:
        try:
            names = json.loads(_unescape(raw))
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError
            ctx.num_parameters = len(names)
        except ValueError:
            ctx.report("QIR055", f"`{PARAMETER_ATTR}` is not a JSON list of parameter names ({raw!r}); "
                       "write it as [\"theta\", \"phi\", ...]", **where)
            ctx.num_parameters = None
    else:
        ctx.num_parameters = 0


def _flag_value(ctx: _Context, body: str) -> tuple[str, str] | None:
    """`i32 1, !"name", i1 true` → (name, "i1 true"); a metadata reference is resolved to its body."""
    parts = _split_top(body)
    if len(parts) < 3:
        return None
    name = parts[1].strip()
    if not name.startswith('!"'):
        return None
    value = ", ".join(p.strip() for p in parts[2:])
    if value.startswith("!") and not value.startswith("!{") and value in ctx.parsed.metadata:
        value = "!{" + ctx.parsed.metadata[value] + "}"
    return name[2:-1], value


def _integer(value: str) -> int | None:
    """`i32 1` → 1, `i1 true` → 1, `i2 0` → 0; None for anything that is not an integer constant."""
    match = re.fullmatch(r"i\d+ (-?\d+|true|false)", value.strip())
    if not match:
        return None
    token = match.group(1)
    return {"true": 1, "false": 0}[token] if token in ("true", "false") else int(token)


@_check("QIR020", "QIR021")
def _check_module_flags(ctx: _Context) -> None:
    nodes: dict[str, str] = {}
    for ref in ctx.parsed.flag_refs:
        body = ctx.parsed.metadata.get(ref)
        pair = _flag_value(ctx, body) if body else None
        if pair:
            ctx.flags[pair[0]] = pair[1]
            nodes[pair[0]] = f"{ref} = !{{{body}}}"
    for capability in _CAPABILITIES:
        value = ctx.flags.get(capability)
        if value is None:
            continue
        if value.startswith("!{"):
            listed = set(re.findall(r'!"([^"]*)"', value))
            ctx.capabilities[capability] = listed if listed else False
        else:
            number = _integer(value)
            ctx.capabilities[capability] = bool(number)
    if ctx.full:
        return
    fixes = {
        "qir_major_version": '!{i32 1, !"qir_major_version", i32 1}',
        "qir_minor_version": '!{i32 7, !"qir_minor_version", i32 0}',
        "dynamic_qubit_management": '!{i32 1, !"dynamic_qubit_management", i1 false}',
        "dynamic_result_management": '!{i32 1, !"dynamic_result_management", i1 false}',
    }
    for name, fix in fixes.items():
        value = ctx.flags.get(name)
        if value is None:
            ctx.report("QIR020", f"module flag `{name}` is missing; add {fix} to !llvm.module.flags",
                       anchor=("search", "!llvm.module.flags"))
            continue
        number = _integer(value)
        anchor = ("search", f'!"{name}"')
        if name == "qir_major_version" and number not in (1, 2):
            ctx.report("QIR021", f"module flag `qir_major_version` is `{value}`; QIR 1 and 2 are supported: "
                       f"use {fix}", instruction=nodes[name], anchor=anchor)
        elif name == "qir_minor_version" and (number is None or number < 0 or value.startswith("i1 ")):
            ctx.report("QIR021", f"module flag `qir_minor_version` is `{value}`, not an integer; use {fix}",
                       instruction=nodes[name], anchor=anchor)
        elif name.startswith("dynamic_") and value != "i1 false":
            ctx.report("QIR021", f"module flag `{name}` is `{value}`; the {ctx.profile.value} profile manages "
                       f"qubits and results statically: use {fix}", instruction=nodes[name],
                       anchor=anchor)


@_check("QIR051")
def _check_declarations(ctx: _Context) -> None:
    for name, (returns, params, line) in ctx.parsed.declarations.items():
        spec = _CALLEES.get(name)
        if spec is None or spec.operands is None:
            continue
        expected = [_OPERAND_TYPES[kind] for kind in spec.operands]
        if params != expected or returns != spec.returns:
            ctx.bad_declarations.add(name)
            ctx.report("QIR051", f"@{name} is declared as `{returns} ({', '.join(params)})` but QIR defines "
                       f"`{spec.returns} ({', '.join(expected)})`; fix the declaration and its calls",
                       name=name, instruction=line, anchor=("declare", name))


@_check("QIR056")
def _check_measurement_declarations(ctx: _Context) -> None:
    for name, (_, _, line) in ctx.parsed.declarations.items():
        spec = _CALLEES.get(name)
        if spec is None or spec.role != "measure":
            continue
        tail = line[line.rfind(")") + 1:]
        groups = re.findall(r"#(\d+)", tail)
        if '"irreversible"' in tail or any("irreversible" in ctx.parsed.attribute_groups.get(g, {})
                                           for g in groups):
            continue
        ctx.report("QIR056", f"@{name} is declared without the `irreversible` attribute; add "
                   "`attributes #N = { \"irreversible\" }` and reference it from the declaration",
                   name=name, instruction=line, anchor=("declare", name))


@_check("QIR067")
def _check_ir_functions(ctx: _Context) -> None:
    if ctx.entry is None:
        return
    others = [fn for fn in ctx.parsed.functions.values()
              if fn is not ctx.entry and "entry_point" not in _entry_attributes(ctx, fn)]
    if not others:
        return
    if not ctx.allows("ir_functions"):
        for fn in others:
            why = ("the base profile allows none" if ctx.base
                   else "add the module flag !{i32 1, !\"ir_functions\", i1 true} if the target supports them")
            ctx.report("QIR067", f"@{fn.name} is an IR-defined function besides the entry point; {why}, "
                       "or inline it into the entry point", function=fn, instruction=fn.header,
                       anchor=("define", fn.name))
        return
    graph = {fn.name: {inst.callee for block in fn.blocks for inst in block.insts
                       if inst.opcode == "call" and inst.callee in ctx.parsed.functions}
             for fn in ctx.parsed.functions.values()}
    for cycle_start in _cycle_nodes(graph):
        fn = ctx.parsed.functions[cycle_start]
        ctx.report("QIR067", f"@{fn.name} is (directly or indirectly) recursive; the adaptive profile forbids "
                   "recursion: unroll it", function=fn, instruction=fn.header, anchor=("define", fn.name))


def _cycle_nodes(graph: dict[str, set[str]]) -> list[str]:
    """Nodes on which a back edge lands (one per cycle found by depth-first search)."""
    colour: dict[str, int] = {}
    found: list[str] = []
    for root in graph:
        if root in colour:
            continue
        stack = [(root, iter(sorted(graph.get(root, ()))))]
        colour[root] = 1
        while stack:
            node, children = stack[-1]
            for child in children:
                state = colour.get(child, 0)
                if state == 1 and child not in found:
                    found.append(child)
                elif state == 0:
                    colour[child] = 1
                    stack.append((child, iter(sorted(graph.get(child, ())))))
                    break
            else:
                colour[node] = 2
                stack.pop()
    return found


# -- control flow --------------------------------------------------------------------------------


@_check("QIR060", "QIR064", "QIR065", "QIR066", "QIR068")
def _check_control_flow(ctx: _Context) -> None:
    for fn in _functions(ctx):
        successors, returns = _block_successors(ctx, fn)
        seen = _reachable(successors) if fn.blocks else set()
        for b, block in enumerate(fn.blocks):
            if b not in seen:
                ctx.report("QIR068", f"block %{block.name} cannot be reached from the entry block; delete it or "
                           "branch to it", function=fn, block=b)
        if not ctx.allows("backwards_branching"):
            for source, target in _back_edges(successors):
                hint = ("the base profile has no loops: unroll the loop" if ctx.base else
                        "add !{i32 1, !\"backwards_branching\", i2 3} if the target runs loops, or unroll it")
                ctx.report("QIR064", f"branch from %{fn.blocks[source].name} back to %{fn.blocks[target].name} "
                           f"forms a loop; {hint}", function=fn, block=source,
                           index=len(fn.blocks[source].insts) - 1)
        _check_return_points(ctx, fn, [b for b in returns if b in seen])


def _block_successors(ctx: _Context, fn: _Function) -> tuple[list[list[int]], list[int]]:
    """(successor blocks of each block, blocks that return), reporting branches the profile forbids."""
    index = {block.name: b for b, block in enumerate(fn.blocks)}
    successors: list[list[int]] = []
    returns: list[int] = []
    for b, block in enumerate(fn.blocks):
        term = block.insts[-1] if block.insts else None
        succ = []
        if term is not None and term.opcode == "ret":
            returns.append(b)
        elif term is not None and term.targets:
            succ = [index[t[1:].strip('"')] for t in term.targets if t[1:].strip('"') in index]
            _check_branch(ctx, fn, b, term, len(block.insts) - 1)
        successors.append(succ)
    return successors, returns


def _check_branch(ctx: _Context, fn: _Function, b: int, term: _Inst, last: int) -> None:
    if term.opcode == "switch" and not ctx.base and not ctx.allows("multiple_target_branching"):
        ctx.report("QIR066", "`switch` needs the multiple_target_branching capability; add "
                   "!{i32 1, !\"multiple_target_branching\", i1 true} or lower it to `br` chains",
                   function=fn, block=b, index=last)
    if term.conditional and ctx.base and term.opcode in ("br", "switch"):
        ctx.report("QIR060", f"`{term.opcode}` with more than one target in a base-profile "
                   "program; base entry points are straight-line (blocks joined by "
                   "unconditional `br`): use the adaptive profile for classical control flow",
                   function=fn, block=b, index=last)


def _reachable(successors: list[list[int]]) -> set[int]:
    """Blocks reachable from block 0."""
    seen = {0}
    stack = [0]
    while stack:
        for nxt in successors[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _check_return_points(ctx: _Context, fn: _Function, reachable_returns: list[int]) -> None:
    if len(reachable_returns) <= 1 or ctx.allows("multiple_return_points"):
        return
    hint = ("base entry points return once" if ctx.base else
            "add !{i32 1, !\"multiple_return_points\", i1 true}")
    for b in reachable_returns[1:]:
        ctx.report("QIR065", f"@{fn.name} returns from {len(reachable_returns)} blocks; merge them into "
                   f"one returning block ({hint})", function=fn, block=b,
                   index=len(fn.blocks[b].insts) - 1)


def _back_edges(successors: list[list[int]]) -> list[tuple[int, int]]:
    if not successors:
        return []
    colour = [0] * len(successors)
    edges: list[tuple[int, int]] = []
    stack = [(0, iter(successors[0]))]
    colour[0] = 1
    while stack:
        node, children = stack[-1]
        for child in children:
            if colour[child] == 1:
                edges.append((node, child))
            elif colour[child] == 0:
                colour[child] = 1
                stack.append((child, iter(successors[child])))
                break
        else:
            colour[node] = 2
            stack.pop()
    return edges


def _functions(ctx: _Context) -> list[_Function]:
    """The entry point, then IR-defined functions (checked only where they are allowed at all)."""
    if ctx.entry is None:
        return []
    if not ctx.allows("ir_functions"):
        return [ctx.entry]
    return [ctx.entry] + [fn for fn in ctx.parsed.functions.values() if fn is not ctx.entry]


# -- instructions and calls ----------------------------------------------------------------------


@_check("QIR030", "QIR031", "QIR032", "QIR033", "QIR040", "QIR041", "QIR042", "QIR043", "QIR050", "QIR051",
        "QIR052", "QIR053", "QIR054", "QIR055", "QIR061", "QIR069", "QIR071")
def _check_instructions(ctx: _Context) -> None:
    for fn in _functions(ctx):
        _scan_function(ctx, fn)


def _scan_function(ctx: _Context, fn: _Function) -> None:
    # Calls: each distinct instruction once (a 3,000-gate circuit has a few hundred), at its first place.
    distinct = dict.fromkeys(chain.from_iterable(block.insts for block in fn.blocks))
    for inst in distinct:
        if inst.cls == "call":
            _check_call(ctx, fn, inst)
    # Computations, runtime parameters and initialisation: in program order.
    if ctx.full:
        return                       # full QIR allows any LLVM instruction
    parameters: set[str] = set()
    for b, block in enumerate(fn.blocks):
        for i, inst in enumerate(block.insts):
            if inst.sequential:
                _scan_instruction(ctx, fn, b, i, parameters)


def _scan_instruction(ctx: _Context, fn: _Function, b: int, i: int, parameters: set[str]) -> None:
    """Check instruction `i` of block `b` against the profile; `parameters` grows with parameter values."""
    inst = fn.blocks[b].insts[i]
    cls = inst.cls
    if cls == "call":
        _scan_call_role(ctx, fn, b, i, parameters)
    elif cls == "compute":
        _scan_compute(ctx, fn, b, i, parameters)
    elif cls == "memory":
        ctx.report("QIR041", f"`{inst.opcode}` reads or writes memory; QIR profiles have no memory "
                   "instructions: keep values in SSA registers and pass qubits/results as constants",
                   function=fn, block=b, index=i)
    elif cls == "inttoptr":
        if not ctx.allows("backwards_branching"):
            ctx.report("QIR040", "`inttoptr` as an instruction: qubit and result addresses must be "
                       "inlined constants (`ptr inttoptr (i64 N to ptr)`); computed addresses need "
                       "the adaptive profile with backwards_branching (iterations)",
                       function=fn, block=b, index=i)
    else:
        allowed = "call, br and ret" if ctx.base else "call, br, ret and the classical computations it declares"
        ctx.report("QIR040", f"`{inst.opcode}` is not allowed in the {ctx.profile.value} profile, which "
                   f"allows {allowed}; rewrite it", function=fn, block=b, index=i)


def _scan_call_role(ctx: _Context, fn: _Function, b: int, i: int, parameters: set[str]) -> None:
    """Parameter reads and math on them yield parameters; initialize must come first."""
    block = fn.blocks[b]
    inst = block.insts[i]
    role = inst.spec.role
    if role == "parameter":
        parameters.add(inst.result)
    elif role == "math":
        if all(not _is_ssa(v) or v in parameters for _, v in inst.args):
            parameters.add(inst.result)   # folded away when parameters are bound
        else:
            _computation_allowed(ctx, fn, b, i, "float", ("double",), f"call @{inst.callee}")
    elif role == "initialize":
        if fn is not ctx.entry or b != 0 or any(other.spec is not None and other.spec.quantum
                                                for other in block.insts[:i]):
            ctx.report("QIR069", "__quantum__rt__initialize must come first in the entry block, "
                       "before any quantum instruction; move it there",
                       function=fn, block=b, index=i)


def _scan_compute(ctx: _Context, fn: _Function, b: int, i: int, parameters: set[str]) -> None:
    """A classical computation: folded if it only combines parameters, else it needs the capability."""
    inst = fn.blocks[b].insts[i]
    operands = inst.operands
    if operands and all(o in parameters for o in operands) and all(t == "i1" for t in inst.int_types):
        parameters.add(inst.result)       # folded away when parameters are bound
        return
    needs_float = bool(inst.float_types)
    needs_int = any(t != "i1" for t in inst.int_types)
    if needs_int:
        _computation_allowed(ctx, fn, b, i, "int", inst.int_types, inst.opcode)
    if needs_float:
        _computation_allowed(ctx, fn, b, i, "float", inst.float_types, inst.opcode)
    if not needs_int and not needs_float and ctx.base:
        ctx.report("QIR042", f"`{inst.opcode}` computes a classical value; the base profile allows "
                   "no classical computation: use the adaptive profile",
                   function=fn, block=b, index=i)


def _computation_allowed(ctx: _Context, fn: _Function, b: int, i: int, kind: str, types, opcode: str) -> bool:
    code, capability = ("QIR042", "int_computations") if kind == "int" else ("QIR043", "float_computations")
    if ctx.full:
        return True
    what = "integer" if kind == "int" else "floating-point"
    if ctx.base:
        tail = " (float arithmetic is allowed only on qirrt runtime parameters)" if kind == "float" else ""
        ctx.report(code, f"`{opcode}` is {what} computation, which the base profile does not allow{tail}; use "
                   "the adaptive profile", function=fn, block=b, index=i)
        return False
    if not ctx.allows(capability):
        example = '!{!"i64"}' if kind == "int" else '!{!"double"}'
        ctx.report(code, f"`{opcode}` is {what} computation but the module does not declare "
                   f"{capability}; add !{{i32 5, !\"{capability}\", {example}}} to the module flags if the "
                   "target supports it", function=fn, block=b, index=i)
        return False
    widths = ctx.widths(capability)
    if widths is not None:
        missing = [t for t in types if t != "i1" and t not in widths]
        if missing:
            ctx.report(code, f"`{opcode}` computes on {', '.join(sorted(set(missing)))} but {capability} lists "
                       f"only {', '.join(sorted(widths))}; add the width to the flag or change the type",
                       function=fn, block=b, index=i)
            return False
    return True


def _check_call(ctx: _Context, fn: _Function, inst: _Inst) -> None:
    """Per distinct call: callee known, signature, operand kinds, id ranges (reported at its first place)."""
    where = dict(function=fn, inst=inst)
    spec = inst.spec
    callee = inst.callee
    if callee is None:
        ctx.report("QIR053", "indirect call through a pointer; QIR programs call functions by name: call the "
                   "QIS or runtime function directly", **where)
        return
    if spec is None:
        if callee in ctx.parsed.functions:
            return                      # IR-defined function: judged by _check_ir_functions
        if callee.startswith(QIS_PREFIX):
            known = ", ".join(sorted(GATES)[:6])
            ctx.report("QIR050", f"@{callee} is not a quantum instruction qirrt knows; use one of the gates in "
                       f"qirrt.qir.dialect.GATES ({known}, ...), mz/m/mresetz, reset or read_result", **where)
        elif callee in _ALLOCATION:
            if not ctx.full:
                ctx.report("QIR033", f"@{callee} manages qubits or results dynamically; the {ctx.profile.value} "
                           "profile uses static ids (`ptr inttoptr (i64 N to ptr)`) counted by "
                           "required_num_qubits/results", **where)
        elif callee.startswith(RT_PREFIX):
            allowed = ", ".join(sorted(n.removeprefix(RT_PREFIX) for n, s in _CALLEES.items()
                                       if n.startswith(RT_PREFIX)))
            ctx.report("QIR052", f"@{callee} is not a runtime function of the {ctx.profile.value} profile; the "
                       f"profile defines {allowed}", **where)
        else:
            ctx.report("QIR053", f"@{callee} is an external function that is neither QIS, QIR runtime nor a "
                       "qirrt extension; the target cannot link it: remove the call", **where)
        return
    if spec.operands is None:
        return
    if not spec.in_base and ctx.base:
        if spec.role == "read_result":
            ctx.report("QIR061", "the base profile does not read measurement results; branching or computing "
                       "on results needs the adaptive profile", **where)
        else:
            ctx.report("QIR054", f"@{callee} records a {spec.record} value; the base profile records only "
                       "results, arrays and tuples: use the adaptive profile", **where)
    args = inst.args
    if callee not in ctx.bad_declarations:
        expected = [_OPERAND_TYPES[k] for k in spec.operands]
        actual = [ty for ty, _ in args]
        if actual != expected or inst.ret != spec.returns:
            ctx.report("QIR051", f"@{callee} is called as `{inst.ret} ({', '.join(actual)})` but it takes "
                       f"`{spec.returns} ({', '.join(expected)})`; pass {len(expected)} operand(s) of those types",
                       **where)
            return
    for kind, (_, value) in zip(spec.operands, args):
        if kind == "qubit" or kind == "result":
            _check_id(ctx, fn, kind, value, callee, where)
        elif kind == "label":
            ok = value == 0 or (isinstance(value, str) and (
                (value.startswith("@") and _unquote(value[1:]) in ctx.parsed.globals)
                or (value.startswith("expr getelementptr") and "@" in value)))
            if not ok:
                ctx.report("QIR071", f"the label of @{callee} is `{_show(value)}`; pass a pointer to a global "
                           "string constant (or null)", **where)
        elif kind == "count":
            if not (isinstance(value, str) and value.isdigit()):
                ctx.report("QIR071", f"@{callee} takes a constant non-negative length, not `{_show(value)}`; "
                           "pass the number of records that follow as an i64 constant", **where)
        elif kind == "index":
            if not (isinstance(value, str) and value.isdigit()):
                ctx.report("QIR055", f"@{PARAMETER_FN} takes a constant index, not `{_show(value)}`; pass the "
                           f"parameter's position in `{PARAMETER_ATTR}` as an i64 constant", **where)
            elif ctx.num_parameters is not None and int(value) >= ctx.num_parameters:
                ctx.report("QIR055", f"runtime parameter index {value} is outside the {ctx.num_parameters} "
                           f"names in the entry point's `{PARAMETER_ATTR}` attribute; list every parameter "
                           "there", **where)


def _is_ssa(value: object) -> bool:
    return isinstance(value, str) and value[:1] == "%"


def _show(value: object) -> str:
    if isinstance(value, int):
        return "null" if value == 0 else f"inttoptr (i64 {value} to ptr)"
    return str(value).removeprefix("expr ")


def _check_id(ctx: _Context, fn: _Function, kind: str, value: object, callee: str, where: dict) -> None:
    if isinstance(value, int):
        limit = ctx.num_qubits if kind == "qubit" else ctx.num_results
        if limit is None:
            return
        if value < 0 or value >= limit:
            code = "QIR030" if kind == "qubit" else "QIR031"
            attribute = f"required_num_{kind}s"
            fix = (f"use an index in 0..{limit - 1} or raise {attribute}" if limit else
                   f"raise {attribute} (it is 0)")
            ctx.report(code, f"{kind} index {value} is outside [0, {limit}) declared by {attribute}; {fix}",
                       **where)
        return
    if ctx.full:
        return
    if isinstance(value, str) and value.startswith("%"):
        if value in fn.param_names and fn is not ctx.entry:
            return                       # IR-defined functions receive qubits as arguments
        if value in fn.inttoptr_defs and ctx.allows("backwards_branching"):
            return                       # loop iteration over ids (adaptive with backwards_branching)
    ctx.report("QIR032", f"the {kind} operand of @{callee} is `{_show(value)}`, not a constant; "
               f"{kind}s are `null` or `inttoptr (i64 N to ptr)` constants in the {ctx.profile.value} profile",
               **where)


# -- measurement order (base) --------------------------------------------------------------------


@_check("QIR062", "QIR063")
def _check_measurement_order(ctx: _Context) -> None:
    if not ctx.base or ctx.entry is None:
        return
    fn = ctx.entry
    sequence = list(chain.from_iterable(block.insts for block in fn.blocks))
    first = next((k for k, inst in enumerate(sequence) if inst.measured or inst.written), None)
    if first is None:
        return                       # nothing is measured, so nothing comes after a measurement
    measured: set[int] = set()
    written: set[int] = set()
    reported: set[int] = set()
    for k in range(first, len(sequence)):
        inst = sequence[k]
        touched = inst.touched
        if not touched and not inst.written:
            continue
        for q in touched:
            if q in measured and q not in reported:
                reported.add(q)
                what = "measured again" if inst.measured else f"used by @{inst.callee}"
                ctx.report("QIR062", f"qubit {q} is {what} after its measurement; the base profile measures "
                           "each qubit once, after all its gates: reorder, or use the adaptive profile",
                           function=fn, inst_at=k)
        measured.update(inst.measured)
        for r in inst.written:
            if r in written:
                ctx.report("QIR063", f"result {r} is written by a second measurement; the base profile writes "
                           "each result once: measure into a fresh result (and raise required_num_results)",
                           function=fn, inst_at=k)
            written.add(r)


# -- output recording ----------------------------------------------------------------------------

_AFTER_RECORDS_OK = ("debug", "parameter", "math")


@_check("QIR070", "QIR072")
def _check_output_records(ctx: _Context) -> None:
    for fn in _functions(ctx):
        for b, block in enumerate(fn.blocks):
            insts = block.insts
            first = next((i for i, inst in enumerate(insts) if inst.record), None)
            if first is None:
                continue
            records: list[tuple[int, str, int | None]] = []
            for i in range(first, len(insts)):
                inst = insts[i]
                if inst.record:
                    value = inst.args[0][1] if inst.args else None
                    count = int(value) if inst.record in ("array", "tuple") and isinstance(value, str) \
                        and value.isdigit() else None
                    records.append((i, inst.record, count))
                elif inst.cls == "call" and (inst.spec is None or inst.spec.role not in _AFTER_RECORDS_OK):
                    ctx.report("QIR070", f"`{inst.callee or 'call'}` comes after the output records started "
                               f"(at `{block.lines[first].strip()}`); records must be the last calls of the "
                               "returning block: move them after every quantum instruction",
                               function=fn, block=b, index=i)
                    break
            if fn is not ctx.entry:
                ctx.report("QIR070", f"IR-defined function @{fn.name} records output; only the entry point may: "
                           "return the values and record them there", function=fn, block=b, index=first)
                continue
            if not insts or insts[-1].opcode != "ret":
                ctx.report("QIR070", f"output is recorded in block %{block.name}, which does not return; record "
                           "all output in the block that ends with `ret`, after every quantum instruction",
                           function=fn, block=b, index=first)
                continue
            _check_record_lengths(ctx, fn, b, records)


def _check_record_lengths(ctx: _Context, fn: _Function, b: int, records: list) -> None:
    position = 0

    def item(p: int) -> int | None:
        index, kind, count = records[p]
        if kind not in ("array", "tuple"):
            return p + 1
        if count is None:
            return None
        nxt = p + 1
        for n in range(count):
            if nxt >= len(records):
                ctx.report("QIR072", f"the {kind} record announces {count} element(s) but only {n} record(s) "
                           "follow it; make the length match the records after it",
                           function=fn, block=b, index=index)
                return None
            nxt = item(nxt)
            if nxt is None:
                return None
        return nxt

    while position is not None and position < len(records):
        position = item(position)


# -- entry points --------------------------------------------------------------------------------


def validate(module: pyqir.Module, *, profile: Profile, source_file: str | None = None,
             source_text: str | None = None, ir: str | None = None, verified: bool = False) -> list[Diagnostic]:
    """All rule violations found in `module`, checked against `profile`.

    `source_text` (the text the user wrote) gives diagnostics their line numbers; `ir`, the module's
    printed text if the caller already has it (`Program.ir`), saves printing it again; `verified` says
    LLVM's verifier already accepted `module` (normalisation runs it), so it is not run twice.
    """
    error = None if verified else module.verify()
    if error:
        return [_verifier_diagnostic(error, source_file, source_text)]
    text = ir if ir is not None else str(module)
    ctx = _Context(_parse(text), profile, source_file, source_text)
    for run in _CHECKS:
        run(ctx)
        if ctx.entry is None:
            break
    return ctx.ordered()


def _verifier_diagnostic(error: str, source_file: str | None, source_text: str | None) -> Diagnostic:
    """QIR002, pointing at the first instruction LLVM's verifier quotes (and its line, when it is found)."""
    lines = [line for line in error.strip().splitlines() if line.strip()]
    first = lines[0].strip() if lines else "unknown error"
    quoted = next((line.strip() for line in lines[1:] if line[:1].isspace()), None)
    number = None
    if quoted and source_text:
        number = next((n + 1 for n, line in enumerate(source_text.split("\n"))
                       if line.split(";", 1)[0].strip() == quoted), None)
    rule = RULES["QIR002"]
    return Diagnostic("QIR002", f"{rule.name}: module does not verify: {first}; fix the LLVM IR so that LLVM's "
                      "verifier accepts it", Location(file=source_file, instruction=quoted, line=number), rule.name)


def check(module: pyqir.Module, *, profile: Profile, source_file: str | None = None,
          source_text: str | None = None, ir: str | None = None, verified: bool = False) -> None:
    """Raise `InvalidProgramError` for the first violation, carrying all of them."""
    diagnostics = validate(module, profile=profile, source_file=source_file, source_text=source_text, ir=ir,
                           verified=verified)
    if diagnostics:
        first = diagnostics[0]
        more = f" (and {len(diagnostics) - 1} more)" if len(diagnostics) > 1 else ""
        raise InvalidProgramError(first.message + more, code=first.code, location=first.location,
                                  diagnostics=diagnostics)


__all__ = ["RULES", "Diagnostic", "Rule", "check", "validate"]
