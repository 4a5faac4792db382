"""The local executor: QIR JIT-compiled with llvmlite onto numba state-vector kernels."""

from __future__ import annotations


def __getattr__(name: str):
    # the package took the place of the module `qirrt.executors.local`: its names stay here
    import importlib

    return getattr(importlib.import_module("qirrt.executors.local.executor"), name)
