from qirrt.executors.distributed.workload import RuntimeWorkerBase


class Hog(RuntimeWorkerBase):
    def run(self):
        block = bytearray(10 * 1024 ** 3)
        return len(block)
