"""`qirrt.cirq`: the public name of `qirrt.api.cirq` (the Cirq sampler)."""
# qirrt-move: re-export of a moved module

from __future__ import annotations

import importlib as _importlib

_new = _importlib.import_module("qirrt.api.cirq")

globals().update({k: v for k, v in vars(_new).items() if not k.startswith("__")})
__all__ = getattr(_new, "__all__", [k for k in vars(_new) if not k.startswith("_")])


def __getattr__(name: str):
    return getattr(_new, name)
