"""Passes: Program → Program transformations and analyses, and the pass manager that runs them.

Pipelines are text (``"layout,route,decompose{basis=rz,sx,x,cx},merge-rotations,cancel-inverses"``)
or lists of `Pass` instances; passes are found by name through the ``qirrt.passes`` entry-point
group, so a third-party package adds passes by declaring entry points. See `qirrt.passes.base` for
the contract and `qirrt.passes.circuit` for the view of the module passes edit.
"""

from __future__ import annotations

from qirrt.passes.base import Pass, PassContext
from qirrt.passes.manager import PassManager
from qirrt.passes.pipeline import format_pass, format_pipeline, parse_pass, parse_pipeline
from qirrt.passes.registry import available_passes, pass_class, register_pass

__all__ = ["Pass", "PassContext", "PassManager", "available_passes", "format_pass", "format_pipeline",
           "parse_pass", "parse_pipeline", "pass_class", "register_pass"]
