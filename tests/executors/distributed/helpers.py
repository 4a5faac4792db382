"""Executors and process helpers for the distributed tests (loopback, ephemeral ports, hard timeouts)."""

from __future__ import annotations

import collections
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import msgpack

from qirrt.executors.distributed.testing import FakeClock, LocalCluster

ROOT = Path(__file__).resolve().parents[3]
BELL_IR = (Path(__file__).parent / "bell.ll").read_text()


# -- executors the workers load as tests.executors.distributed.helpers:<Name> ---------------------------------
class EchoExecutor:
    """Returns the shots as counts at once; takes the IR text unparsed (dispatch-only tests)."""

    wants_program_text = True
    max_qubits = 64

    def run_job(self, program, spec, context):
        return {"counts": {"00": spec["shots"]}, "shots": spec["shots"],
                "metadata": {"job": spec["id"], "attempt": context.attempt, "pid": os.getpid()}}


class SlowExecutor(EchoExecutor):
    """Sleeps `params.sleep_s` (default 0.3 s) in small steps, reporting progress."""

    def run_job(self, program, spec, context):
        params = spec.get("params") or {}
        sleep_s = float(params.get("sleep_s", 0.3))
        if params.get("quiet"):  # no progress messages: the result is the first thing it sends
            time.sleep(sleep_s)
            return super().run_job(program, spec, context)
        steps = 10
        for step in range(steps):
            if context.cancelled.wait(sleep_s / steps):
                raise RuntimeError("cancelled")
            context.report((step + 1) / steps)
        return super().run_job(program, spec, context)


class DayLongExecutor(EchoExecutor):
    """24 "hours" of work, `params.hour_s` real seconds each, checkpointing after every hour.

    Appends "<job> <attempt> <hour>" to `params.log` when an hour starts, so a test can see that no
    hour before the last checkpoint ran again."""

    def run_job(self, program, spec, context):
        params = spec.get("params") or {}
        hour_s = float(params.get("hour_s", 0.3))
        start = msgpack.unpackb(context.checkpoint) if context.checkpoint else 0
        for hour in range(start, 24):
            with open(params["log"], "a") as log:
                log.write(f"{spec['id']} {context.attempt} {hour}\n")
            if context.cancelled.wait(hour_s):
                raise RuntimeError("cancelled")
            context.report((hour + 1) / 24, msgpack.packb(hour + 1))
        result = super().run_job(program, spec, context)
        result["metadata"].update(hours=24, resumed_from=start)
        return result


# -- processes --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A qirrt broker or worker in its own process; killed for sure at teardown."""

    def __init__(self, args: list[str], *, ready: str, timeout_s: float = 20.0, env: dict | None = None):
        self.args = args
        self.stderr_lines: collections.deque[str] = collections.deque(maxlen=5000)
        self.popen = subprocess.Popen([sys.executable, "-m", "qirrt.cli", *args], cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      env={**os.environ, **(env or {})}, start_new_session=True)
        self.line = self._wait_for(ready, timeout_s)

    def _wait_for(self, text: str, timeout_s: float) -> str:
        box: list[str] = []

        def read():
            for line in self.popen.stdout:
                if text in line:
                    box.append(line)
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout_s)
        if not box:
            self.kill()
            err = self.popen.stderr.read() if self.popen.stderr else ""
            raise RuntimeError(f"{self.args[0]} did not start in {timeout_s} s: {err[-2000:]}")
        # Keep draining both pipes so the child never blocks on a full pipe; keep stderr's last lines.
        threading.Thread(target=lambda: [None for _ in self.popen.stdout], daemon=True).start()
        if not os.environ.get("QIRRT_TEST_STDERR"):
            threading.Thread(target=lambda: self.stderr_lines.extend(self.popen.stderr), daemon=True).start()
        return box[0]

    @property
    def pid(self) -> int:
        return self.popen.pid

    def signal(self, sig: int) -> None:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, sig)

    def kill(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def alive(self) -> bool:
        return self.popen.poll() is None


class Cluster:
    """A broker and its workers on an ephemeral loopback port, with restart helpers."""

    def __init__(self, tmp_path: Path, *, heartbeat_interval_ms: int = 100, keys: Path | None = None,
                 broker_args: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"tcp://127.0.0.1:{self.port}"
        self.store = tmp_path / "broker.db"
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.keys = keys
        self.broker_args = list(broker_args)
        self.broker: Proc | None = None
        self.workers: list[Proc] = []
        self.procs: list[Proc] = []

    def _security(self, key_name: str | None = None) -> list[str]:
        if self.keys is None:
            return ["--insecure-loopback"]
        return ["--keys", str(self.keys)] + (["--key-name", key_name] if key_name else [])

    def start_broker(self) -> Proc:
        args = ["broker", "--bind", self.url, "--store", str(self.store),
                "--heartbeat-interval-ms", str(self.heartbeat_interval_ms), *self._security(), *self.broker_args]
        self.broker = Proc(args, ready="listening on")
        self.procs.append(self.broker)
        return self.broker

    def start_worker(self, executor: str = "tests.executors.distributed.helpers:EchoExecutor", *, name: str | None = None,
                     key_name: str | None = None, extra: tuple[str, ...] = ()) -> Proc:
        args = ["worker", "--connect", self.url, "--executor", executor,
                "--heartbeat-interval-ms", str(self.heartbeat_interval_ms), *self._security(key_name), *extra]
        if name:
            args += ["--name", name]
        proc = Proc(args, ready="connecting to")
        self.workers.append(proc)
        self.procs.append(proc)
        return proc

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.store}?mode=ro", uri=True, timeout=5)

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self.db() as conn:
            return conn.execute(sql, args).fetchall()

    def wait_workers(self, count: int, timeout_s: float = 15.0) -> None:
        wait_until(lambda: len(self.query("SELECT id FROM workers WHERE state='up'")) >= count, timeout_s,
                   f"{count} workers registered")

    def close(self) -> None:
        for proc in self.procs:
            proc.kill()


def wait_until(predicate, timeout_s: float, what: str, *, interval_s: float = 0.02):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except sqlite3.OperationalError:
            value = None
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


class FlakyExecutor(EchoExecutor):
    """Fails the first `params.fail_attempts` attempts (default 1), then succeeds."""

    def run_job(self, program, spec, context):
        if context.attempt <= int((spec.get("params") or {}).get("fail_attempts", 1)):
            raise RuntimeError(f"flaky failure on attempt {context.attempt}")
        return super().run_job(program, spec, context)


SLOW_EXECUTOR = "tests.executors.distributed.helpers:SlowExecutor"


def in_process(tmp_path: Path, **broker_options) -> LocalCluster:
    """The scheduling tests' cluster: a `LocalCluster` with its store in `tmp_path`, a `FakeClock` and
    `SlowExecutor` workers unless told otherwise."""
    broker_options.setdefault("clock", FakeClock())
    broker_options.setdefault("executor", SLOW_EXECUTOR)
    return LocalCluster(store_dir=tmp_path, **broker_options)


class CountingExecutor(EchoExecutor):
    """Appends "start <job> <attempt>" to `params.log`, sleeps `params.sleep_s` (default 0.3 s), then
    appends "end <job> <attempt>": a test counts how often each job really ran."""

    def run_job(self, program, spec, context):
        params = spec.get("params") or {}
        with open(params["log"], "a") as log:
            log.write(f"start {spec['id']} {context.attempt}\n")
        if context.cancelled.wait(float(params.get("sleep_s", 0.3))):
            raise RuntimeError("cancelled")
        with open(params["log"], "a") as log:
            log.write(f"end {spec['id']} {context.attempt}\n")
        return super().run_job(program, spec, context)


def executions(log_path: Path) -> dict[str, int]:
    """job id -> how many times a `CountingExecutor` started it."""
    counts: dict[str, int] = {}
    if log_path.exists():
        for line in log_path.read_text().splitlines():
            kind, job_id, _attempt = line.split()
            if kind == "start":
                counts[job_id] = counts.get(job_id, 0) + 1
    return counts


FAST_QUEUE = {"latency_s": 0.01, "mean_depth": 0.0, "job_s": 0.01, "overhead_s": 0.02, "shot_s": 2e-5}
QPU = {"failure_rate": 0.0, "seed": 3, "queue": FAST_QUEUE}
"""Options of an emulated-QPU lane whose queue is short enough for tests."""


def sweep_program():
    """ry(theta) on qubit 0, then CX: a one-parameter, two-qubit program for sweeps across lanes."""
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter

    import qirrt

    theta = Parameter("theta")
    qc = QuantumCircuit(2, 2)
    qc.ry(theta, 0)
    qc.cx(0, 1)
    qc.measure([0, 1], [0, 1])
    return qirrt.load(qc)
