"""Hardware and backend adapters. `resolve_target` turns a backend, a fake backend name or a
`Target` into a `Target`; `resolve_calibration` gives the matching `Calibration`."""

from __future__ import annotations

from .qiskit_backend_source import (
    calibration_from_backend,
    load_backend,
    resolve_backend,
    resolve_calibration,
    resolve_target,
    target_from_backend,
)

__all__ = ["calibration_from_backend", "load_backend", "resolve_backend", "resolve_calibration", "resolve_target",
           "target_from_backend"]
