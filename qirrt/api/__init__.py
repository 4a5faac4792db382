"""What `qirrt.load`, `qirrt.run`, `qirrt.compile` and `qirrt.run_batch` are made of, and the Qiskit facade."""

from __future__ import annotations
