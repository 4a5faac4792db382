"""The grammar of pipeline text, and nothing else: ``name{option=value,...}`` and comma-separated lists of them.

Grammar: passes separated by commas (outside braces); each is a kebab-case name, optionally followed by
``{option=value,...}``. A comma that is not followed by ``name=`` continues the current value, so
``basis=rz,sx,x`` is one option. This module knows no pass classes: `qirrt.passes.pipeline` turns the
text into pass instances and back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from qirrt.errors import PassError

_NAME_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_OPTION_RE = re.compile(r"\s*([a-z][a-z0-9-]*)\s*=")


def kebab(field_name: str) -> str:
    """The option name of a dataclass field: ``scale_factors`` → ``scale-factors``."""
    return field_name.replace("_", "-")


def split_pipeline(text: str) -> list[str]:
    """Split pipeline text on the commas outside braces."""
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


def split_spec(text: str) -> tuple[str, str]:
    """``name{body}`` → (name, body); body is "" without braces. The name must be kebab-case."""
    text = text.strip()
    match = re.fullmatch(r"([^{}\s]+)\s*(?:\{(.*)\})?", text, re.DOTALL)
    if match is None:
        raise PassError(f"cannot read pass {text!r}: write name or name{{option=value,...}}")
    name, body = match.group(1), match.group(2)
    if not _NAME_RE.fullmatch(name):
        raise PassError(f"bad pass name {name!r}: pass names are kebab-case, like merge-rotations")
    return name, body or ""


def split_options(body: str) -> list[tuple[str, str]]:
    """``basis=rz,sx,x,strict=true`` → [("basis", "rz,sx,x"), ("strict", "true")], in the order written."""
    if not body.strip():
        return []
    starts = [match for match in _OPTION_RE.finditer(body)
              if match.start() == 0 or body[match.start() - 1] == ","]
    if not starts or starts[0].start() != 0:
        raise PassError(f"options {{{body}}}: expected name=value")
    options = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() - 1 if i + 1 < len(starts) else len(body)
        options.append((match.group(1), body[match.end():end].strip()))
    return options


def parse_spec(text: str) -> tuple[str, list[tuple[str, str]]]:
    """``name{option=value,...}`` → (name, [(option, value text), ...])."""
    name, body = split_spec(text)
    return name, split_options(body)


def render_value(value) -> str:
    """An option value as pipeline text: tuples comma-separated, booleans true/false, None as none."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return ",".join(render_value(v) for v in value)
    if value is None:
        return "none"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def format_spec(name: str, options: Iterable[tuple[str, str]] = ()) -> str:
    """(name, [(option, value text), ...]) → ``name{option=value,...}``, or the bare name without options."""
    written = [f"{option}={text}" for option, text in options]
    return f"{name}{{{','.join(written)}}}" if written else name


__all__ = ["format_spec", "kebab", "parse_spec", "render_value", "split_options", "split_pipeline", "split_spec"]
