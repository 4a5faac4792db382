"""Raising: a `Program` (normalised QIR) → a Qiskit `QuantumCircuit`, adaptive control flow included.

The inverse of `qirrt.bindings.qiskit`, and what the Aer executor, the Qiskit backend adapter and the
Qiskit facade run. `to_qiskit` walks the entry point's control-flow graph and rebuilds structure:

* **if/else**: a conditional branch becomes ``if_test`` with the branch's immediate post-dominator
  as the join (diamonds and triangles alike; a branch whose arms only return ends the region);
* **while loops**: a natural loop (a back edge, QIR's ``backwards_branching``) with one exit edge
  from block X becomes ``H; while (stay) { B; H }`` where H runs from the header to X and B from
  X's in-loop successor back to the header — both the ``while`` form (X is the header) and the
  ``do … while`` form (X is the latch) come out of the same rule;
* **conditions** are Qiskit classical expressions (`qiskit.circuit.classical.expr`) over clbits:
  ``read_result`` of result r reads clbit r, and i1 ``and``/``or``/``xor``/``icmp eq|ne``/``select``
  and i1 ``phi`` (through scratch clbits written with ``store``) compose them;
* **parameters**: ``__qirrt__parameter(i)`` becomes the Qiskit `Parameter` named
  ``program.parameters[i]`` (float arithmetic and math intrinsics become parameter expressions), or
  its value when ``params`` is given.

The circuit has one quantum register ``q`` (qubit i is QIR qubit i) and one classical register
``c`` with one bit per QIR result (clbit r is result r); scratch bits, when needed, sit in a second
register ``qirrt_scratch``. A value read from a result that is measured again before the value is
used (or a result recorded and then measured again) is kept by copying it into a scratch bit: the
raiser first tries without copies and, on meeting such a hazard, raises again copying every read.

The output records become a template in ``circuit.metadata["qirrt_records"]``; `map_counts` turns
the raised (or transpiled) circuit's Qiskit counts into the program's own count keys, so Aer's
counts compare directly with qirrt's. Integer computations on measured values, records of computed
integers or floats, ``switch``, irreducible or multi-exit loops raise `ExecutionError` naming the
instruction.

The raising is split by job: `_cfg` (blocks, loops, post-dominators), `_structure` (if/while regions),
`_clbits` (result and scratch clbits and their versions), `_expressions` (values as Qiskit expressions,
over `qirrt.qir.values`); this module keeps the driver and the QIS call handlers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyqir

from qirrt.bindings.qiskit._cfg import Cfg
from qirrt.bindings.qiskit._clbits import (
    Bool,
    Clbits,
    Hazard,
    ScratchFull,
    pointer_index,
)
from qirrt.bindings.qiskit._expressions import compute, math, parameter_objects
from qirrt.bindings.qiskit._structure import Structure
from qirrt.errors import ExecutionError, Location
from qirrt.qir.dialect import GATES, PARAMETER_FN, QIS_PREFIX, RT_PREFIX, qis_name
from qirrt.qir.values import signed
from qirrt.result import Record, format_key

if TYPE_CHECKING:
    from qiskit.circuit import QuantumCircuit

    from qirrt.qir.program import Program

__all__ = [
    "RECORDS_KEY",
    "RESULT_REGISTER",
    "SCRATCH_REGISTER",
    "format_records",
    "key_function",
    "map_counts",
    "records_of",
    "to_qiskit",
]

RECORDS_KEY = "qirrt_records"
"""`circuit.metadata` key of the output-record template."""
RESULT_REGISTER = "c"
SCRATCH_REGISTER = "qirrt_scratch"

_QISKIT_GATES = {
    "x": "XGate", "y": "YGate", "z": "ZGate", "h": "HGate", "s": "SGate", "s__adj": "SdgGate",
    "t": "TGate", "t__adj": "TdgGate", "sx": "SXGate", "rx": "RXGate", "ry": "RYGate", "rz": "RZGate",
    "cx": "CXGate", "cy": "CYGate", "cz": "CZGate", "swap": "SwapGate", "rxx": "RXXGate",
    "ryy": "RYYGate", "rzz": "RZZGate", "ccx": "CCXGate",
}
assert set(_QISKIT_GATES) == set(GATES), "every dialect gate needs a Qiskit gate"

class _Raiser:
    """One raising of one program: a thin driver over `Structure`, and the QIS call handlers.

    Reads and records of the results in `copies` go through scratch bits.
    """

    def __init__(self, program: Program, params, *, copies: frozenset[int], scratch_bits: int):
        from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister
        from qiskit.circuit import library

        self.program = program
        self.module = program.module
        self.function = next(f for f in self.module.functions if pyqir.is_entry_point(f))
        self.gate_classes = {name: getattr(library, cls) for name, cls in _QISKIT_GATES.items()}
        self.parameters = parameter_objects(program.parameters, params)
        self.num_results = program.num_results
        registers = [QuantumRegister(program.num_qubits, "q"), ClassicalRegister(self.num_results,
                                                                                 RESULT_REGISTER)]
        if scratch_bits:
            registers.append(ClassicalRegister(scratch_bits, SCRATCH_REGISTER))
        self.qc = QuantumCircuit(*registers, name=program.entry_point)
        self.qubits = list(self.qc.qubits)
        self.bits = Clbits(self.qc, self.num_results, copies=copies, capacity=scratch_bits, fail=self._error)
        self.env: dict[Any, Any] = {}
        self.records: list[tuple[str, str, Any]] = []  # (kind, "clbit"|"const", value)
        self.record_refs: list[tuple[frozenset, Any]] = []
        self.block_name = ""
        self.cfg = Cfg(self.function, self._error)
        self.flow = Structure(self.cfg, self.qc, self.bits, instructions=self._instructions, value=self._value,
                              fail=self._error)
        self.calls = {
            f"{QIS_PREFIX}mz__body": self._on_mz,
            f"{QIS_PREFIX}m__body": self._on_mz,
            f"{QIS_PREFIX}mresetz__body": self._on_mresetz,
            f"{QIS_PREFIX}reset__body": self._on_reset,
            f"{QIS_PREFIX}read_result__body": self._on_read_result,
            f"{RT_PREFIX}read_result": self._on_read_result,
            PARAMETER_FN: self._on_parameter,
            f"{RT_PREFIX}initialize": _ignore,
            f"{RT_PREFIX}result_record_output": self._on_record_result,
            f"{RT_PREFIX}bool_record_output": self._on_record_bool,
            f"{RT_PREFIX}int_record_output": self._on_record_number,
            f"{RT_PREFIX}double_record_output": self._on_record_number,
            f"{RT_PREFIX}array_record_output": self._on_record_group,
            f"{RT_PREFIX}tuple_record_output": self._on_record_group,
        }
        for name in GATES:
            self.calls[GATES[name].symbol] = self._on_gate

    # -- errors ----------------------------------------------------------------------------------
    def _error(self, message: str, *, block=None, instruction=None) -> ExecutionError:
        location = Location(file=self.program.source_file, function=self.function.name,
                            block=block.name if block is not None else (self.block_name or None),
                            instruction=str(instruction).strip() if instruction is not None else None)
        return ExecutionError(f"cannot raise the program to a Qiskit circuit: {message} (at {location})")

    def release(self) -> None:
        """Drop every pyqir object and break the reference cycles through bound methods."""
        self.calls = self.env = self.cfg = self.flow = self.bits = None
        self.record_refs = self.function = self.module = None

    # -- entry -----------------------------------------------------------------------------------
    def run(self) -> QuantumCircuit:
        self.flow.region(0, None)
        for refs, instruction in self.record_refs:
            self.bits.fresh(refs, instruction)
        self.qc.metadata = {
            RECORDS_KEY: [list(r) for r in self.records],
            "qirrt_entry_point": self.program.entry_point,
            "qirrt_program_hash": self.program.hash,
            "qirrt_parameters": list(self.program.parameters),
        }
        return self.qc

    # -- instructions ----------------------------------------------------------------------------
    def _instructions(self, index: int) -> None:
        block = self.cfg.blocks[index]
        self.block_name = block.name
        for instruction in block.instructions:
            opcode = instruction.opcode
            if opcode == pyqir.Opcode.CALL:
                self._call(instruction)
            elif opcode in (pyqir.Opcode.BR, pyqir.Opcode.RET):
                return
            elif opcode == pyqir.Opcode.PHI:
                self.env[instruction] = self.bits.read(self.bits.scratch_bit(instruction))
            else:
                self.env[instruction] = compute(instruction, self._value, self._error)

    def _call(self, call) -> None:
        callee = call.callee.name
        handler = self.calls.get(callee)
        if handler is not None:
            handler(call, callee)
            return
        if callee.startswith("llvm.") and callee.endswith(".f64"):
            args = [self._value(a, call) for a in call.args]
            self.env[call] = math(call, callee[len("llvm."):-len(".f64")], args, self._error)
            return
        if callee == "__qirrt__delay":
            self._on_delay(call)
            return
        if callee.startswith("__qirrt__"):
            return  # other qirrt annotations: no operation
        name = qis_name(callee)
        what = f"QIS instruction '{name}'" if name is not None else f"call to @{callee}"
        raise self._error(f"{what} has no Qiskit equivalent", instruction=call)

    def _on_gate(self, call, callee: str) -> None:
        name = callee[len(QIS_PREFIX):-len("__body")]
        spec = GATES[name]
        args = call.args
        angles = [self._angle(a, call) for a in args[: spec.num_params]]
        qubits = [self._qubit(a, call) for a in args[spec.num_params:]]
        self.qc.append(self.gate_classes[name](*angles), qubits, copy=False)

    def _on_delay(self, call) -> None:
        """`__qirrt__delay(qubit, duration, unit)`: unit 1 is the device's `dt`, 0 nanoseconds."""
        qubit = self._qubit(call.args[0], call)
        duration = self._value(call.args[1], call)
        unit = self._value(call.args[2], call)
        if not isinstance(duration, (int, float)) or isinstance(duration, bool):
            raise self._error("a delay of computed length cannot be raised", instruction=call)
        if unit == 1:
            self.qc.delay(round(duration), qubit, unit="dt")
        else:
            self.qc.delay(float(duration), qubit, unit="ns")

    def _on_mz(self, call, callee: str) -> None:
        qubit = self._qubit(call.args[0], call)
        clbit = self._result(call.args[1], call)
        self.qc.measure(qubit, self.bits.bits[clbit])
        self.bits.measured(clbit)

    def _on_mresetz(self, call, callee: str) -> None:
        self._on_mz(call, callee)
        self.qc.reset(self._qubit(call.args[0], call))

    def _on_reset(self, call, callee: str) -> None:
        self.qc.reset(self._qubit(call.args[0], call))

    def _on_read_result(self, call, callee: str) -> None:
        clbit = self._result(call.args[0], call)
        self.env[call] = self.bits.read(self.bits.copy_of(clbit, call))

    def _on_parameter(self, call, callee: str) -> None:
        index = self._value(call.args[0], call)
        if not isinstance(index, int) or not 0 <= index < len(self.parameters):
            raise self._error(f"parameter index {index!r} is out of range: the program declares "
                              f"{len(self.parameters)} parameters", instruction=call)
        self.env[call] = self.parameters[index]

    def _on_record_result(self, call, callee: str) -> None:
        self._top_level_record(call)
        clbit = self._result(call.args[0], call)
        self._record_clbit("result", self.bits.copy_of(clbit, call), call)

    def _on_record_bool(self, call, callee: str) -> None:
        self._top_level_record(call)
        value = self._value(call.args[0], call)
        if isinstance(value, bool):
            self.records.append(("bool", "const", value))
            return
        self.bits.fresh(value.refs, call)
        clbit = self.bits.single(value)
        if clbit is None:
            clbit = self.bits.scratch_bit(call)
            self.bits.store(clbit, value)
        self._record_clbit("bool", clbit, call)

    def _record_clbit(self, kind: str, clbit: int, call) -> None:
        """A record of clbit `clbit`'s current value (checked again once the circuit is complete)."""
        self.records.append((kind, "clbit", clbit))
        self.record_refs.append((frozenset({(clbit, self.bits.version[clbit])}), call))

    def _on_record_number(self, call, callee: str) -> None:
        self._top_level_record(call)
        kind = callee[len(RT_PREFIX):-len("_record_output")]
        value = self._value(call.args[0], call)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._error(f"a {kind} record of a computed value cannot be raised (only constants)",
                              instruction=call)
        if kind == "int":
            value = signed(value, call.args[0].type.width)  # the bit pattern, printed as a signed number
        self.records.append((kind, "const", value))

    def _on_record_group(self, call, callee: str) -> None:
        self._top_level_record(call)
        kind = callee[len(RT_PREFIX):-len("_record_output")]
        length = self._value(call.args[0], call)
        if not isinstance(length, int):
            raise self._error(f"{kind} record length must be a constant", instruction=call)
        self.records.append((kind, "const", length))

    def _top_level_record(self, call) -> None:
        if self.flow.depth:
            raise self._error("an output record inside a conditional or a loop cannot be raised (the "
                              "count key would change shape between shots)", instruction=call)

    # -- values ----------------------------------------------------------------------------------
    def _value(self, value, user):
        if isinstance(value, pyqir.IntConstant):
            return bool(value.value) if value.type.width == 1 else int(value.value)
        if isinstance(value, pyqir.FloatConstant):
            return float(value.value)
        found = self.env.get(value, _MISSING)
        if found is not _MISSING:
            return found
        if isinstance(value, pyqir.Constant):
            return pyqir.ptr_id(value) or 0
        raise self._error(f"operand `{str(value).strip()}` is not available here (defined in a block that "
                          f"does not dominate its use?)", instruction=user)

    def _qubit(self, value, call):
        return self.qubits[self._static("qubit", value, len(self.qubits), call)]

    def _result(self, value, call) -> int:
        return self._static("result", value, self.num_results, call)

    def _static(self, kind: str, value, count: int, call) -> int:
        """The index of a static qubit/result pointer operand, in 0..count-1."""
        index = pointer_index(value)
        if index is None or not 0 <= index < count:
            raise self._error(f"{kind} operand `{str(value).strip()}` is not a static {kind} of the program "
                              f"(0..{count - 1})", instruction=call)
        return index

    def _angle(self, value, call):
        angle = self._value(value, call)
        if isinstance(angle, (bool, Bool)):
            raise self._error("a gate angle depends on a measurement", instruction=call)
        return float(angle) if isinstance(angle, int) else angle


_MISSING = object()


def _ignore(call, callee: str) -> None:
    return None


# =============================================================================================
# Public API
# =============================================================================================
def to_qiskit(program: Program, params: Sequence[float] | Mapping[str, float] | None = None) -> QuantumCircuit:
    """Raise `program` to a Qiskit circuit; see the module docstring for the shape of the result.

    `params` binds the program's parameters (a sequence in `program.parameters` order, or a mapping
    by name); without it the circuit keeps Qiskit `Parameter`s of the same names.
    """
    bound = _count_scratch_candidates(program)
    copies: frozenset[int] = frozenset()
    while True:
        capacity = bound[bool(copies)]
        try:
            circuit, used = _raise_once(program, params, copies, capacity)
        except Hazard as hazard:
            copies = copies | {hazard.clbit}
            continue
        except ScratchFull:  # pragma: no cover - the bound counts every candidate instruction
            raise ExecutionError("internal error: scratch clbit bound too small while raising") from None
        if used < capacity:
            circuit, _ = _raise_once(program, params, copies, used)
        return circuit


def _raise_once(program: Program, params, copies: frozenset[int], capacity: int) -> tuple[QuantumCircuit, int]:
    """One raising; every pyqir object is dropped before returning (pyqir values must die on the thread
    that made them, and the raiser's bound-method tables would otherwise leave that to the GC)."""
    raiser = None
    failure = None
    try:
        raiser = _Raiser(program, params, copies=copies, scratch_bits=capacity)
        return raiser.run(), len(raiser.bits.scratch)
    except ExecutionError as exc:  # re-raised below without the frames that hold pyqir values
        failure = str(exc)
    finally:
        if raiser is not None:
            raiser.release()
    raise ExecutionError(failure)


def _count_scratch_candidates(program: Program) -> dict[bool, int]:
    """Upper bounds of scratch bits: without and with copies of reads and result records."""
    text = program.ir
    phis = len(re.findall(r"= phi i1 ", text))
    bools = text.count(f"call void @{RT_PREFIX}bool_record_output(")
    reads = len(re.findall(r"call i1 @__quantum__(?:qis__read_result__body|rt__read_result)\(", text))
    results = text.count(f"call void @{RT_PREFIX}result_record_output(")
    return {False: phis + bools, True: phis + bools + reads + results}


def records_of(circuit: QuantumCircuit) -> list[tuple[str, str, Any]]:
    """The output-record template of a raised (or transpiled) circuit."""
    metadata = circuit.metadata or {}
    if RECORDS_KEY not in metadata:
        raise ExecutionError(f"circuit '{circuit.name}' carries no qirrt output records; raise it with "
                             f"qirrt.bindings.qiskit.to_circuit.to_qiskit")
    return [tuple(r) for r in metadata[RECORDS_KEY]]


def key_function(circuit: QuantumCircuit) -> Callable[[str], str]:
    """A function from one of the circuit's Qiskit count keys to the program's count key."""
    records = records_of(circuit)
    width = circuit.num_clbits

    def convert(key: str) -> str:
        if key.startswith("0x"):
            bits = format(int(key, 16), f"0{width}b")
        else:
            bits = key.replace(" ", "")
        size = len(bits)
        values = []
        for kind, source, value in records:
            if source == "clbit":
                values.append((kind, int(bits[size - 1 - value]) if value < size else 0))
            else:
                values.append((kind, value))
        return format_records(values)

    return convert


def format_records(values: Sequence[tuple[str, Any]]) -> str:
    """One shot's count key from (kind, value) pairs in record order (kinds as in `RECORDS_KEY`)."""
    return format_key([Record(kind.upper(), value) for kind, value in values])


def map_counts(counts: Mapping[str, Any], circuit: QuantumCircuit) -> dict[str, Any]:
    """Qiskit counts (or probabilities) of a raised circuit → the same keyed as the program's counts."""
    convert = key_function(circuit)
    out: dict[str, Any] = {}
    for key, value in counts.items():
        mapped = convert(key)
        out[mapped] = out.get(mapped, 0) + value
    return out
