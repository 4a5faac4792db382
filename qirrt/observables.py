"""Expectation values ⟨O⟩ of Pauli observables, from the counts of a program's runs.

**Qubit order.** A Pauli string is read as Qiskit reads a `SparsePauliOp` label: little-endian, its
rightmost character acts on qubit 0 of the program (module qubit 0, ``inttoptr (i64 0 to ptr)``).
``"XIZ"`` is Z on qubit 0 and X on qubit 2; a string shorter than the program acts as the identity on
the higher qubits. Qubits are the program's own (module) qubits, not physical ones.

**Which bit is which.** A count key holds a shot's recorded outputs in record order (see
`qirrt.result`); after removing the spaces that separate registers, the i-th character is the i-th
bit-valued record. Z on qubit q reads the result of q's *last* measurement, located through the
program's ``mz`` and ``result_record_output`` calls, so the convention holds whatever order a
producer records in (for Qiskit-sourced programs the key is Qiskit's, qubit 0 measured into c[0]
being rightmost). Every qubit the observable acts on must be measured and its result recorded.

**X and Y terms.** Counts only give diagonal (Z-type) observables.
`qirrt.passes.basis_change.measurement_circuits` splits an
observable into qubit-wise commuting groups and, per group, appends the basis change (H for X;
S† then H for Y) just before each qubit's final measurement; each group's counts are then read with a
diagonal observable (`BoundObservable`). The sum over groups is ⟨O⟩.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from qirrt.errors import PassError

_LABEL_RE = re.compile(r"^[IXYZ]+$")
_TERM_RE = re.compile(r"^\s*(?:([-+]?\s*(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\*?\s*)?([IXYZ]+)\s*$")


@dataclass(frozen=True)
class PauliObservable:
    """A real linear combination of Pauli strings: ``terms`` are ``(label, coefficient)`` pairs."""

    terms: tuple[tuple[str, float], ...]

    def __post_init__(self) -> None:
        if not self.terms:
            raise PassError("an observable needs at least one Pauli term")
        for label, _ in self.terms:
            if not _LABEL_RE.match(label):
                raise PassError(f"Pauli label {label!r} may only contain I, X, Y and Z")

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def parse(cls, value) -> PauliObservable:
        """From a label (``"ZZZZZ"``), a sum (``"0.5*ZZ - 0.5*XX"``), a `SparsePauliOp`, a mapping
        label → coefficient, a list of (label, coefficient) pairs, or a `PauliObservable`."""
        if isinstance(value, PauliObservable):
            return value
        if isinstance(value, str):
            return cls(_parse_sum(value))
        if hasattr(value, "to_list") and hasattr(value, "paulis"):  # qiskit SparsePauliOp
            pairs = value.to_list()
        elif isinstance(value, Mapping):
            pairs = list(value.items())
        elif isinstance(value, Iterable):
            pairs = list(value)
        else:
            raise PassError(f"cannot read an observable from {type(value).__name__}: give a Pauli string "
                            "like 'ZZI', a SparsePauliOp, or (label, coefficient) pairs")
        terms = []
        for label, coefficient in pairs:
            coefficient = complex(coefficient)
            if abs(coefficient.imag) > 1e-12:
                raise PassError(f"term {label} has the complex coefficient {coefficient}: only Hermitian "
                                "observables (real coefficients) have real expectation values")
            terms.append((str(label).upper(), coefficient.real))
        return cls(tuple(terms))

    # -- views ----------------------------------------------------------------------------------
    @property
    def num_qubits(self) -> int:
        return max(len(label) for label, _ in self.terms)

    @property
    def is_diagonal(self) -> bool:
        return all(set(label) <= {"I", "Z"} for label, _ in self.terms)

    def support(self) -> set[int]:
        """Qubits some term acts on non-trivially."""
        return {q for label, _ in self.terms for q, p in _letters(label) if p != "I"}

    def groups(self) -> list[MeasurementGroup]:
        """Qubit-wise commuting groups (greedy, in term order); each is measured by one circuit."""
        groups: list[tuple[dict[int, str], list[tuple[str, float]]]] = []
        for label, coefficient in self.terms:
            needs = {q: p for q, p in _letters(label) if p != "I"}
            for basis, members in groups:
                if all(basis.get(q, p) == p for q, p in needs.items()):
                    basis.update(needs)
                    members.append((label, coefficient))
                    break
            else:
                groups.append((dict(needs), [(label, coefficient)]))
        return [MeasurementGroup(basis=dict(sorted(b.items())), terms=tuple(m)) for b, m in groups]

    def __str__(self) -> str:
        if len(self.terms) == 1 and self.terms[0][1] == 1.0:
            return self.terms[0][0]
        parts = []
        for label, coefficient in self.terms:
            sign = "-" if coefficient < 0 else "+"
            parts.append(f"{sign} {abs(coefficient):g}*{label}")
        text = " ".join(parts)
        return text[2:] if text.startswith("+ ") else "-" + text[2:]


@dataclass(frozen=True)
class MeasurementGroup:
    """Terms measured together: `basis` maps qubit → the Pauli (X, Y or Z) measured on it."""

    basis: dict[int, str]
    terms: tuple[tuple[str, float], ...]

    @property
    def needs_basis_change(self) -> bool:
        return any(p != "Z" for p in self.basis.values())


def _letters(label: str) -> list[tuple[int, str]]:
    """(qubit, Pauli) for each character, little-endian."""
    return [(q, p) for q, p in enumerate(reversed(label))]


def _parse_sum(text: str) -> tuple[tuple[str, float], ...]:
    cleaned = text.replace("−", "-").strip()
    if not cleaned:
        raise PassError("empty observable: give a Pauli string like 'ZZZZZ'")
    pieces = re.split(r"(?<=[IXYZ\s])\s*([+-])\s*(?=[\d.IXYZ])", cleaned)
    # re.split with a group alternates term, sign, term, ...
    terms = []
    sign = 1.0
    first = pieces[0]
    if first.startswith("-"):
        sign, first = -1.0, first[1:]
    elif first.startswith("+"):
        first = first[1:]
    chunks = [(sign, first)] + [(-1.0 if pieces[i] == "-" else 1.0, pieces[i + 1]) for i in range(1, len(pieces), 2)]
    for sign, chunk in chunks:
        match = _TERM_RE.match(chunk.upper())
        if match is None:
            raise PassError(f"cannot read Pauli term {chunk.strip()!r} in {text!r}: write terms like "
                            "'ZZI', '0.5*XIX' or '-2*YY', joined by + or -")
        coefficient = float(match.group(1).replace(" ", "")) if match.group(1) else 1.0
        terms.append((match.group(2), sign * coefficient))
    return tuple(terms)


# -- where each qubit's bit is in a count key ------------------------------------------------------
_RECORD_RE = re.compile(r"@__quantum__rt__(\w+?)_record_output\(\s*(\w+) ([^,]+),")
_MEASURE_RE = re.compile(r"@__quantum__qis__(mz|m|mresetz)__body\(\s*ptr ((?:null|inttoptr \(i64 \d+ to ptr\))), "
                         r"ptr (?:writeonly )?((?:null|inttoptr \(i64 \d+ to ptr\)))")
_INDEX_RE = re.compile(r"inttoptr \(i64 (\d+) to ptr\)")


def _pointer_index(text: str) -> int:
    text = text.strip()
    if text == "null":
        return 0
    match = _INDEX_RE.fullmatch(text)
    if match is None:
        raise PassError(f"dynamic pointer operand `{text}`: observables need static qubits and results")
    return int(match.group(1))


@dataclass(frozen=True)
class MeasurementLayout:
    """For one program: the key position of each measured qubit's final result.

    `positions[q]` is the index, in a count key with spaces removed, of the bit recording qubit q's
    last measurement; `width` is the number of bit-valued records (the stripped key's length).
    """

    positions: dict[int, int]
    width: int

    @classmethod
    def of(cls, program) -> MeasurementLayout:
        body = _entry_body(program.ir, program.entry_point)
        last_measured: dict[int, int] = {}  # qubit -> result
        record_position: dict[int, int] = {}  # result -> key position (first record wins)
        width = 0
        numeric = []
        for line in body:
            match = _MEASURE_RE.search(line)
            if match:
                last_measured[_pointer_index(match.group(2))] = _pointer_index(match.group(3))
                continue
            match = _RECORD_RE.search(line)
            if match:
                kind, value = match.group(1), match.group(3)
                if kind == "result":
                    record_position.setdefault(_pointer_index(value), width)
                    width += 1
                elif kind == "bool":
                    width += 1
                elif kind in ("int", "double"):
                    numeric.append(kind)
        if numeric:
            raise PassError(f"program @{program.entry_point} records {numeric[0]} values: expectation values "
                            "need outputs that are measured bits (result or bool records)")
        positions = {q: record_position[r] for q, r in last_measured.items() if r in record_position}
        return cls(positions=positions, width=width)

    def position(self, qubit: int, program_name: str = "the program") -> int:
        if qubit not in self.positions:
            raise PassError(f"the observable acts on qubit {qubit}, which {program_name} does not measure and "
                            "record: measure every qubit the observable acts on")
        return self.positions[qubit]


def _entry_body(ir: str, entry_point: str) -> list[str]:
    lines = ir.split("\n")
    header = re.compile(rf"^define [^\n]*@{re.escape(entry_point)}\(")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        raise PassError(f"cannot find the definition of @{entry_point} in the module")
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == "}")
    return lines[start + 1:end]


def strip_key(key: str) -> str:
    """A count key without the spaces between registers: one character per bit-valued record."""
    return key.replace(" ", "")


@dataclass(frozen=True)
class BoundObservable:
    """A diagonal observable tied to key positions: ``constant + Σ coeff · Π (−1)^bit[pos]``."""

    terms: tuple[tuple[tuple[int, ...], float], ...]
    width: int
    label: str = ""

    @classmethod
    def bind(cls, observable: PauliObservable | MeasurementGroup, layout: MeasurementLayout,
             program_name: str = "the program") -> BoundObservable:
        terms = []
        labels = []
        for label, coefficient in observable.terms:
            positions = tuple(sorted(layout.position(q, program_name) for q, p in _letters(label) if p != "I"))
            terms.append((positions, coefficient))
            labels.append(label)
        return cls(tuple(terms), layout.width, " + ".join(labels))

    def value(self, key: str) -> float:
        bits = strip_key(key)
        if len(bits) != self.width:
            raise PassError(f"count key {key!r} has {len(bits)} bits where the program records {self.width}")
        total = 0.0
        for positions, coefficient in self.terms:
            parity = sum(bits[p] == "1" for p in positions) & 1
            total += -coefficient if parity else coefficient
        return total

    def expectation(self, distribution: Mapping[str, float], *, normalise: bool = True) -> float:
        """⟨O⟩ of counts (divided by their total) or, with ``normalise=False``, of a quasi-probability
        distribution taken as it is (a PEC or ZNE estimate need not sum to exactly one)."""
        total = sum(distribution.values()) if normalise else 1.0
        if total == 0:
            raise PassError("cannot take an expectation value of an empty distribution")
        return sum(weight * self.value(key) for key, weight in distribution.items()) / total

    def variance(self, distribution: Mapping[str, float]) -> float:
        """Single-shot variance of the observable under a probability distribution."""
        total = sum(distribution.values())
        mean = self.expectation(distribution)
        second = sum(weight * self.value(key) ** 2 for key, weight in distribution.items()) / total
        return max(second - mean * mean, 0.0)

    def standard_error(self, distribution: Mapping[str, float], shots: int) -> float:
        return math.sqrt(self.variance(distribution) / shots) if shots > 0 else math.inf


def expectation(counts: Mapping[str, float], observable, program) -> float:
    """⟨O⟩ for a diagonal observable from counts of `program`; X/Y terms need `measurement_circuits`."""
    observable = PauliObservable.parse(observable)
    if not observable.is_diagonal:
        raise PassError(f"observable {observable} has X or Y terms: counts of the program as written only give "
                        "Z-type terms; run the circuits of qirrt.passes.basis_change.measurement_circuits instead")
    bound = BoundObservable.bind(observable, MeasurementLayout.of(program), f"@{program.entry_point}")
    return bound.expectation(counts)


__all__ = ["BoundObservable", "MeasurementGroup", "MeasurementLayout", "PauliObservable", "expectation",
           "strip_key"]
