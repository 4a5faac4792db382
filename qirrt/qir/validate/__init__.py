"""Validation against the QIR base and adaptive profiles: one named rule per check."""

from __future__ import annotations
