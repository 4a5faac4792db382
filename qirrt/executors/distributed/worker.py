"""The worker: registers with its capability descriptor, heartbeats, runs jobs, reports back.

Modelled on the Majordomo worker API (``mdwrkapi.py``): a DEALER socket to the broker, heartbeats in
both directions with a liveness count, and reconnect with backoff when the broker goes quiet or says
DISCONNECT. After reconnecting (a broker restart included) the worker sends READY again, listing the
jobs it is still running or has finished but not yet reported, so the broker can adopt them.

A result stays with the worker until the broker acknowledges it (a CANCEL of that attempt, sent
after the broker's store committed the outcome) and is sent again after every reconnect: a result
finished while the broker is down is delivered when it is back, and the job does not run again.
With a spool file (`ResultSpool`), unacknowledged results survive a restart of the worker too.
Sends never block: a broker that refuses the worker's key is logged, not waited on for ever.

Program jobs run on a pool of threads through a qirrt executor (a plugin name from the
``qirrt.executors`` group, or ``module:attribute``); workload jobs (user code) always run in a
separate, resource-limited process (`qirrt.executors.distributed.workload`), never in this one.
"""

from __future__ import annotations

import logging
import os
import socket as _socket
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import zmq

from qirrt.errors import ExecutionError
from qirrt.executors.distributed import isolation, security
from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed.execution import JobRunner
from qirrt.executors.distributed.job import JobContext, run_program
from qirrt.executors.distributed.lane import QueueWatch
from qirrt.executors.distributed.link import KeyRefusedError, Link, open_link
from qirrt.executors.distributed.spool import ResultSpool
from qirrt.executors.registry import executor_label, new_executor

log = logging.getLogger(__name__)
_SNDMORE = int(zmq.SNDMORE)
_NOBLOCK = int(zmq.NOBLOCK)


def installed_packages() -> list[str]:
    from importlib.metadata import distributions

    names = set()
    for dist in distributions():
        name = dist.metadata.get("Name")
        if name:
            names.add(name.lower().replace("_", "-"))
    return sorted(names)


def describe(executor, executor_name: str, *, slots: int, extra: dict | None = None) -> dict:
    """The capability descriptor a worker registers with (DD-13)."""
    capabilities = {
        "executors": [executor_name],
        "max_qubits": int(getattr(executor, "max_qubits", 30)),
        "profiles": list(getattr(executor, "profiles", ("base", "adaptive"))),
        "native_gates": list(getattr(executor, "native_gates", ())),
        "mitigation": list(getattr(executor, "mitigation", ())),
        "gpu": bool(getattr(executor, "gpu", False)),
        "packages": installed_packages(),
        "kinds": ["program", "workload"],
        "slots": slots,
        "host": _socket.gethostname(),
    }
    from qirrt.executors.distributed.lane import describe_lane

    capabilities.update(describe_lane(executor, executor_name))
    calibration_at = getattr(executor, "calibration_at", None)
    if isinstance(calibration_at, (int, float)):
        capabilities["calibration_at"] = float(calibration_at)
    capabilities.update(extra or {})
    return capabilities


class Worker:
    """A worker connected to the broker at `connect`, running jobs through `executor`."""

    def __init__(self, connect: str, executor: str = "local", *, name: str | None = None,
                 keys: str | Path | tuple | None = None, insecure_loopback: bool = False, slots: int = 1,
                 capabilities: dict | None = None, heartbeat_interval_ms: int = P.HEARTBEAT_INTERVAL_MS,
                 heartbeat_liveness: int = P.HEARTBEAT_LIVENESS, workload_limits: dict | None = None,
                 workload_network: bool = False, spool: str | Path | None = None,
                 context: zmq.Context | None = None, executor_options: dict | None = None,
                 queue_refresh_s: float = 15.0):
        security.require_secure_or_loopback(connect, keys=keys, insecure_loopback=insecure_loopback,
                                            what="the worker")
        self.connect_url = connect
        self.executor_name = executor
        self.executor = new_executor(executor, **(executor_options or {}))
        self.spool = None if spool is None else ResultSpool(spool)
        if self.spool is not None:
            try:
                name = self.spool.claim(name)  # a restarted worker keeps its name: its results are its own
            except Exception:
                self.spool.close()
                raise
        self.name = name or f"{_socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        if self.spool is not None:
            self.spool.claim(self.name)
        self.slots = slots
        self.capabilities = describe(self.executor, executor_label(executor), slots=slots, extra=capabilities)
        # a QPU lane re-reads its device's queue and sends it with a heartbeat (the broker plans with it)
        self.queue_watch = QueueWatch(self.executor, queue_refresh_s) \
            if self.capabilities.get("lane_kind") == "qpu" and queue_refresh_s > 0 else None
        self.heartbeat_interval_s = heartbeat_interval_ms / 1000.0
        self.heartbeat_liveness = heartbeat_liveness
        self.workload_limits = dict(workload_limits or {})
        self.context = context or P.context()
        self.keys, self.keys_hint = security.connecting_keys(keys)
        self.isolation = isolation.detect(workload_network)
        for line in self.isolation.warnings():  # once, at start
            log.warning("worker %s: %s", self.name, line)
        if self.isolation.refused:
            self.capabilities["kinds"] = [k for k in self.capabilities["kinds"] if k != "workload"]
        self.capabilities["workload_network"] = self.isolation.network_allowed
        self.pool = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="qirrt-job")
        self.inbox_url = f"inproc://qirrt-worker-{uuid.uuid4().hex}"
        self.inbox = self.context.socket(zmq.PULL)
        self.inbox.bind(self.inbox_url)
        self._local = threading.local()
        self.running: dict[str, tuple[int, threading.Event]] = {}
        # finished, not yet acknowledged by the broker: job id -> (attempt, RESULT body)
        self.unsent: OrderedDict[str, tuple[int, dict]] = OrderedDict()
        if self.spool is not None:
            for job_id, attempt, raw in self.spool.load():
                self.unsent[job_id] = (attempt, P.unpack(raw))
        self.last_progress: dict[str, dict] = {}  # resent after re-registering, so no checkpoint is lost
        self.runner = JobRunner(self.executor, self.isolation, self.workload_limits,
                                labels={"worker": self.name, "lane": self.capabilities["lane"]})
        self.seq = 0
        self.socket = None
        self.link: Link | None = None
        self.refusal_logged = False
        self.backoff = P.Backoff(initial_ms=min(P.RECONNECT_INITIAL_MS, heartbeat_interval_ms // 2),
                                 max_ms=min(P.RECONNECT_MAX_MS, heartbeat_interval_ms))
        self.registrations = 0
        self.incarnation = uuid.uuid4().hex  # this process: the broker tells a reconnect from a restart
        self._stopped = False
        self._loop_thread = None

    # -- connection -------------------------------------------------------------------------------
    def _connect(self) -> None:
        self._close_socket()
        self.link = open_link(self.context, self.connect_url, keys=self.keys, keys_hint=self.keys_hint, role="worker",
                              sndhwm=100_000)
        self.socket = self.link.socket
        self.seq = 0
        running = [[job_id, attempt] for job_id, (attempt, _) in self.running.items()]
        running += [[job_id, attempt] for job_id, (attempt, _body) in self.unsent.items()]
        self._send(P.W_READY, {"worker": self.name, "capabilities": self.capabilities, "running": running,
                               "incarnation": self.incarnation})
        self.registrations += 1
        for _attempt, body in list(self.unsent.values()):  # kept until the broker acknowledges them
            self._send(P.W_RESULT, dict(body))
        for job_id, body in list(self.last_progress.items()):
            if job_id in self.running:
                self._send(P.W_PROGRESS, dict(body))
        self.liveness = self.heartbeat_liveness
        self.heartbeat_at = time.monotonic() + self.heartbeat_interval_s

    def _send(self, command: bytes, body: dict) -> bool:
        """Send without ever blocking; False when the message could not be queued (no connection
        the socket could use: a refused key, say). Results are kept and sent again after reconnecting."""
        self.seq += 1
        body["seq"] = self.seq
        sock, send = self.socket, P.raw_send
        try:
            send(sock, P.WORKER, _NOBLOCK | _SNDMORE)  # plain int flags, the Cython method: no wrapper costs
        except zmq.Again:
            return False
        send(sock, command, _SNDMORE)  # the rest of a message whose first frame went never blocks
        send(sock, P.pack(body), 0)
        return True

    def _close_socket(self) -> None:
        if self.link is not None:
            self.link.close(socket=True)
            self.link = None
        self.socket = None

    def _watch_link(self) -> None:
        try:
            self.link.update()
        except KeyRefusedError as exc:
            if not self.refusal_logged:
                log.error("%s; retrying", exc)
                self.refusal_logged = True

    def stop(self) -> None:
        self._stopped = True

    def run(self, *, duration_s: float | None = None) -> None:
        end = None if duration_s is None else time.monotonic() + duration_s
        self._loop_thread = threading.get_ident()
        if self.queue_watch is not None:
            self.queue_watch.start()
        self._connect()
        pollin = int(zmq.POLLIN)
        try:
            while not self._stopped and (end is None or time.monotonic() < end):
                timeout_ms = max(0, int((self.heartbeat_at - time.monotonic()) * 1000))
                events = [sock for sock, _ in P._zmq_poll([(self.inbox, pollin), (self.socket, pollin),
                                                             (self.link.monitor, pollin)], timeout_ms)]
                if self.link.monitor in events:
                    self._watch_link()
                if self.inbox in events:
                    self._drain_inbox()
                if self.socket in events and self._drain_broker():
                    self._reconnect_after_backoff()
                    continue
                self._heartbeat_if_due()
        finally:
            self.close()

    def _drain_inbox(self) -> None:
        """Handle every message the job threads have queued."""
        while True:
            try:
                frames = P.recv_frames(self.inbox)
            except zmq.Again:
                return
            self._from_job(frames)

    def _drain_broker(self) -> bool:
        """Handle the broker's queued messages; whether one asked this worker to reconnect."""
        first = True
        while True:
            try:
                frames = P.recv_frames(self.socket)
            except zmq.Again:
                return False
            self.liveness = self.heartbeat_liveness
            if self._from_broker(frames):
                return True
            # One job at a time is the common case: ask rather than pay for a zmq.Again.
            if first and not P.readable(self.socket):
                return False
            first = False

    def _reconnect_after_backoff(self) -> None:
        time.sleep(self.backoff.next_ms() / 1000.0)
        self._connect()

    def _heartbeat_if_due(self) -> None:
        """Send a heartbeat when one is due, or reconnect once the broker missed too many."""
        if time.monotonic() < self.heartbeat_at:
            return
        self.liveness -= 1
        if self.liveness <= 0:
            log.warning("broker silent for %d heartbeats; reconnecting", self.heartbeat_liveness)
            self._reconnect_after_backoff()
            return
        fresh = self.queue_watch.take() if self.queue_watch is not None else None
        self._send(P.W_HEARTBEAT, {} if fresh is None else {"queue": fresh})
        self.heartbeat_at = time.monotonic() + self.heartbeat_interval_s

    def close(self) -> None:
        if self.queue_watch is not None:
            self.queue_watch.stop()
        for _attempt, cancelled in self.running.values():
            cancelled.set()
        if self.socket is not None:
            try:
                self._send(P.W_DISCONNECT, {})
            except zmq.ZMQError:
                pass
        self._close_socket()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.inbox.close(0)
        if self.spool is not None:
            self.spool.close()

    # -- messages ---------------------------------------------------------------------------------
    def _from_broker(self, frames: list) -> bool:
        """Handle one broker message; True when the worker must reconnect."""
        try:
            message = P.decode(frames, schemas=P.OUTBOUND_SCHEMAS)
        except P.ProtocolError as exc:
            log.warning("broker sent a bad message (%s); reconnecting", exc)
            return True
        if message.header != P.WORKER:
            return True
        if message.command != P.W_DISCONNECT:
            self.backoff.reset()
        if message.command == P.W_JOB:
            self._start(message.body)
        elif message.command == P.W_CANCEL:  # stop this attempt, or forget it: it acknowledges a RESULT
            job_id, attempt = message.body["job"], message.body["attempt"]
            entry = self.running.get(job_id)
            if entry is not None and entry[0] == attempt:
                entry[1].set()
                del self.running[job_id]
                self.last_progress.pop(job_id, None)
            kept = self.unsent.get(job_id)
            if kept is not None and kept[0] == attempt:
                del self.unsent[job_id]
                if self.spool is not None:
                    self.spool.delete(job_id, attempt)
        elif message.command == P.W_DISCONNECT:
            log.info("broker said DISCONNECT (%s); re-registering", message.body.get("reason"))
            return True
        return False

    def _start(self, body: dict) -> None:
        spec, attempt = body["job"], body["attempt"]
        cancelled = threading.Event()
        self.running[spec["id"]] = (attempt, cancelled)
        context = JobContext(spec["id"], attempt, body.get("checkpoint"), cancelled, self._report_from_thread)
        inline = getattr(self.executor, "runs_inline", False) or getattr(self.executor, "name", None) == "null"
        if inline and spec["kind"] == "program":
            self._execute(spec, context)  # a trivial executor (null, echo): no thread hand-off
        else:
            self.pool.submit(self._execute, spec, context)

    def _job_socket(self) -> zmq.Socket:
        sock = getattr(self._local, "socket", None)
        if sock is None:
            sock = self._local.socket = self.context.socket(zmq.PUSH)
            sock.linger = 1000
            sock.connect(self.inbox_url)
        return sock

    def _report_from_thread(self, job_id: str, attempt: int, progress: float, checkpoint: bytes | None) -> None:
        body = {"job": job_id, "attempt": attempt, "progress": progress, "checkpoint": checkpoint}
        self._job_socket().send_multipart(P.encode(P.WORKER, P.W_PROGRESS, body))

    def _execute(self, spec: dict, context: JobContext) -> None:
        """On a pool thread: run the job and pass its outcome to the loop."""
        body = self.runner.run(spec, context)
        # Even a cancelled or superseded attempt reports: the broker refuses what it no longer wants.
        if threading.get_ident() == self._loop_thread:
            self._outcome(P.W_RESULT, body)  # run inline on the loop: report at once
        else:
            self._job_socket().send_multipart(P.encode(P.WORKER, P.W_RESULT, body))

    def _from_job(self, frames: list[bytes]) -> None:
        _header, command, raw = frames
        self._outcome(command, P.unpack(raw))

    def _outcome(self, command: bytes, body: dict) -> None:
        """Report a job's progress or result to the broker (on the loop's thread)."""
        job_id = body["job"]
        entry = self.running.get(job_id)
        current = entry is not None and entry[0] == body["attempt"]
        if command == P.W_PROGRESS and not current:
            return  # cancelled meanwhile: its progress interests no one
        if command == P.W_RESULT:
            self.last_progress.pop(job_id, None)
            if current:
                del self.running[job_id]
            # Kept until the broker acknowledges it: a broker that is down, or dies before its
            # commit, gets it again after the reconnect.
            self.unsent[job_id] = (body["attempt"], body)
            if self.spool is not None:
                self.spool.put(job_id, body["attempt"], P.pack(body))
            self._send(command, dict(body))
            return
        if body.get("checkpoint") is not None:
            self.last_progress[job_id] = body
        self._send(command, body)


def main_loop(connect: str, executor: str, **options) -> None:
    """`qirrt worker`: run until SIGTERM or SIGINT."""
    import signal

    worker = Worker(connect, executor, **options)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    try:
        worker.run()
    except KeyboardInterrupt:
        worker.stop()


load_executor = new_executor  # the name before issue 16; executors load in `qirrt.executors.registry`

__all__ = ["ExecutionError", "JobContext", "Worker", "describe", "load_executor", "run_program"]
