"""Circuit cutting: run a program wider than a device as pieces, and reconstruct ⟨O⟩ with its error.

``qirrt.cut(program, max_qubits=12, observable="ZZ")`` returns a `CutPlan` (the cuts found, the
subexperiments, the sampling overhead, the shots) without running anything;
``qirrt.run(program, observable="ZZ", cutting={"max_qubits": 12}, shots=2000, executor=...)`` runs the
subexperiments (``shots`` each) as one batch and returns a `Result` whose ``expectation`` is the
reconstructed ⟨O⟩, with ``metadata["cutting"]`` holding the plan, the ``std_error``, the lanes used and
each Pauli term's value.

* **The library does the cutting** (extra ``cutting``: qiskit-addon-cutting): cut finding, the
  quasi-probability decomposition of each cut and the reconstruction; qirrt raises the program to
  Qiskit with its own binding and loads each subexperiment back with `qirrt.load` (`circuit`, `plan`).
* **One batch on any executor**: the subexperiments go through `qirrt.run_batch`, so on a cluster
  (`qirrt.connect`) they are one submission, spread by ``split="auto"`` (the default here; pass
  ``split=`` or ``requires=`` to change it) over its simulator and QPU lanes (`execute`).
* **Mitigation composes**: ``mitigation="readout"`` (any pipeline) expands and combines each
  subexperiment; the plan multiplies both overheads (`plan.CutPlan`).
* **Standard error** from the shot noise of each subexperiment and the QPD coefficients: the formula is
  in `estimate`.
* **Mid-circuit measurements** whose results nothing reads are cut through; feed-forward is refused with
  a `CuttingError` naming the operation (`circuit`).
"""

from __future__ import annotations

from qirrt.api.cutting.estimate import Reconstruction
from qirrt.api.cutting.execute import cut, run_cut
from qirrt.api.cutting.options import CuttingError, CuttingOptions
from qirrt.api.cutting.plan import Cut, CutPlan

__all__ = ["Cut", "CutPlan", "CuttingError", "CuttingOptions", "Reconstruction", "cut", "run_cut"]
