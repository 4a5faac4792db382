from qirrt.executors.distributed.workload import RuntimeWorkerBase


class Spin(RuntimeWorkerBase):
    def run(self):
        while True:
            pass
