from bell_program import BELL

from qirrt.executors.distributed.workload import RuntimeWorkerBase
from qirrt.passes.postprocess import available_postprocessors, register_postprocessor
from qirrt.passes.postprocess.tensored import TensoredReadoutInverse

if "tensored" not in available_postprocessors():  # a worker installed before the entry point existed
    register_postprocessor(TensoredReadoutInverse)


class Corrected(RuntimeWorkerBase):
    """Bell pairs, corrected by a post-processor: fitted on calibration circuits in the job, or a fitted state
    the client ships in the inputs."""

    backend_name = "local"
    execution_options = {"postprocess": "tensored"}  # noqa: RUF012 -- read by AST, never mutated

    def run(self):
        return self.execute(BELL, shots=400, seed=self.inputs.get("seed", 1),
                            postprocess=self.inputs.get("postprocess"))
