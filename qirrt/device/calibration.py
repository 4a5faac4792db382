"""`Calibration`: a frozen, timestamped snapshot of how well a device performs, with an epoch id.

Per qubit: T1, T2, frequency, readout error (and the asymmetric ``prob_meas1_prep0`` /
``prob_meas0_prep1`` where the source has them), readout duration. Per gate on specific qubits: error,
duration and an optional angle correction (``angle_scale``, ``angle_offset_rad``: the device rotates
by ``scale * θ + offset`` when asked for ``θ``; binding asks for ``(θ - offset) / scale`` instead).

The epoch id is a content hash of the target name, timestamp and data, so equal snapshots share it
wherever they were made. `Calibration.drift` compares two snapshots metric by metric.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from types import MappingProxyType

from qirrt.device.target import GateKey, canonical_gate_name
from qirrt.device._json import parse_json
from qirrt.errors import CalibrationError

FORMAT = "qirrt.calibration/1"


@dataclass(frozen=True)
class QubitCalibration:
    """One qubit's properties; None where the source does not say."""

    t1_s: float | None = None
    t2_s: float | None = None
    frequency_hz: float | None = None
    readout_error: float | None = None
    prob_meas1_prep0: float | None = None
    prob_meas0_prep1: float | None = None
    readout_duration_ns: float | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class GateCalibration:
    """One gate on specific qubits: error probability, duration and angle correction."""

    error: float | None = None
    duration_ns: float | None = None
    angle_scale: float = 1.0
    angle_offset_rad: float = 0.0

    @property
    def has_angle_correction(self) -> bool:
        return self.angle_scale != 1.0 or self.angle_offset_rad != 0.0

    def to_dict(self) -> dict:
        out = {}
        if self.error is not None:
            out["error"] = self.error
        if self.duration_ns is not None:
            out["duration_ns"] = self.duration_ns
        if self.has_angle_correction:
            out["angle_scale"] = self.angle_scale
            out["angle_offset_rad"] = self.angle_offset_rad
        return out


DEFAULT_THRESHOLDS: Mapping[str, float] = MappingProxyType({
    "readout_error": 0.25, "gate_error": 0.5, "two_qubit_error": 0.25, "t1": 0.5, "t2": 0.5,
})
"""Relative changes above which a new epoch counts as drifted (25% readout error, ...)."""


@dataclass(frozen=True)
class DriftEntry:
    """One metric that moved: `kind` is "qubit" or "gate", `key` the qubit or (gate, qubits)."""

    metric: str
    key: object
    old: float | None
    new: float | None

    @property
    def relative_change(self) -> float:
        """|new − old| / |old|; infinite when a value appears, disappears or moves off zero."""
        if self.old is None or self.new is None:
            return math.inf if (self.old is None) != (self.new is None) else 0.0
        if self.old == 0:
            return 0.0 if self.new == 0 else math.inf
        return abs(self.new - self.old) / abs(self.old)


@dataclass(frozen=True)
class DriftReport:
    """Every metric compared between two epochs, restricted to the qubits and pairs asked about."""

    old_epoch: str
    new_epoch: str
    entries: tuple[DriftEntry, ...]

    def max_relative(self, metric: str) -> float:
        return max((e.relative_change for e in self.entries if e.metric == metric), default=0.0)

    def exceeding(self, thresholds: Mapping[str, float] | None = None) -> list[DriftEntry]:
        """The entries whose relative change is above their metric's threshold."""
        limits = DEFAULT_THRESHOLDS if thresholds is None else thresholds
        return [e for e in self.entries if e.metric in limits and e.relative_change > limits[e.metric]]

    def exceeds(self, thresholds: Mapping[str, float] | None = None) -> bool:
        return bool(self.exceeding(thresholds))

    def summary(self) -> dict[str, float]:
        metrics = sorted({e.metric for e in self.entries})
        return {m: self.max_relative(m) for m in metrics}


def _utc(moment: datetime | str | float | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    if isinstance(moment, (int, float)):
        return datetime.fromtimestamp(moment, UTC)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True, eq=False)
class Calibration:
    """A frozen snapshot of one target's calibration, identified by `epoch`.

    Build with keyword arguments (`qubits` maps qubit → `QubitCalibration`, `gates` maps
    ``(gate, qubits)`` → `GateCalibration`), from a backend with
    `qirrt.adapters.calibration_from_backend`, or from JSON. Mappings are read-only.
    """

    target_name: str
    timestamp: datetime
    qubits: Mapping[int, QubitCalibration] = field(default_factory=dict, repr=False)
    gates: Mapping[GateKey, GateCalibration] = field(default_factory=dict, repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "timestamp", _utc(self.timestamp))
        object.__setattr__(self, "qubits", MappingProxyType({int(q): v for q, v in self.qubits.items()}))
        gates = {}
        for (name, qubits), value in self.gates.items():
            gates[(canonical_gate_name(name), tuple(int(q) for q in qubits))] = value
        object.__setattr__(self, "gates", MappingProxyType(gates))

    # -- identity ---------------------------------------------------------------------------------
    @cached_property
    def epoch(self) -> str:
        """A content hash: equal snapshots of the same target at the same time share it."""
        payload = self._payload()
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        return digest[:16]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Calibration):
            return NotImplemented
        return self.epoch == other.epoch

    def __hash__(self) -> int:
        return hash(self.epoch)

    def __repr__(self) -> str:
        return (f"Calibration({self.target_name!r}, epoch={self.epoch}, {self.timestamp.isoformat()}, "
                f"qubits={len(self.qubits)}, gates={len(self.gates)})")

    # -- lookups ----------------------------------------------------------------------------------
    def gate(self, name: str, qubits: Iterable[int]) -> GateCalibration | None:
        """The calibration of `name` on `qubits`; a two-qubit gate falls back to the reversed pair,
        and `cx` on an ECR device to its `ecr`."""
        qubits = tuple(qubits)
        candidates = [(name, qubits)]
        if len(qubits) == 2:
            candidates.append((name, qubits[::-1]))
            if name == "cx":
                candidates += [("ecr", qubits), ("ecr", qubits[::-1]), ("cz", qubits), ("cz", qubits[::-1])]
        for key in candidates:
            found = self.gates.get(key)
            if found is not None:
                return found
        return None

    def gate_error(self, name: str, qubits: Iterable[int], default: float = 0.0) -> float:
        found = self.gate(name, qubits)
        return found.error if found is not None and found.error is not None else default

    def gate_duration_ns(self, name: str, qubits: Iterable[int]) -> float | None:
        found = self.gate(name, qubits)
        return found.duration_ns if found is not None else None

    def readout_error(self, qubit: int, default: float = 0.0) -> float:
        found = self.qubits.get(qubit)
        return found.readout_error if found is not None and found.readout_error is not None else default

    @property
    def angle_corrections(self) -> dict[GateKey, tuple[float, float]]:
        """(gate, qubits) → (scale, offset_rad), for every gate with a correction."""
        return {k: (g.angle_scale, g.angle_offset_rad) for k, g in self.gates.items() if g.has_angle_correction}

    def with_changes(self, *, timestamp: datetime | str | float | None = None,
                     qubits: Mapping[int, QubitCalibration] | None = None,
                     gates: Mapping[GateKey, GateCalibration] | None = None, source: str | None = None) -> Calibration:
        """A new snapshot (new epoch) with some entries replaced; `timestamp` defaults to now."""
        merged_qubits = dict(self.qubits)
        merged_qubits.update(qubits or {})
        merged_gates = dict(self.gates)
        merged_gates.update({(canonical_gate_name(g), tuple(q)): v for (g, q), v in (gates or {}).items()})
        return replace(self, timestamp=_utc(timestamp), qubits=merged_qubits, gates=merged_gates,
                       source=self.source if source is None else source)

    def scaled(self, *, readout_error: float = 1.0, gate_error: float = 1.0, timestamp=None,
               qubits: Iterable[int] | None = None) -> Calibration:
        """A copy with readout and gate errors multiplied (on `qubits` only, if given): for drift tests."""
        chosen = None if qubits is None else set(qubits)
        new_qubits = {q: (replace(c, readout_error=c.readout_error * readout_error)
                          if c.readout_error is not None and (chosen is None or q in chosen) else c)
                      for q, c in self.qubits.items()}
        new_gates = {k: (replace(g, error=g.error * gate_error)
                         if g.error is not None and (chosen is None or set(k[1]) & chosen) else g)
                     for k, g in self.gates.items()}
        return self.with_changes(timestamp=timestamp, qubits=new_qubits, gates=new_gates)

    # -- drift ------------------------------------------------------------------------------------
    def drift(self, other: Calibration, *, qubits: Iterable[int] | None = None,
              pairs: Iterable[tuple[int, int]] | None = None) -> DriftReport:
        """How `other` (the newer snapshot) differs from this one.

        `qubits` limits the per-qubit metrics and one-qubit gates to those qubits, `pairs` the
        two-qubit gates to those pairs (either direction); None compares everything.
        """
        chosen = None if qubits is None else {int(q) for q in qubits}
        chosen_pairs = None if pairs is None else {frozenset(map(int, p)) for p in pairs}
        entries: list[DriftEntry] = []
        for q in sorted(set(self.qubits) | set(other.qubits)):
            if chosen is not None and q not in chosen:
                continue
            a, b = self.qubits.get(q, QubitCalibration()), other.qubits.get(q, QubitCalibration())
            for metric, attribute in (("readout_error", "readout_error"), ("t1", "t1_s"), ("t2", "t2_s"),
                                      ("frequency", "frequency_hz")):
                entries.append(DriftEntry(metric, q, getattr(a, attribute), getattr(b, attribute)))
        for key in sorted(set(self.gates) | set(other.gates)):
            gate_qubits = key[1]
            if len(gate_qubits) == 1:
                if chosen is not None and gate_qubits[0] not in chosen:
                    continue
                metric = "gate_error"
            elif len(gate_qubits) == 2:
                if chosen_pairs is not None and frozenset(gate_qubits) not in chosen_pairs:
                    continue
                metric = "two_qubit_error"
            else:
                continue
            a, b = self.gates.get(key, GateCalibration()), other.gates.get(key, GateCalibration())
            entries.append(DriftEntry(metric, key, a.error, b.error))
            if a.angle_scale != b.angle_scale or a.angle_offset_rad != b.angle_offset_rad:
                entries.append(DriftEntry("angle_scale", key, a.angle_scale, b.angle_scale))
        return DriftReport(self.epoch, other.epoch, tuple(entries))

    # -- JSON -------------------------------------------------------------------------------------
    def _payload(self) -> dict:
        return {
            "format": FORMAT,
            "target": self.target_name,
            "timestamp": self.timestamp.isoformat(),
            "source": self.source,
            "qubits": {str(q): c.to_dict() for q, c in sorted(self.qubits.items())},
            "gates": [[name, list(qs), g.to_dict()] for (name, qs), g in sorted(self.gates.items())],
        }

    def to_dict(self) -> dict:
        return {**self._payload(), "epoch": self.epoch}

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: Mapping) -> Calibration:
        if data.get("format") != FORMAT:
            raise CalibrationError(f"not a qirrt calibration snapshot (format {data.get('format')!r}, "
                                   f"expected {FORMAT!r})")
        try:
            calibration = cls(
                target_name=data["target"], timestamp=data["timestamp"], source=data.get("source", ""),
                qubits={int(q): QubitCalibration(**c) for q, c in data.get("qubits", {}).items()},
                gates={(name, tuple(qs)): GateCalibration(**g) for name, qs, g in data.get("gates", [])},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CalibrationError(f"calibration snapshot is malformed: {exc}") from None
        stated = data.get("epoch")
        if stated and stated != calibration.epoch:
            raise CalibrationError(f"calibration snapshot says epoch {stated} but its content hashes to "
                                   f"{calibration.epoch}: it was edited or corrupted")
        return calibration

    @classmethod
    def from_json(cls, text: str) -> Calibration:
        return cls.from_dict(parse_json(text, "calibration"))


__all__ = [
    "DEFAULT_THRESHOLDS",
    "Calibration",
    "DriftEntry",
    "DriftReport",
    "GateCalibration",
    "QubitCalibration",
]
