"""Ray as a workload engine: ``RuntimeProvider(engine="ray", ...)`` ships a `RuntimeWorkerBase` workload with
its discovered packages as a Ray runtime environment and runs it as a Ray task that streams its progress.

What travels: the bundle `distributed.workload.discover` makes (sources read by AST, nothing imported on
the client), as plain data. Its packages become the task's ``runtime_env``:

* ``packages="pip"`` (default): ``{"pip": {"packages": [...]}}``; Ray builds a virtualenv on the node on
  top of the node's own packages and pip-installs the list there (cached per list). With
  ``pip_install_options=["--no-index"]`` (add ``"--find-links", "<wheelhouse>"`` for new ones) pip never
  reaches an index: only what the node already has, or the wheelhouse holds, satisfies it — the offline-safe
  form used by the tests.
* ``image="registry/qirrt:tag"``: ``{"image_uri": ...}``, a named image with everything in it.
* ``packages="installed"``: no runtime environment; the task checks that each package is importable on the
  node before anything runs, and fails naming the missing ones.

The task runs the workload through `distributed.workload.run_sandboxed`, so the sandbox rules of a ZeroMQ
worker hold on the Ray node as far as the node lets them (`isolation.detect` there): its own mount, PID,
IPC, UTS and network namespaces, the sandbox user, a scrubbed environment, limits on memory, CPU time,
processes, file size and wall time, no network unless the job asks for it *and* the node's operator set
``QIRRT_WORKLOAD_NETWORK=1``. What Ray does outside that sandbox is not covered: the pip install of the
runtime environment runs on the node as the Ray worker's user.

Progress streams as events (``started``, ``running`` every `heartbeat_s` with the elapsed time, then
``done`` with the value or ``failed`` with the reason) through a streaming generator task.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

from qirrt.executors.distributed.workload import (
    DEFAULT_LIMITS,
    SandboxSetupError,
    WorkloadError,
    discover,
    run_sandboxed,
)
from qirrt.executors.ray.runtime import check_address, ensure_started

PACKAGE_MODES = ("pip", "installed")
NETWORK_ENV = "QIRRT_WORKLOAD_NETWORK"


def runtime_env_for(packages: list[str], *, mode: str = "pip", image: str | None = None,
                    pip_install_options: list[str] | None = None) -> dict:
    """The Ray runtime environment that provides `packages` (qirrt itself is the node's)."""
    if image is not None:
        return {"image_uri": image}
    if mode not in PACKAGE_MODES:
        raise WorkloadError(f"packages must be one of {', '.join(PACKAGE_MODES)}, got {mode!r}")
    if mode == "installed" or not packages:
        return {}
    pip: dict[str, Any] = {"packages": sorted(packages), "pip_check": False}
    if pip_install_options:
        pip["pip_install_options"] = list(pip_install_options)
    return {"pip": pip}


def missing_packages(packages: list[str]) -> list[str]:
    """The distributions of `packages` that this Python cannot import (by distribution or module name)."""
    from importlib.metadata import PackageNotFoundError, distribution

    missing = []
    for name in packages:
        try:
            distribution(name)
        except PackageNotFoundError:
            if importlib.util.find_spec(name.replace("-", "_")) is None:
                missing.append(name)
    return missing


def workload_events(bundle: dict, limits: dict, network: bool, check_installed: bool,
                    heartbeat_s: float = 1.0) -> Iterator[dict]:
    """The body of the Ray task: run `bundle` in the sandbox on this node, yielding progress events."""
    from qirrt.executors.distributed.isolation import detect

    started = time.monotonic()
    yield {"event": "started", "pid": os.getpid(), "python": sys.executable}
    if check_installed:
        missing = missing_packages(bundle.get("packages") or [])
        if missing:
            yield {"event": "failed", "error": f"workload {bundle['class']} needs {', '.join(missing)}, not "
                                               f"installed on this Ray node (ship them with packages='pip')"}
            return
    outcome: dict = {}
    cancelled = threading.Event()
    isolation = detect(network_allowed=os.environ.get(NETWORK_ENV) == "1")

    def work() -> None:
        try:
            outcome["value"] = run_sandboxed(bundle, limits=limits, cancelled=cancelled, network=network,
                                             isolation=isolation)["value"]
        except BaseException as exc:  # noqa: BLE001 -- reported as an event, or re-raised below
            outcome["error"] = exc

    thread = threading.Thread(target=work, name="qirrt-ray-workload", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(heartbeat_s)
            if thread.is_alive():
                yield {"event": "running", "elapsed_s": round(time.monotonic() - started, 3)}
    finally:
        if thread.is_alive():  # the task was cancelled or its consumer went away: stop the sandbox
            cancelled.set()
            thread.join(10.0)
    error = outcome.get("error")
    if isinstance(error, SandboxSetupError):
        raise error  # this node's fault: Ray retries the task (retry_exceptions)
    elapsed = round(time.monotonic() - started, 3)
    if error is not None:
        yield {"event": "failed", "error": str(error), "elapsed_s": elapsed}
    else:
        yield {"event": "done", "value": outcome.get("value"), "elapsed_s": elapsed}


class RayEngine:
    """`RuntimeProvider(engine="ray", address=..., packages=..., image=..., pip_install_options=...,
    limits=..., num_cpus=..., heartbeat_s=...)`."""

    def __init__(self, address: str | None = None, *, packages: str = "pip", image: str | None = None,
                 pip_install_options: list[str] | None = None, limits: dict | None = None,
                 num_cpus: int | None = None, heartbeat_s: float = 1.0, namespace: str = "qirrt"):
        self.address = check_address(address)
        runtime_env_for([], mode=packages)  # checks the mode now
        self.packages = packages
        self.image = image
        self.pip_install_options = list(pip_install_options or [])
        unknown = sorted(set(limits or {}) - set(DEFAULT_LIMITS))
        if unknown:
            raise WorkloadError(f"unknown workload limit(s) {', '.join(unknown)}; known: {', '.join(DEFAULT_LIMITS)}")
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.num_cpus = num_cpus
        self.heartbeat_s = float(heartbeat_s)
        self.namespace = namespace

    def schedule(self, module, *, inputs: dict | None = None, class_name: str | None = None, priority: int = 0,
                 time_limit_s: float | None = None, max_attempts: int | None = None, requires: dict | None = None,
                 network: bool = False) -> RayWorkloadJob:
        """Ship `module`'s workload as a Ray task; a `RayWorkloadJob` (``events()``, ``result()``)."""
        if requires:
            raise WorkloadError(f"requires={requires!r}: Ray places workloads by its own resources; "
                                f"leave requires out")
        bundle = discover(module, class_name=class_name)
        bundle["inputs"] = dict(inputs or {})
        limits = dict(self.limits)
        if time_limit_s is not None:
            limits["wall_s"] = float(time_limit_s)
        runtime_env = runtime_env_for(bundle["packages"], mode=self.packages, image=self.image,
                                      pip_install_options=self.pip_install_options)
        ray = ensure_started(self.address, num_cpus=self.num_cpus, namespace=self.namespace)
        retries = 0 if max_attempts is None else max(0, int(max_attempts) - 1)
        task = ray.remote(workload_events).options(
            num_returns="streaming", num_cpus=1, max_retries=retries, retry_exceptions=[SandboxSetupError],
            runtime_env=runtime_env or None)
        stream = task.remote(bundle, limits, bool(network), self.packages == "installed" and self.image is None,
                             self.heartbeat_s)
        return RayWorkloadJob(ray, stream, bundle, runtime_env)


class RayWorkloadJob:
    """A workload running on Ray: `events()` streams its progress, `result()` waits for its value."""

    def __init__(self, ray, stream, bundle: dict, runtime_env: dict):
        self.ray = ray
        self.stream = stream
        self.workload = bundle["class"]
        self.packages = list(bundle["packages"])
        self.runtime_env = runtime_env
        self.seen: list[dict] = []
        self._final: dict | None = None

    def events(self, timeout_s: float | None = None) -> Iterator[dict]:
        """Each progress event as it arrives (``started``, ``running``..., ``done`` or ``failed``)."""
        yield from self.seen
        end = None if timeout_s is None else time.monotonic() + timeout_s
        while self._final is None:
            left = None if end is None else max(0.0, end - time.monotonic())
            try:  # the public next() has no timeout; Ray's generator offers one as _next_sync
                ref = next(self.stream) if left is None else self.stream._next_sync(timeout_s=left)
            except StopIteration:
                self._final = {"event": "failed", "error": "the workload task ended without a result"}
                return
            if ref.is_nil():
                raise WorkloadError(f"workload {self.workload} sent no progress within {timeout_s:g} s "
                                    f"(still running; wait longer or cancel() it)")
            event = self._get(ref)
            self.seen.append(event)
            if event["event"] in ("done", "failed"):
                self._final = event
            yield event

    def _get(self, ref) -> dict:
        from ray import exceptions as rx

        try:
            return self.ray.get(ref)
        except rx.TaskCancelledError:
            return {"event": "failed", "error": "cancelled"}
        except rx.RuntimeEnvSetupError as exc:
            last = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
            error = f"Ray could not build the runtime environment {self.runtime_env}: {last}"
            return {"event": "failed", "error": error}
        except rx.RayError as exc:
            cause = getattr(exc, "cause", None) or exc
            lines = str(cause).strip().splitlines()
            return {"event": "failed", "error": lines[0] if lines else type(cause).__name__}

    def result(self, timeout_s: float | None = None):
        """The workload's `run()` value; a `WorkloadError` when it failed."""
        for _ in self.events(timeout_s):
            pass
        if self._final["event"] == "failed":
            raise WorkloadError(f"workload {self.workload} failed on Ray: {self._final['error']}")
        return self._final["value"]

    def cancel(self) -> None:
        self.ray.cancel(self.stream)


__all__ = ["RayEngine", "RayWorkloadJob", "missing_packages", "runtime_env_for", "workload_events"]
