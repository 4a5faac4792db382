"""The client SDK: a `Client` submits programs to a broker (`qirrt.connect(url)` wraps one in the `Cluster`
executor; `qirrt.executors.distributed.connect` returns the bare `Client`).

Modelled on the Majordomo client API (``mdcliapi.py``): a DEALER socket, requests matched to replies
by a request number, and a resend after a quiet interval (with a fresh socket after DISCONNECT), so a
broker restart costs a client a delay, never a job. Submissions carry client-made job ids, which the
broker treats as idempotency keys: resending a submission never makes a second job.

No call waits longer than its timeout: sends never block (``ZMQ_IMMEDIATE``: a request waits, under
the call's deadline, for a connection that finished its handshake), and the socket's monitor (`Link`)
turns a refused key into a `KeyRefusedError` at once and a silent broker into a
`BrokerUnreachableError` that says what the connection saw. Until the first connection succeeds,
even a call without a timeout gives up after the client's `timeout_s`.
"""

from __future__ import annotations

import getpass
import itertools
import time
import uuid
from collections import OrderedDict
from pathlib import Path

import zmq

from qirrt.errors import ExecutionError, JobCancelledError, JobTimeoutError
from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed import security
from qirrt.executors.distributed.colocate import choose_pair, pin
from qirrt.executors.distributed.link import (
    BrokerUnreachableError,
    KeyRefusedError,
    Link,
    open_link,
)
from qirrt.qir.resources import estimated_simulation_s

RESEND_S = 2.0
_SNDMORE = int(zmq.SNDMORE)
_NOBLOCK = int(zmq.NOBLOCK)
_POLLIN = int(zmq.POLLIN)
_POLLOUT = int(zmq.POLLOUT)


def _to_result(data: dict):
    try:
        from qirrt.result import Result
    except ImportError:  # the local executor's Result is not available in this build
        return data
    from_dict = getattr(Result, "from_dict", None)
    return from_dict(data) if from_dict is not None else data


class BrokerError(ExecutionError):
    """The broker refused a request (rate limit, unknown job, not yours, taken id)."""


class InvalidRequestError(BrokerError, ValueError):
    """A request that breaks the protocol's schema (a value out of range, a wrong type); never sent."""


class DistributedJob:
    """A job on the broker: `.id`, `.status()`, `.result(timeout_s=None)`, `.cancel()`."""

    def __init__(self, client: Client, job_id: str):
        self.client = client
        self.id = job_id

    def status(self) -> dict:
        """State (queued, running, done, failed, cancelled), attempt, progress, queue position and ETA."""
        return self.client.status([self.id])[0]

    def result(self, timeout_s: float | None = None):
        """The job's `Result`; `JobTimeoutError` after `timeout_s`, `ExecutionError` if it failed."""
        return self.client.result(self.id, timeout_s=timeout_s)

    def cancel(self) -> bool:
        return self.client.cancel(self.id)

    def __repr__(self) -> str:
        return f"DistributedJob({self.id!r})"


class Session:
    """A scope that batches many submissions (a QML loop's thousands of calls) under one time limit."""

    def __init__(self, client: Client, session_id: str, expires_at: float, pair: dict | None = None):
        self.client = client
        self.id = session_id
        self.expires_at = expires_at
        self.pair = pair  # the co-located simulator/QPU pair its lane-bound jobs go to (`colocate`)

    def submit(self, program, **options) -> DistributedJob:
        return self.submit_many([program], **options)[0]

    def submit_many(self, programs, **options) -> list[DistributedJob]:
        if options.get("requires"):
            options["requires"] = pin(options["requires"], self.pair)
        return self.client.submit_many(programs, session=self.id, **options)

    def summary(self) -> dict:
        """Its jobs by state and what they cost so far."""
        return self.client.session_summary(self.id)

    def run(self, programs, *, timeout_s: float | None = None, **options) -> list:
        """Submit all `programs` in one message and return their results in order."""
        return self.client.results(self.submit_many(programs, **options), timeout_s=timeout_s)

    def close(self) -> None:
        self.client._request(P.C_SESSION, {"op": "close", "session": self.id})

    def __enter__(self) -> Session:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Client:
    """A connection to one broker. Not thread-safe: use one client per thread."""

    def __init__(self, url: str, *, keys: str | Path | tuple | None = None, insecure_loopback: bool = False,
                 user: str | None = None, timeout_s: float = 30.0, context: zmq.Context | None = None):
        security.require_secure_or_loopback(url, keys=keys, insecure_loopback=insecure_loopback,
                                            what="the client")
        self.url = url
        self.timeout_s = timeout_s
        self.context = context or P.context()
        self.keys, self.keys_hint = security.connecting_keys(keys)
        self.user = None if keys is not None else (user or getpass.getuser())
        self.reqs = itertools.count(1)
        self.seq = 0
        self.replies: OrderedDict[int, dict] = OrderedDict()
        self.socket = None
        self.link: Link | None = None
        self.connected = False  # a connection has finished its handshake at least once
        self._connect()

    def _connect(self) -> None:
        self._close_socket()
        # immediate: queue only on a connection that finished its handshake
        self.link = open_link(self.context, self.url, keys=self.keys, keys_hint=self.keys_hint, role="client",
                              immediate=1)
        self.socket = self.link.socket
        self.seq = 0

    def _close_socket(self) -> None:
        if self.link is not None:
            self.connected = self.connected or self.link.ever_up
            self.link.close(socket=True)
            self.link = None
        self.socket = None

    def close(self) -> None:
        self._close_socket()

    def __enter__(self) -> Client:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------------
    def _send(self, command: bytes, body: dict, req: int, deadline: tuple | None) -> None:
        self.seq += 1
        body = dict(body, seq=self.seq, req=req)
        if self.user is not None:
            body["user"] = self.user
        packed = P.pack(body)
        try:  # the broker's own schema: a bad value is named here, not answered by a disconnect
            P.decode([P.CLIENT, command, packed])
        except P.ProtocolError as exc:
            raise InvalidRequestError(f"invalid request, not sent: {exc}") from None
        sock, send = self.socket, P.raw_send
        while True:
            try:
                # plain int flags, the Cython method: no per-frame wrapper costs
                send(sock, P.CLIENT, _NOBLOCK | _SNDMORE)
                break
            except zmq.Again:  # no connection has finished its handshake (yet): wait, within the deadline
                self._await(_POLLOUT, deadline)
                sock = self.socket
        send(sock, command, _SNDMORE)  # the rest of a message whose first frame went never blocks
        send(sock, packed, 0)

    def _deadline(self, timeout_s: float | None) -> tuple:
        """A call's (deadline or None, its timeout_s, the deadline for a first connection)."""
        now = time.monotonic()
        return (None if timeout_s is None else now + timeout_s, timeout_s, now + self.timeout_s)

    def _await(self, events: int, deadline: tuple | None, until: float | None = None) -> bool:
        """Poll the socket for `events` until it is ready (True), `until` passes (False) or the call's
        deadline does (an error saying why). Watches the link meanwhile: a refused key raises at once,
        and until a first connection succeeds a call waits at most the client's `timeout_s`."""
        if deadline is None:
            deadline = self._deadline(None)
        end, timeout_s, connect_end = deadline
        while True:
            link = self.link
            if not self.connected:
                link.update()
                self.connected = link.ever_up
            stop, waited_s = end, timeout_s
            if not self.connected and (stop is None or connect_end < stop):
                stop, waited_s = connect_end, self.timeout_s
            now = time.monotonic()
            if stop is not None and now >= stop:
                link.update()
                if link.up:
                    raise JobTimeoutError(f"no reply from the broker at {self.url} within {waited_s:g} s")
                raise link.unreachable(waited_s)
            if until is not None:
                stop = until if stop is None else min(stop, until)
            wait_ms = -1 if stop is None else max(0, int((stop - now) * 1000) + 1)
            ready = False
            for sock, got in P._zmq_poll([(self.socket, events), (link.monitor, _POLLIN)], wait_ms):
                if sock is link.monitor:
                    link.update()
                    self.connected = self.connected or link.ever_up
                elif got & events:
                    ready = True
            if ready:
                return True
            if until is not None and time.monotonic() >= until:
                return False

    def _request(self, command: bytes, body: dict, *, timeout_s: float | None = None,
                 resend_s: float = RESEND_S) -> dict:
        deadline = self._deadline(self.timeout_s if timeout_s is None else timeout_s)
        req = self._start(command, body, deadline)
        return self._wait(req, command, body, deadline=deadline, resend_s=resend_s)

    def _start(self, command: bytes, body: dict, deadline: tuple | None = None) -> int:
        req = next(self.reqs)
        self._send(command, body, req, deadline)
        return req

    def _wait(self, req: int, command: bytes, body: dict, *, deadline: tuple | None,
              resend_s: float = RESEND_S) -> dict:
        """Wait for the reply to `req`, resending (as a new request) after each quiet `resend_s`."""
        wanted = {req}
        resend_at = time.monotonic() + resend_s
        while True:
            for r in wanted:
                if r in self.replies:
                    reply = self.replies.pop(r)
                    if not reply["ok"]:
                        raise BrokerError(reply.get("error") or "the broker refused the request")
                    return reply.get("data")
            if self._await(_POLLIN, deadline, until=resend_at):
                self._receive()
            elif time.monotonic() >= resend_at:
                req = self._start(command, body, deadline)
                wanted.add(req)
                resend_at = time.monotonic() + resend_s

    def _receive(self) -> None:
        handled = 0
        while True:
            # After the first message ask once (a lone reply costs no zmq.Again); a burst drains to the end.
            if handled == 1 and not P.readable(self.socket):
                return
            try:
                frames = P.recv_frames(self.socket)
            except zmq.Again:
                return
            handled += 1
            try:
                message = P.decode(frames, schemas=P.OUTBOUND_SCHEMAS)
            except P.ProtocolError:
                continue
            if message.command == P.C_DISCONNECT:
                self._connect()  # forgotten by the broker: start over on a fresh connection
                return
            if message.command == P.C_REPLY:
                self.replies[message.body["req"]] = message.body
                while len(self.replies) > 100_000:
                    self.replies.popitem(last=False)

    # -- public API -------------------------------------------------------------------------------
    def _spec(self, program, *, shots: int, seed: int | None, priority: int, params: dict | None,
              requires: dict | None, max_attempts: int | None, time_limit_s: float | None,
              estimated_duration_s: float | None, session: str | None) -> dict:
        if isinstance(program, (str, bytes)):
            payload, needs = program, {}
        else:
            payload = program.ir
            needs = {"qubits": program.num_qubits, "profile": program.profile.value}
            if estimated_duration_s is None:  # queue ETAs start from the program's resource estimate
                estimated_duration_s = estimated_simulation_s(program.resources(), int(shots))
        spec = {"id": uuid.uuid4().hex, "kind": "program", "program": payload, "shots": int(shots),
                "priority": int(priority), "requires": {**needs, **(requires or {})}}
        for key, value in (("seed", seed), ("params", params), ("max_attempts", max_attempts),
                           ("time_limit_s", time_limit_s), ("estimated_duration_s", estimated_duration_s),
                           ("session", session)):
            if value is not None:
                spec[key] = value
        return spec

    def submit(self, program, *, shots: int = 1000, seed: int | None = None, priority: int = 0,
               params: dict | None = None, requires: dict | None = None, max_attempts: int | None = None,
               time_limit_s: float | None = None, estimated_duration_s: float | None = None,
               session: str | None = None) -> DistributedJob:
        """Submit one program; returns once the broker has committed the job to its store."""
        return self.submit_many([program], shots=shots, seed=seed, priority=priority, params=params,
                                requires=requires, max_attempts=max_attempts, time_limit_s=time_limit_s,
                                estimated_duration_s=estimated_duration_s, session=session)[0]

    def submit_many(self, programs, **options) -> list[DistributedJob]:
        """Submit many programs in one message (one commit on the broker)."""
        options.setdefault("shots", 1000)
        for key in ("seed", "params", "requires", "max_attempts", "time_limit_s", "estimated_duration_s",
                    "session"):
            options.setdefault(key, None)
        options.setdefault("priority", 0)
        specs = [self._spec(p, **options) for p in programs]
        return self.submit_specs(specs)

    def submit_specs(self, specs: list[dict]) -> list[DistributedJob]:
        data = self._request(P.C_SUBMIT, {"jobs": specs})
        return [DistributedJob(self, job_id) for job_id in data["ids"]]

    def run(self, program, *, timeout_s: float | None = None, **options):
        """Submit one program and wait for its result: one request, one reply (the outcome).

        Resending after a broker restart is safe: the job id makes the submission idempotent."""
        options.setdefault("shots", 1000)
        for key in ("seed", "params", "requires", "max_attempts", "time_limit_s", "estimated_duration_s",
                    "session"):
            options.setdefault(key, None)
        options.setdefault("priority", 0)
        body = {"jobs": [self._spec(program, **options)], "wait": True}
        deadline = self._deadline(timeout_s)
        data = self._wait(self._start(P.C_SUBMIT, body, deadline), P.C_SUBMIT, body, deadline=deadline)
        return self._outcome(data)

    def status(self, job_ids) -> list[dict]:
        return self._request(P.C_STATUS, {"jobs": list(job_ids)})

    def result(self, job_id: str, *, timeout_s: float | None = None):
        return self.results([job_id], timeout_s=timeout_s)[0]

    def results(self, jobs, *, timeout_s: float | None = None) -> list:
        """Results of many jobs, waited for together (one request each, pipelined)."""
        ids = [job.id if isinstance(job, DistributedJob) else job for job in jobs]
        deadline = self._deadline(timeout_s)
        pending = {self._start(P.C_RESULT, {"job": job_id, "wait": True}, deadline): job_id for job_id in ids}
        outcomes: dict[str, dict] = {}
        for req, job_id in pending.items():
            try:
                outcomes[job_id] = self._wait(req, P.C_RESULT, {"job": job_id, "wait": True}, deadline=deadline)
            except (BrokerUnreachableError, KeyRefusedError):
                raise
            except JobTimeoutError:
                raise JobTimeoutError(f"job {job_id} has no result after {timeout_s:g} s; "
                                      f"check job.status() or wait longer") from None
        return [self._outcome(outcomes[job_id]) for job_id in ids]

    @staticmethod
    def _outcome(data: dict):
        state = data.get("state")
        if state == "done":
            result = data["result"]
            if result.get("kind") == "workload":  # a RuntimeWorkerBase.run() return value
                return result.get("value")
            return _to_result(result)
        if state == "cancelled":
            raise JobCancelledError(f"job {data['id']} was cancelled: {data.get('error')}")
        raise ExecutionError(f"job {data['id']} failed: {data.get('error')}")

    def cancel(self, job_id: str) -> bool:
        return bool(self._request(P.C_CANCEL, {"job": job_id})["cancelled"])

    def session(self, *, time_limit_s: float | None = None) -> Session:
        data = self._request(P.C_SESSION, {"op": "open", "time_limit_s": time_limit_s})
        return Session(self, data["session"], data["expires_at"], choose_pair(self.workers()))

    def workers(self, *, timeout_s: float | None = None) -> list[dict]:
        """The registered workers: name, lane, lane_kind, slots, running, speed and capabilities."""
        return self._request(P.C_WORKERS, {}, timeout_s=timeout_s)

    def plan(self, items, *, strategy: str = "auto", requires: dict | None = None,
             timeout_s: float | None = None) -> dict:
        """The broker's division of a batch between lanes: `items` are (simulation estimate s, shots,
        qubits); the reply has ``lanes``, ``assignment`` (a lane per item), ``durations``, ``finish_s``
        and ``makespan_s``."""
        return self._request(P.C_PLAN, {"items": [[float(e), int(s), int(q)] for e, s, q in items],
                                        "strategy": strategy, "requires": requires or None}, timeout_s=timeout_s)

    def prices(self, *, timeout_s: float | None = None):
        """The broker's price table (`prices.PriceTable`), or None when it was started without one."""
        from qirrt.executors.distributed.prices import PriceTable

        data = self._request(P.C_WORKERS, {"prices": True}, timeout_s=timeout_s)["prices"]
        return None if data is None else PriceTable.from_dict(data, "the broker's price table")

    def session_summary(self, session_id: str, *, timeout_s: float | None = None) -> dict:
        """A session of yours: its jobs by state and their total cost (`qirrt status --session`)."""
        return self._request(P.C_SESSION, {"op": "summary", "session": session_id}, timeout_s=timeout_s)

    def reserve(self, worker: str, start: float, end: float) -> None:
        """Reserve `worker` (a QPU adapter, say) for this user from `start` to `end` (broker clock)."""
        self._request(P.C_RESERVE, {"worker": worker, "start": float(start), "end": float(end)})


def connect(url: str, *, keys: str | Path | tuple | None = None, insecure_loopback: bool = False,
            **options) -> Client:
    """A client of the broker at `url`: CurveZMQ with the key pair in `keys` (a directory, or
    (directory, name)), or `insecure_loopback=True` for a broker on this machine without keys."""
    return Client(url, keys=keys, insecure_loopback=insecure_loopback, **options)
