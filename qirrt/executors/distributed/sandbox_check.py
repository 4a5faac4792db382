"""``qirrt worker --check-sandbox``: run a probe workload in this worker's sandbox and report, for each
escape it tries, whether the sandbox refused it and what refused it (`isolation.py` says what the
sandbox can be; this runs one).
"""

from __future__ import annotations

import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qirrt.executors.distributed.isolation import (
    CONSEQUENCE,
    Isolation,
    detect,
    pids_cgroup,
)
from qirrt.executors.distributed.workload import DEFAULT_LIMITS, discover, run_sandboxed


@dataclass(frozen=True)
class Check:
    """One row of the check: a property, whether the probe workload was kept from it, and how."""

    what: str
    isolated: bool
    how: str


def _how(isolation: Isolation, namespace: str, otherwise: str) -> str:
    if namespace in isolation.namespaces:
        return f"{namespace} namespace"
    return f"no {namespace} namespace ({isolation.missing.get(namespace, 'not used')}); {otherwise}"


def check(isolation: Isolation | None = None, *, key_files: tuple[str, ...] = (),
          limits: dict | None = None) -> list[Check]:
    """Run `sandbox_probe` in the sandbox and say, for each escape it tries, whether it was refused."""
    isolation = isolation or detect()
    limits = {**DEFAULT_LIMITS, "wall_s": 60.0, **(limits or {})}
    if isolation.refused:
        return [Check("workloads", False, f"refused: {isolation.refused}")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="qirrt-check-") as tmp, socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        outside = Path(tmp)
        os.chmod(outside, 0o777)  # only the sandbox keeps the workload out of it, not permissions
        (outside / "worker-file").write_text("the worker's")
        os.chmod(outside / "worker-file", 0o666)
        bundle = discover(Path(__file__).with_name("sandbox_probe.py"))
        bundle["inputs"] = {"worker_pid": os.getpid(), "port": listener.getsockname()[1],
                            "read": ["/etc/shadow", str(outside / "worker-file"), *key_files],
                            "write_dir": str(outside), "package_dir": str(Path(__file__).parent)}
        seen = run_sandboxed(bundle, limits=limits, isolation=isolation)["value"]
        written = (outside / "written-by-workload").exists()
    stray = Path(__file__).with_name("written-by-workload")
    if stray.exists():
        stray.unlink()
    refused = lambda outcome: outcome != "reached"
    if isolation.user_namespace:
        rows.append(Check("separate user", False, f"runs as {isolation.user}: the worker's own uid {os.geteuid()} "
                                                  "outside; only the namespaces keep it from the worker"))
    else:
        rows.append(Check("separate user", seen["uid"] not in (0, os.geteuid()),
                          f"runs as {isolation.user} (uid {seen['uid']})"))
    files_how = _how(isolation, "mount", "file permissions only")
    if "mount" in isolation.namespaces:
        files_how = "mount namespace: a private root"
    for path, outcome in seen["read"].items():
        rows.append(Check(f"read {path}", refused(outcome), f"{files_how} ({outcome})"))
    rows.append(Check("write outside /job and /tmp", refused(seen["write"]) and not written,
                      f"{files_how} ({seen['write']})"))
    rows.append(Check("write the interpreter or qirrt", refused(seen["package"]),
                      f"read-only binds ({seen['package']})" if "mount" in isolation.namespaces
                      else f"file permissions only ({seen['package']})"))
    pid_how = _how(isolation, "pid", "other users' processes are hidden only where /proc is its own")
    rows.append(Check("read the worker's environment", refused(seen["environ"]) and refused(seen["parent_environ"]),
                      f"{pid_how} ({seen['environ']})"))
    rows.append(Check("signal the worker", refused(seen["signal"]), f"{pid_how} ({seen['signal']})"))
    rows.append(Check("see other processes", seen["processes"] <= 2,
                      f"{pid_how} ({seen['processes']} visible)"))
    rows.append(Check("TCP to 127.0.0.1 (the broker)", refused(seen["connect"]),
                      _how(isolation, "net", "the workload shares the worker's network") + f" ({seen['connect']})"))
    for name in ("ipc", "uts"):
        rows.append(Check(f"{name.upper()} namespace", name in isolation.namespaces,
                          _how(isolation, name, CONSEQUENCE[name])))
    rows.append(Check("memory, CPU, file size", True, f"rlimits: {limits['memory_mb']} MB address space, "
                                                       f"{limits['cpu_s']} s CPU, {limits['file_mb']} MB per file"))
    cgroup = pids_cgroup(1)
    if cgroup is not None:
        cgroup.rmdir()
    rows.append(Check("processes", True, f"{'a pids cgroup' if cgroup else 'RLIMIT_NPROC (shared by all sandboxes)'}"
                                         f" of {limits['nproc']}"))
    return rows


def render(rows: list[Check]) -> str:
    width = max(len(row.what) for row in rows)
    lines = [f"{'property':<{width}}  isolated  how", f"{'-' * width}  --------  ---"]
    lines += [f"{row.what:<{width}}  {'yes' if row.isolated else 'NO':<8}  {row.how}" for row in rows]
    return "\n".join(lines)


__all__ = ["Check", "check", "render"]
