from qirrt.executors.distributed.workload import RuntimeWorkerBase
from qirrt.passes.postprocess import available_postprocessors, register_postprocessor
from qirrt.passes.postprocess.tensored import TensoredReadoutInverse

if "tensored" not in available_postprocessors():  # a worker installed before the entry point existed
    register_postprocessor(TensoredReadoutInverse)

BELL = """
%Qubit = type opaque
%Result = type opaque
define void @main() #0 {
  call void @__quantum__qis__h__body(%Qubit* null)
  call void @__quantum__qis__cnot__body(%Qubit* null, %Qubit* inttoptr (i64 1 to %Qubit*))
  call void @__quantum__qis__mz__body(%Qubit* null, %Result* null)
  call void @__quantum__qis__mz__body(%Qubit* inttoptr (i64 1 to %Qubit*), %Result* inttoptr (i64 1 to %Result*))
  call void @__quantum__rt__result_record_output(%Result* null, i8* null)
  call void @__quantum__rt__result_record_output(%Result* inttoptr (i64 1 to %Result*), i8* null)
  ret void
}
declare void @__quantum__qis__h__body(%Qubit*)
declare void @__quantum__qis__cnot__body(%Qubit*, %Qubit*)
declare void @__quantum__qis__mz__body(%Qubit*, %Result*)
declare void @__quantum__rt__result_record_output(%Result*, i8*)
attributes #0 = { "entry_point" "qir_profiles"="base_profile" "required_num_qubits"="2" "required_num_results"="2" }
"""


class Corrected(RuntimeWorkerBase):
    """Bell pairs, corrected by a post-processor: fitted on calibration circuits in the job, or a fitted state
    the client ships in the inputs."""

    backend_name = "local"
    execution_options = {"postprocess": "tensored"}  # noqa: RUF012 -- read by AST, never mutated

    def run(self):
        return self.execute(BELL, shots=400, seed=self.inputs.get("seed", 1),
                            postprocess=self.inputs.get("postprocess"))
