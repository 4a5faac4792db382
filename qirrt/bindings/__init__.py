"""Frontends: framework objects and source files → `Program`.

A frontend is any object with `name`, `accepts(source) -> bool` and `load(source, **options) -> Program`,
registered under the `qirrt.frontends` entry-point group (qirrt's own included).
"""

from __future__ import annotations

from qirrt.plugins import load_group


def frontends() -> dict:
    """All registered frontends by name."""
    return load_group("qirrt.frontends")


def find_frontend(source) -> object | None:
    """The first frontend that accepts `source`, or None."""
    for frontend in frontends().values():
        try:
            if frontend.accepts(source):
                return frontend
        except Exception:  # noqa: BLE001 - a broken plugin must not hide the others
            continue
    return None
