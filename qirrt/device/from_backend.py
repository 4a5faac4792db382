"""`Target` and `Calibration` from any Qiskit `BackendV2`.

Works with qiskit-ibm-runtime's fake backends (`FakeKolkataV2`, `FakeSherbrooke`, ...: real device
snapshots, offline) and qiskit's `GenericBackendV2`. `resolve_backend("FakeKolkata")` finds a fake
backend by its class name with or without the ``V2`` suffix, or by its backend name
(``fake_kolkata``); ``"generic:5"`` builds a 5-qubit `GenericBackendV2` (seed 0).
"""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from typing import Any

import networkx as nx

from qirrt.device.calibration import Calibration, GateCalibration, QubitCalibration
from qirrt.device.target import Target, canonical_gate_name
from qirrt.errors import AdapterError, require

_NON_GATES = {"measure", "delay", "reset", "id", "barrier", "if_else", "for_loop", "while_loop", "switch_case",
              "box", "store"}
_S_TO_NS = 1e9


def _is_backend(obj: Any) -> bool:
    return hasattr(obj, "target") and hasattr(obj, "num_qubits") and hasattr(obj, "operation_names")


def _normalise_name(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "").removesuffix("v2")


@functools.cache
def _fake_backend_classes() -> dict[str, type]:
    fake_provider = require("qiskit_ibm_runtime.fake_provider", extra="fake-backends",
                            feature="Loading IBM fake backends by name")
    classes: dict[str, type] = {}
    for attribute in dir(fake_provider):
        if not attribute.startswith("Fake") or "Provider" in attribute:
            continue
        cls = getattr(fake_provider, attribute)
        if isinstance(cls, type):
            key = _normalise_name(attribute)
            # Prefer the V2 class when both FakeX and FakeXV2 exist.
            if key not in classes or attribute.endswith("V2"):
                classes[key] = cls
    return classes


@functools.lru_cache(maxsize=32)
def _fake_backend(key: str):
    return _fake_backend_classes()[key]()


def resolve_backend(name_or_backend: Any):
    """A Qiskit `BackendV2` from a backend object, a fake backend name, or ``"generic:N"``."""
    if _is_backend(name_or_backend):
        return name_or_backend
    if not isinstance(name_or_backend, str):
        raise AdapterError(f"cannot make a backend from {type(name_or_backend).__name__}; pass a Qiskit "
                           "BackendV2, a Target, or a fake backend name such as 'FakeKolkata'")
    name = name_or_backend.strip()
    if name.lower().startswith("generic:"):
        from qiskit.providers.fake_provider import GenericBackendV2

        try:
            size = int(name.split(":", 1)[1])
        except ValueError:
            raise AdapterError(f"bad generic backend spec {name!r}; write 'generic:N' with N qubits") from None
        return GenericBackendV2(size, seed=0)
    key = _normalise_name(name)
    classes = _fake_backend_classes()
    if key not in classes and not key.startswith("fake"):
        key = "fake" + key
    if key not in classes:
        close = sorted(k for k in classes if k[4:7] == key[4:7])[:5]
        hint = f" (similar: {', '.join(close)})" if close else ""
        raise AdapterError(f"no fake backend named {name!r}{hint}; names look like 'FakeKolkata', "
                           "'FakeSherbrooke' or 'fake_torino'")
    return _fake_backend(key)


def target_from_backend(backend) -> Target:
    """A `Target` describing `backend` (a Qiskit `BackendV2`)."""
    qiskit_target = backend.target
    native: set[str] = set()
    graph = nx.DiGraph()
    graph.add_nodes_from(range(backend.num_qubits))
    durations: dict[tuple[str, tuple[int, ...]], float] = {}
    readout: dict[int, float] = {}
    for op_name in qiskit_target.operation_names:
        properties = qiskit_target[op_name]
        if op_name == "measure":
            for qargs, props in properties.items():
                if qargs is not None and props is not None and props.duration is not None:
                    readout[qargs[0]] = props.duration * _S_TO_NS
            continue
        if op_name in _NON_GATES:
            continue
        gate = canonical_gate_name(op_name)
        native.add(gate)
        for qargs, props in properties.items():
            if qargs is None:
                continue
            if len(qargs) == 2:
                graph.add_edge(*qargs)
            if props is not None and props.duration is not None:
                durations[(gate, tuple(qargs))] = props.duration * _S_TO_NS
    dt = getattr(backend, "dt", None)
    return Target(name=backend.name, num_qubits=backend.num_qubits, native_gates=frozenset(native),
                  coupling=graph, gate_durations_ns=durations, readout_durations_ns=readout,
                  dt_ns=dt * _S_TO_NS if dt else None)


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def calibration_from_backend(backend, *, timestamp: datetime | None = None) -> Calibration:
    """A `Calibration` snapshot of `backend`'s reported properties.

    The timestamp is the backend's `last_update_date` where it has one (IBM snapshots), else now.
    """
    qiskit_target = backend.target
    properties = backend.properties() if callable(getattr(backend, "properties", None)) else None
    if timestamp is None and properties is not None and getattr(properties, "last_update_date", None):
        timestamp = properties.last_update_date
    qubits: dict[int, QubitCalibration] = {}
    measure = qiskit_target["measure"] if "measure" in qiskit_target.operation_names else {}
    qubit_props = qiskit_target.qubit_properties or [None] * backend.num_qubits
    for q in range(backend.num_qubits):
        qp = qubit_props[q] if q < len(qubit_props) else None
        mp = measure.get((q,)) if measure else None
        p10 = p01 = None
        if properties is not None:
            try:
                entry = properties.qubit_property(q)
                p01 = _finite(entry.get("prob_meas1_prep0", (None,))[0])
                p10 = _finite(entry.get("prob_meas0_prep1", (None,))[0])
            except Exception:  # noqa: BLE001 — vendor objects raise assorted errors for missing data
                p01 = p10 = None
        qubits[q] = QubitCalibration(
            t1_s=_finite(getattr(qp, "t1", None)), t2_s=_finite(getattr(qp, "t2", None)),
            frequency_hz=_finite(getattr(qp, "frequency", None)),
            readout_error=_finite(mp.error) if mp is not None else None,
            prob_meas1_prep0=p01, prob_meas0_prep1=p10,
            readout_duration_ns=_finite(mp.duration * _S_TO_NS) if mp is not None and mp.duration else None,
        )
    gates: dict[tuple[str, tuple[int, ...]], GateCalibration] = {}
    for op_name in qiskit_target.operation_names:
        if op_name in _NON_GATES:
            continue
        gate = canonical_gate_name(op_name)
        for qargs, props in qiskit_target[op_name].items():
            if qargs is None or props is None:
                continue
            gates[(gate, tuple(qargs))] = GateCalibration(
                error=_finite(props.error),
                duration_ns=_finite(props.duration * _S_TO_NS) if props.duration is not None else None)
    source = f"qiskit:{type(backend).__name__}"
    return Calibration(target_name=backend.name, timestamp=timestamp or datetime.now(UTC),
                       qubits=qubits, gates=gates, source=source)


def load_backend(name_or_backend: Any) -> tuple[Target, Calibration]:
    """Target and calibration of a backend, a fake backend name or ``"generic:N"``."""
    backend = resolve_backend(name_or_backend)
    return target_from_backend(backend), calibration_from_backend(backend)


@functools.lru_cache(maxsize=32)
def _cached_by_name(name: str) -> tuple[Target, Calibration]:
    return load_backend(name)


def resolve_target(name_or_backend: Any) -> Target:
    """A `Target` from a `Target`, a Qiskit `BackendV2`, or a fake backend name such as "FakeKolkata"."""
    if isinstance(name_or_backend, Target):
        return name_or_backend
    if isinstance(name_or_backend, str):
        return _cached_by_name(name_or_backend.strip())[0]
    return target_from_backend(resolve_backend(name_or_backend))


def resolve_calibration(name_or_backend: Any) -> Calibration | None:
    """The `Calibration` a backend or fake backend name reports (None for a bare `Target`)."""
    if isinstance(name_or_backend, Target):
        return None
    if isinstance(name_or_backend, str):
        return _cached_by_name(name_or_backend.strip())[1]
    return calibration_from_backend(resolve_backend(name_or_backend))


__all__ = ["calibration_from_backend", "load_backend", "resolve_backend", "resolve_calibration",
           "resolve_target", "target_from_backend"]
