"""`Target`: what a device can do — qubits, native gates, coupling graph, durations.

A `Target` is plain, immutable data. It says nothing about how well the device does it today: that is
the `Calibration` (`qirrt.device.calibration`). Load one from a Qiskit `BackendV2` with
`qirrt.adapters.resolve_target`, or from JSON with `Target.from_json`.

Gate names are the dialect's (`qirrt.qir.dialect.GATES`: ``cx``, ``s__adj``, ...), except for native gates
the dialect has no instruction for (``ecr``), which keep the vendor's name; `Target.basis` is the gate
set passes translate to, with such gates replaced by a dialect equivalent of the same cost class
(``ecr`` → ``cx``; the two differ by single-qubit gates only).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import networkx as nx

from qirrt.device._json import parse_json
from qirrt.errors import CalibrationError
from qirrt.qir.dialect import ALIASES, GATES

GateKey = tuple[str, tuple[int, ...]]
"""A gate on specific qubits: ``("cx", (0, 1))``."""

_STAND_INS = {"ecr": "cx"}
"""Native gates outside the dialect → the dialect gate passes emit in their place."""


def canonical_gate_name(name: str) -> str:
    """A vendor or Qiskit gate name in the dialect's spelling (``sdg`` → ``s__adj``, ``cnot`` → ``cx``)."""
    lowered = name.lower()
    return ALIASES.get(lowered, lowered)


def _freeze_keyed(mapping: Mapping | None) -> Mapping:
    return MappingProxyType({(str(g), tuple(int(q) for q in qs)): float(v)
                             for (g, qs), v in (mapping or {}).items()})


@dataclass(frozen=True, eq=False)
class Target:
    """A device's static description.

    `coupling` is a networkx `DiGraph` on qubit indices with an edge (a, b) where a two-qubit gate
    may act with control/first qubit a and target/second qubit b. Durations are in nanoseconds, keyed
    by ``(gate, qubits)``; `dt_ns` is the device's sample time (None when unknown).
    """

    name: str
    num_qubits: int
    native_gates: frozenset[str]
    coupling: nx.DiGraph = field(repr=False)
    gate_durations_ns: Mapping[GateKey, float] = field(default_factory=dict, repr=False)
    readout_durations_ns: Mapping[int, float] = field(default_factory=dict, repr=False)
    dt_ns: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "native_gates", frozenset(canonical_gate_name(g) for g in self.native_gates))
        object.__setattr__(self, "gate_durations_ns", _freeze_keyed(self.gate_durations_ns))
        object.__setattr__(self, "readout_durations_ns",
                           MappingProxyType({int(q): float(v) for q, v in self.readout_durations_ns.items()}))
        graph = nx.DiGraph()
        graph.add_nodes_from(range(self.num_qubits))
        graph.add_edges_from((int(a), int(b)) for a, b in self.coupling.edges)
        for a, b in graph.edges:
            if not (0 <= a < self.num_qubits and 0 <= b < self.num_qubits):
                raise CalibrationError(f"target {self.name!r}: coupling edge ({a}, {b}) names a qubit outside "
                                       f"0..{self.num_qubits - 1}")
        nx.freeze(graph)
        object.__setattr__(self, "coupling", graph)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_edges(cls, name: str, num_qubits: int, edges: Iterable[tuple[int, int]], *,
                   native_gates: Iterable[str] = ("rz", "sx", "x", "cx"), symmetric: bool = True,
                   gate_durations_ns: Mapping[GateKey, float] | None = None,
                   readout_durations_ns: Mapping[int, float] | None = None,
                   dt_ns: float | None = None) -> Target:
        """A target from an edge list; `symmetric` adds (b, a) for every (a, b)."""
        graph = nx.DiGraph()
        for a, b in edges:
            graph.add_edge(a, b)
            if symmetric:
                graph.add_edge(b, a)
        return cls(name=name, num_qubits=num_qubits, native_gates=frozenset(native_gates), coupling=graph,
                   gate_durations_ns=gate_durations_ns or {}, readout_durations_ns=readout_durations_ns or {},
                   dt_ns=dt_ns)

    @classmethod
    def line(cls, num_qubits: int, *, name: str | None = None,
             native_gates: Iterable[str] = ("rz", "sx", "x", "cx")) -> Target:
        """A linear chain 0–1–…–(n-1): handy for tests."""
        return cls.from_edges(name or f"line{num_qubits}", num_qubits,
                              [(i, i + 1) for i in range(num_qubits - 1)], native_gates=native_gates)

    # -- views ------------------------------------------------------------------------------------
    @cached_property
    def basis(self) -> frozenset[str]:
        """The dialect gates passes translate to: native gates, with `ecr` replaced by `cx`."""
        out = {_STAND_INS.get(g, g) for g in self.native_gates}
        return frozenset(g for g in out if g in GATES)

    @cached_property
    def undirected(self) -> nx.Graph:
        """The coupling graph without directions (routing treats every coupled pair as usable)."""
        graph = nx.Graph()
        graph.add_nodes_from(self.coupling.nodes)
        graph.add_edges_from(self.coupling.edges)
        nx.freeze(graph)
        return graph

    @cached_property
    def distances(self) -> dict[int, dict[int, int]]:
        """Hop counts between every pair of connected qubits."""
        return dict(nx.all_pairs_shortest_path_length(self.undirected))

    def is_coupled(self, a: int, b: int) -> bool:
        return self.coupling.has_edge(a, b) or self.coupling.has_edge(b, a)

    def gate_duration_ns(self, gate: str, qubits: tuple[int, ...]) -> float | None:
        """Duration of `gate` on `qubits`; a stand-in gate (`cx` on an ECR device) takes the native's time."""
        key = (gate, tuple(qubits))
        if key in self.gate_durations_ns:
            return self.gate_durations_ns[key]
        for native, stand_in in _STAND_INS.items():
            if stand_in == gate:
                for order in (tuple(qubits), tuple(reversed(qubits))):
                    if (native, order) in self.gate_durations_ns:
                        return self.gate_durations_ns[(native, order)]
        if len(qubits) == 2:
            reverse = (gate, tuple(reversed(qubits)))
            if reverse in self.gate_durations_ns:
                return self.gate_durations_ns[reverse]
        return None

    def __repr__(self) -> str:
        return (f"Target({self.name!r}, qubits={self.num_qubits}, native={sorted(self.native_gates)}, "
                f"edges={self.coupling.number_of_edges()})")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Target):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self.name, self.num_qubits, self.native_gates, self.coupling.number_of_edges()))

    # -- JSON -------------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": "qirrt.target/1",
            "name": self.name,
            "num_qubits": self.num_qubits,
            "native_gates": sorted(self.native_gates),
            "coupling": sorted([int(a), int(b)] for a, b in self.coupling.edges),
            "gate_durations_ns": [[g, list(qs), d] for (g, qs), d in sorted(self.gate_durations_ns.items())],
            "readout_durations_ns": {str(q): d for q, d in sorted(self.readout_durations_ns.items())},
            "dt_ns": self.dt_ns,
        }

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping) -> Target:
        if data.get("format") != "qirrt.target/1":
            raise CalibrationError(f"not a qirrt target description (format {data.get('format')!r}, "
                                   "expected 'qirrt.target/1')")
        graph = nx.DiGraph()
        graph.add_edges_from(tuple(e) for e in data["coupling"])
        return cls(
            name=data["name"], num_qubits=int(data["num_qubits"]), native_gates=frozenset(data["native_gates"]),
            coupling=graph,
            gate_durations_ns={(g, tuple(qs)): d for g, qs, d in data.get("gate_durations_ns", [])},
            readout_durations_ns={int(q): d for q, d in data.get("readout_durations_ns", {}).items()},
            dt_ns=data.get("dt_ns"),
        )

    @classmethod
    def from_json(cls, text: str) -> Target:
        return cls.from_dict(parse_json(text, "target"))


__all__ = ["GateKey", "Target", "canonical_gate_name"]
