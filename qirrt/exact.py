"""Deprecated: moved to `qirrt.api.exact`. This module re-exports it for one release."""
# qirrt-move: re-export of a moved module

from __future__ import annotations

import importlib as _importlib
import warnings as _warnings

_new = _importlib.import_module("qirrt.api.exact")
_warnings.warn("qirrt.exact is deprecated: import from qirrt.api.exact instead",
               DeprecationWarning, stacklevel=2)

globals().update({k: v for k, v in vars(_new).items() if not k.startswith("__")})
__all__ = getattr(_new, "__all__", [k for k in vars(_new) if not k.startswith("_")])


def __getattr__(name: str):
    return getattr(_new, name)
