"""Error-mitigation steps: passes with an `expand` half (before execution) and a `combine` half (after).

One step per module — `zne`, `ddd`, `twirl`, `readout`, `pec` — each a frozen dataclass with a
kebab-case `name`, registered in the ``qirrt.passes`` entry-point group like every other pass, so
``"ddd,zne{scale-factors=1,3,5}"`` parses with `qirrt.passes.parse_pipeline`. Composition, planning
and execution live in `qirrt.mitigation`.
"""

from __future__ import annotations

from .base import Estimate, MitigationStep, QuasiDistribution
from .ddd import DigitalDynamicalDecoupling
from .pec import ProbabilisticErrorCancellation
from .readout import ReadoutMitigation
from .twirl import PauliTwirling
from .zne import ZeroNoiseExtrapolation

__all__ = ["DigitalDynamicalDecoupling", "Estimate", "MitigationStep", "PauliTwirling", "ProbabilisticErrorCancellation",
           "QuasiDistribution", "ReadoutMitigation", "ZeroNoiseExtrapolation"]
