"""The seed's programming model: `RuntimeWorkerBase` workloads scheduled by `RuntimeProvider`.

A user subclasses `RuntimeWorkerBase`, overrides `run()`, and sets `backend_name` (the executor its
programs run on) and `execution_options` (its mitigation pipeline and other options)::

    class Vqe(RuntimeWorkerBase):
        backend_name = "aer"
        execution_options = {"passes": "zne{scale-factors=1,3,5}"}

        def run(self):
            return {"energy": ...}

`RuntimeProvider(client).schedule(module)` reads the module's source, finds the subclass and the
module's imports by AST (nothing is imported or executed on the client), ships the source with any
local modules it imports, and asks for a worker that has the non-stdlib packages installed. The
worker never executes the code itself: `run_sandboxed` starts `sandbox.py`, which runs it as the
sandbox user in its own mount, PID and network namespaces (what `isolation.detect` found possible),
with a scrubbed environment and limits on address space, CPU time, processes, file size and wall time.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import types
import uuid
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import ClassVar

from qirrt.errors import ExecutionError
from qirrt.executors.distributed import protocol as P
from qirrt.executors.distributed.isolation import (
    SANDBOX_SCRIPT,
    SANDBOX_USER,
    Isolation,
    detect,
    pids_cgroup,
    qirrt_root,
    read_only_paths,
)
from qirrt.executors.distributed.job import JobContext, run_program
from qirrt.executors.distributed.sandbox import SETUP_EXIT

DEFAULT_LIMITS = {"memory_mb": 2048, "cpu_s": 3600, "wall_s": 7200.0, "nproc": 64, "file_mb": 64}
JOB_DIR = "/job"  # where the workload's files are, inside its sandbox
MAX_SOURCE_BYTES = 4 * 1024 * 1024
MITIGATED_EXECUTOR = "qirrt.api.mitigate.executor:MitigatedExecutor"  # by name: the api layer sits above this one


class WorkloadError(ExecutionError):
    """A workload could not be packaged, or it failed or was killed by its limits on the worker."""

    permanent = True  # the broker fails the job instead of retrying it elsewhere


class SandboxSetupError(WorkloadError):
    """This worker could not build the sandbox: the worker's fault, so the job may go to another."""

    permanent = False


class RuntimeWorkerBase:
    """Base class of a user workload: override `run()`; set `backend_name` and `execution_options`."""

    backend_name: ClassVar[str] = "local"
    execution_options: ClassVar[dict] = {}

    def __init__(self, inputs: dict | None = None):
        self.inputs = dict(inputs or {})

    def run(self):
        raise NotImplementedError("a RuntimeWorkerBase subclass overrides run()")

    def execute(self, program, *, shots: int = 1000, seed: int | None = None, params: dict | None = None,
                observable=None, postprocess=None) -> dict:
        """Run one program (a `Program` or QIR text) on `backend_name` and return its result as a dict.

        `execution_options` apply: ``passes`` (a mitigation pipeline, or the seed's decorator list such as
        ``["ErrorMitigatedExecutionBackend", "zne"]``) and ``observable`` (a Pauli string; `observable`
        here overrides it) run the program through that pipeline, so the result has the mitigated
        ``expectation``. ``postprocess`` (a post-processor name such as ``"mlp"``, fitted on the worker from
        calibration circuits run in this job, or a fitted ``{"name": ..., "state": ...}`` spec shipped with
        the job; `postprocess` here overrides it) is the pipeline's last step."""
        from qirrt.executors.registry import new_executor
        from qirrt.qir.program import Program

        options = dict(self.execution_options)
        passes = options.pop("passes", None)
        observable = observable if observable is not None else options.pop("observable", None)
        options.pop("observable", None)
        postprocess = postprocess if postprocess is not None else options.pop("postprocess", None)
        options.pop("postprocess", None)
        if options:
            raise WorkloadError(f"unknown execution_options {', '.join(sorted(options))} of {type(self).__name__}; "
                                f"known: passes (a mitigation pipeline), observable, postprocess")
        if isinstance(program, str):
            program = Program.from_ir(program)
        if passes or observable is not None or postprocess is not None:
            executor = new_executor(MITIGATED_EXECUTOR, executor=self.backend_name, mitigation=passes,
                                    observable=observable, postprocess=postprocess)
        else:
            executor = new_executor(self.backend_name)
        spec = {"id": uuid.uuid4().hex, "shots": shots, "seed": seed, "params": params,
                "execution_options": dict(self.execution_options)}
        return run_program(executor, program, spec, JobContext(spec["id"], 1, None, threading.Event()))


# -- the client side: discovery and scheduling ------------------------------------------------------
def _source_of(module) -> tuple[str, Path | None]:
    if isinstance(module, types.ModuleType):
        path = Path(module.__file__)
        return module.__name__.rsplit(".", 1)[-1], path
    path = Path(module)
    return path.stem, path


def _imports(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(absolute top-level names, relative module names) imported anywhere in `tree`."""
    absolute, relative = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:  # from . import x / from .x import y
            relative.update([node.module.split(".")[0]] if node.module else (alias.name for alias in node.names))
        elif isinstance(node, ast.ImportFrom) and node.module:
            absolute.add(node.module.split(".")[0])
    return absolute, relative


def _worker_class(tree: ast.Module, class_name: str | None) -> ast.ClassDef:
    found = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", None)
                if name == "RuntimeWorkerBase":
                    found.append(node)
    if class_name is not None:
        found = [n for n in found if n.name == class_name]
    if len(found) != 1:
        names = ", ".join(n.name for n in found) or "none"
        raise WorkloadError(f"expected one RuntimeWorkerBase subclass{f' named {class_name}' if class_name else ''}"
                            f" in the workload module, found {names}; pass class_name=")
    return found[0]


def _class_constants(node: ast.ClassDef) -> dict:
    constants = {}
    for item in node.body:
        if isinstance(item, ast.Assign) and len(item.targets) == 1 and isinstance(item.targets[0], ast.Name):
            target, value = item.targets[0].id, item.value
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name) and item.value is not None:
            target, value = item.target.id, item.value
        else:
            continue
        if target in ("backend_name", "execution_options"):
            try:
                constants[target] = ast.literal_eval(value)
            except ValueError:
                raise WorkloadError(f"{node.name}.{target} must be a literal (it is read without running the code)")
    return constants


def _packages_of(names: set[str], distributions: dict) -> set[str]:
    """The distributions providing the absolute imports `names` (a name no distribution claims is its own)."""
    return {d.lower().replace("_", "-") for name in names for d in (distributions.get(name) or [name])}


def _sources(path: Path) -> tuple[dict[str, str], set[str], ast.Module]:
    """The sources of the module at `path` and of the local modules it imports, by path relative to its
    folder; the packages they import from outside; and `path`'s syntax tree."""
    root = path.parent
    files: dict[str, str] = {}
    packages: set[str] = set()
    distributions = packages_distributions()
    stdlib = set(sys.stdlib_module_names) | {"__future__", "qirrt"}
    pending = [path]
    tree_of_entry = None
    while pending:
        current = pending.pop()
        relative_name = str(current.relative_to(root))
        if relative_name in files:
            continue
        text = files[relative_name] = current.read_text()
        if sum(len(t) for t in files.values()) > MAX_SOURCE_BYTES:
            raise WorkloadError("the workload's sources exceed 4 MB")
        tree = ast.parse(text, filename=str(current))
        tree_of_entry = tree if current == path else tree_of_entry
        absolute, relative = _imports(tree)
        local = {name for name in absolute | relative if (root / f"{name}.py").exists()}
        pending.extend(root / f"{name}.py" for name in sorted(local))
        packages |= _packages_of(absolute - local - stdlib, distributions)
    return files, packages, tree_of_entry


def discover(module, *, class_name: str | None = None) -> dict:
    """The workload bundle of `module` (a module object or a .py path): sources, class, packages."""
    entry, path = _source_of(module)
    if path is None or not path.exists():
        raise WorkloadError(f"cannot find the source of workload {module!r}")
    files, packages, tree_of_entry = _sources(path)
    node = _worker_class(tree_of_entry, class_name)
    constants = _class_constants(node)
    return {"entry": entry, "class": node.name, "files": files, "packages": sorted(packages),
            "backend_name": constants.get("backend_name", "local"),
            "execution_options": constants.get("execution_options", {})}


ENGINE_GROUP = "qirrt.workload_engines"


class RuntimeProvider:
    """Schedules `RuntimeWorkerBase` workloads on a broker through a `Client`, or, with an `engine` other
    than ``"zeromq"`` (``"ray"``), on the engine of that name in the ``qirrt.workload_engines`` plugin group,
    made with `engine_options`."""

    def __init__(self, client=None, *, engine: str = "zeromq", **engine_options):
        self.client = client
        self.engine = None
        if engine != "zeromq":
            from qirrt.plugins import load_plugin

            self.engine = load_plugin(ENGINE_GROUP, engine)(**engine_options)
        elif client is None or engine_options:
            raise WorkloadError("RuntimeProvider(client) schedules on a qirrt broker (client = qirrt.connect(url)); "
                                "for Ray use RuntimeProvider(engine='ray', address=...)")

    def schedule(self, module, *, inputs: dict | None = None, class_name: str | None = None,
                 priority: int = 0, time_limit_s: float | None = None, max_attempts: int | None = None,
                 requires: dict | None = None, network: bool = False):
        """Ship `module`'s workload; `network`: it needs the network (only workers that allow it run it)."""
        if self.engine is not None:
            return self.engine.schedule(module, inputs=inputs, class_name=class_name, priority=priority,
                                        time_limit_s=time_limit_s, max_attempts=max_attempts, requires=requires,
                                        network=network)
        bundle = discover(module, class_name=class_name)
        bundle["inputs"] = dict(inputs or {})
        spec = {"id": uuid.uuid4().hex, "kind": "workload", "workload": bundle, "shots": 1,
                "priority": priority,
                "requires": {"kind": "workload", "packages": bundle["packages"], **(requires or {})}}
        if network:
            spec["requires"]["network"] = True
        if time_limit_s is not None:
            spec["time_limit_s"] = time_limit_s
        if max_attempts is not None:
            spec["max_attempts"] = max_attempts
        return self.client.submit_specs([spec])[0]


# -- the worker side: a limited, separate process ---------------------------------------------------
def _start(launch: dict, folder: Path, cgroup: Path | None) -> subprocess.Popen:
    """Start `sandbox.py` on `launch` in its own session (and cgroup), output to files in `folder`."""
    config = folder / "launch.json"
    config.write_text(json.dumps(launch))

    def enter() -> None:
        os.setsid()
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))

    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": JOB_DIR, "LANG": "C.UTF-8", "TMPDIR": "/tmp",
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    if "mount" not in launch["namespaces"]:
        env["HOME"] = env["TMPDIR"] = launch["job_dir"]
    with open(folder / "stdout", "wb") as stdout, open(folder / "stderr", "wb") as stderr:
        # preexec_fn only sets a session and a cgroup; the worker's other threads touch no locks
        # the child needs between fork and exec.
        return subprocess.Popen([sys.executable, "-I", str(SANDBOX_SCRIPT), str(config)],
                                cwd="/", env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
                                preexec_fn=enter, close_fds=True)  # noqa: PLW1509


def _kill_all(sid: int, cgroup: Path | None) -> None:
    """SIGKILL the workload and everything it forked: its cgroup's tasks, else its session's."""
    if cgroup is not None:
        try:
            (cgroup / "pids.max").write_text("0")  # no more forks while we kill
        except OSError:
            pass
    for _ in range(100):
        pids = _cgroup_pids(cgroup) if cgroup is not None else _session_pids(sid)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.02)
    if cgroup is not None:
        _remove_cgroup(cgroup)


def _cgroup_pids(cgroup: Path) -> list[int]:
    try:
        return [int(x) for x in (cgroup / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def _session_pids(sid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.getsid(int(entry)) == sid:
                pids.append(int(entry))
        except (ProcessLookupError, PermissionError):
            continue
    return pids


def _remove_cgroup(cgroup: Path) -> None:
    """rmdir the emptied cgroup, retrying for up to ~2 s while the kernel reaps its tasks."""
    for _ in range(100):
        try:
            cgroup.rmdir()
            return
        except OSError:
            time.sleep(0.02)


def _write_job(workload: dict, job: Path) -> None:
    for name, text in workload["files"].items():
        target = (job / name).resolve()
        if job.resolve() not in target.parents or not name.endswith(".py"):
            raise WorkloadError(f"workload file name {name!r} is not a plain .py path")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    (job / "_inputs.msgpack").write_bytes(P.pack(workload.get("inputs") or {}))


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.chown(name, uid, gid, follow_symlinks=False)


def _failure(code: int, errors: str, limits: dict) -> str:
    """Why a sandbox ended with exit status `code` (128 + N or -N: signal N)."""
    signum = -code if code < 0 else code - 128 if code > 128 else None
    if "MemoryError" in errors:
        return f"memory limit of {limits['memory_mb']} MB"
    if signum == signal.SIGXCPU:
        return f"CPU time limit of {limits['cpu_s']} s"
    if "BlockingIOError" in errors or "Resource temporarily unavailable" in errors:
        return f"process limit of {limits['nproc']}"
    if signum is not None:
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else str(signum)
        return f"killed by {name}"
    last = errors.strip().splitlines()[-1] if errors.strip() else f"exit code {code}"
    return f"the workload failed: {last}"


def _wait(proc: subprocess.Popen, cgroup, wall_s: float, cancelled: threading.Event | None) -> str | None:
    """Wait for the sandbox to exit; kill it past `wall_s` or once `cancelled`, and say which."""
    deadline = time.monotonic() + wall_s
    while True:
        try:
            proc.wait(timeout=0.05)
            return None
        except subprocess.TimeoutExpired:
            pass
        if time.monotonic() > deadline:
            reason = f"wall time limit of {wall_s:g} s"
        elif cancelled is not None and cancelled.is_set():
            reason = "cancelled"
        else:
            continue
        _kill_all(proc.pid, cgroup)
        proc.wait()
        return reason


def run_sandboxed(workload: dict, *, limits: dict | None = None, cancelled: threading.Event | None = None,
                  network: bool = False, isolation: Isolation | None = None) -> dict:
    """Run a workload bundle in the sandbox `isolation` (default: `detect()`) describes; its `run()`
    value, or WorkloadError.

    `network`: the job asked for the network; allowed only where the worker's operator allows it."""
    limits = {**DEFAULT_LIMITS, **{k: v for k, v in (limits or {}).items() if v is not None}}
    for key in ("entry", "class", "files"):
        if key not in workload:
            raise WorkloadError(f"workload bundle lacks {key!r}")
    found = isolation or detect()
    if found.refused:
        raise WorkloadError(f"this worker cannot run workloads: {found.refused}")
    if network and not found.network_allowed:
        raise WorkloadError("the workload asks for the network, which this worker does not allow "
                            "(its operator starts it with --workload-network to allow it)")
    with tempfile.TemporaryDirectory(prefix="qirrt-workload-") as tmp:
        folder = Path(tmp)
        os.chmod(folder, 0o711)  # the sandbox user may pass through to job/, and list nothing
        job = folder / "job"
        job.mkdir(mode=0o700)
        (folder / "root").mkdir(mode=0o700)
        _write_job(workload, job)
        if not found.user_namespace:
            _chown_tree(job, found.uid, found.gid)
        cgroup = pids_cgroup(int(limits["nproc"]) + 2)  # + the sandbox's launcher and init
        launch = {"job_dir": str(job), "root_dir": str(folder / "root"),
                  "namespaces": found.namespaces_for(network=network), "network": network,
                  "uid": found.uid, "gid": found.gid, "user": SANDBOX_USER,
                  "binds": list(read_only_paths()), "qirrt_root": qirrt_root(),
                  "entry": workload["entry"], "class": workload["class"], "limits": limits,
                  "pids_cgroup": cgroup is not None, "setup_file": str(folder / "setup")}
        try:
            proc = _start(launch, folder, cgroup)
        except BaseException:
            if cgroup is not None:
                cgroup.rmdir()
            raise
        reason = _wait(proc, cgroup, float(limits["wall_s"]), cancelled)
        _kill_all(proc.pid, cgroup)  # whatever it forked dies with it
        errors = (folder / "stderr").read_bytes()[-4000:].decode(errors="replace")
        setup = (folder / "setup").read_text(errors="replace") if (folder / "setup").exists() else ""
        if reason is None and proc.returncode == SETUP_EXIT and setup:
            raise SandboxSetupError(f"workload {workload['class']} did not start: this worker could not build "
                                    f"its sandbox ({setup}); `qirrt worker --check-sandbox` there shows what "
                                    "it allows")
        if reason is None and proc.returncode != 0:
            reason = _failure(proc.returncode, errors, limits)
        if reason is not None:
            raise WorkloadError(f"workload {workload['class']} stopped: {reason}")
        result_path = job / "_result.msgpack"
        if result_path.is_symlink() or not result_path.is_file():
            raise WorkloadError(f"workload {workload['class']} produced no result")
        if result_path.stat().st_size > int(limits["file_mb"]) * 1024 * 1024:
            raise WorkloadError(f"workload {workload['class']}'s result exceeds {limits['file_mb']} MB")
        result = P.unpack(result_path.read_bytes())
        P._check_plain(result, "workload result")
        return {"kind": "workload", "value": result}
