"""The distributed runtime: a broker, auto-registering workers and a client SDK over ZeroMQ.

`connect` is the entry point for users; `qirrt broker` and `qirrt worker` start the servers.
"""

from __future__ import annotations

from qirrt.executors.distributed.client import Client, DistributedJob, Session, connect
from qirrt.executors.distributed.link import BrokerUnreachableError, KeyRefusedError

__all__ = ["BrokerUnreachableError", "Client", "DistributedJob", "KeyRefusedError", "Session", "connect"]
