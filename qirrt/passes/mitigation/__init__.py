"""Error-mitigation steps: passes with an `expand` half (before execution) and a `combine` half (after).

One step per module — `zne`, `ddd`, `twirl`, `readout`, `readout-model` (a post-processor), `pec` — each a frozen dataclass with a
kebab-case `name`, registered in the ``qirrt.passes`` entry-point group like every other pass, so
``"ddd,zne{scale-factors=1,3,5}"`` parses with `qirrt.passes.parse_pipeline`. Composition, planning
and execution live in `qirrt.api.mitigate.pipeline`.
"""

from __future__ import annotations

from qirrt.passes.mitigation.base import Estimate, MitigationStep, QuasiDistribution
from qirrt.passes.mitigation.ddd import DigitalDynamicalDecoupling
from qirrt.passes.mitigation.pec import ProbabilisticErrorCancellation
from qirrt.passes.mitigation.readout import ReadoutMitigation
from qirrt.passes.mitigation.readout_model import ReadoutModel
from qirrt.passes.mitigation.twirl import PauliTwirling
from qirrt.passes.mitigation.zne import ZeroNoiseExtrapolation

__all__ = ["DigitalDynamicalDecoupling", "Estimate", "MitigationStep", "PauliTwirling", "ProbabilisticErrorCancellation",
           "QuasiDistribution", "ReadoutMitigation", "ReadoutModel", "ZeroNoiseExtrapolation"]
