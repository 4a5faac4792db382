"""`QirEmitter`: writes a module in qirrt's dialect as LLVM text, fast.

Frontends and passes use it to build programs; pyqir then parses and verifies the text. Writing text
lets one emitter cover float arithmetic on parameters, branches and loops, which pyqir's builder lacks.
"""

from __future__ import annotations

from qirrt.qir.dialect import (
    GATES,
    PARAMETER_ATTR,
    PARAMETER_FN,
    PRODUCER_ATTR,
    QIS_PREFIX,
    RT_PREFIX,
)
from qirrt.qir.module import Profile, encode_parameters
from qirrt.qir.text import double_literal

_NANOSECONDS_PER = {"s": 1e9, "ms": 1e6, "us": 1e3, "µs": 1e3, "ns": 1.0, "ps": 1e-3}
_INTRINSICS = {"sin", "cos", "exp", "log", "sqrt", "fabs", "pow", "tan", "asin", "acos", "atan"}


double = double_literal
"""An exact LLVM double literal (hex form, so no precision is lost): `qirrt.qir.text.double_literal`."""


_POINTERS = ["ptr null"] + [f"ptr inttoptr (i64 {i} to ptr)" for i in range(1, 1024)]


def qubit(index: int) -> str:
    """The static pointer operand of qubit (or result) `index`."""
    if 0 <= index < len(_POINTERS):
        return _POINTERS[index]
    return f"ptr inttoptr (i64 {index} to ptr)"


result = qubit


def _escape(text: str) -> str:
    out = []
    for byte in text.encode():
        out.append(chr(byte) if 32 <= byte < 127 and byte not in (34, 92) else "\\%02X" % byte)
    return "".join(out)


class QirEmitter:
    """Accumulates one entry point's body; `finish()` returns the module text."""

    def __init__(self, *, entry_point: str = "main", producer: str = "qirrt",
                 parameters: tuple[str, ...] | list[str] = (), labeled: bool = True):
        self.entry_point = entry_point
        self.producer = producer
        self.parameters = tuple(parameters)
        self.num_qubits = 0
        self.num_results = 0
        self.labeled = labeled
        self.body: list[str] = ["entry:"]
        self._declarations: dict[str, str] = {}
        self._labels: dict[str, str] = {}
        self._counter = 0
        self._blocks = 0
        self._flags: set[str] = set()
        self._parameter_values: dict[int, str] = {}
        self.block_count = 1

    # -- values --------------------------------------------------------------------------------
    def _tmp(self) -> str:
        self._counter += 1
        return f"%t{self._counter}"

    def _declare(self, symbol: str, signature: str) -> None:
        self._declarations.setdefault(symbol, signature)

    def _use_qubits(self, qubits) -> None:
        self.num_qubits = max(self.num_qubits, max(qubits) + 1)

    def _use_result(self, index: int) -> None:
        self.num_results = max(self.num_results, index + 1)

    def label(self, text: str | None) -> str:
        """A pointer to a global label string (`ptr null` when labels are off or absent)."""
        if not self.labeled or text is None:
            return "ptr null"
        name = self._labels.get(text)
        if name is None:
            name = f"@label.{len(self._labels)}"
            self._labels[text] = name
        return f"ptr {name}"

    def parameter(self, index: int) -> str:
        """The runtime value of parameter `index` (an SSA double), read once per entry block."""
        value = self._parameter_values.get(index)
        if value is None:
            self._declare(PARAMETER_FN, f"declare double @{PARAMETER_FN}(i64)")
            value = f"%p{index}"
            self.body.insert(1, f"  {value} = call double @{PARAMETER_FN}(i64 {index})")
            self._parameter_values[index] = value
        return value

    def fbinary(self, op: str, lhs: str, rhs: str) -> str:
        """`op` in fadd/fsub/fmul/fdiv on two double operands (SSA names or literals)."""
        out = self._tmp()
        self.body.append(f"  {out} = {op} double {lhs}, {rhs}")
        self._flags.add("float_computations")
        return out

    def fneg(self, operand: str) -> str:
        out = self._tmp()
        self.body.append(f"  {out} = fneg double {operand}")
        return out

    def fcall(self, function: str, *operands: str) -> str:
        """A math intrinsic (`llvm.sin.f64`, ...) applied to double operands."""
        if function not in _INTRINSICS:
            raise ValueError(f"unsupported math function {function!r}")
        symbol = f"llvm.{function}.f64"
        params = ", ".join("double" for _ in operands)
        self._declare(symbol, f"declare double @{symbol}({params})")
        out = self._tmp()
        args = ", ".join(f"double {o}" for o in operands)
        self.body.append(f"  {out} = call double @{symbol}({args})")
        return out

    # -- quantum instructions ------------------------------------------------------------------
    def gate(self, name: str, qubits, angles=()) -> None:
        spec = GATES[name]
        symbol = spec.symbol
        if symbol not in self._declarations:
            params = ", ".join(["double"] * spec.num_params + ["ptr"] * spec.num_qubits)
            self._declarations[symbol] = f"declare void @{symbol}({params})"
        self._use_qubits(qubits)
        args = [f"double {a}" if isinstance(a, str) else f"double {double(a)}" for a in angles] if angles else []
        args += [qubit(q) for q in qubits]
        self.body.append(f"  call void @{symbol}({', '.join(args)})")

    def measure(self, qubit_index: int, result_index: int) -> None:
        symbol = f"{QIS_PREFIX}mz__body"
        self._declare(symbol, f"declare void @{symbol}(ptr, ptr writeonly) #1")
        self._use_qubits((qubit_index,))
        self._use_result(result_index)
        self.body.append(f"  call void @{symbol}({qubit(qubit_index)}, {result(result_index)})")

    def reset(self, qubit_index: int) -> None:
        symbol = f"{QIS_PREFIX}reset__body"
        self._declare(symbol, f"declare void @{symbol}(ptr)")
        self._use_qubits((qubit_index,))
        self.body.append(f"  call void @{symbol}({qubit(qubit_index)})")

    def delay(self, qubit_index: int, duration: float, unit: str) -> None:
        """Timing metadata for later passes; executors treat it as the identity.

        Emitted as `__qirrt__delay(qubit, duration, unit_code)`: unit code 0 means nanoseconds (time
        units are converted), 1 means device samples (`dt`).
        """
        symbol = "__qirrt__delay"
        self._declare(symbol, f"declare void @{symbol}(ptr, double, i64)")
        self._use_qubits((qubit_index,))
        if unit == "dt":
            value, unit_code = duration, 1
        elif unit in _NANOSECONDS_PER:
            value, unit_code = duration * _NANOSECONDS_PER[unit], 0
        else:
            raise ValueError(f"unknown delay unit {unit!r}; expected s, ms, us, ns, ps or dt")
        self.body.append(f"  call void @{symbol}({qubit(qubit_index)}, double {double(value)}, i64 {unit_code})")

    def read_result(self, result_index: int) -> str:
        symbol = f"{QIS_PREFIX}read_result__body"
        self._declare(symbol, f"declare i1 @{symbol}(ptr)")
        self._use_result(result_index)
        out = self._tmp()
        self.body.append(f"  {out} = call i1 @{symbol}({result(result_index)})")
        return out

    def logic(self, op: str, lhs: str, rhs: str) -> str:
        """`and`/`or`/`xor` on i1 values."""
        out = self._tmp()
        self.body.append(f"  {out} = {op} i1 {lhs}, {rhs}")
        return out

    # -- output records ------------------------------------------------------------------------
    def _record(self, kind: str, value_type: str, value: str, label: str | None) -> None:
        symbol = f"{RT_PREFIX}{kind}_record_output"
        self._declare(symbol, f"declare void @{symbol}({value_type}, ptr)")
        self.body.append(f"  call void @{symbol}({value_type} {value}, {self.label(label)})")

    def record_result(self, result_index: int, label: str | None = None) -> None:
        self._use_result(result_index)
        self._record("result", "ptr", result(result_index)[4:], label)

    def record_array(self, length: int, label: str | None = None) -> None:
        self._record("array", "i64", str(length), label)

    def record_tuple(self, length: int, label: str | None = None) -> None:
        self._record("tuple", "i64", str(length), label)

    def record_int(self, value: str | int, label: str | None = None) -> None:
        self._record("int", "i64", str(value), label)

    def record_bool(self, value: str, label: str | None = None) -> None:
        self._record("bool", "i1", value, label)

    def record_double(self, value: str | float, label: str | None = None) -> None:
        self._record("double", "double", value if isinstance(value, str) else double(value), label)

    # -- control flow --------------------------------------------------------------------------
    def new_block(self, hint: str = "bb") -> str:
        self._blocks += 1
        return f"{hint}{self._blocks}"

    def branch(self, target: str) -> None:
        self.body.append(f"  br label %{target}")

    def cond_branch(self, condition: str, if_true: str, if_false: str) -> None:
        self.body.append(f"  br i1 {condition}, label %{if_true}, label %{if_false}")

    def start_block(self, name: str) -> None:
        self.body.append(f"{name}:")
        self.block_count += 1

    def mark_backwards_branching(self) -> None:
        self._flags.add("backwards_branching")

    # -- module --------------------------------------------------------------------------------
    def finish(self, profile: Profile, *, num_qubits: int | None = None, num_results: int | None = None) -> str:
        qubits = self.num_qubits if num_qubits is None else num_qubits
        results = self.num_results if num_results is None else num_results
        lines = [f"; ModuleID = '{self.entry_point}'", f'source_filename = "{self.entry_point}"', ""]
        for text, name in self._labels.items():
            encoded = text.encode()
            lines.append(f'{name} = internal constant [{len(encoded) + 1} x i8] c"{_escape(text)}\\00"')
        if self._labels:
            lines.append("")
        lines.append(f"define i64 @{self.entry_point}() #0 {{")
        lines.extend(self.body)
        lines.append("  ret i64 0")
        lines.append("}")
        lines.append("")
        lines.extend(self._declarations.values())
        attributes = [
            '"entry_point"',
            f'"output_labeling_schema"="{"labeled" if self.labeled else "ordered"}"',
            f'"qir_profiles"="{profile.attribute}"',
            f'"required_num_qubits"="{qubits}"',
            f'"required_num_results"="{results}"',
            f'"{PRODUCER_ATTR}"="{_escape(self.producer)}"',
        ]
        if self.parameters:
            attributes.append(f'"{PARAMETER_ATTR}"="{_escape(encode_parameters(self.parameters))}"')
        lines.append("")
        lines.append(f"attributes #0 = {{ {' '.join(attributes)} }}")
        lines.append('attributes #1 = { "irreversible" }')
        flags = [
            '!{i32 1, !"qir_major_version", i32 1}',
            '!{i32 7, !"qir_minor_version", i32 0}',
            '!{i32 1, !"dynamic_qubit_management", i1 false}',
            '!{i32 1, !"dynamic_result_management", i1 false}',
        ]
        if profile is Profile.ADAPTIVE:  # capability values in the spec's form, as qdk writes them
            capability_values = {"float_computations": '!{!"double"}', "int_computations": '!{!"i64"}',
                                 "backwards_branching": "i2 3"}
            for flag in sorted(self._flags):
                value = capability_values.get(flag, "i1 true")
                flags.append(f'!{{i32 5, !"{flag}", {value}}}' if value.startswith("!")
                             else f'!{{i32 1, !"{flag}", {value}}}')
        lines.append("")
        lines.append("!llvm.module.flags = !{" + ", ".join(f"!{i}" for i in range(len(flags))) + "}")
        lines.extend(f"!{i} = {flag}" for i, flag in enumerate(flags))
        return "\n".join(lines) + "\n"
