"""One model of LLVM text: operands, instructions (`Instr`), blocks, the entry function, the module around it,
and the control-flow facts (`Cfg`) the normaliser and passes read."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from qirrt.errors import InvalidProgramError
from qirrt.qir.dialect import QIS_PREFIX, RT_PREFIX

# =============================================================================================
# LLVM text: values, operands, instructions
# =============================================================================================
LOCAL_RE = re.compile(r'%(?:[-a-zA-Z$._][-a-zA-Z$._0-9]*|\d+|"[^"]*")')
_GLOBAL_NAME = r'(?:[-a-zA-Z$._][-a-zA-Z$._0-9]*|\d+|"[^"]*")'
_CALL_RE = re.compile(
    rf"^(?:(?P<res>%\S+) = )?(?:(?:tail|musttail|notail) )?call (?P<pre>[^@]*)@(?P<callee>{_GLOBAL_NAME})"
    r"\((?P<args>.*)\)(?P<post>[^()]*)$")
_LABEL_RE = re.compile(r'^(?P<label>[-a-zA-Z$._0-9]+|"[^"]+"):(?:\s*;.*)?$')
_INTTOPTR_RE = re.compile(r"^(?:nonnull )?inttoptr \(i64 (-?\d+) to ptr\)$")
_PARAM_ATTRS = {"noundef", "zeroext", "signext", "nonnull", "writeonly", "readonly", "readnone",
                "nocapture", "noalias", "inreg", "immarg", "returned", "nofree"}
_OPEN, _CLOSE = "([{<", ")]}>"


_FLAT_SPLIT = re.compile(r",\s*(?![^()]*\))")
_NESTED = re.compile(r"\([^()]*\(")


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split at `sep` outside brackets and quotes."""
    if sep == "," and '"' not in text and "{" not in text and "<" not in text and not _NESTED.search(text):
        return [part.strip() for part in _FLAT_SPLIT.split(text)] if text.strip() else []
    parts, depth, start, quoted = [], 0, 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    if tail or parts:
        parts.append(tail)
    return parts


def _first_token(text: str) -> tuple[str, str]:
    """The first whitespace-separated token of `text`, keeping bracketed types whole."""
    text = text.strip()
    if text and text[0] in _OPEN:
        depth = 0
        for i, ch in enumerate(text):
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE:
                depth -= 1
                if depth == 0:
                    return text[: i + 1], text[i + 1:].strip()
    head, _, rest = text.partition(" ")
    return head, rest.strip()


@dataclass
class Arg:
    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.type} {self.value}"


def parse_arg(text: str) -> Arg:
    text = text.strip()
    if text[:1] not in _OPEN:  # fast path: a plain type and no parameter attributes
        type_, _, rest = text.partition(" ")
        word = rest.split(" ", 1)[0]
        if word not in _PARAM_ATTRS and not word.startswith(("align", "dereferenceable")):
            return Arg(type_, rest.strip())
    type_, rest = _first_token(text)
    while True:
        word, remainder = _first_token(rest)
        if word in _PARAM_ATTRS:
            rest = remainder
        elif word == "align" or word.startswith(("dereferenceable", "align(")):
            rest = remainder.split(" ", 1)[1] if word == "align" and " " in remainder else remainder
        else:
            break
    return Arg(type_, rest)


def ptr(index: int) -> str:
    """The operand text of static qubit or result `index`."""
    return "null" if index == 0 else f"inttoptr (i64 {index} to ptr)"


def static_id(value: str) -> int | None:
    """`null` → 0, `inttoptr (i64 N to ptr)` → N, anything else → None."""
    value = value.strip()
    if value in ("null", "nonnull null"):
        return 0
    match = _INTTOPTR_RE.match(value)
    return int(match.group(1)) if match else None


_PACK_DOUBLE = struct.Struct(">d").pack
_UNPACK_DOUBLE = struct.Struct(">d").unpack


def double_literal(value: float) -> str:
    """An exact LLVM double literal: the hex form of its bits (``0x3FF0000000000000`` for 1.0)."""
    return "0x" + _PACK_DOUBLE(float(value)).hex().upper()


_POINTER_ARGS = {f"ptr {ptr(i)}": i for i in range(1024)}


def static_pointer(arg: str) -> int | None:
    """The index of a static qubit/result argument (``ptr null``, ``ptr writeonly inttoptr (i64 3 to ptr)``);
    None for anything else."""
    index = _POINTER_ARGS.get(arg)
    if index is not None:
        return index
    parsed = parse_arg(arg)
    index = static_id(parsed.value) if parsed.type == "ptr" else None
    return index if index is None or index >= 0 else None


def parse_double(text: str) -> float | None:
    """An LLVM double constant (``0x`` and 16 hex digits of its bits, or decimal), or None if `text` is not one."""
    text = text.strip()
    if text.startswith("0x") and len(text) == 18:
        return _UNPACK_DOUBLE(bytes.fromhex(text[2:]))[0]
    try:
        return float(text)
    except ValueError:
        return None


def double_bits(value: float) -> int:
    """The 64-bit pattern of a double (LLVM's ``bitcast double to i64``)."""
    return int.from_bytes(_PACK_DOUBLE(float(value)), "big")


def bits_double(bits: int) -> float:
    """The double with 64-bit pattern `bits` (LLVM's ``bitcast i64 to double``)."""
    return _UNPACK_DOUBLE(bits.to_bytes(8, "big"))[0]


class Instr:
    """One instruction line; call instructions are parsed into callee, return type and arguments
    (the arguments on first use)."""

    __slots__ = ("_args", "_args_text", "callee", "opcode", "result", "ret", "text")

    def __init__(self, text: str, result: str | None = None, opcode: str = "", callee: str | None = None,
                 ret: str | None = None, args: list[Arg] | None = None, args_text: str | None = None):
        self.text, self.result, self.opcode, self.callee, self.ret = text, result, opcode, callee, ret
        self._args = args
        self._args_text = args_text

    def arg_texts(self) -> list[str]:
        """The call's arguments as written (``ptr writeonly null``), unparsed."""
        if self._args is not None:
            return [str(a) for a in self._args]
        return split_top(self._args_text) if self._args_text else []

    @property
    def args(self) -> list[Arg]:
        if self._args is None:
            self._args = [parse_arg(a) for a in split_top(self._args_text)] if self._args_text else []
        return self._args

    def __repr__(self) -> str:
        return f"Instr({self.text!r})"

    @classmethod
    def parse(cls, text: str) -> Instr:
        text = text.strip()
        if ";" in text:
            text = strip_comment(text)
        if "call " in text:
            match = _CALL_RE.match(text)
            if match:
                pre = match.group("pre").strip()
                if pre.endswith(")"):  # explicit function type of a variadic call
                    pre = pre[: pre.rfind("(")].strip()
                ret = pre.split()[-1] if pre else "void"
                return cls(text, match.group("res"), "call", match.group("callee").strip('"'), ret,
                           args_text=match.group("args"))
        result = None
        body = text
        if text.startswith("%") and " = " in text:
            result, body = text.split(" = ", 1)
        return cls(text, result, body.split(" ", 1)[0])

    @property
    def is_terminator(self) -> bool:
        return self.opcode in ("br", "ret", "switch", "unreachable", "indirectbr", "callbr")

    def successors(self) -> list[str]:
        return [m[len("label %"):] for m in re.findall(r'label %(?:[-a-zA-Z$._0-9]+|"[^"]+")', self.text)]


def is_label(line: str) -> bool:
    """Whether a line of a function body is a block label (``then:``, ``"a b":  ; preds = %0``)."""
    return not line.startswith(" ") and _LABEL_RE.match(line) is not None


def strip_comment(line: str) -> str:
    """An LLVM text line without its `;` comment (a `;` inside a quoted name is kept)."""
    if ";" not in line:
        return line
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            return line[:i].rstrip()
    return line


def call_text(callee: str, args: list[str] | list[Arg], *, ret: str = "void", result: str | None = None) -> str:
    head = f"{result} = " if result else ""
    return f"{head}call {ret} @{callee}({', '.join(str(a) for a in args)})"


@dataclass
class Block:
    label: str
    explicit: bool
    instrs: list[Instr]

    @property
    def terminator(self) -> Instr | None:
        return self.instrs[-1] if self.instrs and self.instrs[-1].is_terminator else None


@dataclass
class Function:
    """The entry point's definition: `define <ret> @<name>(<params>) <attrs> {` and its blocks."""

    ret: str
    name: str
    params: list[str]
    suffix: str
    blocks: list[Block]
    prefix: str = "define"

    def instructions(self):
        for block in self.blocks:
            for index, instr in enumerate(block.instrs):
                yield block, index, instr

    def block(self, label: str) -> Block:
        for block in self.blocks:
            if block.label == label:
                return block
        raise KeyError(label)

    def print(self) -> str:
        lines = [f"{self.prefix} {self.ret} @{self.name}({', '.join(self.params)}){self.suffix}{{"]
        for block in self.blocks:
            lines.append(f"{block.label}:")
            lines.extend(f"  {instr.text}" for instr in block.instrs)
        lines.append("}")
        return "\n".join(lines)


_DEFINE_RE = re.compile(rf"^(?P<prefix>define[^@]*?) (?P<ret>\S+) @(?P<name>{_GLOBAL_NAME})\((?P<params>.*)\)"
                        r"(?P<suffix>[^{]*)\{$")


def parse_function(text: str) -> Function:
    lines = text.splitlines()
    header = _DEFINE_RE.match(lines[0])
    if header is None:
        raise InvalidProgramError(f"cannot read the definition `{lines[0]}`", code="QIR001")
    params = split_top(header.group("params"))
    unnamed_args = sum(1 for p in params if re.search(r"%\d+$", p))
    blocks: list[Block] = []
    current: Block | None = None
    for line in lines[1:-1]:
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            continue
        label = _LABEL_RE.match(stripped) if not line.startswith(" ") else None
        if label:
            current = Block(label.group("label"), True, [])
            blocks.append(current)
            continue
        if current is None:
            current = Block(str(unnamed_args), False, [])
            blocks.append(current)
        current.instrs.append(Instr.parse(stripped))
    return Function(header.group("ret"), header.group("name").strip('"'), params,
                    header.group("suffix"), blocks, header.group("prefix"))


def substitute(text: str, env: dict[str, str]) -> str:
    """Replace local value names by the texts `env` gives them."""
    if not env:
        return text
    return LOCAL_RE.sub(lambda m: env.get(m.group(0), m.group(0)), text)


def renumber(function: Function) -> None:
    """Give unnamed values and blocks consecutive numbers again after instructions were removed."""
    mapping: dict[str, str] = {}
    counter = 0
    new_params = []
    for param in function.params:
        match = re.search(r"%(\d+)$", param)
        if match:
            mapping[f"%{match.group(1)}"] = f"%{counter}"
            param = param[: match.start()] + f"%{counter}"
            counter += 1
        new_params.append(param)
    function.params = new_params
    for block in function.blocks:
        if block.label.isdigit():
            mapping[f"%{block.label}"] = f"%{counter}"
            block.label = str(counter)
            counter += 1
        for instr in block.instrs:
            if instr.result and instr.result[1:].isdigit():
                mapping[instr.result] = f"%{counter}"
                counter += 1
    for block in function.blocks:
        for i, instr in enumerate(block.instrs):
            new = LOCAL_RE.sub(lambda m: mapping.get(m.group(0), m.group(0)) if m.group(0)[1:].isdigit()
                               else m.group(0), instr.text)
            if new != instr.text:
                block.instrs[i] = Instr.parse(new)


# =============================================================================================
# Module text
# =============================================================================================
@dataclass
class ModuleText:
    """The printed module split around the entry point's definition."""

    before: str
    function: Function
    after: str

    def print(self) -> str:
        return f"{self.before}{self.function.print()}\n{self.after}"


def entry_span(lines: list[str], entry: str) -> tuple[int, int] | None:
    """Indices of the ``define … @entry(`` line and of its closing ``}`` in a module's lines; None if absent."""
    header = re.compile(rf"^define [^\n]*@{re.escape(entry)}\(")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        return None
    return start, next(i for i in range(start + 1, len(lines)) if lines[i] == "}")


def split_module(ir: str, entry: str) -> ModuleText:
    pattern = re.compile(rf"^define [^\n]*@{quote_name(entry)}\(", re.MULTILINE)
    match = pattern.search(ir)
    if match is None:
        raise InvalidProgramError(f"cannot find the definition of @{entry}", code="QIR010")
    end = ir.find("\n}\n", match.start())
    end = len(ir) - 2 if end < 0 else end
    return ModuleText(ir[: match.start()], parse_function(ir[match.start(): end + 2]), ir[end + 3:])


def quote_name(name: str) -> str:
    if re.fullmatch(r"[-a-zA-Z$._][-a-zA-Z$._0-9]*", name):
        return re.escape(name)
    return re.escape(f'"{name}"')


# =============================================================================================
# Control-flow facts
# =============================================================================================
class Cfg:
    """Successors, dominators, cycles and an execution order of the entry point's blocks."""

    def __init__(self, function: Function):
        self.labels = [b.label for b in function.blocks]
        self.succ = {b.label: (b.terminator.successors() if b.terminator else []) for b in function.blocks}
        self.entry = self.labels[0]
        self.exits = [b.label for b in function.blocks if b.terminator and b.terminator.opcode == "ret"]
        self._order = self._reverse_postorder()
        self.cyclic = self._cyclic_blocks()

    def _reverse_postorder(self) -> list[str]:
        seen, order = set(), []
        stack = [(self.entry, iter(self.succ.get(self.entry, [])))]
        seen.add(self.entry)
        while stack:
            node, children = stack[-1]
            for child in children:
                if child not in seen:
                    seen.add(child)
                    stack.append((child, iter(self.succ.get(child, []))))
                    break
            else:
                order.append(node)
                stack.pop()
        return order[::-1]

    def order(self, label: str) -> int:
        return self._order.index(label) if label in self._order else len(self._order)

    def _cyclic_blocks(self) -> set[str]:
        if len(self.labels) == 1:
            return {self.entry} if self.entry in self.succ[self.entry] else set()
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.labels)
        graph.add_edges_from((a, b) for a, bs in self.succ.items() for b in bs)
        cyclic: set[str] = set()
        for component in nx.strongly_connected_components(graph):
            if len(component) > 1 or any(n in self.succ[n] for n in component):
                cyclic |= component
        return cyclic

    def reachable_from(self, label: str) -> set[str]:
        """Blocks reachable from the end of `label` (itself only through a cycle)."""
        seen: set[str] = set()
        stack = list(self.succ.get(label, []))
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(self.succ.get(node, []))
        return seen

    @property
    def has_cycles(self) -> bool:
        return bool(self.cyclic)

    def dominators_of(self, label: str) -> set[str]:
        """Blocks that every path from the entry to `label` passes through (itself included)."""
        if len(self.labels) == 1:
            return {label}
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.labels)
        graph.add_edges_from((a, b) for a, bs in self.succ.items() for b in bs)
        idom = nx.immediate_dominators(graph, self.entry)
        result = {label}
        node = label
        while node in idom and idom[node] != node:
            node = idom[node]
            result.add(node)
        return result


# =============================================================================================
# Entry-point attributes and static ids, read from the text
# =============================================================================================
def entry_string_attrs(ir: str, entry: str) -> dict[str, str | None]:
    """The string attributes of the entry point's attribute group (a valueless one maps to None)."""
    header = re.search(rf"^define [^\n]*@{quote_name(entry)}\([^\n]*\)([^\n{{]*)\{{", ir, re.MULTILINE)
    group = re.search(r"#(\d+)", header.group(1)) if header else None
    if group is None:
        return {}
    match = re.search(rf"^attributes #{group.group(1)} = \{{(.*)\}}$", ir, re.MULTILINE)
    attrs: dict[str, str | None] = {}
    for key, value in re.findall(r'"([^"]+)"(?:="((?:[^"\\]|\\.)*)")?', match.group(1) if match else ""):
        attrs[key] = value if value != "" or f'"{key}"=""' in match.group(1) else None
    return attrs


_STATIC_PTR = re.compile(r"ptr (?:nonnull )?(?:(null)|inttoptr \(i64 (\d+) to ptr\))")


def count_ids(function: Function, kind: str) -> int:
    """1 + the highest static qubit or result id the entry point uses."""
    highest = -1
    for _, _, instr in function.instructions():
        callee = instr.callee
        if not callee or "ptr " not in instr.text:
            continue
        if callee.startswith(QIS_PREFIX) and "read_result" not in callee and not callee.startswith(
                (f"{QIS_PREFIX}mz", f"{QIS_PREFIX}m__", f"{QIS_PREFIX}mresetz")):
            if kind == "qubit":  # every static pointer of a gate is a qubit
                for null, number in _STATIC_PTR.findall(instr.text):
                    highest = max(highest, 0 if null else int(number))
            continue
        for position, arg in enumerate(instr.args):
            if arg.type != "ptr" or argument_kind(callee, position) != kind:
                continue
            value = static_id(arg.value)
            if value is not None:
                highest = max(highest, value)
    return highest + 1


def argument_kind(callee: str, position: int) -> str | None:
    """Whether operand `position` of a call to `callee` is a "qubit" or a "result" (None: neither)."""
    if callee.startswith(QIS_PREFIX):
        if "read_result" in callee:
            return "result"
        if callee.startswith((f"{QIS_PREFIX}mz", f"{QIS_PREFIX}m__", f"{QIS_PREFIX}mresetz")):
            return "qubit" if position == 0 else "result"
        return "qubit"
    if callee == f"{RT_PREFIX}result_record_output" and position == 0:
        return "result"
    return None


__all__ = [
    "LOCAL_RE",
    "Arg",
    "Block",
    "Cfg",
    "Function",
    "Instr",
    "ModuleText",
    "argument_kind",
    "bits_double",
    "call_text",
    "count_ids",
    "double_bits",
    "double_literal",
    "entry_span",
    "entry_string_attrs",
    "is_label",
    "parse_arg",
    "parse_double",
    "parse_function",
    "ptr",
    "quote_name",
    "renumber",
    "split_module",
    "split_top",
    "static_id",
    "static_pointer",
    "strip_comment",
    "substitute",
]
