"""Issue 15: each escape a shipped workload once made, tried again by a real workload through a real
broker and worker (CurveZMQ keys), and refused; what the sandbox cannot give is reported, not hidden."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qirrt.executors.distributed as dist
from qirrt.errors import ExecutionError
from qirrt.executors.distributed import isolation, security
from qirrt.executors.distributed.isolation import Isolation, detect
from qirrt.executors.distributed.sandbox_check import check
from qirrt.executors.distributed.workload import (
    RuntimeProvider,
    SandboxSetupError,
    WorkloadError,
    discover,
    run_sandboxed,
)
from tests.executors.distributed.helpers import BELL_IR, ROOT

pytestmark = pytest.mark.timeout(120)
HERE = Path(__file__).parent / "workloads"
LIMITS = {"memory_mb": 512, "cpu_s": 5, "wall_s": 20.0, "nproc": 16}


def _needs(*namespaces: str) -> Isolation:
    """This machine's isolation, or a skip naming what it lacks."""
    found = detect()
    if found.refused:
        pytest.skip(f"this machine cannot sandbox workloads: {found.refused}")
    lacking = [f"{ns} namespace ({found.missing.get(ns, 'not available')})" for ns in namespaces
               if ns not in found.namespaces]
    if lacking:
        pytest.skip(f"this machine gives workloads no {', '.join(lacking)}")
    return found


@pytest.fixture
def secure(make_cluster, tmp_path):
    """A broker and worker w1 with CurveZMQ keys in one directory (as in the attack), user alice."""
    keys = tmp_path / "keys"
    security.generate(keys, users=("alice",), workers=("w1", "w2"))
    cluster = make_cluster(keys=keys)
    cluster.start_broker()
    worker = cluster.start_worker(name="w1", key_name="w1", extra=("--workload-wall-s", "30"))
    cluster.wait_workers(1)
    client_dir = tmp_path / "alice"
    client_dir.mkdir()
    for name in ("alice.key_secret", "server.key"):
        (client_dir / name).write_bytes((keys / name).read_bytes())
    client = dist.connect(cluster.url, keys=client_dir, timeout_s=30)
    yield cluster, worker, keys, client
    client.close()


def _run(client, name: str, inputs: dict, **options):
    return RuntimeProvider(client).schedule(HERE / f"{name}.py", inputs=inputs, **options)


def test_escapes_through_a_real_worker_are_refused(secure, tmp_path):
    _needs("mount", "pid", "net")
    cluster, worker, keys, client = secure
    secrets = sorted(str(p) for p in keys.glob("*.key_secret"))
    assert any("server" in s for s in secrets) and any("w1" in s for s in secrets)

    # Key files (the broker's and the worker's), /etc/shadow, /proc/<ppid>/environ, the worker's environ.
    stolen = _run(client, "steal", {"paths": secrets, "worker_pid": worker.pid}).result(timeout_s=60)
    assert len(stolen) == len(secrets) + 3
    for path, content in stolen.items():
        assert content.startswith("refused:"), (path, content[:80])

    # TCP to the broker, and registering as a worker with the stolen key.
    impostor = _run(client, "impostor", {"port": cluster.port, "url": cluster.url, "keys": str(keys)})
    outcome = impostor.result(timeout_s=60)
    assert outcome["tcp"].startswith("refused:") and outcome["register"].startswith("refused:"), outcome
    assert cluster.query("SELECT id FROM workers") == [("w1",)]

    # Writing outside its directory, deleting the worker's files (world-writable: only the sandbox guards them).
    outside = tmp_path / "outside"
    outside.mkdir()
    os.chmod(outside, 0o777)
    victim = outside / "worker-file"
    victim.write_text("the worker's")
    os.chmod(victim, 0o666)
    targets = [str(victim), str(keys / "w1.key_secret"), str(cluster.store)]
    scratch = f"qirrt-test-{uuid.uuid4().hex}"
    vandal = _run(client, "vandal", {"dir": str(outside), "delete": targets, "scratch": scratch}).result(timeout_s=60)
    assert all(v.startswith("refused:") for k, v in vandal.items()), vandal
    assert sorted(os.listdir(outside)) == ["worker-file"] and victim.read_text() == "the worker's"
    assert all(Path(t).exists() for t in targets)
    assert not Path("/tmp", scratch).exists()  # its /tmp was its own

    # Killing the worker, its parent, everything it may signal: the worker lives, the job ends normally.
    killed = _run(client, "parricide", {"worker_pid": worker.pid}, max_attempts=3).result(timeout_s=60)
    assert killed["worker"].startswith("refused:"), killed
    assert worker.alive()

    # A workload that dies is its job's failure, reported with a reason, not retried, the worker unharmed.
    crash = _run(client, "suicide", {}, max_attempts=3)
    with pytest.raises(ExecutionError, match="killed by SIGKILL"):
        crash.result(timeout_s=60)
    assert crash.status()["state"] == "failed" and crash.status()["attempt"] == 1
    assert client.submit(BELL_IR, shots=7).result(timeout_s=30).shots == 7
    assert worker.alive()
    assert cluster.query("SELECT registrations, state FROM workers WHERE id='w1'") == [(1, "up")]


def test_killing_workloads_take_down_no_worker(secure):
    """The attack's finale: with max_attempts=3, one job took down 3 workers in 4 s."""
    _needs("pid")
    cluster, first, _keys, client = secure
    second = cluster.start_worker(name="w2", key_name="w2")
    cluster.wait_workers(2)
    jobs = [_run(client, "parricide", {"worker_pid": pid}, max_attempts=3) for pid in (first.pid, second.pid) * 2]
    for job in jobs:
        assert job.result(timeout_s=60)["worker"].startswith("refused:")
        assert job.status()["attempt"] == 1
    assert first.alive() and second.alive()
    assert sorted(cluster.query("SELECT id, registrations, state FROM workers")) == [(f"w{i}", 1, "up") for i in (1, 2)]


def test_sandbox_has_its_own_writable_tmp_and_a_read_only_interpreter(tmp_path):
    _needs("mount")
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import os, sys\n"
        "from qirrt.executors.distributed.workload import RuntimeWorkerBase\n"
        "class Probe(RuntimeWorkerBase):\n"
        "    def run(self):\n"
        "        open('/tmp/t', 'w').write('t'); open('here', 'w').write('h')\n"
        "        try:\n"
        "            open(os.path.join(os.path.dirname(sys.executable), 'x'), 'w'); ro = False\n"
        "        except OSError:\n"
        "            ro = True\n"
        "        import numpy, qirrt\n"
        "        return {'uid': os.getuid(), 'cwd': os.getcwd(), 'ro': ro, 'qirrt': qirrt.__file__,\n"
        "                'root': sorted(os.listdir('/'))}\n")
    value = run_sandboxed(discover(probe), limits=LIMITS)["value"]
    assert value["uid"] not in (0, os.geteuid()) or detect().user_namespace
    assert value["cwd"] == "/job" and value["ro"] is True
    assert value["qirrt"].startswith(str(ROOT))  # the worker's own qirrt, read-only
    assert "home" not in value["root"] and "var" not in value["root"]


def test_network_only_when_the_job_asks_and_the_operator_allows(tmp_path):
    import socket

    found = _needs("net")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        bundle = discover(HERE / "impostor.py")
        bundle["inputs"] = {"port": listener.getsockname()[1], "url": "tcp://127.0.0.1:1", "keys": str(tmp_path)}
        closed = run_sandboxed(bundle, limits=LIMITS, isolation=found)["value"]
        assert closed["tcp"].startswith("refused:")
        with pytest.raises(WorkloadError, match="--workload-network"):
            run_sandboxed(bundle, limits=LIMITS, isolation=found, network=True)
        allowed = Isolation(found.user, found.uid, found.gid, found.namespaces, found.missing, network_allowed=True)
        assert run_sandboxed(bundle, limits=LIMITS, isolation=allowed)["value"]["tcp"].startswith("refused:")
        opened = run_sandboxed(bundle, limits=LIMITS, isolation=allowed, network=True)["value"]
        assert opened["tcp"] == "connected"


def test_check_sandbox_prints_what_is_isolated(tmp_path):
    _needs("mount", "pid", "net", "ipc", "uts")
    keys = tmp_path / "keys"
    security.generate(keys, users=("alice",), workers=("w1",))
    out = subprocess.run([sys.executable, "-m", "qirrt.cli", "worker", "--check-sandbox", "--keys", str(keys)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["property", "isolated", "how"]
    rows = {line[:line.index("  ")]: line for line in lines[2:]}
    for what in ("separate user", "read /etc/shadow", f"read {keys / 'server.key_secret'}",
                 "read the worker's environment", "signal the worker", "TCP to 127.0.0.1 (the broker)",
                 "write outside /job and /tmp", "write the interpreter or qirrt"):
        assert what in rows and " yes " in rows[what], rows.get(what)


def test_a_missing_namespace_is_reported_not_hidden():
    found = _needs("mount", "pid")
    weaker = Isolation(found.user, found.uid, found.gid, tuple(ns for ns in found.namespaces if ns != "net"),
                       {**found.missing, "net": "switched off by this test"})
    assert any("no net namespace" in line and "broker" in line for line in weaker.warnings())
    rows = {row.what: row for row in check(weaker, limits=LIMITS)}
    network = rows["TCP to 127.0.0.1 (the broker)"]
    assert not network.isolated and "switched off by this test" in network.how
    assert rows["signal the worker"].isolated and rows["read /etc/shadow"].isolated


def test_workloads_are_refused_where_no_separate_user_is_possible(monkeypatch):
    monkeypatch.setattr(isolation.os, "geteuid", lambda: 4242)
    monkeypatch.setattr(isolation, "_probe_namespaces",
                        lambda names: {n: "unshare(CLONE_NEWUSER): Operation not permitted" for n in names})
    refused = isolation._detect(False)
    assert refused.refused and "cannot create a user namespace" in refused.refused and "root" in refused.refused
    with pytest.raises(WorkloadError, match="this worker cannot run workloads: the worker runs as uid 4242"):
        run_sandboxed(discover(HERE / "benign.py"), isolation=refused)


def test_user_namespace_mode_leaves_the_workload_no_capabilities(tmp_path):
    """An unprivileged worker's sandbox (exercised here from root): uid 0 of a user namespace with
    every capability dropped, so it can neither undo the mounts nor chroot out of its root."""
    found = _needs("mount", "pid")
    probe = tmp_path / "caps.py"
    probe.write_text(
        "import ctypes, os\n"
        "from qirrt.executors.distributed.workload import RuntimeWorkerBase\n"
        "class Caps(RuntimeWorkerBase):\n"
        "    def run(self):\n"
        "        status = dict(l.split(':\\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\\t' in l)\n"
        "        libc = ctypes.CDLL(None, use_errno=True)\n"
        "        umount = libc.umount2(b'/usr', 2), ctypes.get_errno()\n"
        "        chroot = libc.chroot(b'/tmp'), ctypes.get_errno()\n"
        "        return {k: status[k] for k in ('CapEff', 'CapPrm', 'CapBnd', 'CapAmb', 'NoNewPrivs')} | {\n"
        "            'umount': list(umount), 'chroot': list(chroot), 'pid': os.getpid()}\n")
    user_ns = Isolation("uid 0 of a user namespace", 0, 0, ("user", *found.namespaces), {})
    try:
        value = run_sandboxed(discover(probe), limits=LIMITS, isolation=user_ns)["value"]
    except WorkloadError as exc:
        if "unshare" in str(exc):
            pytest.skip(f"this machine refuses user namespaces: {exc}")
        raise
    assert {value[k] for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb")} == {"0000000000000000"}
    assert value["NoNewPrivs"] == "1" and value["pid"] == 2
    assert value["umount"] == [-1, 1] and value["chroot"] == [-1, 1]  # EPERM both


def test_a_worker_that_cannot_sandbox_does_not_offer_workloads(monkeypatch, caplog):
    from qirrt.executors.distributed import worker as worker_module

    lacking = Isolation(None, None, None, (), refused="the worker runs as uid 10001, not root, and cannot create "
                        "a user namespace")
    monkeypatch.setattr(worker_module.isolation, "detect", lambda network_allowed=False: lacking)
    with caplog.at_level("WARNING", logger=worker_module.__name__):
        worker = worker_module.Worker("tcp://127.0.0.1:1", "local", insecure_loopback=True)
    try:
        assert worker.capabilities["kinds"] == ["program"]  # the broker sends it no workload
        assert [r.getMessage() for r in caplog.records].count(
            f"worker {worker.name}: workloads are refused: {lacking.refused}") == 1
    finally:
        worker.close()
    rows = check(lacking)
    assert len(rows) == 1 and not rows[0].isolated and "refused" in rows[0].how


def test_a_sandbox_that_cannot_be_built_is_the_workers_fault_not_the_jobs(tmp_path):
    found = _needs("mount")
    broken = Isolation(found.user, found.uid, found.gid, (*found.namespaces, "no-such-namespace"), {})
    with pytest.raises(SandboxSetupError, match="could not build its sandbox") as caught:
        run_sandboxed(discover(HERE / "benign.py"), limits=LIMITS, isolation=broken)
    assert caught.value.permanent is False  # another worker may run it
    # A workload cannot forge that: exiting 125 with the words on stderr is its own failure.
    forger = tmp_path / "forger.py"
    forger.write_text("import os, sys\n"
                      "from qirrt.executors.distributed.workload import RuntimeWorkerBase\n"
                      "class Forger(RuntimeWorkerBase):\n"
                      "    def run(self):\n"
                      "        print('could not build its sandbox', file=sys.stderr); sys.stderr.flush()\n"
                      "        os._exit(125)\n")
    with pytest.raises(WorkloadError, match="exit code 125|the workload failed") as caught:
        run_sandboxed(discover(forger), limits=LIMITS, isolation=found)
    assert not isinstance(caught.value, SandboxSetupError) and caught.value.permanent


def test_without_a_mount_namespace_root_still_drops_to_the_sandbox_user(monkeypatch):
    """The old bug: the uid drop was skipped (workloads ran as root) when the interpreter was not
    world-readable. Now the worker either drops to qirrt-sandbox or refuses workloads, saying why."""
    found = _needs()
    if os.geteuid() != 0:
        pytest.skip("needs a worker running as root")
    monkeypatch.setattr(isolation, "_probe_namespaces", lambda names: {
        n: "unshare(CLONE_NEWNS): switched off by this test" if n == "mount" else None for n in names})
    degraded = isolation._detect(False)
    readable = all(isolation._world_accessible(Path(p)) for p in (
        sys.executable, isolation.sysconfig.get_paths()["stdlib"], *isolation.read_only_paths()))
    if not readable:
        assert degraded.refused and "not readable by qirrt-sandbox" in degraded.refused
        with pytest.raises(WorkloadError, match="cannot run workloads"):
            run_sandboxed(discover(HERE / "benign.py"), limits=LIMITS, isolation=degraded)
        return
    assert degraded.refused is None and "mount" not in degraded.namespaces
    bundle = discover(HERE / "benign.py")
    bundle["inputs"] = {"n": 4}
    value = run_sandboxed(bundle, limits=LIMITS, isolation=degraded)["value"]
    assert value["uid"] == found.uid != 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.one_of(st.text(max_size=40), st.lists(st.sampled_from(["..", ".", "a", "/", "b.py", "\x00", "~"]),
                                                     max_size=6).map("/".join)))
def test_shipped_file_names_never_land_outside_the_job_folder(tmp_path, name):
    import shutil

    from qirrt.executors.distributed.workload import _write_job

    job = tmp_path / "job"
    shutil.rmtree(job, ignore_errors=True)
    job.mkdir()
    before = set(tmp_path.rglob("*"))
    try:
        _write_job({"files": {name: "x = 1\n"}}, job)
    except (WorkloadError, ValueError, OSError):  # ValueError: an embedded NUL
        pass
    for path in set(tmp_path.rglob("*")) - before:
        assert job in path.parents
