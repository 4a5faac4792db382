"""Passes by name, through the `qirrt.passes` entry-point group (qirrt's own passes included).

`register_pass` adds a class at run time (tests, notebooks); a name registered twice — by two
distributions, or at run time over an entry point with another class — is a `PluginError`.
"""

from __future__ import annotations

from qirrt.errors import PassError
from qirrt.passes.base import Pass
from qirrt.plugins import ClassRegistry

GROUP = "qirrt.passes"

_REGISTRY = ClassRegistry(GROUP, Pass, "pass", PassError, kinds="passes")
register_pass = _REGISTRY.register
pass_class = _REGISTRY.get
"""The pass class registered as `name`; `PassError` listing the known names when there is none."""
available_passes = _REGISTRY.available


__all__ = ["GROUP", "available_passes", "pass_class", "register_pass"]
