"""The `qirrt` command line (`python -m qirrt.cli` runs it too)."""

from __future__ import annotations


def __getattr__(name: str):
    # the package took the place of the module `qirrt.cli`: its names stay here
    import importlib

    return getattr(importlib.import_module("qirrt.cli.app"), name)
