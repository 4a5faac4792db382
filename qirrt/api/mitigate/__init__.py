"""Composing, planning and running error mitigation (the steps are in `qirrt.passes.mitigation`)."""

from __future__ import annotations
