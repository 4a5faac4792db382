"""The one QIR dialect every stage after normalisation sees.

A normalised module has:

* opaque pointers; one entry point with the `entry_point` attribute, no parameters, returning
  `void` or `i64`;
* the QIR 1.0 attributes `qir_profiles` (``base_profile`` / ``adaptive_profile``),
  `required_num_qubits`, `required_num_results`, `output_labeling_schema`;
* static qubits and results: `null` or `inttoptr (i64 N to ptr)`;
* quantum instructions only as calls to ``__quantum__qis__<gate>__body`` with the names and
  signatures in `GATES` (rotation angles come first, then qubits, as in the QIR spec),
  measurement as `__quantum__qis__mz__body`, result reads as `__quantum__qis__read_result__body`;
* output through the ``__quantum__rt__*_record_output`` calls of `RECORDS`;
* runtime parameters (unbound circuit parameters) as calls to `PARAMETER_FN`,
  ``double @__qirrt__parameter(i64 index)``; a bound program has none.
"""

from __future__ import annotations

from dataclasses import dataclass

QIS_PREFIX = "__quantum__qis__"
RT_PREFIX = "__quantum__rt__"
PARAMETER_FN = "__qirrt__parameter"
PARAMETER_ATTR = "qirrt_parameters"
PRODUCER_ATTR = "qirrt_producer"


@dataclass(frozen=True)
class GateSpec:
    """One QIS gate: name (without prefix and `__body`), qubit count, angle count."""

    name: str
    num_qubits: int
    num_params: int = 0
    diagonal: bool = False
    self_inverse: bool = False

    @property
    def symbol(self) -> str:
        return f"{QIS_PREFIX}{self.name}__body"


_GATE_LIST = [
    GateSpec("x", 1, self_inverse=True),
    GateSpec("y", 1, self_inverse=True),
    GateSpec("z", 1, diagonal=True, self_inverse=True),
    GateSpec("h", 1, self_inverse=True),
    GateSpec("s", 1, diagonal=True),
    GateSpec("s__adj", 1, diagonal=True),
    GateSpec("t", 1, diagonal=True),
    GateSpec("t__adj", 1, diagonal=True),
    GateSpec("sx", 1),
    GateSpec("rx", 1, 1),
    GateSpec("ry", 1, 1),
    GateSpec("rz", 1, 1, diagonal=True),
    GateSpec("cx", 2, self_inverse=True),
    GateSpec("cy", 2, self_inverse=True),
    GateSpec("cz", 2, diagonal=True, self_inverse=True),
    GateSpec("swap", 2, self_inverse=True),
    GateSpec("rxx", 2, 1),
    GateSpec("ryy", 2, 1),
    GateSpec("rzz", 2, 1, diagonal=True),
    GateSpec("ccx", 3, self_inverse=True),
]

GATES: dict[str, GateSpec] = {g.name: g for g in _GATE_LIST}
"""Canonical unitary gates by QIS name. CNOT is `cx` (as qdk emits it); the normaliser renames
`cnot`, and `__quantum__qis__h` without `__body`, to these."""

ALIASES = {"cnot": "cx", "sdg": "s__adj", "tdg": "t__adj", "toffoli": "ccx", "ccnot": "ccx"}

INVERSES = {"s": "s__adj", "s__adj": "s", "t": "t__adj", "t__adj": "t"}
"""Gate pairs whose product is the identity (besides the self-inverse gates)."""

MEASUREMENTS = {"mz": 2, "m": 2, "mresetz": 2}
"""Measurement instructions → argument count (qubit, result)."""

NON_UNITARY = {"reset": 1}

READ_RESULT = f"{QIS_PREFIX}read_result__body"

RECORDS = {
    "result_record_output": ("ptr", "ptr"),
    "bool_record_output": ("i1", "ptr"),
    "int_record_output": ("i64", "ptr"),
    "double_record_output": ("double", "ptr"),
    "array_record_output": ("i64", "ptr"),
    "tuple_record_output": ("i64", "ptr"),
}
"""Output recording functions (without the `__quantum__rt__` prefix) → parameter types."""

RUNTIME_OK = {"initialize", "read_result", *RECORDS}
"""`__quantum__rt__` functions a normalised module may call."""


def gate_symbol(name: str) -> str:
    """The full QIS symbol for a canonical gate name."""
    return f"{QIS_PREFIX}{name}__body"


def qis_name(symbol: str) -> str | None:
    """`__quantum__qis__h__body` → `h`; None for anything that is not a QIS symbol."""
    if not symbol.startswith(QIS_PREFIX):
        return None
    name = symbol[len(QIS_PREFIX):]
    return name.removesuffix("__body")
