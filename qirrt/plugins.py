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
