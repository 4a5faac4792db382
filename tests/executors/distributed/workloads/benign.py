import math

import helper
import msgpack  # noqa: F401 -- a non-stdlib import the worker must have

from qirrt.executors.distributed.workload import RuntimeWorkerBase


class Sum(RuntimeWorkerBase):
    backend_name = "local"
    execution_options = {  # noqa: RUF012 -- read by AST, never mutated
        "passes": "zne{scale-factors=1,3,5}"}
    def run(self):
        return {"total": helper.total(self.inputs["n"]), "pi": math.pi, "uid": __import__("os").getuid(),
                "secret": __import__("os").environ.get("SECRET")}
