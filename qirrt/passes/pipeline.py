"""Pipeline strings: ``"decompose{basis=rz,sx,x,cz},route,merge-rotations"`` ⇄ pass instances.

The grammar is `qirrt.passes.spec`'s; this module gives it meaning. Option names are the dataclass
fields in kebab case. A value is a comma-separated list for tuple-typed options (``basis=rz,sx,x``).
Booleans are ``true``/``false``.

Printing writes each option that differs from its default, in field order, so a canonical string
(defaults omitted, options in field order) prints back exactly, and ``parse(print(p)) == p`` always.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from functools import cache

from qirrt.errors import PassError
from qirrt.passes.base import Pass
from qirrt.passes.registry import pass_class
from qirrt.passes.spec import (
    format_spec,
    kebab,
    split_options,
    split_pipeline,
    split_spec,
)


@cache
def _fields(cls: type) -> dict[str, tuple[dataclasses.Field, object]]:
    """kebab option name → (field, resolved type) for a pass class."""
    hints = typing.get_type_hints(cls)
    renamed = getattr(cls, "option_names", {})
    return {renamed.get(f.name, kebab(f.name)): (f, hints[f.name]) for f in dataclasses.fields(cls) if f.init}


def _convert(text: str, kind, where: str):
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        if text in ("none", "") and len(inner) < len(args):
            return None
        return _convert(text, inner[0], where)
    if origin is tuple:
        element = args[0] if args else str
        items = [t.strip() for t in text.split(",")] if text.strip() else []
        return tuple(_convert(t, element, where) for t in items)
    if kind is bool:
        if text not in ("true", "false"):
            raise PassError(f"{where}: expected true or false, got {text!r}")
        return text == "true"
    if kind is int:
        try:
            return int(text)
        except ValueError:
            raise PassError(f"{where}: expected an integer, got {text!r}") from None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            raise PassError(f"{where}: expected a number, got {text!r}") from None
    return text


def format_pass(p: Pass) -> str:
    """One pass as pipeline text: its name and the options that differ from their defaults."""
    return format_spec(p.name, p._options())


def format_pipeline(passes) -> str:
    return ",".join(format_pass(p) for p in passes)


def parse_pass(text: str) -> Pass:
    """One pass instance from ``name{option=value,...}``."""
    name, body = split_spec(text)
    cls = pass_class(name)
    fields = _fields(cls)
    kwargs = {}
    for option, value in split_options(body):
        if option not in fields:
            known = ", ".join(fields) or "none"
            raise PassError(f"pass '{name}' has no option '{option}' (options: {known})")
        f, kind = fields[option]
        if f.name in kwargs:
            raise PassError(f"pass '{name}': option '{option}' given twice")
        kwargs[f.name] = _convert(value, kind, f"pass '{name}' option '{option}'")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise PassError(f"pass '{name}': {exc}") from None


def parse_pipeline(text: str) -> list[Pass]:
    """Pass instances from pipeline text; empty text gives an empty list."""
    if not text or not text.strip():
        return []
    return [parse_pass(part) for part in split_pipeline(text)]


__all__ = ["format_pass", "format_pipeline", "parse_pass", "parse_pipeline"]
