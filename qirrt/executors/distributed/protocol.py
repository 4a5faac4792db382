"""The qirrt runtime protocol (QRT/1): frames, commands and the schema every frame is checked against.

Modelled on the ZeroMQ Majordomo protocol (MDP, RFC 7/18). Clients and workers talk to the broker's
ROUTER socket through DEALER sockets; after the ROUTER's routing-id frame every message is exactly
three frames::

    frame 0  header   b"QRTC01" (client) or b"QRTW01" (worker)  -- versioned
    frame 1  command  one byte, see the constants below
    frame 2  body     a msgpack map, decoded into the msgspec Struct `SCHEMAS[(header, command)]`

Bodies are msgpack only, decoded by msgspec straight into a declared schema: every field's type and
range is checked (integers SQLite can store, finite times, bounded lists and strings, no unknown
fields, no ext types), so nothing on the wire is ever turned into an arbitrary Python object (never
pickle) and nothing the broker stores can fail it later. Every body carries ``seq``, a number the
sender increases by one or more on each message; the broker refuses a message whose ``seq`` does not
increase (a replay) and answers any malformed, unexpected or replayed message with DISCONNECT.
"""

from __future__ import annotations

import random
import re
import sys
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgpack
import msgspec
import zmq
from msgspec import Meta, Struct

from qirrt.errors import ExecutionError
from qirrt.qir.sniff import is_bitcode

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
C_WORKERS = b"\x19"  # client -> broker: the registered workers, their lanes and observed speeds
C_PLAN = b"\x1a"  # client -> broker: divide a batch between lanes (split="auto" or "round-robin")

COMMAND_NAMES = {
    W_READY: "READY", W_JOB: "JOB", W_RESULT: "RESULT", W_HEARTBEAT: "HEARTBEAT",
    W_DISCONNECT: "DISCONNECT", W_PROGRESS: "PROGRESS", W_CANCEL: "CANCEL",
    C_SUBMIT: "SUBMIT", C_STATUS: "STATUS", C_RESULT: "RESULT", C_CANCEL: "CANCEL",
    C_SESSION: "SESSION", C_REPLY: "REPLY", C_DISCONNECT: "DISCONNECT", C_RESERVE: "RESERVE",
    C_WORKERS: "WORKERS", C_PLAN: "PLAN",
}

JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def context() -> zmq.Context:
    """The ZeroMQ context the broker, workers and clients of one process share."""
    return zmq.Context.instance()


class ProtocolError(ExecutionError):
    """A message broke the protocol: wrong frame count, header, command or body schema."""


class SchemaError(ProtocolError):
    """A well-formed message of a known command whose body breaks its schema (a field missing, out of range,
    of the wrong type): the message names the field."""


# -- schemas ---------------------------------------------------------------------------------------
# Every body is decoded straight into one of these msgspec Structs, which checks every field's type
# and range before the broker looks at it: a number that SQLite cannot store, a map where a list
# belongs, bytes where text belongs or a field the schema does not name is refused at the door.
# Limits are the broker's, not the wire's: one place to read what a peer may send.
MAX_INT64 = 2**63 - 1
MAX_ATTEMPT = 2**31 - 1  # attempt numbers: far above any max_attempts, far below SQLite's INTEGER
MAX_PRIORITY = 2**31 - 1
MAX_SHOTS = 10_000_000
MAX_JOBS_PER_SUBMIT = 10_000
MAX_STATUS_JOBS = 1000
MAX_PLAN_ITEMS = 100_000
# Times and durations only need to be finite: the broker's policies (reservation length, session
# length) bound them with a reply that names the limit, which a schema refusal could not.
MAX_SECONDS = MAX_TIMESTAMP = sys.float_info.max
MAX_TEXT = 1_000_000  # error messages and other free text, in characters
MAX_LIST = 10_000  # names in a capability or requirement list

_Seq = Annotated[int, Meta(ge=0, le=MAX_INT64)]
_Attempt = Annotated[int, Meta(ge=1, le=MAX_ATTEMPT)]
_JobId = Annotated[str, Meta(pattern=JOB_ID.pattern)]
_AnyId = Annotated[str, Meta(max_length=64)]  # a job id a client asks about (unknown ids get an answer)
_Name = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:@+-]*$")]
_User = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
_Short = Annotated[str, Meta(max_length=200)]
_Names = Annotated[list[_Short], Meta(max_length=MAX_LIST)]
_Text = Annotated[str, Meta(max_length=MAX_TEXT)]
_Seconds = Annotated[float, Meta(ge=0, le=MAX_SECONDS)]
_Limit = Annotated[float, Meta(gt=0, le=MAX_SECONDS)]
_Timestamp = Annotated[float, Meta(ge=0, le=MAX_TIMESTAMP)]
_Blob = Annotated[bytes, Meta(max_length=MAX_PROGRAM_BYTES)]


class _Body(Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    seq: _Seq


class Requires(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What a job asks of its worker; every key is one `matches` knows (an unknown one is refused)."""

    executor: _Short | None = None
    qubits: Annotated[int, Meta(ge=0, le=1_000_000)] | None = None
    profile: _Short | None = None
    kind: Literal["program", "workload"] | None = None
    packages: _Names | None = None
    native_gates: _Names | None = None
    mitigation: _Names | None = None
    gpu: bool | None = None
    network: bool | None = None  # a workload that needs the network (its worker's operator allows it)
    calibration_max_age_s: _Seconds | None = None
    worker: _Name | None = None
    prefer_worker: _Name | None = None  # runs there while that worker is registered, elsewhere once it is gone
    lane: _Short | None = None  # a lane kind ("simulator", "qpu") or one lane's name
    target: _Short | None = None  # a device: a QPU lane for it (names compared as `target_key` does)


class JobSpec(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One job of a SUBMIT, as stored and as sent to a worker."""

    id: _JobId
    kind: Literal["program", "workload"]
    shots: Annotated[int, Meta(ge=1, le=MAX_SHOTS)]
    program: Any = None  # IR text or bitcode: msgspec has no str | bytes union; see check_job_spec
    workload: dict[str, Any] | None = None
    seed: Annotated[int, Meta(ge=0, le=MAX_INT64)] | None = None
    params: dict[str, Any] | None = None
    priority: Annotated[int, Meta(ge=-MAX_PRIORITY, le=MAX_PRIORITY)] = 0
    requires: Requires | None = None
    max_attempts: Annotated[int, Meta(ge=1, le=1000)] | None = None
    time_limit_s: _Limit | None = None
    estimated_duration_s: _Seconds | None = None
    session: _AnyId | None = None
    seed_index: Annotated[int, Meta(ge=0, le=MAX_INT64)] | None = None  # the item's place in its batch


class Capabilities(Struct, omit_defaults=True):
    """A worker's capability descriptor (DD-13). Keys this broker does not know are dropped, not refused:
    a newer worker may describe more than an older broker matches on."""

    executors: _Names = []
    max_qubits: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    profiles: _Names = []
    native_gates: _Names = []
    mitigation: _Names = []
    gpu: bool = False
    workload_network: bool = False
    packages: _Names = []
    kinds: Annotated[list[Literal["program", "workload"]], Meta(max_length=2)] = msgspec.field(
        default_factory=lambda: ["program"])
    slots: Annotated[int, Meta(ge=1, le=1024)] = 1
    host: _Short | None = None
    calibration_at: _Timestamp | None = None
    # the lane (issue 17): what kind of worker this is and what the splitter needs to time it
    lane: _Short | None = None
    lane_kind: Literal["simulator", "qpu"] | None = None
    target: _Short | None = None
    coupling_hash: _Short | None = None
    calibration_epoch: _Short | None = None
    shots_per_s: _Limit | None = None  # a QPU's shot rate
    task_overhead_s: _Seconds | None = None  # a QPU's fixed time per job
    queue_wait_s: _Seconds | None = None  # a QPU's queue ahead of a new job, at registration
    queue_depth: Annotated[int, Meta(ge=0, le=MAX_INT64)] | None = None
    adapter_latency_ms: _Seconds | None = None  # a QPU lane's measured round trip to its device's API


class QueueFigures(Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A QPU lane's queue and timing now (`lane.queue_figures`), refreshed in its heartbeats."""

    queue_depth: Annotated[int, Meta(ge=0, le=MAX_INT64)]
    queue_wait_s: _Seconds
    task_overhead_s: _Seconds
    shots_per_s: _Limit


class Heartbeat(_Body):
    queue: QueueFigures | None = None  # a QPU lane's fresh figures, when they were refreshed


class Ready(_Body):
    worker: _Name
    capabilities: Capabilities
    running: Annotated[list[tuple[_JobId, _Attempt]], Meta(max_length=100_000)] = []
    incarnation: Annotated[str, Meta(max_length=64)] = ""  # one per worker process: a reconnect is not a restart


class WorkerResult(_Body):
    job: _JobId
    attempt: _Attempt
    ok: bool
    result: dict[str, Any] | None = None
    error: _Text | None = None
    retry: bool = False
    elapsed_s: _Seconds | None = None


class Progress(_Body):
    job: _JobId
    attempt: _Attempt
    progress: _Seconds  # a fraction; finite and not negative (the broker clamps it to 1)
    checkpoint: Annotated[bytes, Meta(max_length=MAXMSGSIZE_BYTES)] | None = None


class _Request(_Body, kw_only=True):
    req: _Seq
    user: _User | None = None


class Submit(_Request):
    jobs: Annotated[list[JobSpec], Meta(min_length=1, max_length=MAX_JOBS_PER_SUBMIT)]
    wait: bool = False


class Status(_Request):
    jobs: Annotated[list[_AnyId], Meta(max_length=MAX_STATUS_JOBS)]


class ResultRequest(_Request):
    job: _AnyId
    wait: bool = False


class CancelRequest(_Request):
    job: _AnyId


class SessionRequest(_Request):
    op: Literal["open", "close", "summary"]  # summary: the session's jobs and what they cost
    session: _AnyId | None = None
    time_limit_s: _Limit | None = None


class WorkersRequest(_Request):
    prices: bool = False  # reply {"workers": [...], "prices": the broker's price table} instead of the list


class PlanRequest(_Request):
    """A batch to place: each item is (simulation estimate in seconds, shots, qubits)."""

    strategy: Literal["auto", "round-robin"]
    items: Annotated[list[tuple[_Seconds, Annotated[int, Meta(ge=1, le=MAX_SHOTS)],
                                Annotated[int, Meta(ge=0, le=1_000_000)]]],
                     Meta(min_length=1, max_length=MAX_PLAN_ITEMS)]
    requires: Requires | None = None


class Reserve(_Request):
    worker: _Name
    start: _Timestamp
    end: _Timestamp


# Messages the broker sends; peers check them with the same code (looser: the broker is trusted).
class Job(_Body):
    job: dict[str, Any]
    attempt: _Attempt
    checkpoint: bytes | None = None


class Cancel(_Body):
    job: _JobId
    attempt: _Attempt


class Disconnect(_Body):
    reason: str | None = None


class Reply(_Body):
    req: _Seq
    ok: bool
    data: Any = None
    error: str | None = None


SCHEMAS: dict[tuple[bytes, bytes], type[Struct]] = {
    (WORKER, W_READY): Ready,
    (WORKER, W_RESULT): WorkerResult,
    (WORKER, W_HEARTBEAT): Heartbeat,
    (WORKER, W_DISCONNECT): _Body,
    (WORKER, W_PROGRESS): Progress,
    (CLIENT, C_SUBMIT): Submit,
    (CLIENT, C_STATUS): Status,
    (CLIENT, C_RESULT): ResultRequest,
    (CLIENT, C_CANCEL): CancelRequest,
    (CLIENT, C_SESSION): SessionRequest,
    (CLIENT, C_RESERVE): Reserve,
    (CLIENT, C_WORKERS): WorkersRequest,
    (CLIENT, C_PLAN): PlanRequest,
}

OUTBOUND_SCHEMAS: dict[tuple[bytes, bytes], type[Struct]] = {
    (WORKER, W_JOB): Job,
    (WORKER, W_HEARTBEAT): _Body,
    (WORKER, W_DISCONNECT): Disconnect,
    (WORKER, W_CANCEL): Cancel,
    (CLIENT, C_REPLY): Reply,
    (CLIENT, C_DISCONNECT): Disconnect,
}

_DECODERS = {schema: msgspec.msgpack.Decoder(schema) for schema in (*SCHEMAS.values(), *OUTBOUND_SCHEMAS.values())}
_asdict = msgspec.structs.asdict


def plain(struct: Struct) -> dict:
    """A Struct as the plain dict the broker stores and sends (fields left at their default omitted)."""
    return msgspec.to_builtins(struct, builtin_types=(bytes,))


def check_job_spec(spec: object) -> dict:
    """Check one job (a `JobSpec` or a map, e.g. one read back from the store) and return it as a map:
    the schema, then what no type says: a program job has a program, a binary one is LLVM bitcode
    (never pickle), a workload job has a workload, and nested maps hold plain data only."""
    if not isinstance(spec, JobSpec):
        try:
            spec = msgspec.convert(spec, JobSpec)
        except msgspec.ValidationError as exc:
            raise ProtocolError(f"job: {exc}") from None
    if spec.program is not None and not isinstance(spec.program, (str, bytes)):
        raise ProtocolError(f"job: program is a {type(spec.program).__name__}, not IR text or bitcode")
    if spec.program is not None and len(spec.program) > MAX_PROGRAM_BYTES:
        raise ProtocolError("job: program larger than MAX_PROGRAM_BYTES")
    if spec.kind == "program":
        if spec.program is None:
            raise ProtocolError("job: a program job needs a program")
        if isinstance(spec.program, bytes) and not is_bitcode(spec.program):
            raise ProtocolError("job: a binary program must be LLVM bitcode (pickles and other binaries are refused)")
    elif spec.workload is None:
        raise ProtocolError("job: a workload job needs a workload")
    for key in ("params", "workload"):
        if getattr(spec, key) is not None:
            _check_plain(getattr(spec, key), f"job.{key}")
    return plain(spec)


def _check_plain(value: object, where: str, depth: int = 0) -> None:
    """Only JSON-like data (and bytes) inside nested maps: no ext types, bounded depth."""
    if depth > 16:
        raise ProtocolError(f"{where}: nested too deeply")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ProtocolError(f"{where}: map keys must be strings")
            _check_plain(item, where, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _check_plain(item, where, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**64:
        raise ProtocolError(f"{where}: integer out of range")
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
    where = COMMAND_NAMES.get(command, "message")
    if len(body) > MAXMSGSIZE_BYTES:
        raise ProtocolError(f"{where}: body larger than MAXMSGSIZE")
    try:
        decoded = _DECODERS[schema].decode(body)
    except msgspec.ValidationError as exc:
        raise SchemaError(f"{where}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 -- garbage may raise DecodeError, RecursionError, MemoryError...
        raise ProtocolError(f"{where}: body is not valid msgpack ({type(exc).__name__})") from None
    return Message(header, command, _asdict(decoded))


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
