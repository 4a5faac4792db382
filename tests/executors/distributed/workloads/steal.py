"""Reads what it should never see: key files, /etc/shadow, the worker's environment."""
import os

from qirrt.executors.distributed.workload import RuntimeWorkerBase


class Steal(RuntimeWorkerBase):
    def run(self):
        paths = [*self.inputs["paths"], "/etc/shadow", f"/proc/{os.getppid()}/environ",
                 f"/proc/{self.inputs['worker_pid']}/environ"]
        found = {}
        for path in paths:
            try:
                with open(path, "rb") as handle:
                    found[path] = handle.read().decode(errors="replace")
            except OSError as exc:
                found[path] = f"refused: {exc.strerror}"
        return found
