"""Qiskit ⇄ qirrt: `QuantumCircuit` → `Program` (`from_circuit`) and back (`to_circuit`)."""

from __future__ import annotations


def __getattr__(name: str):
    # the package took the place of the module `qirrt.bindings.qiskit`: its names stay here
    import importlib

    return getattr(importlib.import_module("qirrt.bindings.qiskit.from_circuit"), name)
