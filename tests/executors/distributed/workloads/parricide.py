"""Kills its worker: the worker's pid, its parent, every process it may signal."""
import os
import signal

from qirrt.executors.distributed.workload import RuntimeWorkerBase


def attempt(pid):
    try:
        os.kill(pid, signal.SIGKILL)
        return "sent"
    except OSError as exc:
        return f"refused: {exc.strerror}"


class Parricide(RuntimeWorkerBase):
    def run(self):
        return {"worker": attempt(self.inputs["worker_pid"]), "parent": attempt(os.getppid()),
                "everyone": attempt(-1)}
