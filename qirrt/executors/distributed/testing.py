"""An in-process cluster for tests and embedding: a real broker and real workers on threads of this process.

Like Dramatiq's ``StubBroker``, it ships in the package so that code built on qirrt can test its
distributed paths without starting processes::

    from qirrt.executors.distributed.testing import LocalCluster

    with LocalCluster(workers=2) as cluster:
        client = cluster.connect(user="alice")
        counts = client.submit(qirrt.load("bell.ll"), shots=1000, seed=7).result(timeout_s=30).counts

Nothing is faked: the broker keeps its jobs in a SQLite store (a temporary directory unless
`store_dir` is given) and listens on an ephemeral loopback port without keys (insecure loopback);
the workers connect to it over ZeroMQ and run jobs through a qirrt executor. The broker's job clock is
injectable (`clock=FakeClock()`), so retries, time limits and sessions are tested in seconds.
`stop()` (or leaving the ``with`` block) stops every worker and the broker and joins their threads,
each within `join_timeout_s`; a thread that does not end is an error, never left running silently.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from qirrt.errors import ExecutionError
from qirrt.executors.distributed.broker import Broker
from qirrt.executors.distributed.client import Client
from qirrt.executors.distributed.worker import Worker

log = logging.getLogger(__name__)

__all__ = ["FakeClock", "LocalCluster"]


class FakeClock:
    """An injectable job clock for the broker: `advance(seconds)` moves it; nothing else does."""

    def __init__(self, start: float = 1_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class LocalCluster:
    """A broker and `workers` workers running `executor`, all on threads of this process.

    `broker_options` go to `Broker` (`user_max_running`, `retry_backoff_s`, `operators`, ...). The
    cluster starts at construction; use it as a context manager, or call `stop()`.
    """

    def __init__(self, workers: int = 0, *, executor: str = "local", store_dir: str | Path | None = None,
                 bind: str = "tcp://127.0.0.1:0", clock: Callable[[], float] = time.time,
                 heartbeat_interval_ms: int = 100, join_timeout_s: float = 10.0, **broker_options):
        self.executor = executor
        self.clock = clock
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.join_timeout_s = join_timeout_s
        self._tmp = tempfile.TemporaryDirectory(prefix="qirrt-cluster-") if store_dir is None else None
        self.store_path = Path(self._tmp.name if self._tmp else store_dir) / "broker.db"
        self.workers: list[Worker] = []
        self._worker_threads: list[threading.Thread] = []
        self._clients: list[Client] = []
        self._stopped = False
        try:
            self.broker = Broker(bind, self.store_path, insecure_loopback=True, clock=clock,
                                 heartbeat_interval_ms=heartbeat_interval_ms, **broker_options)
        except BaseException:
            self._cleanup_tmp()
            raise
        self.url = self.broker.endpoint  # the address ZeroMQ really bound (the ephemeral port filled in)
        self._broker_thread = threading.Thread(target=self.broker.run, name=f"qirrt-broker {self.url}", daemon=True)
        self._broker_thread.start()
        try:
            for _ in range(workers):
                self.add_worker()
        except BaseException:
            self.stop()
            raise

    # -- use --------------------------------------------------------------------------------------
    def add_worker(self, executor: str | None = None, *, name: str | None = None, slots: int = 1,
                   timeout_s: float = 10.0, **worker_options) -> Worker:
        """Start a worker running `executor` (the cluster's default when None: a plugin name or
        ``module:attribute``) and wait until the broker has registered it; returns the `Worker`."""
        if self._stopped:
            raise ExecutionError("this LocalCluster is stopped; start a new one to add workers")
        worker = Worker(self.url, executor or self.executor, name=name, slots=slots, insecure_loopback=True,
                        heartbeat_interval_ms=self.heartbeat_interval_ms, **worker_options)
        thread = threading.Thread(target=worker.run, name=f"qirrt-worker {worker.name}", daemon=True)
        thread.start()
        self.workers.append(worker)
        self._worker_threads.append(thread)
        deadline = time.monotonic() + timeout_s
        while not self._registered(worker.name):
            if time.monotonic() > deadline or not thread.is_alive():
                raise ExecutionError(f"worker {worker.name} did not register with the broker at {self.url} "
                                     f"within {timeout_s:g} s; check that its executor {worker.executor_name!r} "
                                     f"starts, or raise timeout_s")
            time.sleep(0.01)
        return worker

    def _registered(self, name: str) -> bool:
        try:  # the broker's thread changes this dict meanwhile: a copy that fails is simply retried
            return any(record.name == name for record in list(self.broker.workers.values()))
        except RuntimeError:
            return False

    def connect(self, user: str | None = None, **options) -> Client:
        """A client of this cluster's broker as `user` (the login name when None); closed by `stop()`.
        A client is not thread-safe: connect once per thread."""
        if self._stopped:
            raise ExecutionError("this LocalCluster is stopped; start a new one to connect")
        client = Client(self.url, insecure_loopback=True, user=user, **options)
        self._clients.append(client)
        return client

    def as_executor(self, user: str | None = None, **options):
        """This cluster as an `Executor` (`qirrt.run(..., executor=cluster.executor())`); closed by `stop()`."""
        from qirrt.executors.distributed.cluster import Cluster

        poll_s = options.pop("poll_s", 0.05)
        return Cluster(self.url, client=self.connect(user, **options), poll_s=poll_s)

    # -- shutdown ---------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the workers, then the broker, and join their threads (each within `join_timeout_s`).
        Raises `ExecutionError` naming any thread that did not end. Stopping twice does nothing."""
        if self._stopped:
            return
        self._stopped = True
        for client in self._clients:
            client.close()
        for worker in self.workers:
            worker.stop()
        stuck = []
        for worker, thread in zip(self.workers, self._worker_threads):
            thread.join(self.join_timeout_s)
            # The worker's close() shuts its job pool down without waiting; wait here, bounded, for the
            # jobs it cancelled (ThreadPoolExecutor keeps its threads in `_threads`).
            stuck += [t for t in [thread, *getattr(worker.pool, "_threads", ())] if not _joined(t, self.join_timeout_s)]
        self.broker.stop()
        if not _joined(self._broker_thread, self.join_timeout_s):
            stuck.append(self._broker_thread)
        self._cleanup_tmp()
        if stuck:
            raise ExecutionError(f"LocalCluster at {self.url}: {len(stuck)} threads did not end within "
                                 f"{self.join_timeout_s:g} s ({', '.join(t.name for t in stuck)}); a job that "
                                 f"ignores context.cancelled keeps its thread; raise join_timeout_s")

    def _cleanup_tmp(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> LocalCluster:  # noqa: PYI034
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _joined(thread: threading.Thread, timeout_s: float) -> bool:
    thread.join(timeout_s)
    return not thread.is_alive()
