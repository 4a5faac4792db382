"""Hardware and backend adapters. `resolve_target` turns a backend, a fake backend name or a
`Target` into a `Target`; `resolve_calibration` gives the matching `Calibration`."""

from __future__ import annotations

from qirrt.device.from_backend import (
    calibration_from_backend,
    load_backend,
    resolve_backend,
    resolve_calibration,
    resolve_target,
    target_from_backend,
)

__all__ = [
    "AdapterJob",
    "CalibrationManager",
    "Capabilities",
    "EmulatedQPU",
    "HardwareAdapter",
    "ManualClock",
    "QiskitBackendAdapter",
    "QueueInfo",
    "Reservation",
    "TransientAdapterError",
    "calibration_from_backend",
    "load_backend",
    "noise_model_from_calibration",
    "resolve_backend",
    "resolve_calibration",
    "resolve_target",
    "target_from_backend",
]

_LAZY = {
    "AdapterJob": "base", "Capabilities": "base", "HardwareAdapter": "base", "ManualClock": "base",
    "QueueInfo": "base", "Reservation": "base", "TransientAdapterError": "base",
    "QiskitBackendAdapter": "qiskit_backend", "EmulatedQPU": "emulated", "CalibrationManager": "calibration_manager",
    "noise_model_from_calibration": "qirrt.device.noise_model",
}


def __getattr__(name: str):
    """The hardware-adapter classes, imported on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qirrt.adapters' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module if "." in module else f"{__name__}.{module}"), name)
