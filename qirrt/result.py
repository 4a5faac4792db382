"""`Result`: what an executor returns — counts keyed by bitstring, optional per-shot memory, metadata.

Count keys
----------
One shot's key is built from its top-level output records in record order, first recorded leftmost:

* a result or a bool prints as ``0`` / ``1``; an int in decimal; a double with ``repr``;
* an array prints its elements concatenated without separator;
* a tuple prints its elements separated by a single space;
* top-level items are concatenated, except that a space separates a top-level int, double or tuple
  from its neighbours.

So raw QIR that records ``result_record_output(r0); result_record_output(r1)`` reads ``"r0r1"``, and
qirrt's Qiskit frontend (one array per register, a tuple of arrays for several registers, bits
recorded high to low) reads exactly as Qiskit's count keys. A program without records yields the key
``""`` for every shot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

KIND_NAMES = ("RESULT", "BOOL", "INT", "DOUBLE", "ARRAY", "TUPLE")
"""Record kinds by code (`qirrt.executors.local.abi.REC_*`), as the QIR output schema spells them."""

_SPACED = {"INT", "DOUBLE", "TUPLE"}


@dataclass(frozen=True)
class Record:
    """One output record of one shot: its kind (`KIND_NAMES`), value and label (or None)."""

    kind: str
    value: Any
    label: str | None = None


def _parse(records: Sequence[Record], start: int) -> tuple[tuple, int]:
    """One node (kind, payload) from `records[start:]`; containers consume their elements."""
    record = records[start]
    if record.kind in ("ARRAY", "TUPLE"):
        children = []
        position = start + 1
        for _ in range(int(record.value)):
            if position >= len(records):
                break
            child, position = _parse(records, position)
            children.append(child)
        return (record.kind, children), position
    return (record.kind, record.value), start + 1


def _render(node: tuple, leaf=None) -> str:
    kind, payload = node
    if kind == "ARRAY":
        return "".join(_render(child, leaf) for child in payload)
    if kind == "TUPLE":
        return " ".join(_render(child, leaf) for child in payload)
    if leaf is not None:
        text = leaf(kind, payload)
        if text is not None:
            return text
    if kind in ("RESULT", "BOOL"):
        return "1" if payload else "0"
    if kind == "INT":
        return str(int(payload))
    if kind == "DOUBLE":
        return repr(float(payload))
    return str(payload)


def format_key(records: Sequence[Record], *, leaf=None) -> str:
    """The count key of one shot's records (see the module docstring).

    `leaf(kind, value)` may render a scalar record itself (returning None falls back to the rules).
    """
    nodes = []
    position = 0
    while position < len(records):
        node, position = _parse(records, position)
        nodes.append(node)
    out = []
    previous = None
    for node in nodes:
        if previous is not None and (previous[0] in _SPACED or node[0] in _SPACED):
            out.append(" ")
        out.append(_render(node, leaf))
        previous = node
    return "".join(out)


def format_output_schema(shots: Iterable[Sequence[Record]], *, entry_point: str | None = None,
                         labeled: bool = True) -> str:
    """The QIR output-schema text of the given shots (one START … END block per shot)."""
    lines = [f"HEADER\tschema_id\t{'labeled' if labeled else 'ordered'}", "HEADER\tschema_version\t1.0"]
    for records in shots:
        lines.append("START")
        if entry_point:
            lines.append(f"METADATA\tentry_point\t{entry_point}")
        for record in records:
            if record.kind in ("RESULT",):
                value = "1" if record.value else "0"
            elif record.kind == "BOOL":
                value = "true" if record.value else "false"
            elif record.kind == "DOUBLE":
                value = repr(float(record.value))
            else:
                value = str(int(record.value))
            label = f"\t{record.label}" if labeled and record.label else ""
            lines.append(f"OUTPUT\t{record.kind}\t{value}{label}")
        lines.append("END\t0")
    return "\n".join(lines) + "\n"


@dataclass
class Result:
    """Counts of one program run, with optional per-shot memory and output-schema text.

    `metadata` carries at least ``executor``, ``seed``, ``wall_time_s``, ``program_hash`` and
    ``num_qubits`` when an executor produced it. Mitigation passes fill `expectation` and
    `expectation_unmitigated`.
    """

    counts: dict[str, int]
    shots: int
    memory: list[str] | None = None
    output_schema: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    expectation: float | None = None
    expectation_unmitigated: float | None = None

    # -- views ---------------------------------------------------------------------------------------
    def probabilities(self) -> dict[str, float]:
        """Relative frequencies of the count keys."""
        total = sum(self.counts.values())
        if total == 0:
            return {}
        return {key: count / total for key, count in self.counts.items()}

    def most_frequent(self) -> str | None:
        return max(self.counts, key=self.counts.get) if self.counts else None

    def marginal(self, positions: Sequence[int]) -> dict[str, int]:
        """Counts of the characters at `positions` of each key (spaces removed first)."""
        out: dict[str, int] = {}
        for key, count in self.counts.items():
            bits = key.replace(" ", "")
            sub = "".join(bits[p] for p in positions)
            out[sub] = out.get(sub, 0) + count
        return out

    # -- serialisation -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"counts": dict(self.counts), "shots": self.shots,
                                "metadata": _jsonable(self.metadata)}
        if self.memory is not None:
            data["memory"] = list(self.memory)
        if self.output_schema is not None:
            data["output_schema"] = self.output_schema
        if self.expectation is not None:
            data["expectation"] = self.expectation
        if self.expectation_unmitigated is not None:
            data["expectation_unmitigated"] = self.expectation_unmitigated
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Result:
        return cls(
            counts={str(k): int(v) for k, v in data.get("counts", {}).items()},
            shots=int(data.get("shots", sum(data.get("counts", {}).values()))),
            memory=list(data["memory"]) if data.get("memory") is not None else None,
            output_schema=data.get("output_schema"),
            metadata=dict(data.get("metadata", {})),
            expectation=data.get("expectation"),
            expectation_unmitigated=data.get("expectation_unmitigated"),
        )

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> Result:
        return cls.from_dict(json.loads(text))

    def __repr__(self) -> str:
        top = sorted(self.counts.items(), key=lambda kv: -kv[1])[:4]
        more = ", ..." if len(self.counts) > 4 else ""
        shown = ", ".join(f"{k!r}: {v}" for k, v in top)
        return f"Result(shots={self.shots}, counts={{{shown}{more}}})"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    try:
        return value.item()  # numpy scalars
    except AttributeError:
        return str(value)


__all__ = ["KIND_NAMES", "Record", "Result", "format_key", "format_output_schema"]
