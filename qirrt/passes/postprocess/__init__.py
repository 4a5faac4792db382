"""User post-processing of measured outcomes: readout correctors fitted on calibration data.

`PostProcessor` (`base`) is the interface; `tensored` (the per-qubit readout inverse) and `mlp`
(`learned`: a small neural network for correlated readout errors) ship with qirrt; more register
through the ``qirrt.postprocessors`` entry-point group or `register_postprocessor` (`registry`). In a
mitigation pipeline a post-processor runs as ``readout-model{name=...}``
(`qirrt.passes.mitigation.readout_model`).
"""

from __future__ import annotations

from qirrt.passes.postprocess.base import (
    CalibrationData,
    PostProcessor,
    ReadoutLayout,
    Requirements,
)
from qirrt.passes.postprocess.registry import (
    available_postprocessors,
    postprocessor_class,
    register_postprocessor,
    resolve,
    unregister_postprocessor,
)

__all__ = ["CalibrationData", "PostProcessor", "ReadoutLayout", "Requirements", "available_postprocessors",
           "postprocessor_class", "register_postprocessor", "resolve", "unregister_postprocessor"]
