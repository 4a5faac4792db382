"""Writes outside its directory and deletes the worker's files."""
import os

from qirrt.executors.distributed.workload import RuntimeWorkerBase


def attempt(action):
    try:
        action()
        return "done"
    except OSError as exc:
        return f"refused: {exc.strerror}"


class Vandal(RuntimeWorkerBase):
    def run(self):
        def write():
            with open(os.path.join(self.inputs["dir"], "pwned"), "w") as handle:
                handle.write("pwned")

        outcome = {"write": attempt(write)}
        for path in self.inputs["delete"]:
            outcome[path] = attempt(lambda p=path: os.remove(p))
        with open(f"/tmp/{self.inputs['scratch']}", "w") as handle:  # its own /tmp and /job stay writable
            handle.write("ok")
        with open("scratch", "w") as handle:
            handle.write("ok")
        return outcome
