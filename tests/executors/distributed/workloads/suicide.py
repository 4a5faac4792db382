"""Dies by SIGKILL: a crash the worker reports as this job's failure, not its own death."""
import os
import signal

from qirrt.executors.distributed.workload import RuntimeWorkerBase


class Suicide(RuntimeWorkerBase):
    def run(self):
        os.kill(os.getpid(), signal.SIGKILL)
