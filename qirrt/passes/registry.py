"""Passes by name, through the `qirrt.passes` entry-point group (qirrt's own passes included).

`register_pass` adds a class at run time (tests, notebooks); a name registered twice — by two
distributions, or at run time over an entry point with another class — is a `PluginError`.
"""

from __future__ import annotations

from qirrt.errors import PassError, PluginError
from qirrt.passes.base import Pass
from qirrt.plugins import load_plugin, names

GROUP = "qirrt.passes"

_runtime: dict[str, type[Pass]] = {}


def register_pass(cls: type[Pass]) -> type[Pass]:
    """Register a pass class under its `name` (usable as a decorator)."""
    name = getattr(cls, "name", "")
    if not name:
        raise PluginError(f"pass class {cls.__qualname__} has no `name`")
    existing = _runtime.get(name)
    if existing is None and name in names(GROUP):
        existing = load_plugin(GROUP, name)
    if existing is not None and existing is not cls:
        raise PluginError(f"two passes are named '{name}': {_where(existing)} and {_where(cls)}")
    _runtime[name] = cls
    return cls


def _where(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def pass_class(name: str) -> type[Pass]:
    """The pass class registered as `name`; `PassError` listing the known names when there is none."""
    if name in _runtime:
        return _runtime[name]
    if name not in names(GROUP):
        raise PassError(f"unknown pass '{name}' (known: {', '.join(available_passes()) or 'none'})")
    cls = load_plugin(GROUP, name)
    if not (isinstance(cls, type) and issubclass(cls, Pass)):
        raise PluginError(f"entry point '{name}' in group '{GROUP}' is {cls!r}, not a Pass subclass")
    if cls.name != name:
        raise PluginError(f"entry point '{name}' in group '{GROUP}' points at a pass named '{cls.name}'")
    return cls


def available_passes() -> list[str]:
    return sorted(set(names(GROUP)) | set(_runtime))


__all__ = ["GROUP", "available_passes", "pass_class", "register_pass"]
