"""Post-processors by name, through the ``qirrt.postprocessors`` entry-point group (qirrt's own included).

`register_postprocessor` adds a class at run time (tests, notebooks); a name registered twice with two
different classes is a `PluginError`. `resolve` turns what users write — a name, ``name{}``-free text, a
class, an instance, or a fitted ``{"name": ..., "state": ...}`` spec — into an instance.
"""

from __future__ import annotations

from collections.abc import Mapping

from qirrt.errors import PassError
from qirrt.passes.postprocess.base import PostProcessor
from qirrt.plugins import ClassRegistry

GROUP = "qirrt.postprocessors"

_REGISTRY = ClassRegistry(GROUP, PostProcessor, "post-processor", PassError,
                          hint=f"; register one with the '{GROUP}' entry point or register_postprocessor")
register_postprocessor = _REGISTRY.register
unregister_postprocessor = _REGISTRY.unregister
available_postprocessors = _REGISTRY.available


def postprocessor_class(name: str) -> type[PostProcessor]:
    """The class registered as `name`; a `PassError` listing the known names when there is none."""
    if not isinstance(name, str):
        raise PassError(f"a post-processor name must be text, got {type(name).__name__}")
    return _REGISTRY.get(name)


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
