import math
import msgpack
from qirrt.executors.distributed.workload import RuntimeWorkerBase
import helper

class Sum(RuntimeWorkerBase):
    backend_name = "local"
    execution_options = {"passes": "zne{scale-factors=1,3,5}"}
    def run(self):
        return {"total": helper.total(self.inputs["n"]), "pi": math.pi, "uid": __import__("os").getuid(),
                "secret": __import__("os").environ.get("SECRET")}
