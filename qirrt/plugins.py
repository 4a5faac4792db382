"""Entry-point plugin discovery: passes, executors, adapters and frontends, qirrt's own included."""

from __future__ import annotations

import functools
from importlib.metadata import entry_points

from qirrt.errors import MissingOptionalDependencyError, PluginError


@functools.cache
def _entries(group: str) -> dict:
    found: dict = {}
    for entry in entry_points(group=group):
        if entry.name in found and found[entry.name].value != entry.value:
            raise PluginError(f"two plugins in group '{group}' are named '{entry.name}': "
                              f"{found[entry.name].value} and {entry.value}")
        found[entry.name] = entry
    return found


def names(group: str) -> list[str]:
    return sorted(_entries(group))


def load_plugin(group: str, name: str):
    """The object registered as `name` in `group`; a clear error when it is unknown or broken."""
    entries = _entries(group)
    if name not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise PluginError(f"no plugin named '{name}' in group '{group}' (known: {known})")
    try:
        return entries[name].load()
    except MissingOptionalDependencyError:
        raise
    except ImportError as exc:
        raise PluginError(f"plugin '{name}' ({entries[name].value}) failed to import: {exc}") from exc


def load_group(group: str) -> dict:
    """Every plugin of a group that imports; broken ones are skipped."""
    loaded = {}
    for name in names(group):
        try:
            loaded[name] = load_plugin(group, name)
        except PluginError:
            continue
    return loaded


class ClassRegistry:
    """Classes by `name`: an entry-point `group` plus classes registered at run time (tests, notebooks).
    A name registered twice with two different classes is a `PluginError`; an unknown one raises
    `unknown_error` listing the known names. `kind` names the classes in messages ("pass")."""

    def __init__(self, group: str, base: type, kind: str, unknown_error: type[Exception], hint: str = "",
                 kinds: str | None = None):
        self.group, self.base, self.kind, self.unknown_error, self.hint = group, base, kind, unknown_error, hint
        self.kinds = kinds or f"{kind}s"
        self.runtime: dict[str, type] = {}

    def register(self, cls: type) -> type:
        """Register `cls` under its `name` (usable as a decorator)."""
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise PluginError(f"{cls!r} is not a {self.base.__name__} subclass")
        name = getattr(cls, "name", "")
        if not name:
            raise PluginError(f"{self.kind} class {cls.__qualname__} has no `name`")
        existing = self.runtime.get(name)
        if existing is None and name in names(self.group):
            existing = load_plugin(self.group, name)
        if existing is not None and existing is not cls:
            raise PluginError(f"two {self.kinds} are named '{name}': {_where(existing)} and {_where(cls)}")
        self.runtime[name] = cls
        return cls

    def unregister(self, name: str) -> None:
        """Forget a class `register` added (entry points stay)."""
        self.runtime.pop(name, None)

    def available(self) -> list[str]:
        return sorted(set(names(self.group)) | set(self.runtime))

    def get(self, name: str) -> type:
        """The class registered as `name`."""
        if name in self.runtime:
            return self.runtime[name]
        if name not in names(self.group):
            raise self.unknown_error(f"unknown {self.kind} {name!r} (known: {', '.join(self.available()) or 'none'})"
                                     f"{self.hint}")
        cls = load_plugin(self.group, name)
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise PluginError(f"entry point '{name}' in group '{self.group}' is {cls!r}, not a "
                              f"{self.base.__name__} subclass")
        if cls.name != name:
            raise PluginError(f"entry point '{name}' in group '{self.group}' points at a {self.kind} named "
                              f"'{cls.name}'")
        return cls


def _where(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"
