"""Executors by name: the one place that turns ``local``, ``aer`` or ``package.module:Class`` into an executor.

`qirrt.run`, the mitigation pipeline, the Qiskit primitives, the CLI and the distributed worker all load
executors here. A name is a plugin of the ``qirrt.executors`` entry-point group; ``module:attr`` names an
executor class (or instance) directly.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from qirrt.errors import PluginError
from qirrt.plugins import load_plugin, names

GROUP = "qirrt.executors"

_shared: dict[str, Any] = {}
_lock = threading.Lock()


def executor_names() -> list[str]:
    """The names registered in ``qirrt.executors``, sorted."""
    return names(GROUP)


def executor_factory(name_or_spec: str):
    """What `name_or_spec` names, not instantiated: an executor class (or instance, or factory).

    A plugin name (``local``, ``aer``, an adapter) or ``package.module:attribute``."""
    if ":" in name_or_spec:
        module_name, _, attr = name_or_spec.partition(":")
        try:
            return getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise PluginError(f"cannot load executor {name_or_spec!r}: {exc}") from exc
    return load_plugin(GROUP, name_or_spec)


def new_executor(name_or_spec: str, **options):
    """A new executor from a plugin name or ``module:Class``; `options` go to the class."""
    obj = executor_factory(name_or_spec)
    if isinstance(obj, type):
        return obj(**options)
    if options:
        raise PluginError(f"executor {name_or_spec!r} is an instance, not a class, so it takes no options "
                          f"({', '.join(sorted(options))}); pass its name without them")
    return obj


def get_executor(name: str = "local"):
    """The shared instance of the executor `name` (made once, thread-safe)."""
    with _lock:
        executor = _shared.get(name)
        if executor is None:
            executor = _shared[name] = new_executor(name)
        return executor


__all__ = ["GROUP", "executor_factory", "executor_names", "get_executor", "new_executor"]
