"""Post-processors by name, through the ``qirrt.postprocessors`` entry-point group (qirrt's own included).

`register_postprocessor` adds a class at run time (tests, notebooks); a name registered twice with two
different classes is a `PluginError`. `resolve` turns what users write — a name, ``name{}``-free text, a
class, an instance, or a fitted ``{"name": ..., "state": ...}`` spec — into an instance.
"""

from __future__ import annotations

from collections.abc import Mapping

from qirrt.errors import PassError, PluginError
from qirrt.passes.postprocess.base import PostProcessor
from qirrt.plugins import load_plugin, names

GROUP = "qirrt.postprocessors"

_runtime: dict[str, type[PostProcessor]] = {}


def register_postprocessor(cls: type[PostProcessor]) -> type[PostProcessor]:
    """Register a post-processor class under its `name` (usable as a decorator)."""
    name = getattr(cls, "name", "")
    if not (isinstance(cls, type) and issubclass(cls, PostProcessor)):
        raise PluginError(f"{cls!r} is not a PostProcessor subclass")
    if not name:
        raise PluginError(f"post-processor class {cls.__qualname__} has no `name`")
    existing = _runtime.get(name)
    if existing is None and name in names(GROUP):
        existing = load_plugin(GROUP, name)
    if existing is not None and existing is not cls:
        raise PluginError(f"two post-processors are named '{name}': {_where(existing)} and {_where(cls)}")
    _runtime[name] = cls
    return cls


def unregister_postprocessor(name: str) -> None:
    """Forget a class `register_postprocessor` added (entry points stay)."""
    _runtime.pop(name, None)


def _where(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def available_postprocessors() -> list[str]:
    return sorted(set(names(GROUP)) | set(_runtime))


def postprocessor_class(name: str) -> type[PostProcessor]:
    """The class registered as `name`; a `PassError` listing the known names when there is none."""
    if not isinstance(name, str):
        raise PassError(f"a post-processor name must be text, got {type(name).__name__}")
    if name in _runtime:
        return _runtime[name]
    if name not in names(GROUP):
        raise PassError(f"unknown post-processor {name!r} (known: {', '.join(available_postprocessors()) or 'none'}); "
                        f"register one with the '{GROUP}' entry point or register_postprocessor")
    cls = load_plugin(GROUP, name)
    if not (isinstance(cls, type) and issubclass(cls, PostProcessor)):
        raise PluginError(f"entry point '{name}' in group '{GROUP}' is {cls!r}, not a PostProcessor subclass")
    if cls.name != name:
        raise PluginError(f"entry point '{name}' in group '{GROUP}' points at a post-processor named '{cls.name}'")
    return cls


def resolve(spec) -> PostProcessor:
    """A post-processor instance from a name, a class, an instance or a ``{"name", "state"}`` spec."""
    if isinstance(spec, PostProcessor):
        return spec
    if isinstance(spec, type) and issubclass(spec, PostProcessor):
        return spec()
    if isinstance(spec, str):
        return postprocessor_class(spec.strip())()
    if isinstance(spec, Mapping):
        unknown = sorted(map(str, set(spec) - {"name", "state"}))
        if "name" not in spec or unknown:
            raise PassError(f"a post-processor spec is {{'name': ..., 'state': {{...}}}}, got keys "
                            f"{', '.join(sorted(map(str, spec))) or 'none'}")
        return postprocessor_class(spec["name"]).from_state(spec.get("state") or {})
    raise PassError(f"cannot make a post-processor from {type(spec).__name__}: give a name "
                    f"({', '.join(available_postprocessors())}), a PostProcessor, or {{'name': ..., 'state': ...}}")


__all__ = ["GROUP", "available_postprocessors", "postprocessor_class", "register_postprocessor", "resolve",
           "unregister_postprocessor"]
