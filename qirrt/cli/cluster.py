"""`qirrt broker`, `qirrt worker`, `qirrt submit`, `qirrt status`, `qirrt result` and `qirrt keys`."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import click

from qirrt.cli.common import user_errors
from qirrt.cli.http_options import listen_options


def listen_options_for_http(command):
    return listen_options(command, prefix="http-")

SECURITY_HELP = "Directory of CurveZMQ keys (see `qirrt keys generate`)."
LOOPBACK_HELP = "Run without keys; allowed only on a loopback address (127.0.0.0/8, ::1, ipc://)."


def _logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)


def scaled_clock(scale: float, origin: float | None):
    """A clock running `scale` times faster than real time from `origin` (tests of day-long jobs)."""
    if scale == 1.0:
        return time.time
    origin = time.time() if origin is None else origin
    return lambda: origin + (time.time() - origin) * scale


@click.command()
@click.option("--bind", default="tcp://127.0.0.1:5555", show_default=True, help="ZeroMQ address to listen on.")
@click.option("--store", "store_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file for jobs, sessions and workers (created if missing).")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False, path_type=Path), help=SECURITY_HELP)
@click.option("--insecure-loopback", is_flag=True, help=LOOPBACK_HELP)
@click.option("--heartbeat-interval-ms", default=1000, show_default=True, type=click.IntRange(10, 600_000))
@click.option("--heartbeat-liveness", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option("--max-attempts", default=5, show_default=True, type=click.IntRange(1, 1000),
              help="Default attempts per job before it fails.")
@click.option("--retry-backoff-s", default=0.1, show_default=True, type=float)
@click.option("--user-max-running", type=click.IntRange(1), help="Jobs one user may have running at once.")
@click.option("--user-rate", type=float, help="Jobs one user may submit per second (token bucket).")
@click.option("--user-max-queued", default=100_000, show_default=True, type=click.IntRange(1),
              help="Jobs one user may have queued at once; submissions past it are refused.")
@click.option("--user-max-queued-bytes", default=1 << 30, show_default=True, type=click.IntRange(1),
              help="Bytes of job specs (programs, params) one user may have queued at once.")
@click.option("--max-message-bytes", default=16 << 20, show_default=True, type=click.IntRange(1024),
              help="Largest message accepted (ZMQ_MAXMSGSIZE); libzmq drops a connection that sends more.")
@click.option("--peer-burst-bytes", default=64 << 20, show_default=True, type=click.IntRange(1),
              help="Bytes one client connection may send at once before its messages are refused.")
@click.option("--peer-bytes-per-s", default=float(16 << 20), show_default=True, type=click.FloatRange(min=1.0),
              help="Rate at which a client connection's byte budget refills.")
@click.option("--operator", "operators", multiple=True,
              help="A user allowed to reserve workers (repeatable); nobody else may reserve.")
@click.option("--max-reservation-s", default=86400.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Longest reservation an operator may make, in seconds.")
@click.option("--max-worker-deaths", default=2, show_default=True, type=click.IntRange(1),
              help="Workers that may die while running one job before it is failed as poisonous "
                   "(the first death marks it suspect and retries it).")
@click.option("--synchronous", type=click.Choice(["NORMAL", "FULL"]), default="NORMAL", show_default=True,
              help="SQLite durability: NORMAL survives process crashes, FULL power loss too.")
@click.option("--prices", "prices_path", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML price table (per task, shot, GPU-second; by lane, target or lane kind): each result "
                   "records its cost, clients estimate costs (see examples/prices.toml).")
@click.option("--clock-scale", default=1.0, type=float, hidden=True)
@click.option("--clock-origin", default=None, type=float, hidden=True)
@click.option("--http", "http_bind", metavar="HOST:PORT",
              help="Also serve the web dashboard and REST API here, on a thread of the broker's process "
                   "(see `qirrt dashboard`; tokens from --tokens).")
@click.option("--tokens", type=click.Path(dir_okay=False, path_type=Path),
              help="Tokens file for --http. Default: DIR/tokens.sqlite3 with --keys DIR, else beside the store.")
@listen_options_for_http
@click.option("-v", "--verbose", is_flag=True)
@user_errors
def broker(bind, store_path, keys_dir, insecure_loopback, heartbeat_interval_ms, heartbeat_liveness,
           max_attempts, retry_backoff_s, user_max_running, user_rate, user_max_queued, user_max_queued_bytes,
           max_message_bytes, peer_burst_bytes, peer_bytes_per_s, operators, max_reservation_s, max_worker_deaths,
           synchronous, prices_path, clock_scale, clock_origin, http_bind, tokens, tls_cert, tls_key, insecure_http,
           verbose):
    """Run the broker: a persistent job queue that workers register with and clients submit to."""
    import signal

    from qirrt.executors.distributed.broker import Broker
    from qirrt.executors.distributed.prices import load_prices

    prices = None if prices_path is None else load_prices(prices_path)  # a bad table fails before binding
    http = None
    if http_bind is not None:
        from qirrt.api.http.server import parse_listen

        http = parse_listen(http_bind, tls_cert=tls_cert, tls_key=tls_key, insecure=insecure_http, option="--http")
    _logging(verbose)
    server = Broker(bind, store_path, keys_dir=keys_dir, insecure_loopback=insecure_loopback,
                    clock=scaled_clock(clock_scale, clock_origin), heartbeat_interval_ms=heartbeat_interval_ms,
                    heartbeat_liveness=heartbeat_liveness, default_max_attempts=max_attempts,
                    retry_backoff_s=retry_backoff_s, user_max_running=user_max_running,
                    user_rate_per_s=user_rate, user_max_queued=user_max_queued,
                    user_max_queued_bytes=user_max_queued_bytes, max_message_bytes=max_message_bytes,
                    peer_burst_bytes=peer_burst_bytes, peer_bytes_per_s=peer_bytes_per_s, operators=operators,
                    max_reservation_s=max_reservation_s, max_worker_deaths=max_worker_deaths,
                    synchronous=synchronous, prices=prices)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    if http is not None:
        _serve_http(http, server.endpoint, store_path, keys_dir, insecure_loopback, tokens)
    click.echo(f"qirrt broker listening on {server.endpoint} (store {store_path}, "
               f"{'CurveZMQ' if keys_dir else 'insecure loopback'})")
    sys.stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        pass


def _serve_http(listen, endpoint: str, store_path: Path, keys_dir: Path | None, insecure_loopback: bool,
                tokens: Path | None) -> None:
    """`broker --http`: the dashboard on a thread of the broker's process, a client of the broker's own endpoint."""
    from qirrt.api.http.server import serve_in_thread
    from qirrt.api.http.tokens import TokenStore
    from qirrt.cli.http_options import settings_for
    from qirrt.device.calibration_store import default_store_path

    keys = _keys(keys_dir, None, "clients")
    settings = settings_for(store_path, endpoint, keys=keys, insecure_loopback=insecure_loopback, tokens=tokens,
                            keys_dir=keys_dir, calibrations=default_store_path())
    TokenStore(settings.tokens, create=False).close()  # no tokens file: say how to make one, as `dashboard` does
    _, listen = serve_in_thread(settings, listen)
    click.echo(f"qirrt dashboard on {listen.url} (tokens {settings.tokens})")


@click.command()
@click.option("--connect", "connect_url", default="tcp://127.0.0.1:5555", show_default=True)
@click.option("--executor", default="local", show_default=True,
              help="Executor plugin name (local, aer, cudaq, an adapter) or module:Class.")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False, path_type=Path), help=SECURITY_HELP)
@click.option("--key-name", metavar="NAME", help="Which key pair in --keys (default: the only worker key pair there).")
@click.option("--insecure-loopback", is_flag=True, help=LOOPBACK_HELP)
@click.option("--name", help="Worker name (default: host-pid-random).")
@click.option("--slots", default=1, show_default=True, type=click.IntRange(1, 1024), help="Jobs run at once.")
@click.option("--heartbeat-interval-ms", default=1000, show_default=True, type=click.IntRange(10, 600_000))
@click.option("--heartbeat-liveness", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option("--workload-memory-mb", default=2048, show_default=True, type=int)
@click.option("--workload-cpu-s", default=3600, show_default=True, type=int)
@click.option("--workload-wall-s", default=7200.0, show_default=True, type=float)
@click.option("--workload-nproc", default=64, show_default=True, type=int)
@click.option("--workload-network", is_flag=True,
              help="Let workloads whose job asks for the network (requires network) use the host's network.")
@click.option("--check-sandbox", is_flag=True,
              help="Run a probe workload that tries to escape, print what is and is not isolated, and exit "
                   "(exit code 1 when anything is not).")
@click.option("--spool", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file keeping finished results until the broker acknowledges them, across restarts "
                   "of this worker (it also keeps the worker's name).")
@click.option("--adapter", help="Make this worker a QPU lane: a hardware adapter and its device, such as "
                                 "emulated:FakeKolkata or qiskit-backend:FakeSherbrooke (instead of --executor).")
@click.option("--adapter-options", default="{}", show_default=True,
              help='JSON options for the adapter, e.g. \'{"seed": 3, "failure_rate": 0, "queue": {"latency_s": 0.1}}\'.')
@click.option("--queue-refresh-s", type=click.FloatRange(min=0.0, max=86400.0), default=15.0, show_default=True,
              help="How often a QPU lane re-reads its device's queue and tells the broker (0: only at registration).")
@click.option("-v", "--verbose", is_flag=True)
@user_errors
def worker(connect_url, executor, keys_dir, key_name, insecure_loopback, name, slots, heartbeat_interval_ms,
           heartbeat_liveness, workload_memory_mb, workload_cpu_s, workload_wall_s, workload_nproc,
           workload_network, check_sandbox, spool, adapter, adapter_options, queue_refresh_s, verbose):
    """Run a worker: register with the broker and run jobs through EXECUTOR (a simulator lane) or ADAPTER
    (a QPU lane)."""
    import json
    import signal

    _logging(verbose)
    executor_options = {}
    if adapter is not None:
        from qirrt.executors.registry import split_plugin_argument

        if split_plugin_argument(adapter)[0] is None:
            raise click.BadParameter(f"{adapter!r} is not ADAPTER:DEVICE with a registered adapter (emulated, "
                                     f"qiskit-backend)", param_hint="--adapter")
        try:
            executor_options = json.loads(adapter_options)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--adapter-options") from None
        if not isinstance(executor_options, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--adapter-options")
        executor = adapter
    keys = _keys(keys_dir, key_name, "workers")
    limits = {"memory_mb": workload_memory_mb, "cpu_s": workload_cpu_s, "wall_s": workload_wall_s,
              "nproc": workload_nproc}
    if check_sandbox:
        from qirrt.executors.distributed.isolation import detect
        from qirrt.executors.distributed.sandbox_check import check, render

        key_files = tuple(str(p) for p in sorted(keys_dir.rglob("*.key_secret"))) if keys_dir else ()
        rows = check(detect(workload_network), key_files=key_files, limits={**limits, "wall_s": 60.0})
        click.echo(render(rows))
        sys.exit(0 if all(row.isolated for row in rows) else 1)
    from qirrt.cli.progress import announce_cold_kernels
    from qirrt.executors.distributed.worker import Worker

    announce_cold_kernels(executor, "complex128", quiet=False)  # its first job compiles them
    server = Worker(connect_url, executor, name=name, keys=keys, insecure_loopback=insecure_loopback,
                    slots=slots, heartbeat_interval_ms=heartbeat_interval_ms,
                    heartbeat_liveness=heartbeat_liveness, workload_limits=limits,
                    workload_network=workload_network, spool=spool, executor_options=executor_options,
                    queue_refresh_s=queue_refresh_s)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    click.echo(f"qirrt worker {server.name} connecting to {connect_url} with executor {executor}")
    sys.stdout.flush()
    try:
        server.run()
    except KeyboardInterrupt:
        pass


CLIENT_TIMEOUT_S = 10.0
ROLE_OPTION = {"workers": "--worker", "clients": "--user"}


def _keys(keys_dir: Path | None, key_name: str | None, role: str):
    """The `keys` argument for a worker (`role` "workers") or client ("clients"): DIR and the key pair to use.

    Without --key-name, the one key pair in DIR allowlisted for `role` is used, so the folder that
    `qirrt keys generate DIR --user alice --worker w1` writes serves the broker, the worker and alice.
    """
    from qirrt.executors.distributed.security import SecurityError

    if keys_dir is None:
        if key_name:
            raise SecurityError(f"--key-name {key_name} needs --keys DIR, the folder holding {key_name}.key_secret")
        return None
    if key_name:
        return keys_dir, key_name
    mine = sorted(p.stem for p in (keys_dir / role).glob("*.key") if (keys_dir / f"{p.stem}.key_secret").exists())
    if len(mine) == 1:
        return keys_dir, mine[0]
    kind = role.removesuffix("s")
    if not mine:
        others = sorted(p.name.removesuffix(".key_secret") for p in keys_dir.glob("*.key_secret")
                        if p.name != "server.key_secret")
        if len(others) == 1:
            return keys_dir, others[0]
        raise SecurityError(f"{keys_dir} holds no {kind} key pair; make one with: qirrt keys generate {keys_dir} "
                            f"{ROLE_OPTION[role]} NAME")
    raise SecurityError(f"{keys_dir} holds {len(mine)} {kind} key pairs ({', '.join(mine)}); "
                        f"choose one with --key-name {mine[0]}")




def _client(url, keys_dir, key_name, insecure_loopback, timeout_s):
    from qirrt.executors.distributed.client import connect

    keys = _keys(keys_dir, key_name, "clients")
    return connect(url, keys=keys, insecure_loopback=insecure_loopback,
                   timeout_s=CLIENT_TIMEOUT_S if timeout_s is None else timeout_s)


def _client_options(command):
    command = click.option("--connect", "url", default="tcp://127.0.0.1:5555", show_default=True)(command)
    command = click.option("--keys", "keys_dir", type=click.Path(file_okay=False, path_type=Path),
                           help=SECURITY_HELP)(command)
    command = click.option("--key-name", metavar="NAME",
                           help="Which key pair in --keys (default: the only user key pair there).")(command)
    command = click.option("--insecure-loopback", is_flag=True, help=LOOPBACK_HELP)(command)
    command = click.option("--timeout-s", type=click.FloatRange(0, min_open=True),
                           help=f"Give up after this many seconds (exit code 2). Default: {CLIENT_TIMEOUT_S:g} s to "
                                f"reach the broker and for each answer; a job's result is waited for as long "
                                f"as it takes.")(command)
    return command


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@_client_options
@click.option("--shots", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--seed", type=int)
@click.option("--priority", default=0, type=int)
@click.option("--executor", help="Require a worker with this executor.")
@click.option("--wait", is_flag=True, help="Wait for the result and print it as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr while waiting.")
@user_errors
def submit(input_path, url, keys_dir, key_name, insecure_loopback, timeout_s, shots, seed, priority, executor,
           wait, quiet=False):
    """Submit INPUT (QIR, OpenQASM, Q#) to a broker; prints the job id."""
    from qirrt.cli.common import load_input

    program = load_input(input_path)
    with _client(url, keys_dir, key_name, insecure_loopback, timeout_s) as client:
        job = client.submit(program, shots=shots, seed=seed, priority=priority,
                            requires={"executor": executor} if executor else None)
        click.echo(job.id)
        if wait:
            result = _wait_for(client, job.id, timeout_s, quiet)
            click.echo(json.dumps(result.to_dict() if hasattr(result, "to_dict") else result, indent=2))


@click.command()
@click.argument("job_ids", nargs=-1)
@click.option("--workers", "show_workers", is_flag=True,
              help="Print the registered workers instead: name, lane, kind, slots, running, observed speed, "
                   "a QPU lane's device, queue depth, calibration epoch and adapter latency, and which two workers a "
                   "session would pair (session_pair: qpu / simulator) (JSON lines).")
@click.option("--session", "session_id", metavar="SESSION_ID",
              help="Print that session of yours instead: its jobs by state and their total cost (JSON).")
@_client_options
@user_errors
def status(job_ids, show_workers, session_id, url, keys_dir, key_name, insecure_loopback, timeout_s):
    """Print the state, progress, queue position and ETA of JOB_IDS as JSON lines (or, with --workers,
    the workers and their lanes and the co-located pair a session would use; with --session, a session's
    jobs and cost)."""
    if not job_ids and not show_workers and not session_id:
        raise click.UsageError("give JOB_IDS, --workers or --session SESSION_ID")
    with _client(url, keys_dir, key_name, insecure_loopback, timeout_s) as client:
        if session_id:
            click.echo(json.dumps(client.session_summary(session_id, timeout_s=timeout_s)))
        if show_workers:
            from qirrt.executors.distributed.colocate import choose_pair

            rows = client.workers(timeout_s=timeout_s)
            pair = choose_pair(rows) or {}  # the co-located simulator/QPU pair a session would pick now
            for row in rows:
                click.echo(json.dumps(_worker_row(row, pair)))
        for item in client.status(list(job_ids)) if job_ids else ():
            click.echo(json.dumps(item))


def _worker_row(row: dict, pair: dict) -> dict:
    """One line of `status --workers`: the worker, its lane's capabilities, and its role in `pair`."""
    caps = row["capabilities"]
    shown = {k: row[k] for k in ("name", "lane", "lane_kind", "slots", "running", "speed")}
    shown.update({k: caps[k] for k in ("target", "max_qubits", "gpu", "queue_depth", "queue_wait_s",
                                       "task_overhead_s", "shots_per_s", "adapter_latency_ms", "calibration_epoch",
                                       "coupling_hash", "host") if caps.get(k) is not None})
    for role in ("qpu", "simulator"):
        if pair.get(role) == row["name"]:
            shown["session_pair"] = role
            shown["same_host"] = pair["same_host"]
    return shown


@click.command()
@click.argument("job_id")
@_client_options
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr while waiting.")
@user_errors
def result(job_id, url, keys_dir, key_name, insecure_loopback, timeout_s, quiet=False):
    """Wait for JOB_ID's result and print it as JSON."""
    with _client(url, keys_dir, key_name, insecure_loopback, timeout_s) as client:
        outcome = _wait_for(client, job_id, timeout_s, quiet)
        click.echo(json.dumps(outcome.to_dict() if hasattr(outcome, "to_dict") else outcome, indent=2))


def _job_state(row: dict) -> str:
    """One job's status row in words: state, attempt, queue position, progress, ETA."""
    words = [row.get("state", "unknown")]
    if row.get("attempt", 1) > 1:
        words.append(f"attempt {row['attempt']}")
    if row.get("position") is not None:
        words.append(f"position {row['position']} in the queue")
    if row.get("state") == "running" and row.get("progress"):
        words.append(f"{100 * row['progress']:.0f}% done")
    if row.get("eta_s"):
        words.append(f"ETA {row['eta_s']:.0f} s")
    return ", ".join(words)


def _wait_for(client, job_id: str, timeout_s: float | None, quiet: bool):
    """The job's result, polling its status meanwhile for the progress line or bar (state, queue, ETA)."""
    from qirrt.cli.progress import Progress
    from qirrt.executors.distributed.store import FINAL_STATES

    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    pause_s = 0.05
    with Progress(f"job {job_id}", quiet=quiet) as progress:
        while deadline is None or time.monotonic() < deadline:
            row = client.status([job_id])[0]
            progress.describe(_job_state(row))
            if row.get("state") in FINAL_STATES or row.get("state") == "unknown":
                break
            time.sleep(pause_s if deadline is None else max(0.0, min(pause_s, deadline - time.monotonic())))
            pause_s = min(1.0, pause_s * 2)
        left = None if deadline is None else max(0.1, deadline - time.monotonic())
        return client.result(job_id, timeout_s=left)


@click.group()
def keys():
    """CurveZMQ key pairs for the broker, its users and its workers."""


@keys.command("generate")
@click.argument("keys_dir", metavar="DIR", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--user", "users", multiple=True, help="A user key pair to make and allowlist (repeatable).")
@click.option("--worker", "workers", multiple=True, help="A worker key pair to make and allowlist (repeatable).")
@click.option("--token", is_flag=True, help="Make a dashboard/HTTP API bearer token for each --user instead; "
                                            "it is printed once and only its hash is kept.")
@click.option("--operator", is_flag=True, help="With --token: the users may see and cancel every user's jobs.")
@click.option("--tokens", "tokens_path", type=click.Path(dir_okay=False, path_type=Path),
              help="With --token: the tokens file. Default: DIR/tokens.sqlite3, or ./tokens.sqlite3 without DIR.")
@user_errors
def generate(keys_dir, users, workers, token, operator, tokens_path):
    """Make DIR/server.key(_secret) and key pairs for users and workers, allowlisted in DIR/clients
    and DIR/workers. Give each user their .key_secret and a copy of server.key.

    With --token, make a bearer token per --user for `qirrt dashboard` (and `qirrt broker --http`) instead,
    printed as `USER: TOKEN`."""
    from qirrt.executors.distributed.security import generate as make

    if token or operator or tokens_path:
        _generate_tokens(keys_dir, users, workers, token, operator, tokens_path)
        return
    if keys_dir is None:
        raise click.UsageError("give DIR, the folder for the key pairs (or --token for a bearer token)")

    made = make(keys_dir, users=tuple(users) or ("client",), workers=tuple(workers) or ("worker",))
    for name, path in made.items():
        click.echo(f"{name}: {path}")


def _generate_tokens(keys_dir, users, workers, token, operator, tokens_path) -> None:
    from qirrt.api.http.tokens import TokenStore

    if not token:
        raise click.UsageError("--operator and --tokens go with --token")
    if workers or not users:
        raise click.UsageError("--token makes tokens for users: give --user NAME (and no --worker)")
    path = tokens_path or (keys_dir / "tokens.sqlite3" if keys_dir is not None else Path("tokens.sqlite3"))
    path.parent.mkdir(parents=True, exist_ok=True)
    store = TokenStore(path)
    try:
        for user in users:
            click.echo(f"{user}: {store.issue(user, operator=operator)}")
    finally:
        store.close()
    click.echo(f"tokens kept hashed in {path}; each token is shown only now", err=True)


COMMANDS = (broker, worker, submit, status, result, keys)
