"""Dispatch overhead and throughput of the distributed runtime against a bare ZeroMQ round trip.

All in one run, on loopback, every server in its own process.

Headline — as deployments run it: CurveZMQ on (keys made by `qirrt keys generate`, the same for the
bare round trip), workers running the real local executor (`--executor local`, the worker's normal
thread hand-off to its pool) on a real QIR program (`examples/bell.qasm` lowered to QIR, 100 shots;
the worker parses it and JITs it once, then finds it in its program cache like any repeated job):

* bare round trip   a CurveZMQ DEALER sends a small message to a CurveZMQ ROUTER echo process
* dispatch latency  one job at a time: submit, broker commits (SQLite) and dispatches, the worker's
                    pool thread runs the program, the result comes back; overhead = latency − bare
* throughput        N jobs submitted in batches and waited for, with 1 and 2 workers (persisted jobs/s)

The local executor's own run of the program (in-process, warm) is printed beside, for scale.
Second rows, named as such: the inline echo path (echo executor run on the worker's loop, no thread
hand-off, no simulation, no keys) — the runtime's floor.

Goals (issue 7 / 18): p50 overhead <= 0.5 ms, p99 <= 2 ms, >= 2,000 persisted jobs/s with 2 workers —
judged on the headline rows. Prints a table, then one JSON line.

    python benchmarks/dispatch.py           # 2,000 latency samples, 10,000 jobs per throughput run
    python benchmarks/dispatch.py --quick   # 300 samples, 2,000 jobs

Earlier full runs of the echo path alone (2026-11-26, shared 2-core machine): overhead p50 0.42–0.44 ms,
p99 0.71–0.87 ms, 2 workers 6,580–7,380 jobs/s. The p99 follows the machine's load.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import zmq
import zmq.auth

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _peers import emit

ROOT = Path(__file__).resolve().parents[1]
SMALL_PROGRAM = "; a small job: the echo executor never parses it\n"
ECHO_EXECUTOR = "benchmarks.dispatch:EchoExecutor"


class EchoExecutor:
    """Answers at once in the worker's loop: the job costs nothing but its dispatch."""

    wants_program_text = True
    runs_inline = True

    def run_job(self, program, spec, context):
        return {"counts": {"0": spec["shots"]}, "shots": spec["shots"]}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(args: list[str], ready: str) -> subprocess.Popen:
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 30
    for line in proc.stdout:
        if ready in line:
            break
        if time.monotonic() > deadline:
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


ECHO_SERVER = """
import sys, zmq, zmq.auth
ctx = zmq.Context()
s = ctx.socket(zmq.ROUTER)
if len(sys.argv) > 2:  # CurveZMQ: the server key pair
    s.curve_publickey, s.curve_secretkey = zmq.auth.load_certificate(sys.argv[2])
    s.curve_server = True
s.bind(sys.argv[1])
print("echo ready", flush=True)
while True:
    s.send_multipart(s.recv_multipart())
"""


def make_keys(folder: str) -> str:
    """CurveZMQ keys for the broker, a user `bench` and workers w1, w2 (`qirrt keys generate`)."""
    keys = os.path.join(folder, "keys")
    subprocess.run([sys.executable, "-m", "qirrt.cli", "keys", "generate", keys, "--user", "bench",
                    "--worker", "w1", "--worker", "w2"], cwd=ROOT, check=True, capture_output=True)
    return keys


def bare_round_trip(samples: int, keys: str | None = None) -> list[float]:
    url = f"tcp://127.0.0.1:{_port()}"
    server_args = [os.path.join(keys, "server.key_secret")] if keys else []
    server = _spawn([sys.executable, "-c", ECHO_SERVER, url, *server_args], "echo ready")
    try:
        sock = zmq.Context.instance().socket(zmq.DEALER)
        sock.linger = 0
        if keys:
            sock.curve_serverkey, _ = zmq.auth.load_certificate(os.path.join(keys, "server.key"))
            sock.curve_publickey, sock.curve_secretkey = zmq.curve_keypair()
        sock.connect(url)
        body = [b"QRTC01", b"\x11", b"x" * 120]
        for _ in range(200):  # warm up
            sock.send_multipart(body)
            sock.recv_multipart()
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            sock.send_multipart(body)
            sock.recv_multipart()
            times.append(time.perf_counter() - start)
        sock.close(0)
        return times
    finally:
        _stop(server)


class Cluster:
    """A broker and `workers` worker processes; with `keys`, CurveZMQ everywhere (worker i uses key w<i>)."""

    def __init__(self, workers: int, slots: int, executor: str, keys: str | None):
        self.tmp = tempfile.TemporaryDirectory(prefix="qirrt-bench-")
        self.url = f"tcp://127.0.0.1:{_port()}"
        self.keys = keys
        python = [sys.executable, "-m", "qirrt.cli"]
        security = ["--keys", keys] if keys else ["--insecure-loopback"]
        self.procs = [_spawn(python + ["broker", "--bind", self.url, "--store", f"{self.tmp.name}/b.db", *security],
                             "listening on")]
        for index in range(workers):
            named = ["--key-name", f"w{index + 1}"] if keys else []
            self.procs.append(_spawn(python + ["worker", "--connect", self.url, "--executor", executor, *security,
                                               *named, "--slots", str(slots)], "connecting to"))

    def client(self):
        import qirrt.executors.distributed as dist

        if self.keys:
            return dist.connect(self.url, keys=(self.keys, "bench"), timeout_s=60)
        return dist.connect(self.url, insecure_loopback=True, user="bench", timeout_s=60)

    def close(self) -> None:
        for proc in self.procs:
            _stop(proc)
        self.tmp.cleanup()


@dataclass(frozen=True)
class Setup:
    """One way of running the jobs: which executor, which program, which shots, keys or not."""

    name: str
    executor: str
    program: str
    shots: int
    keys: str | None


def dispatch_latency(setup: Setup, samples: int) -> list[float]:
    cluster = Cluster(workers=1, slots=1, executor=setup.executor, keys=setup.keys)
    try:
        client = cluster.client()
        for _ in range(100):  # warm up (and wait for the worker to register; the first job JITs the program)
            client.run(setup.program, shots=setup.shots)
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            client.run(setup.program, shots=setup.shots)
            times.append(time.perf_counter() - start)
        client.close()
        return times
    finally:
        cluster.close()


def throughput(setup: Setup, workers: int, jobs: int, batch: int = 500) -> float:
    cluster = Cluster(workers=workers, slots=32, executor=setup.executor, keys=setup.keys)
    try:
        client = cluster.client()
        client.run(setup.program, shots=setup.shots)
        time.sleep(0.3)  # let every worker register
        for _ in range(workers * 4):  # every worker sees (parses, JITs) the program before the clock starts
            client.run(setup.program, shots=setup.shots)
        start = time.perf_counter()
        pending = []
        for offset in range(0, jobs, batch):
            pending += client.submit_many([setup.program] * min(batch, jobs - offset), shots=setup.shots)
        results = client.results(pending, timeout_s=600)
        elapsed = time.perf_counter() - start
        bad = [r for r in results if getattr(r, "shots", setup.shots) != setup.shots]
        if bad:
            raise RuntimeError(f"{len(bad)} results with the wrong shot count")
        client.close()
        return jobs / elapsed
    finally:
        cluster.close()


def local_run_time(program: str, shots: int, repeats: int = 200) -> float:
    """Median in-process time of `LocalExecutor.run` on the (loaded, compiled) program."""
    import qirrt
    from qirrt.executors.local.executor import LocalExecutor

    loaded, executor = qirrt.load(program), LocalExecutor()
    executor.run(loaded, shots=shots)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        executor.run(loaded, shots=shots)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def bell_qir() -> str:
    import qirrt

    return qirrt.load(ROOT / "examples" / "bell.qasm").ir


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(setup: Setup, samples: int, jobs: int) -> dict:
    bare = bare_round_trip(samples, setup.keys)
    latency = dispatch_latency(setup, samples)
    rates = {n: throughput(setup, n, jobs) for n in (1, 2)}
    ms = 1000.0
    figures = {"bare_p50_ms": _percentile(bare, 0.5) * ms, "bare_p99_ms": _percentile(bare, 0.99) * ms,
               "job_p50_ms": _percentile(latency, 0.5) * ms, "job_p99_ms": _percentile(latency, 0.99) * ms}
    figures["overhead_p50_ms"] = figures["job_p50_ms"] - figures["bare_p50_ms"]
    figures["overhead_p99_ms"] = figures["job_p99_ms"] - figures["bare_p99_ms"]
    figures["jobs_per_s_1_worker"] = rates[1]
    figures["jobs_per_s_2_workers"] = rates[2]
    figures["goals_met"] = {"overhead_p50": figures["overhead_p50_ms"] <= 0.5,
                            "overhead_p99": figures["overhead_p99_ms"] <= 2.0,
                            "throughput_2_workers": rates[2] >= 2000}
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples and jobs")
    parser.add_argument("--shots", type=int, default=100, help="shots of the headline's real program")
    parser.add_argument("--skip-echo", action="store_true", help="headline rows only")
    args = parser.parse_args(argv)
    samples, jobs = (300, 2000) if args.quick else (2000, 10000)

    with tempfile.TemporaryDirectory(prefix="qirrt-bench-keys-") as folder:
        keys = make_keys(folder)
        program = bell_qir()
        setups = [Setup("local executor, bell QIR, CurveZMQ, thread hand-off (headline)", "local", program,
                        args.shots, keys)]
        if not args.skip_echo:
            setups.append(Setup("echo executor, inline on the worker loop, no keys (floor)", ECHO_EXECUTOR,
                                SMALL_PROGRAM, 1, None))
        results = {setup.name: measure(setup, samples, jobs) for setup in setups}
    run_ms = local_run_time(program, args.shots) * 1000.0
    print(f"{'setup / measure':<40}{'p50 ms':>10}{'p99 ms':>10}")
    for name, f in results.items():
        print(name)
        print(f"  {'bare DEALER/ROUTER round trip':<38}{f['bare_p50_ms']:>10.3f}{f['bare_p99_ms']:>10.3f}")
        print(f"  {'one job, end to end':<38}{f['job_p50_ms']:>10.3f}{f['job_p99_ms']:>10.3f}")
        print(f"  {'dispatch overhead (goal .5 / 2)':<38}{f['overhead_p50_ms']:>10.3f}{f['overhead_p99_ms']:>10.3f}")
        print(f"  {'throughput, 1 worker':<38}{f['jobs_per_s_1_worker']:>10.0f} jobs/s")
        print(f"  {'throughput, 2 workers (goal 2000)':<38}{f['jobs_per_s_2_workers']:>10.0f} jobs/s")
    print(f"local executor's own run of the program, in-process, warm (p50): {run_ms:.3f} ms; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (latency follows it)")
    headline = results[setups[0].name]
    line = {"benchmark": "dispatch", "samples": samples, "jobs": jobs, "cpus": os.cpu_count(),
            "python": platform.python_version(), "zmq": zmq.zmq_version(), "headline": setups[0].name,
            "load_average_1min": os.getloadavg()[0],
            **headline, "local_run_p50_ms": run_ms,
            "rows": {name: figures for name, figures in results.items()}}
    return emit(line)


if __name__ == "__main__":
    main()
