"""Normalisation: QIR from any producer → qirrt's one dialect (`qirrt.qir.dialect`)."""

from __future__ import annotations
