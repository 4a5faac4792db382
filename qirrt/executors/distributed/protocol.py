"""The qirrt runtime protocol (QRT/1): frames, commands and the schema every frame is checked against.

Modelled on the ZeroMQ Majordomo protocol (MDP, RFC 7/18). Clients and workers talk to the broker's
ROUTER socket through DEALER sockets; after the ROUTER's routing-id frame every message is exactly
three frames::

    frame 0  header   b"QRTC01" (client) or b"QRTW01" (worker)  -- versioned
    frame 1  command  one byte, see the constants below
    frame 2  body     a msgpack map, checked against `SCHEMAS[(header, command)]`

Bodies are msgpack only, decoded with ``strict_map_key`` and no ext types, so nothing on the wire is
ever turned into an arbitrary Python object (never pickle). Every body carries ``seq``, a number the
sender increases by one or more on each message; the broker refuses a message whose ``seq`` does not
increase (a replay) and answers any malformed, unexpected or replayed message with DISCONNECT.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import msgpack
import zmq

from ...errors import ExecutionError

CLIENT = b"QRTC01"
WORKER = b"QRTW01"
HEADERS = (CLIENT, WORKER)

#: The largest message a broker accepts, in bytes; libzmq drops the connection of a peer that sends more.
MAXMSGSIZE_BYTES = 16 * 1024 * 1024
#: The largest program (IR text or bitcode) one job may carry.
MAX_PROGRAM_BYTES = 8 * 1024 * 1024

HEARTBEAT_INTERVAL_MS = 1000
HEARTBEAT_LIVENESS = 3
RECONNECT_INITIAL_MS = 100
RECONNECT_MAX_MS = 5000

# -- worker commands -------------------------------------------------------------------------------
W_READY = b"\x01"  # worker -> broker: capability descriptor, jobs still running (after a reconnect)
W_JOB = b"\x02"  # broker -> worker: one job to run
W_RESULT = b"\x03"  # worker -> broker: a job's result or failure, with its attempt number
W_HEARTBEAT = b"\x04"  # both ways
W_DISCONNECT = b"\x05"  # both ways: forget me / you are forgotten, reconnect and re-register
W_PROGRESS = b"\x06"  # worker -> broker: progress and an optional checkpoint
W_CANCEL = b"\x07"  # broker -> worker: stop this attempt

# -- client commands -------------------------------------------------------------------------------
C_SUBMIT = b"\x11"  # client -> broker: one or more jobs (one, with `wait`: the reply is its result)
C_STATUS = b"\x12"  # client -> broker: status and ETA of jobs
C_RESULT = b"\x13"  # client -> broker: a job's result (waits when `wait` is true)
C_CANCEL = b"\x14"  # client -> broker
C_SESSION = b"\x15"  # client -> broker: open or close a session
C_REPLY = b"\x16"  # broker -> client: the reply to the request with the same `req`
C_DISCONNECT = b"\x17"  # broker -> client: your message was refused and you are forgotten
C_RESERVE = b"\x18"  # client -> broker: reserve a worker for a time window

COMMAND_NAMES = {
    W_READY: "READY", W_JOB: "JOB", W_RESULT: "RESULT", W_HEARTBEAT: "HEARTBEAT",
    W_DISCONNECT: "DISCONNECT", W_PROGRESS: "PROGRESS", W_CANCEL: "CANCEL",
    C_SUBMIT: "SUBMIT", C_STATUS: "STATUS", C_RESULT: "RESULT", C_CANCEL: "CANCEL",
    C_SESSION: "SESSION", C_REPLY: "REPLY", C_DISCONNECT: "DISCONNECT", C_RESERVE: "RESERVE",
}

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_BITCODE_MAGICS = (b"BC\xc0\xde", b"\xde\xc0\x17\x0b")


def context() -> zmq.Context:
    """The ZeroMQ context the broker, workers and clients of one process share."""
    return zmq.Context.instance()


class ProtocolError(ExecutionError):
    """A message broke the protocol: wrong frame count, header, command or body schema."""


# -- schemas ---------------------------------------------------------------------------------------
# A schema maps each field to (types, required). Types are Python types after msgpack decoding; a
# field named in `_CHECKS` gets an extra check. Unknown fields are refused: a frame carries no more
# than its schema says.
_INT = (int,)
_NUM = (int, float)
_STR = (str,)
_OPT_INT = (int, type(None))
_OPT_STR = (str, type(None))
_OPT_NUM = (int, float, type(None))
_MAP = (dict,)
_LIST = (list,)
_ANY_JSON = (dict, list, str, int, float, bool, type(None))

JOB_SPEC = {
    "id": (_STR, True), "kind": (_STR, True), "program": ((str, bytes, type(None)), False),
    "workload": ((dict, type(None)), False), "shots": (_INT, True), "seed": (_OPT_INT, False),
    "params": ((dict, type(None)), False), "priority": (_INT, False), "requires": (_MAP, False),
    "max_attempts": (_INT, False), "time_limit_s": (_OPT_NUM, False),
    "estimated_duration_s": (_OPT_NUM, False), "session": (_OPT_STR, False),
}

SCHEMAS: dict[tuple[bytes, bytes], dict] = {
    (WORKER, W_READY): {"seq": (_INT, True), "worker": (_STR, True), "capabilities": (_MAP, True),
                        "running": (_LIST, False)},
    (WORKER, W_RESULT): {"seq": (_INT, True), "job": (_STR, True), "attempt": (_INT, True),
                         "ok": ((bool,), True), "result": ((dict, type(None)), False),
                         "error": (_OPT_STR, False), "retry": ((bool,), False),
                         "elapsed_s": (_OPT_NUM, False)},
    (WORKER, W_HEARTBEAT): {"seq": (_INT, True)},
    (WORKER, W_DISCONNECT): {"seq": (_INT, True)},
    (WORKER, W_PROGRESS): {"seq": (_INT, True), "job": (_STR, True), "attempt": (_INT, True),
                           "progress": (_NUM, True), "checkpoint": ((bytes, type(None)), False)},
    (CLIENT, C_SUBMIT): {"seq": (_INT, True), "req": (_INT, True), "jobs": (_LIST, True),
                         "wait": ((bool,), False), "user": (_OPT_STR, False)},
    (CLIENT, C_STATUS): {"seq": (_INT, True), "req": (_INT, True), "jobs": (_LIST, True),
                         "user": (_OPT_STR, False)},
    (CLIENT, C_RESULT): {"seq": (_INT, True), "req": (_INT, True), "job": (_STR, True),
                         "wait": ((bool,), False), "user": (_OPT_STR, False)},
    (CLIENT, C_CANCEL): {"seq": (_INT, True), "req": (_INT, True), "job": (_STR, True),
                         "user": (_OPT_STR, False)},
    (CLIENT, C_SESSION): {"seq": (_INT, True), "req": (_INT, True), "op": (_STR, True),
                          "session": (_OPT_STR, False), "time_limit_s": (_OPT_NUM, False),
                          "user": (_OPT_STR, False)},
    (CLIENT, C_RESERVE): {"seq": (_INT, True), "req": (_INT, True), "worker": (_STR, True),
                          "start": (_NUM, True), "end": (_NUM, True), "user": (_OPT_STR, False)},
}

# Messages the broker sends; peers check them with the same code.
OUTBOUND_SCHEMAS: dict[tuple[bytes, bytes], dict] = {
    (WORKER, W_JOB): {"seq": (_INT, True), "job": (_MAP, True), "attempt": (_INT, True),
                      "checkpoint": ((bytes, type(None)), False)},
    (WORKER, W_HEARTBEAT): {"seq": (_INT, True)},
    (WORKER, W_DISCONNECT): {"seq": (_INT, True), "reason": (_OPT_STR, False)},
    (WORKER, W_CANCEL): {"seq": (_INT, True), "job": (_STR, True), "attempt": (_INT, True)},
    (CLIENT, C_REPLY): {"seq": (_INT, True), "req": (_INT, True), "ok": ((bool,), True),
                        "data": (_ANY_JSON, False), "error": (_OPT_STR, False)},
    (CLIENT, C_DISCONNECT): {"seq": (_INT, True), "reason": (_OPT_STR, False)},
}


def _check_fields(body: object, schema: dict, where: str) -> dict:
    if not isinstance(body, dict):
        raise ProtocolError(f"{where}: body is a {type(body).__name__}, not a map")
    for key in body:
        if key not in schema:
            raise ProtocolError(f"{where}: unknown field {key!r}")
    for key, (types, required) in schema.items():
        if key not in body:
            if required:
                raise ProtocolError(f"{where}: missing field {key!r}")
            continue
        value = body[key]
        if isinstance(value, bool) and bool not in types and int in types:
            raise ProtocolError(f"{where}: field {key!r} is a bool, not a number")
        if not isinstance(value, types):
            raise ProtocolError(f"{where}: field {key!r} has type {type(value).__name__}")
    return body


def check_job_spec(spec: object) -> dict:
    """Check one job of a SUBMIT: schema, id format, program is IR text or bitcode (never pickle)."""
    spec = _check_fields(spec, JOB_SPEC, "job")
    if not JOB_ID.match(spec["id"]):
        raise ProtocolError("job: id must be 32 lowercase hex digits")
    if spec["kind"] not in ("program", "workload"):
        raise ProtocolError(f"job: unknown kind {spec['kind']!r}")
    program = spec.get("program")
    if spec["kind"] == "program":
        if program is None:
            raise ProtocolError("job: a program job needs a program")
        if len(program) > MAX_PROGRAM_BYTES:
            raise ProtocolError("job: program larger than MAX_PROGRAM_BYTES")
        if isinstance(program, bytes) and program[:4] not in _BITCODE_MAGICS:
            raise ProtocolError("job: a binary program must be LLVM bitcode (pickles and other binaries are refused)")
    elif not isinstance(spec.get("workload"), dict):
        raise ProtocolError("job: a workload job needs a workload")
    if not 0 < spec["shots"] <= 10_000_000:
        raise ProtocolError("job: shots must be between 1 and 10,000,000")
    for key in ("requires", "params", "workload"):
        if spec.get(key) is not None:
            _check_plain(spec[key], f"job.{key}")
    return spec


def _check_plain(value: object, where: str, depth: int = 0) -> None:
    """Only JSON-like data (and bytes) inside nested maps: no ext types, bounded depth."""
    if depth > 16:
        raise ProtocolError(f"{where}: nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ProtocolError(f"{where}: map keys must be strings")
            _check_plain(item, where, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_plain(item, where, depth + 1)
    elif not isinstance(value, (str, int, float, bool, bytes, type(None))):
        raise ProtocolError(f"{where}: unsupported value of type {type(value).__name__}")


def pack(body: dict) -> bytes:
    return msgpack.packb(body, use_bin_type=True)


def unpack(data: bytes) -> object:
    try:
        if len(data) > MAXMSGSIZE_BYTES:
            raise ProtocolError("body larger than MAXMSGSIZE")
        return msgpack.unpackb(data, raw=False, strict_map_key=True, use_list=True, ext_hook=_refuse_ext)
    except ProtocolError:
        raise
    except Exception as exc:  # noqa: BLE001 -- msgpack raises many unrelated types on garbage
        raise ProtocolError(f"body is not valid msgpack: {type(exc).__name__}") from None


def _refuse_ext(code: int, data: bytes):
    raise ProtocolError(f"body carries a msgpack extension type {code}; refused")


@dataclass(frozen=True)
class Message:
    header: bytes
    command: bytes
    body: dict

    @property
    def name(self) -> str:
        return COMMAND_NAMES.get(self.command, repr(self.command))


def decode(frames: list, *, schemas: dict = SCHEMAS) -> Message:
    """Check a message's frames (after any routing id) and return it; `ProtocolError` otherwise."""
    if len(frames) != 3:
        raise ProtocolError(f"expected 3 frames, got {len(frames)}")
    header, command, body = frames
    if not (header.__class__ is bytes and command.__class__ is bytes and body.__class__ is bytes):  # zmq.Frame, buffers
        header, command, body = bytes(header), bytes(command), bytes(body)
    if header not in HEADERS:
        raise ProtocolError(f"unknown protocol header {header[:16]!r}")
    schema = schemas.get((header, command))
    if schema is None:
        raise ProtocolError(f"unexpected command {command[:4]!r} for {header.decode()}")
    decoded = _check_fields(unpack(body), schema, COMMAND_NAMES.get(command, "message"))
    if decoded["seq"] < 0:
        raise ProtocolError("seq must not be negative")
    return Message(header, command, decoded)


def encode(header: bytes, command: bytes, body: dict) -> list[bytes]:
    return [header, command, pack(body)]


# -- socket fast paths -----------------------------------------------------------------------------
# The hot loops call pyzmq's Cython methods directly (the Python wrappers cost a microsecond or more
# per frame) and ask `readable` before another non-blocking receive instead of raising `zmq.Again`
# (an exception costs several microseconds, once per drained batch, on every hop of a job).
_BaseSocket = zmq.backend.Socket
_raw_recv = _BaseSocket.recv
raw_send = _BaseSocket.send  # raw_send(socket, data, flags): no Python wrapper per frame
_raw_get = _BaseSocket.get
_zmq_poll = zmq.zmq_poll
_RCVMORE, _NOBLOCK, _POLLIN = int(zmq.RCVMORE), int(zmq.NOBLOCK), int(zmq.POLLIN)


def recv_frames(sock: zmq.Socket, copy: bool = True) -> list:
    """The frames of one waiting message (NOBLOCK); raises `zmq.Again` when none is waiting."""
    frames = [_raw_recv(sock, _NOBLOCK, copy)]
    while _raw_get(sock, _RCVMORE):
        frames.append(_raw_recv(sock, _NOBLOCK, copy))
    return frames


def readable(sock: zmq.Socket) -> bool:
    """True when a message is waiting on `sock` (no blocking, no exception)."""
    return bool(_zmq_poll([(sock, _POLLIN)], 0))


class Backoff:
    """Reconnect backoff: doubles from `initial_ms` up to `max_ms`, with jitter; `reset()` on success."""

    def __init__(self, initial_ms: int = RECONNECT_INITIAL_MS, max_ms: int = RECONNECT_MAX_MS):
        self.initial_ms = initial_ms
        self.max_ms = max_ms
        self.current_ms = initial_ms

    def next_ms(self) -> int:
        delay = self.current_ms
        self.current_ms = min(self.max_ms, self.current_ms * 2)
        return int(delay * random.uniform(0.8, 1.2))

    def reset(self) -> None:
        self.current_ms = self.initial_ms
