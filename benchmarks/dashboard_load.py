"""The broker's job round trip, idle and while 50 HTTP clients poll the dashboard's job list.

Three processes on loopback: `qirrt broker`, `qirrt worker --executor local` and `qirrt dashboard` on the
broker's store (read-only). A `Client` runs a small job (examples/bell.qasm, 100 shots) at a time,
submit → result (`Client.run`), first with the dashboard idle, then while a fourth process keeps 50
concurrent HTTP clients (asyncio + httpx, each with its token) polling ``GET /api/v1/jobs?limit=50``,
every `--poll-interval-s` (0 = as fast as the dashboard answers).

Goal (issue 20): the round trip under load stays within 2× of idle (the median). Prints a table, then one
JSON line with the ratios and the pollers' request rate.

    python benchmarks/dashboard_load.py           # 400 round trips each, 0.2 s polling interval
    python benchmarks/dashboard_load.py --quick   # 100 round trips each

Measured with --quick (2026-12-03, a 2-core machine shared with other work): idle p50 1.1-1.2 ms; loaded p50
ratio 0.75-1.43, mean ratio 1.14-2.46 (the mean carries the pollers' CPU share: broker, worker, dashboard and
pollers all run on the same two cores); the dashboard answered 140-226 job lists per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _peers import emit

ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(args: list[str], ready: str, timeout_s: float = 60.0) -> subprocess.Popen:
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + timeout_s
    for line in proc.stdout:
        if ready in line:
            return proc
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit(f"{' '.join(args[:4])} did not start")


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _round_trips(client, program, count: int) -> list[float]:
    times = []
    for i in range(count):
        start = time.perf_counter()
        client.run(program, shots=100, seed=i, timeout_s=60)
        times.append(time.perf_counter() - start)
    return times


async def _poll(base: str, token: str, clients: int, interval_s: float, duration_s: float) -> None:
    import httpx

    done = 0
    failed = 0

    async def one(http) -> None:
        nonlocal done, failed
        end = time.monotonic() + duration_s
        while time.monotonic() < end:
            reply = await http.get("/api/v1/jobs", params={"limit": 50})
            done, failed = done + (reply.status_code == 200), failed + (reply.status_code != 200)
            if interval_s:
                await asyncio.sleep(interval_s)

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                 limits=limits) as http:
        start = time.monotonic()
        await asyncio.gather(*(one(http) for _ in range(clients)))
        elapsed = time.monotonic() - start
    print(f"{done} {failed} {elapsed}", flush=True)


def _row(name: str, times: list[float]) -> dict:
    ordered = sorted(times)
    row = {"p50_ms": 1000 * statistics.median(ordered), "mean_ms": 1000 * statistics.fmean(ordered),
           "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]}
    print(f"{name:<28} {row['p50_ms']:>9.2f} {row['mean_ms']:>9.2f} {row['p99_ms']:>9.2f}")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--poll-interval-s", type=float, default=0.2)
    parser.add_argument("--poller", nargs=3, metavar=("BASE", "TOKEN", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.poller:
        base, token, seconds = args.poller
        asyncio.run(_poll(base, token, args.clients, args.poll_interval_s, float(seconds)))
        return

    import qirrt
    from qirrt.api.http.tokens import TokenStore
    from qirrt.executors.distributed.client import connect

    samples = 100 if args.quick else 400
    tmp = Path(tempfile.mkdtemp(prefix="qirrt-dashboard-load-"))
    store, tokens = tmp / "broker.db", tmp / "tokens.sqlite3"
    token_store = TokenStore(tokens)
    token = token_store.issue("bench")
    token_store.close()
    url, http_port = f"tcp://127.0.0.1:{_port()}", _port()
    base = f"http://127.0.0.1:{http_port}"
    qirrt_cli = [sys.executable, "-m", "qirrt.cli"]
    procs = []
    try:
        procs.append(_spawn([*qirrt_cli, "broker", "--bind", url, "--store", str(store), "--insecure-loopback"],
                            "listening on"))
        procs.append(_spawn([*qirrt_cli, "worker", "--connect", url, "--executor", "local", "--insecure-loopback"],
                            "connecting to"))
        procs.append(_spawn([*qirrt_cli, "dashboard", "--store", str(store), "--connect", url, "--insecure-loopback",
                             "--bind", f"127.0.0.1:{http_port}", "--tokens", str(tokens)], "qirrt dashboard on"))
        program = qirrt.load(ROOT / "examples" / "bell.qasm")
        with connect(url, insecure_loopback=True, user="bench") as client:
            _round_trips(client, program, 20)  # warm: the worker compiles and caches the program
            print(f"{'round trip (submit→result)':<28} {'p50 ms':>9} {'mean ms':>9} {'p99 ms':>9}")
            idle = _row("idle", _round_trips(client, program, samples))
            # Enough polling time for the loaded samples: idle time per sample × 4, plus start-up.
            seconds = max(10.0, 4 * samples * idle["mean_ms"] / 1000 + 5)
            poller = subprocess.Popen([sys.executable, __file__, "--clients", str(args.clients), "--poll-interval-s",
                                       str(args.poll_interval_s), "--poller", base, token, str(seconds)],
                                      stdout=subprocess.PIPE, text=True, start_new_session=True)
            time.sleep(2.0)  # the pollers are up and polling
            loaded_times = _round_trips(client, program, samples)
            polling = poller.poll() is None
            loaded = _row(f"{args.clients} HTTP clients polling", loaded_times)
            out, _ = poller.communicate(timeout=seconds + 60)
        ok, failed, elapsed = out.split()
        rate = int(ok) / float(elapsed)
        print(f"pollers: {ok} job-list requests in {float(elapsed):.1f} s ({rate:.0f}/s), {failed} failed; "
              f"still polling at the last sample: {polling}")
        ratio = loaded["p50_ms"] / idle["p50_ms"]
        print(f"ratio (p50 loaded / idle): {ratio:.2f}  goal <= 2")
        emit({"benchmark": "dashboard_load", "clients": args.clients, "poll_interval_s": args.poll_interval_s,
              "samples": samples, "idle": idle, "loaded": loaded, "ratio_p50": ratio,
              "ratio_mean": loaded["mean_ms"] / idle["mean_ms"], "http_requests_per_s": rate,
              "http_failed": int(failed), "cpus": os.cpu_count()})
    finally:
        _stop(procs)


if __name__ == "__main__":
    main()
