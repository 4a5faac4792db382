"""Connects to the broker and registers itself as a worker with the worker's stolen key."""
import socket

from qirrt.executors.distributed.workload import RuntimeWorkerBase


class Impostor(RuntimeWorkerBase):
    def run(self):
        outcome = {}
        try:
            with socket.create_connection(("127.0.0.1", self.inputs["port"]), timeout=2):
                outcome["tcp"] = "connected"
        except OSError as exc:
            outcome["tcp"] = f"refused: {exc.strerror}"
        try:
            from qirrt.executors.distributed.worker import Worker

            worker = Worker(self.inputs["url"], "local", name="impostor", keys=(self.inputs["keys"], "w1"),
                            heartbeat_interval_ms=100)
            worker.run(duration_s=3)
            outcome["register"] = "ran for 3 s"
        except Exception as exc:  # noqa: BLE001 -- the attempt's outcome is the result
            outcome["register"] = f"refused: {type(exc).__name__}: {exc}"
        return outcome
