"""Programs run without LLVM: the entry point read into an operation list.

A program whose classical control flow branches only on measurement results read as they are —
gates and measurements on constant qubits and results, angles that are constants or arithmetic on
runtime parameters, `br` on a `read_result` value, results recorded as they are read — needs no JIT
compilation. `compiled` reads it into arrays (`Operations`) that `interpreter.run_operations` feeds to
the same runtime callbacks compiled code calls, so loading and running grow linearly with the
program's length (LLVM's code generator does not, on one huge block: 10⁴ gates took 15 s, 10⁵ more
than 5 minutes; 5,000 nested ifs 105 s). Anything else (integer or boolean arithmetic on results,
phi nodes, switch, calls to IR-defined functions) is declined (None) and left to the JIT, which also
gives the errors for malformed calls.
"""

from __future__ import annotations

import ctypes
import re
import threading
import time
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from qirrt.executors.local import abi
from qirrt.qir.dialect import GATES, PARAMETER_FN, QIS_PREFIX, RT_PREFIX
from qirrt.qir.encoding import unescape
from qirrt.qir.text import parse_double, split_top, strip_comment

_NAME = r'(?:[-a-zA-Z$._][-a-zA-Z$._0-9]*|\d+|"[^"]*")'
_CALL = re.compile(rf"^(?:(?P<res>%{_NAME}) = )?(?:(?:tail|musttail|notail) )?call (?P<ret>[^@]*?)\s*"
                   rf"@(?P<callee>{_NAME})\((?P<args>.*)\)(?P<post>[^()]*)$")
_FLOAT_OP = re.compile(rf"^(?P<res>%{_NAME}) = (?P<op>fadd|fsub|fmul|fdiv|frem|fneg)"
                       r"(?P<flags>(?: (?:fast|nnan|ninf|nsz|arcp|contract|afn|reassoc))*) double (?P<args>.*)$")
_BRANCH = re.compile(rf"^br label %(?P<target>{_NAME})$")
_COND_BRANCH = re.compile(rf"^br i1 (?P<flag>%{_NAME}), label %(?P<then>{_NAME}), label %(?P<else>{_NAME})$")
_LABEL = re.compile(rf"^(?P<label>{_NAME}):(?:\s*;.*)?$")
_STATIC_PTR = re.compile(r"^ptr (?:nonnull )?(?:(null)|inttoptr \(i64 (-?\d+) to ptr\))$")
_LABEL_PTR = re.compile(rf"^ptr (?:nonnull )?(?:(null)|(@{_NAME})|getelementptr (?:inbounds )?"
                        rf"\(\[\d+ x i8\], ptr (@{_NAME})(?:, i(?:32|64) 0)*\))$")
_STRING = re.compile(rf"^(@{_NAME}) = [^\n]*?constant \[\d+ x i8\] c\"([^\"]*)\"", re.MULTILINE)
_QUBIT = r"ptr (?:nonnull )?(?:(null)|inttoptr \(i64 (-?\d+) to ptr\))"
_GATE_CALL = re.compile(rf"^call void @__quantum__qis__(?P<name>[a-z_]+?)__body\((?:double (?P<angle>[^,()]+), )?"
                        rf"{_QUBIT}(?:, {_QUBIT})?(?:, {_QUBIT})?\)$")
"""The common case, a gate on constant qubits, in one match (everything else takes `_CALL`)."""
_DEFINED = re.compile(rf"^define [^@\n]*@({_NAME})\(", re.MULTILINE)
_READ_RESULT_RT = f"{RT_PREFIX}read_result"
_SKIPPED = {f"{RT_PREFIX}initialize", "__qirrt__delay", f"{QIS_PREFIX}barrier__body"}
_MEASURES = {"mz": abi.OP_MEASURE, "m": abi.OP_MEASURE, "mresetz": abi.OP_MRESETZ}
_RECORD_TYPES = {"result": "ptr", "bool": "i1", "int": "i64", "double": "double", "array": "i64", "tuple": "i64"}
_FLOAT_FNS = {
    "fadd": lambda a, b: a + b,
    "fsub": lambda a, b: a - b,
    "fmul": lambda a, b: a * b,
    "fdiv": lambda a, b: a / b,
    "frem": np.fmod,
}


class _Declined(Exception):
    """The program uses something the operation list cannot express."""


@dataclass(frozen=True)
class Operations:
    """A program as arrays: `ops[i]` is (code, q0, q1, q2, label address) — see the `OP_*` codes in `abi`."""

    ops: np.ndarray
    """int64[n, 5]: a gate/measure/reset opcode with its qubits (q1 is the result of a measurement),
    `abi.OP_RECORD + kind` with the recorded value in column 1 and the label's address in column 4, or
    a control code (`abi.OP_READ`, `OP_RECORD_FLAG`, `OP_JUMP`, `OP_BRANCH`, `OP_END`)."""
    angles: np.ndarray
    """float64[n]: the constant rotation angle of each operation."""
    expressions: tuple[tuple, ...] = ()
    """Parameter arithmetic in program order: (op, operand, operand); an operand is ("param", index),
    ("const", value) or ("value", index of an earlier expression)."""
    parametric: tuple[tuple[int, int], ...] = ()
    """(row, expression index) of each operation whose angle is computed from parameters."""
    max_parameter: int = -1
    num_flags: int = 0
    """i1 values the program reads from results (`abi.OP_READ`) and branches on or records."""
    labels: dict[int, str | None] = field(default_factory=dict, repr=False)
    buffers: tuple = field(default=(), repr=False)
    """The label strings the addresses point into (kept alive with the operations)."""

    def __len__(self) -> int:
        return self.ops.shape[0]

    def angles_for(self, vector: np.ndarray) -> np.ndarray:
        """The angles with the parametric ones computed for the parameter vector `vector`."""
        if not self.parametric:
            return self.angles
        values: list[np.float64] = []
        with np.errstate(all="ignore"):
            for op, *operands in self.expressions:
                args = [np.float64(vector[x]) if kind == "param" else np.float64(x) if kind == "const"
                        else values[x] for kind, x in operands]
                values.append(np.float64(-args[0]) if op == "fneg" else np.float64(_FLOAT_FNS[op](*args)))
        angles = self.angles.copy()
        for row, index in self.parametric:
            angles[row] = values[index]
        return angles


def extract(ir: str, entry_point: str) -> Operations | None:
    """The operation list of `entry_point` in module text `ir`, or None when it cannot express it."""
    try:
        return _Reader(ir).read(entry_point)
    except _Declined:
        return None


class _Reader:
    def __init__(self, ir: str):
        self.ir = ir
        self.rows = array("q")       # five int64 per operation (see `Operations.ops`)
        self.angles = array("d")
        self.values: dict[str, tuple] = {}   # SSA double → ("param", k) / ("const", x) / ("value", i)
        self.expressions: list[tuple] = []
        self.parametric: list[tuple[int, int]] = []
        self.max_parameter = -1
        self.flags: dict[str, int] = {}      # SSA i1 read from a result → its flag slot
        self._strings: dict[str, bytes] | None = None
        self.label_address: dict[str, int] = {}
        self.labels: dict[int, str | None] = {}
        self.buffers: list = []

    # -- the entry point's blocks ------------------------------------------------------------------
    def read(self, entry_point: str) -> Operations:
        for match in _DEFINED.finditer(self.ir):
            name = match.group(1).strip('"')
            if name.startswith((QIS_PREFIX, RT_PREFIX)) or name == PARAMETER_FN:
                raise _Declined  # the module gives a runtime function a body of its own: compiled code runs it
        blocks = self._blocks(entry_point)
        starts: dict[str, int] = {}
        jumps: list[tuple[int, str]] = []   # (index into rows, target label) to fill in at the end
        for label, lines in blocks.items():  # source order: the entry block first, at row 0
            starts[label] = len(self.angles)
            terminated = False
            for line in lines:
                if terminated:
                    raise _Declined
                if line.startswith("call void @__quantum__qis__") and self._gate(line):
                    continue
                if line.startswith("call ") or " call " in line:
                    self._call(line)
                elif line.startswith("ret"):
                    self._row(abi.OP_END, -1)
                    terminated = True
                elif line.startswith("br "):
                    self._branch(line, jumps)
                    terminated = True
                else:
                    self._float_op(line)
            if not terminated:
                raise _Declined
        for index, label in jumps:
            if label not in starts:
                raise _Declined
            self.rows[index] = starts[label]
        ops = np.frombuffer(self.rows, np.int64).reshape(-1, 5)
        return Operations(ops=ops, angles=np.frombuffer(self.angles, np.float64), expressions=tuple(self.expressions),
                          parametric=tuple(self.parametric), max_parameter=self.max_parameter,
                          num_flags=len(self.flags), labels=self.labels, buffers=tuple(self.buffers))

    def _branch(self, line: str, jumps: list[tuple[int, str]]) -> None:
        match = _BRANCH.match(line)
        if match is not None:
            jumps.append((len(self.rows) + 1, match.group("target").strip('"')))
            self._row(abi.OP_JUMP, -1)
            return
        match = _COND_BRANCH.match(line)
        if match is None or match.group("flag") not in self.flags:
            raise _Declined  # a branch on computed values: the JIT evaluates those
        row = len(self.rows)
        jumps += [(row + 2, match.group("then").strip('"')), (row + 3, match.group("else").strip('"'))]
        self._row(abi.OP_BRANCH, self.flags[match.group("flag")], -1, -1)

    def _blocks(self, entry_point: str) -> dict[str, list[str]]:
        name = re.escape(entry_point) if re.fullmatch(r"[-a-zA-Z$._][-a-zA-Z$._0-9]*", entry_point) \
            else re.escape(f'"{entry_point}"')
        header = re.search(rf"^define [^\n]*@{name}\(\)[^\n]*\{{[ \t]*$", self.ir, re.MULTILINE)
        if header is None:
            raise _Declined  # absent, or it takes parameters: the JIT gives the error
        end = self.ir.find("\n}", header.end())
        if end < 0:
            raise _Declined
        blocks: dict[str, list[str]] = {}
        current: list[str] | None = None
        for raw in self.ir[header.end():end].split("\n"):
            line = raw.strip()
            if not line or line.startswith(";"):
                continue
            if ";" in line:
                line = strip_comment(line)
            if not raw[:1].isspace():
                match = _LABEL.match(line)
                if match:
                    label = match.group("label").strip('"')
                    if label in blocks:
                        raise _Declined
                    current = blocks[label] = []
                    continue
            if current is None:
                current = blocks["0"] = []
            current.append(line)
        if not blocks:
            raise _Declined
        return blocks

    # -- instructions ------------------------------------------------------------------------------------
    def _gate(self, line: str) -> bool:
        """Read a gate call on constant qubits; False when the line needs the general reader."""
        match = _GATE_CALL.match(line)
        if match is None:
            return False
        spec = GATES.get(match.group("name"))
        null0, q0, null1, q1, null2, q2 = match.group(3, 4, 5, 6, 7, 8)
        qubits = 1 + (null1 is not None or q1 is not None) + (null2 is not None or q2 is not None)
        angle_text = match.group("angle")
        if spec is None or spec.num_qubits != qubits or spec.num_params != (angle_text is not None):
            return False
        angle = self._angle("double " + angle_text) if angle_text is not None else 0.0
        self._row(abi.OPCODES[spec.name], 0 if null0 else int(q0), -1 if qubits < 2 else 0 if null1 else int(q1),
                  -1 if qubits < 3 else 0 if null2 else int(q2), angle=angle)
        return True

    def _call(self, line: str) -> None:
        match = _CALL.match(line)
        if match is None:
            raise _Declined
        callee = match.group("callee").strip('"')
        ret = match.group("ret").split()[-1] if match.group("ret").strip() else "void"
        args = split_top(match.group("args")) if match.group("args").strip() else []
        if callee.startswith(QIS_PREFIX):
            name = callee[len(QIS_PREFIX):].removesuffix("__body")
            spec = GATES.get(name)
            if spec is not None and ret == "void" and len(args) == spec.num_params + spec.num_qubits:
                angle = self._angle(args[0]) if spec.num_params else 0.0
                qubits = [self._static(a) for a in args[spec.num_params:]]
                self._row(abi.OPCODES[name], *qubits, angle=angle)
                return
            if name in _MEASURES and ret == "void" and len(args) == 2:
                self._row(_MEASURES[name], self._static(args[0]), self._static(args[1]))
                return
            if name == "reset" and ret == "void" and len(args) == 1:
                self._row(abi.OP_RESET, self._static(args[0]))
                return
            if name == "read_result" and ret == "i1" and len(args) == 1 and match.group("res"):
                self._read(match.group("res"), args[0])
                return
        elif callee == _READ_RESULT_RT and ret == "i1" and len(args) == 1 and match.group("res"):
            self._read(match.group("res"), args[0])
            return
        elif callee.startswith(RT_PREFIX) and callee.endswith("_record_output"):
            kind = callee[len(RT_PREFIX):-len("_record_output")]
            if kind in _RECORD_TYPES and ret == "void" and 1 <= len(args) <= 2:
                label = self._label(args[1]) if len(args) == 2 else 0
                flag = self.flags.get(args[0][3:]) if kind == "bool" and args[0].startswith("i1 %") else None
                if flag is not None:
                    self.rows.extend((abi.OP_RECORD_FLAG, flag, -1, -1, label))
                else:
                    value = self._record_value(_RECORD_TYPES[kind], args[0])
                    self.rows.extend((abi.OP_RECORD + abi.RECORD_KINDS[kind], value, -1, -1, label))
                self.angles.append(0.0)
                return
        elif callee == PARAMETER_FN and ret == "double" and match.group("res") and len(args) == 1:
            type_, _, value = args[0].partition(" ")
            if type_ == "i64" and value.strip().lstrip("-").isdigit():
                index = int(value)
                if index >= 0:
                    self.values[match.group("res")] = ("param", index)
                    self.max_parameter = max(self.max_parameter, index)
                    return
        if callee in _SKIPPED and ret == "void":
            return
        raise _Declined

    def _read(self, name: str, arg: str) -> None:
        if name in self.flags:
            raise _Declined
        self.flags[name] = len(self.flags)
        self._row(abi.OP_READ, self._static(arg), self.flags[name])

    def _row(self, code: int, q0: int, q1: int = -1, q2: int = -1, *, angle: float | tuple = 0.0) -> None:
        if isinstance(angle, tuple):
            if angle[0] == "param":  # an angle read straight from a parameter: a one-operand expression
                self.expressions.append(("fadd", angle, ("const", 0.0)))
                angle = ("value", len(self.expressions) - 1)
            self.parametric.append((len(self.angles), angle[1]))
            angle = 0.0
        self.rows.extend((code, q0, q1, q2, 0))
        self.angles.append(angle)

    def _float_op(self, line: str) -> None:
        match = _FLOAT_OP.match(line)
        if match is None:
            raise _Declined
        op = match.group("op")
        operands = [part.strip() for part in match.group("args").split(",")]
        if len(operands) != (1 if op == "fneg" else 2):
            raise _Declined
        values = [self._operand(text) for text in operands]
        if all(kind == "const" for kind, _ in values):  # folded now, exactly as at run time
            with np.errstate(all="ignore"):
                args = [np.float64(v) for _, v in values]
                folded = -args[0] if op == "fneg" else _FLOAT_FNS[op](*args)
            self.values[match.group("res")] = ("const", float(folded))
            return
        self.expressions.append((op, *values))
        self.values[match.group("res")] = ("value", len(self.expressions) - 1)

    def _operand(self, text: str) -> tuple:
        if text.startswith("%"):
            value = self.values.get(text)
            if value is None:
                raise _Declined
            return value
        number = parse_double(text)
        if number is None:
            raise _Declined
        return ("const", number)

    def _angle(self, arg: str) -> float | tuple:
        type_, _, text = arg.partition(" ")
        if type_ != "double":
            raise _Declined
        value = self._operand(text.strip())
        return value[1] if value[0] == "const" else value

    def _static(self, arg: str) -> int:
        match = _STATIC_PTR.match(arg)
        if match is None:
            raise _Declined
        return 0 if match.group(1) else int(match.group(2))

    def _record_value(self, type_: str, arg: str) -> int:
        if type_ == "ptr":
            return self._static(arg)
        given, _, text = arg.partition(" ")
        text = text.strip()
        if given != type_:
            raise _Declined
        if type_ == "i1" and text in ("true", "false"):
            return int(text == "true")
        if type_ == "i64" and text.lstrip("-").isdigit():
            return int(np.int64(int(text)))
        if type_ == "double":
            number = parse_double(text)
            if number is not None:
                return int(np.float64(number).view(np.int64))
        raise _Declined

    def _label(self, arg: str) -> int:
        match = _LABEL_PTR.match(arg)
        if match is None:
            raise _Declined
        if match.group(1):
            return 0
        name = match.group(2) or match.group(3)
        address = self.label_address.get(name)
        if address is None:
            data = self._string(name)
            buffer = ctypes.create_string_buffer(data)
            address = ctypes.addressof(buffer)
            self.buffers.append(buffer)
            self.label_address[name] = address
            self.labels[address] = data.split(b"\0", 1)[0].decode("utf-8", "replace")
        return address

    def _string(self, name: str) -> bytes:
        if self._strings is None:
            self._strings = {m.group(1): unescape(m.group(2).encode("latin-1")) for m in _STRING.finditer(self.ir)}
        data = self._strings.get(name)
        if data is None:
            raise _Declined
        return data


# -- the compiled form the local executor runs ----------------------------------------------------------
_cache: OrderedDict[str, object] = OrderedDict()
_CACHE_SIZE = 128
_lock = threading.Lock()
_DECLINED = object()


def compiled(program):
    """(`jit.CompiledProgram` running `program`'s operation list, whether this call built it), or
    (None, ...) when the operation list cannot express it. Both answers are cached per program hash."""
    from qirrt.executors.local.interpreter import run_operations
    from qirrt.executors.local.jit import CompiledProgram

    key = program.hash
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return (None if cached is _DECLINED else cached), False
    start = time.perf_counter()
    operations = extract(program.ir, program.entry_point)
    if operations is None:
        result = None
    else:
        result = CompiledProgram(program_hash=key, run_address=run_operations.address,
                                 compile_time_s=time.perf_counter() - start, engine=run_operations,
                                 labels=dict(operations.labels), operations=operations)
    with _lock:
        _cache[key] = _DECLINED if result is None else result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result, True


def clear_cache() -> None:
    with _lock:
        _cache.clear()
