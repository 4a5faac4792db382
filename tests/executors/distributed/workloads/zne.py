from bell_program import BELL

from qirrt.executors.distributed.workload import RuntimeWorkerBase


class Zne(RuntimeWorkerBase):
    backend_name = "local"
    execution_options = {  # noqa: RUF012 -- read by AST, never mutated
        "passes": ["ErrorMitigatedExecutionBackend", "zne{scale-factors=1,3,5}"], "observable": "ZZ"}

    def run(self):
        return self.execute(BELL, shots=400, seed=self.inputs.get("seed", 1))
