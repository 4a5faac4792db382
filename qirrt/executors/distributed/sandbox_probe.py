"""The workload `qirrt worker --check-sandbox` runs: it tries each escape and reports what it reached.

Inputs: ``worker_pid``, ``port`` (a TCP port the checker listens on at 127.0.0.1), ``read`` (files to
read), ``write_dir`` (a world-writable directory outside the sandbox), ``package_dir`` (qirrt's).
"""

import os
import signal
import socket

from qirrt.executors.distributed.workload import RuntimeWorkerBase


def _attempt(action):
    """'reached' when `action` succeeds, else the error it met."""
    try:
        action()
        return "reached"
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"


class SandboxProbe(RuntimeWorkerBase):
    def run(self):
        inputs = self.inputs
        pid = inputs["worker_pid"]

        def read(path):
            with open(path, "rb") as handle:
                handle.read(1)

        def write():
            with open(os.path.join(inputs["write_dir"], "written-by-workload"), "w") as handle:
                handle.write("x")

        def package():
            with open(os.path.join(inputs["package_dir"], "written-by-workload"), "w") as handle:
                handle.write("x")

        def connect():
            with socket.create_connection(("127.0.0.1", inputs["port"]), timeout=2):
                pass

        return {
            "uid": os.getuid(),
            "read": {path: _attempt(lambda p=path: read(p)) for path in inputs["read"]},
            "environ": _attempt(lambda: read(f"/proc/{pid}/environ")),
            "parent_environ": _attempt(lambda: read(f"/proc/{os.getppid()}/environ")),
            "signal": _attempt(lambda: os.kill(pid, signal.SIGCONT)),  # harmless if it arrives
            "write": _attempt(write),
            "package": _attempt(package),
            "connect": _attempt(connect),
            "processes": sum(1 for entry in os.listdir("/proc") if entry.isdigit()),
        }
