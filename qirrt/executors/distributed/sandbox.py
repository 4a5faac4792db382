"""The process a workload runs in: ``python -I .../sandbox.py LAUNCH.json``, started as the worker's user.

`workload.run_sandboxed` writes LAUNCH.json (what `isolation.Isolation` found possible) and starts this
file by path, so it runs the worker's own qirrt and imports nothing from qirrt before the workload does.
It then, in this order:

1. leaves the worker's namespaces (``unshare(2)``: mount, PID, network, IPC, UTS; a user namespace too
   when the worker is not root), each one LAUNCH.json names;
2. in a new PID namespace, forks: the child is PID 1 there and does the rest, this process waits and
   passes on its exit status (the worker and everything else outside are invisible to the workload);
3. builds a private root on a tmpfs: read-only binds of the system libraries, the interpreter and its
   packages, a writable ``/job`` (the workload's files) and ``/tmp``, a fresh ``/proc``, a minimal
   ``/dev`` and ``/etc`` (no key files, no ``/etc/shadow``, nothing of the worker's), then ``chroot``;
4. drops to the sandbox user (no groups, no capabilities, ``no_new_privs``, not dumpable), applies
   the resource limits, and as PID 1 forks the workload and reaps orphans until it ends.

Exit status: the workload's own, or 128 + N when signal N ended it (``-N`` without a PID namespace).
When the sandbox cannot be built, why goes to LAUNCH.json's ``setup_file`` (exit status 125): a file
the workload cannot reach, so it cannot pass its own failure off as the worker's.
Stdlib and msgpack only: qirrt is put on ``sys.path`` after the chroot, for the workload to import.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib
import json
import os
import resource
import signal
import sys
import traceback
from pathlib import Path

CLONE = {"mount": 0x00020000, "uts": 0x04000000, "ipc": 0x08000000, "user": 0x10000000,
         "pid": 0x20000000, "net": 0x40000000}
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS = 1, 4, 24, 28, 38
# noroot, no_setuid_fixup, keep_caps and no_cap_ambient_raise, each locked: root gets no capabilities back
SECUREBITS = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80
CAPABILITY_VERSION_3 = 0x20080522
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "ssl/certs",
             "ca-certificates", "ca-certificates.conf", "mime.types")
NETWORK_ETC_FILES = ("resolv.conf", "hosts", "nsswitch.conf", "host.conf", "gai.conf", "services", "protocols")
DEVICES = ("null", "zero", "full", "random", "urandom")
JOB = "/job"
SETUP_EXIT = 125
_setup_report: int | None = None  # a descriptor to config["setup_file"], closed before the workload runs

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def unshare(names) -> None:
    flags = 0
    for name in names:
        flags |= CLONE[name]
    _check(_libc.unshare(ctypes.c_int(flags)), f"unshare({', '.join(names)})")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda s: None if s is None else os.fsencode(s)
    _check(_libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {source or fstype} on {target}")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(ctypes.c_int(option), ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0),
                       ctypes.c_ulong(0)), f"prctl({option})")


# -- the private root -------------------------------------------------------------------------------
def _inside(root: str, path: str) -> str:
    return os.path.join(root, path.lstrip("/"))


def _make_target(source: str, target: str) -> None:
    os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
    if os.path.isdir(source):
        os.makedirs(target, mode=0o755, exist_ok=True)
    elif not os.path.lexists(target):
        with open(target, "w"):
            pass


def bind(source: str, target: str, *, flags: int = MS_RDONLY | MS_NOSUID | MS_NODEV) -> None:
    """Bind `source` at `target`, by default read-only, with no setuid binaries and no devices."""
    _make_target(source, target)
    mount(source, target, None, MS_BIND | MS_REC)
    flags |= MS_REMOUNT | MS_BIND
    try:
        mount(None, target, None, flags)
    except OSError:  # in a user namespace the source's locked flags (noexec, atime) must be kept
        fs = os.statvfs(target)
        kept = fs.f_flag & (MS_NOEXEC | 0x400 | 0x800 | 0x1000 | 0x200000 | 0x1000000)  # noexec, atime flags
        mount(None, target, None, flags | kept | (MS_NOEXEC if fs.f_flag & os.ST_NOEXEC else 0))


def build_root(config: dict) -> None:
    """Fill the tmpfs at config["root_dir"] and chroot into it (we are root in a new mount namespace)."""
    root = config["root_dir"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing we mount reaches the worker's namespace
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m")
    tmp = _inside(root, "/tmp")  # first: a bind below /tmp (a venv there) must land on top of it
    os.makedirs(tmp)
    mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={int(config['limits']['file_mb'])}m")
    for name in SYSTEM_DIRS:
        path = "/" + name
        if os.path.islink(path):
            os.symlink(os.readlink(path), _inside(root, path))
        elif os.path.isdir(path):
            bind(path, _inside(root, path))
    links = []
    for path in config["binds"]:  # the interpreter, its prefixes and packages, qirrt
        real = os.path.realpath(path)
        if not os.path.exists(real) or real == "/":
            continue
        bind(real, _inside(root, real))
        if real != os.path.abspath(path):
            links.append((os.path.abspath(path), real))
    for path, real in links:
        if not os.path.lexists(_inside(root, path)):
            os.makedirs(os.path.dirname(_inside(root, path)), mode=0o755, exist_ok=True)
            os.symlink(real, _inside(root, path))
    etc = _inside(root, "/etc")
    os.makedirs(etc, mode=0o755, exist_ok=True)
    for name in ETC_FILES + (NETWORK_ETC_FILES if config["network"] else ()):
        if os.path.exists("/etc/" + name):
            bind(os.path.realpath("/etc/" + name), os.path.join(etc, name))
    uid, gid, user = config["uid"], config["gid"], config["user"]
    Path(etc, "passwd").write_text(f"root:x:0:0::/:/usr/sbin/nologin\n{user}:x:{uid}:{gid}::{JOB}:/usr/sbin/nologin\n")
    Path(etc, "group").write_text(f"root:x:0:\n{user}:x:{gid}:\n")
    Path(etc, "hostname").write_text("sandbox\n")
    dev = _inside(root, "/dev")
    os.makedirs(dev)
    mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k")
    for name in DEVICES:
        bind(f"/dev/{name}", os.path.join(dev, name), flags=MS_NOSUID | MS_NOEXEC)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(dev, name))
    os.makedirs(os.path.join(dev, "shm"))
    mount("tmpfs", os.path.join(dev, "shm"), "tmpfs", MS_NOSUID | MS_NODEV,
          f"mode=1777,size={int(config['limits']['file_mb'])}m")
    bind(config["job_dir"], _inside(root, JOB), flags=MS_NOSUID | MS_NODEV)
    proc = _inside(root, "/proc")
    os.makedirs(proc)
    # A new PID namespace gets its own /proc; without one, others' processes are hidden.
    mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
          None if "pid" in config["namespaces"] else "hidepid=2")
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755,size=16m")
    os.chdir(root)
    os.chroot(".")
    os.chdir(JOB)


# -- credentials and limits -------------------------------------------------------------------------
def map_user_namespace(outer_uid: int, outer_gid: int) -> None:
    """In a new user namespace made by an unprivileged worker: be root there (for the mounts)."""
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {outer_uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {outer_gid} 1")


def drop_capabilities(last_cap: int) -> None:
    """Give up every capability for good: bounding set, securebits, then the sets themselves."""
    prctl(PR_SET_SECUREBITS, SECUREBITS)
    for cap in range(last_cap + 1):
        prctl(PR_CAPBSET_DROP, cap)
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()  # effective, permitted, inheritable (x2 words): all empty
    _check(_libc.capset(header, data), "capset")


def drop_privileges(config: dict) -> None:
    """Become the sandbox user: no supplementary groups, no capabilities, no way back."""
    if "user" in config["namespaces"]:
        # An unprivileged worker's user namespace maps its own uid alone: the workload stays uid 0
        # there (the worker's uid outside) and loses every capability over the namespaces made above.
        drop_capabilities(config["last_cap"])
    else:
        os.setgroups([])
        os.setresgid(config["gid"], config["gid"], config["gid"])
        os.setresuid(config["uid"], config["uid"], config["uid"])
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_DUMPABLE, 0)  # the workload cannot ptrace its init, nor read its memory


def apply_limits(limits: dict, *, pids_cgroup: bool) -> None:
    memory = int(limits["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(limits["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    files = int(limits["file_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (files, files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not pids_cgroup:  # per user, so shared by every sandbox: only when no pids cgroup counts per job
        nproc = int(limits["nproc"])
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


# -- the workload -----------------------------------------------------------------------------------
def run_workload(config: dict, folder: str) -> int:
    import msgpack

    sys.path[:0] = [folder, config["qirrt_root"]]
    try:
        inputs = msgpack.unpackb(Path(folder, "_inputs.msgpack").read_bytes(), raw=False, strict_map_key=True)
        module = importlib.import_module(config["entry"])
        result = getattr(module, config["class"])(inputs).run()
        Path(folder, "_result.msgpack").write_bytes(msgpack.packb(result, use_bin_type=True))
    except BaseException:  # noqa: BLE001 -- reported on stderr, read by the worker
        traceback.print_exc()
        return 1
    return 0


def _status(wait_status: int) -> int:
    code = os.waitstatus_to_exitcode(wait_status)
    return 128 - code if code < 0 else code


def enter(config: dict) -> str:
    """Build the root, drop privileges, apply limits; the workload's folder. A failure says so."""
    try:
        folder = config["job_dir"]
        if "mount" in config["namespaces"]:
            build_root(config)
            folder = JOB
        drop_privileges(config)
        os.chdir(folder)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it
        apply_limits(config["limits"], pids_cgroup=config["pids_cgroup"])
    except Exception as exc:  # noqa: BLE001 -- whatever it was, the worker reports it
        os._exit(setup_failed(exc))
    os.close(_setup_report)
    return folder


def setup_failed(exc: Exception) -> int:
    os.write(_setup_report, f"{type(exc).__name__}: {exc}".encode(errors="replace")[:2000])
    return SETUP_EXIT


def init(config: dict) -> int:
    """PID 1 of the new PID namespace: set up, fork the workload, reap until it ends."""
    folder = enter(config)
    child = os.fork()
    if child == 0:
        os._exit(_flushed(run_workload(config, folder)))
    while True:  # when PID 1 exits, the kernel kills whatever the workload left behind
        try:
            pid, wait_status = os.wait()
        except ChildProcessError:
            return 1
        if pid == child:
            return _status(wait_status)


def _flushed(code: int) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    return code


def probe(names: list[str]) -> dict[str, str | None]:
    """Try each namespace in a child (with a user namespace first when "user" is asked for)."""
    found = {}
    for name in names:
        wanted = [name] if name == "user" or "user" not in names else ["user", name]
        child = os.fork()
        if child == 0:
            try:
                unshare(wanted)
                os._exit(0)
            except OSError as exc:
                os._exit(exc.errno or 1)
        code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
        flag = "CLONE_NEWNS" if name == "mount" else f"CLONE_NEW{name.upper()}"
        found[name] = None if code == 0 else f"unshare({flag}): {os.strerror(code)}"
    return found


def main(argv: list[str]) -> int:
    if argv[0] == "--probe":
        print(json.dumps(probe(json.loads(argv[1]))))
        return 0
    global _setup_report
    config = json.loads(Path(argv[0]).read_text())
    _setup_report = os.open(config["setup_file"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    config["last_cap"] = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    namespaces = config["namespaces"]
    outer_ids = os.geteuid(), os.getegid()
    try:
        if namespaces:
            unshare(namespaces)
        if "user" in namespaces:
            map_user_namespace(*outer_ids)
    except Exception as exc:  # noqa: BLE001
        return setup_failed(exc)
    if "pid" in namespaces:
        child = os.fork()
        if child == 0:
            os._exit(_flushed(init(config)))
        os.close(_setup_report)
        signal.signal(signal.SIGTERM, lambda *_: os.kill(child, signal.SIGKILL))
        _, wait_status = os.waitpid(child, 0)
        return _status(wait_status)
    # No PID namespace: this process becomes the workload itself.
    return run_workload(config, enter(config))


if __name__ == "__main__":
    sys.exit(_flushed(main(sys.argv[1:])))
