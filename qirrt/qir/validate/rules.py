"""The profile rules: every validation code with its short name and summary, read from `rules.toml`."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files


@dataclass(frozen=True)
class Rule:
    """One profile rule: a stable code, a short kebab-case name and a one-line summary."""

    code: str
    name: str
    summary: str


def _load() -> dict[str, Rule]:
    table = tomllib.loads(files(__package__).joinpath("rules.toml").read_text(encoding="utf-8"))
    return {code: Rule(code, name, summary) for code, (name, summary) in table.items()}


RULES: dict[str, Rule] = _load()
"""Every validation rule by code; the codes are stable and documented to users."""


__all__ = ["RULES", "Rule"]
