"""What a worker can isolate its workloads with, found once at start: user, namespaces, cgroup.

`Isolation.detect()` looks at what this machine allows and picks the strongest sandbox it can build
(`sandbox.py` builds it):

* a worker running as root runs workloads as the ``qirrt-sandbox`` system user (created when missing),
  in new mount, PID, network, IPC and UTS namespaces where the kernel allows each;
* an unprivileged worker needs user and mount namespaces to do much the same: the workload is then
  the worker's own uid outside, with no capabilities, kept from the worker by the other namespaces
  (a weaker separation, reported as such); without them it refuses workloads, saying why.

What is not available is logged once by the worker and shown by ``qirrt worker --check-sandbox``,
which also runs a probe workload that tries each escape and reports what it could reach
(`sandbox_check.py`). The pids cgroup that caps a workload's processes is made here too.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import uuid
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

SANDBOX_USER = "qirrt-sandbox"
SANDBOX_SCRIPT = Path(__file__).with_name("sandbox.py")
NAMESPACES = ("mount", "pid", "net", "ipc", "uts")
PROBE_TIMEOUT_S = 30.0
_PACKAGE_DIR = Path(__file__).resolve().parents[2]  # the qirrt package this file belongs to


@dataclass(frozen=True)
class Isolation:
    """How this worker sandboxes workloads; `refused` says why it cannot run them at all."""

    user: str | None
    uid: int | None
    gid: int | None
    namespaces: tuple[str, ...]
    missing: dict[str, str] = field(default_factory=dict)  # namespace -> why it is not available
    network_allowed: bool = False
    refused: str | None = None

    @property
    def user_namespace(self) -> bool:
        return "user" in self.namespaces

    def namespaces_for(self, *, network: bool) -> list[str]:
        """The namespaces one job's sandbox leaves: without "net" when it may use the network."""
        return [ns for ns in self.namespaces if not (network and ns == "net")]

    def warnings(self) -> list[str]:
        """One line per protection this worker cannot give (logged once at start)."""
        if self.refused:
            return [f"workloads are refused: {self.refused}"]
        lines = [f"no {name} namespace for workloads ({why}): {CONSEQUENCE[name]}"
                 for name, why in self.missing.items()]
        if self.user_namespace:
            lines.append("the worker is not root: workloads run as its own uid in a user namespace, without "
                         "capabilities; only the other namespaces keep them from the worker")
        if self.network_allowed:
            lines.append("workloads whose job asks for the network get the host's network (--workload-network)")
        return lines


CONSEQUENCE = {
    "mount": "workloads see the worker's file system, protected by file permissions only",
    "pid": "workloads see the host's processes (a /proc with hidepid=2 hides others' where a mount namespace exists)",
    "net": "workloads can open connections, the broker's port included",
    "ipc": "workloads share System V IPC and POSIX message queues with the host",
    "uts": "workloads can read the host name",
}


# -- detection --------------------------------------------------------------------------------------
def _probe_namespaces(names: tuple[str, ...]) -> dict[str, str | None]:
    """For each set of namespaces: None when ``unshare`` works, else the error (in a child process)."""
    out = subprocess.run([sys.executable, "-I", str(SANDBOX_SCRIPT), "--probe", json.dumps(names)],
                         capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, env={"PATH": os.defpath},
                         check=False)
    if out.returncode != 0:
        return {name: f"the probe failed: {out.stderr.strip()[-300:]}" for name in names}
    return json.loads(out.stdout)


def ensure_sandbox_user(name: str = SANDBOX_USER) -> tuple[int, int]:
    """The uid and gid of `name`, a system user with no home and no shell, created when missing."""
    try:
        entry = pwd.getpwnam(name)
        return entry.pw_uid, entry.pw_gid
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    command = [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent",
               "--shell", "/usr/sbin/nologin", name]
    try:
        made = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except OSError as exc:
        made = subprocess.CompletedProcess(command, 127, "", str(exc))
    try:  # another worker may have made it meanwhile
        entry = pwd.getpwnam(name)
    except KeyError:
        raise PermissionError(f"cannot create the sandbox user {name!r} ({' '.join(command)}: "
                              f"{made.stderr.strip() or made.returncode}); create it by hand") from None
    log.info("created the sandbox user %s (uid %d)", name, entry.pw_uid)
    return entry.pw_uid, entry.pw_gid


def _world_accessible(path: Path) -> bool:
    """True when any user can reach and read `path` (every parent has o+x)."""
    path = path.resolve()
    try:
        if not os.stat(path).st_mode & 0o004:
            return False
        return all(os.stat(parent).st_mode & 0o001 for parent in path.parents)
    except OSError:
        return False


def _detect(network_allowed: bool) -> Isolation:
    root = os.geteuid() == 0
    if root:
        try:
            uid, gid = ensure_sandbox_user()
        except PermissionError as exc:
            return Isolation(None, None, None, (), network_allowed=network_allowed, refused=str(exc))
        probes = _probe_namespaces(NAMESPACES)
        namespaces = tuple(ns for ns in NAMESPACES if probes[ns] is None)
        missing = {ns: probes[ns] for ns in NAMESPACES if probes[ns] is not None}
        isolation = Isolation(SANDBOX_USER, uid, gid, namespaces, missing, network_allowed)
        hidden = [] if "mount" in namespaces else [
            p for p in (sys.executable, sysconfig.get_paths()["stdlib"], *read_only_paths())
            if not _world_accessible(Path(p))]
        if hidden:
            return Isolation(SANDBOX_USER, uid, gid, namespaces, missing, network_allowed, refused=(
                f"{hidden[0]} (the interpreter, its packages or qirrt) is not readable by {SANDBOX_USER}, and "
                "without a mount namespace it cannot be shown to it; install them where every user can read them"))
        return isolation
    every = ("user", *NAMESPACES)
    probes = _probe_namespaces(every)
    if probes["user"] is not None:
        return Isolation(None, None, None, (), network_allowed=network_allowed, refused=(
            f"the worker runs as uid {os.geteuid()}, not root, and cannot create a user namespace "
            f"({probes['user']}), so workloads could not run as another user; run the worker as root "
            "(it runs workloads as the qirrt-sandbox user) or allow unprivileged user namespaces "
            "(sysctl kernel.unprivileged_userns_clone=1; in a container, a seccomp profile permitting unshare)"))
    namespaces = ("user",) + tuple(ns for ns in NAMESPACES if probes[ns] is None)
    missing = {ns: probes[ns] for ns in NAMESPACES if probes[ns] is not None}
    if "mount" not in namespaces:
        return Isolation(None, None, None, (), missing, network_allowed, refused=(
            "the worker is not root and has no mount namespace: workloads would share its uid and read its keys; "
            "run the worker as root or where unprivileged user and mount namespaces are allowed"))
    return Isolation("uid 0 of a user namespace, with no capabilities", 0, 0, namespaces, missing, network_allowed)


@functools.cache
def detect(network_allowed: bool = False) -> Isolation:
    """This machine's `Isolation`, found once per process."""
    return _detect(network_allowed)


# -- what the sandbox shows ------------------------------------------------------------------------
@functools.cache
def read_only_paths() -> tuple[str, ...]:
    """What the sandbox binds read-only besides /usr: the interpreter, its packages, qirrt itself."""
    out = subprocess.run([sys.executable, "-I", "-c", "import sys, json; print(json.dumps(sys.path))"],
                         capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=True,
                         env={"PATH": os.defpath})
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(_PACKAGE_DIR), *json.loads(out.stdout)}
    system = tuple(f"/{name}" for name in ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"))
    kept = []
    for path in sorted(p for p in paths if p and os.path.isabs(p) and os.path.exists(p)):
        real = os.path.realpath(path)
        if real == "/" or real.startswith(tuple(s + "/" for s in system)) or real in system:
            continue
        if any(real == k or real.startswith(k.rstrip("/") + "/") for k in kept):
            continue
        kept.append(real)
    return tuple(kept)


def qirrt_root() -> str:
    """The directory that holds the worker's qirrt package (put first on the workload's sys.path)."""
    return str(_PACKAGE_DIR.parent)


# -- cgroups ---------------------------------------------------------------------------------------
PIDS_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


def pids_cgroup(nproc: int) -> Path | None:
    """A fresh pids cgroup (v1 or v2) capped at `nproc` tasks, or None where cgroups are not writable.

    RLIMIT_NPROC does not bind root, so a worker running as root contains fork bombs this way."""
    for root in PIDS_CGROUP_ROOTS:
        if not (root / "cgroup.procs").exists():
            continue
        group = root / f"qirrt-{uuid.uuid4().hex[:12]}"
        try:
            group.mkdir()
            (group / "pids.max").write_text(str(nproc))
            return group
        except OSError:
            try:
                group.rmdir()
            except OSError:
                pass
    return None


__all__ = ["PIDS_CGROUP_ROOTS", "SANDBOX_USER", "Isolation", "detect", "ensure_sandbox_user", "pids_cgroup",
           "qirrt_root", "read_only_paths"]
