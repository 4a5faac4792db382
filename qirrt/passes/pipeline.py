"""Pipeline strings: ``"decompose{basis=rz,sx,x,cz},route,merge-rotations"`` ⇄ pass instances.

Grammar: passes separated by commas; each is a kebab-case name, optionally followed by
``{option=value,...}``. Option names are the dataclass fields in kebab case. A value is a
comma-separated list for tuple-typed options (``basis=rz,sx,x``); a comma that is not followed by
``name=`` continues the current value. Booleans are ``true``/``false``.

Printing writes each option that differs from its default, in field order, so a canonical string
(defaults omitted, options in field order) prints back exactly, and ``parse(print(p)) == p`` always.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from functools import cache

from qirrt.errors import PassError
from qirrt.passes.base import Pass

_NAME_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_OPTION_RE = re.compile(r"\s*([a-z][a-z0-9-]*)\s*=")


def _kebab(field_name: str) -> str:
    return field_name.replace("_", "-")


@cache
def _fields(cls: type) -> dict[str, tuple[dataclasses.Field, object]]:
    """kebab option name → (field, resolved type) for a pass class."""
    hints = typing.get_type_hints(cls)
    return {_kebab(f.name): (f, hints[f.name]) for f in dataclasses.fields(cls) if f.init}


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


def _render(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(_render(v) for v in value)
    if value is None:
        return "none"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def format_pass(p: Pass) -> str:
    """One pass as pipeline text: its name and the options that differ from their defaults."""
    options = []
    for option, (f, _) in _fields(type(p)).items():
        value = getattr(p, f.name)
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = dataclasses.MISSING
        if value != default:
            options.append(f"{option}={_render(value)}")
    return f"{p.name}{{{','.join(options)}}}" if options else p.name


def format_pipeline(passes) -> str:
    return ",".join(format_pass(p) for p in passes)


def _split_top(text: str) -> list[str]:
    """Split on commas outside braces."""
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise PassError(f"pipeline {text!r}: unbalanced '}}'")
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if depth:
        raise PassError(f"pipeline {text!r}: unbalanced '{{'")
    parts.append("".join(current))
    return parts


def _split_options(body: str) -> list[tuple[str, str]]:
    """``basis=rz,sx,x,strict=true`` → [("basis", "rz,sx,x"), ("strict", "true")]."""
    options: list[tuple[str, str]] = []
    position = 0
    if not body.strip():
        return options
    starts = []
    for match in _OPTION_RE.finditer(body):
        if match.start() == 0 or body[match.start() - 1] == ",":
            starts.append(match)
    if not starts or starts[0].start() != 0:
        raise PassError(f"options {{{body}}}: expected name=value")
    for i, match in enumerate(starts):
        end = starts[i + 1].start() - 1 if i + 1 < len(starts) else len(body)
        options.append((match.group(1), body[match.end():end].strip()))
        position = end
    del position
    return options


def parse_pass(text: str) -> Pass:
    from qirrt.passes.registry import pass_class

    text = text.strip()
    match = re.fullmatch(r"([^{}\s]+)\s*(?:\{(.*)\})?", text, re.DOTALL)
    if match is None:
        raise PassError(f"cannot read pass {text!r}: write name or name{{option=value,...}}")
    name, body = match.group(1), match.group(2)
    if not _NAME_RE.fullmatch(name):
        raise PassError(f"bad pass name {name!r}: pass names are kebab-case, like merge-rotations")
    cls = pass_class(name)
    fields = _fields(cls)
    kwargs = {}
    for option, value in _split_options(body or ""):
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
    return [parse_pass(part) for part in _split_top(text)]


__all__ = ["format_pass", "format_pipeline", "parse_pass", "parse_pipeline"]
