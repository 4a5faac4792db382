"""The QIR core: `Program`, the dialect, normalisation, validation, and the meaning of a module
(exact distributions, resources). Imports nothing above it but `qirrt.errors` and `qirrt.result`."""

from __future__ import annotations
