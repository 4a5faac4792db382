"""Issue 15, loopback check bypass: endpoints are parsed strictly and the bound address is checked."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest
import zmq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qirrt.errors import QirrtError
from qirrt.executors.distributed import endpoint, security
from qirrt.executors.distributed.endpoint import Endpoint, EndpointError
from tests.executors.distributed.helpers import ROOT, free_port, wait_until

pytestmark = pytest.mark.timeout(120)

# Pieces an attacker combines: ZeroMQ's source;destination and interface@ forms, shorthand and
# numeric IPv4, wildcard hosts, odd ports and schemes.
FRAGMENTS = ["tcp://", "ipc://", "inproc://", "udp://", "TCP://", "tcp:/", "127.0.0.1", "0.0.0.0", "127.1",
             "2130706433", "0x7f000001", "127.0.0.2", "192.0.2.1", "localhost", "lo", "*", "[::1]", "[::]",
             "::1", "[::ffff:127.0.0.1]", "[::ffff:0.0.0.0]", ";", "@", ":", "/", " ", "%", "\n", "\x00",
             ":0", ":*", ":1", ":65535", ":65536", ":+5", ":-1", ":00", "/tmp/qirrt-test-ipc", "name"]
endpoint_strings = st.one_of(st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join),
                             st.text(max_size=40))


@settings(max_examples=1000, deadline=None)
@given(endpoint_strings, st.booleans())
def test_parse_accepts_only_plain_endpoints(url, bind):
    try:
        parsed = endpoint.parse(url, bind=bind)
    except EndpointError:
        return
    assert url == str(parsed) or parsed.scheme == "tcp"  # tcp is canonicalised (case, IPv6 spelling)
    assert endpoint.parse(str(parsed), bind=bind) == parsed  # a fixed point
    if parsed.scheme == "tcp":
        assert not set(";@ \t\n\x00") & set(parsed.host)
        assert parsed.port is None or 1 <= parsed.port <= 65535
        assert bind or (parsed.port is not None and parsed.host != "*")


@pytest.fixture(scope="module")
def context():
    ctx = zmq.Context()
    yield ctx
    ctx.destroy(linger=0)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(url=endpoint_strings)
@example(url="tcp://127.0.0.1:0").via("loopback")
@example(url="tcp://[::1]:*").via("IPv6 loopback")
@example(url="tcp://localhost:0").via("localhost")
@example(url="tcp://127.0.0.1:1;0.0.0.0:0").via("the issue's source;destination bypass")
@example(url="tcp://0.0.0.0@127.0.0.1:0").via("the issue's @ form")
@example(url="tcp://lo:0").via("an interface name")
def test_insecure_bind_listens_on_loopback_or_refuses(context, url):
    """Whatever the string, an insecure bind ends in a qirrt error or a socket bound to loopback;
    never a raw ZMQError, never anything else listening."""
    if url.startswith("ipc://"):
        url = "ipc:///tmp/qirrt-test-ipc"  # one path, nothing scattered over the disk
    sock = context.socket(zmq.ROUTER)
    sock.linger = 0
    try:
        try:
            security.require_secure_or_loopback(url, keys=None, insecure_loopback=True, what="test", bind=True)
            bound = security.bind(sock, url, insecure_loopback=True, what="test")
        except QirrtError:
            return
        assert endpoint.parse(bound, bind=True).is_loopback
        assert bound == sock.getsockopt_string(zmq.LAST_ENDPOINT)
    finally:
        sock.close(0)


def test_bind_checks_the_address_zeromq_bound(context, monkeypatch):
    """Defence in depth: even if a URL passed the parser, a non-loopback LAST_ENDPOINT is unbound and
    refused before the socket serves anything."""
    sock = context.socket(zmq.ROUTER)
    sock.linger = 0
    port = free_port()
    real_parse, calls = endpoint.parse, []

    def lying_parse(url, bind=False):  # the pre-bind parse is fooled; the check of LAST_ENDPOINT is not
        calls.append(url)
        return Endpoint("tcp", "127.0.0.1", port) if len(calls) == 1 else real_parse(url, bind=bind)

    monkeypatch.setattr(endpoint, "parse", lying_parse)
    try:
        with pytest.raises(security.SecurityError, match=re.escape(f"listen on tcp://0.0.0.0:{port}, which is "
                                                                   "not a loopback address")):
            security.bind(sock, f"tcp://0.0.0.0:{port}", insecure_loopback=True, what="the broker")
    finally:
        sock.close(0)
    def port_free() -> bool:  # ZeroMQ unbinds in its I/O thread: give it a moment
        with socket.socket() as probe:
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                return False
            return True

    wait_until(port_free, 10, f"port {port} free again: nothing listens there")


def test_bind_error_is_a_qirrt_error(context):
    taken = context.socket(zmq.ROUTER)
    taken.linger = 0
    url = f"tcp://127.0.0.1:{free_port()}"
    taken.bind(url)
    sock = context.socket(zmq.ROUTER)
    sock.linger = 0
    try:
        with pytest.raises(EndpointError, match=re.escape(f"the broker cannot listen on {url}: Address already "
                                                          "in use; pick another address or port")):
            security.bind(sock, url, insecure_loopback=True, what="the broker")
    finally:
        sock.close(0)
        taken.close(0)


@pytest.mark.parametrize("url, message", [
    ("tcp://127.0.0.1:1;0.0.0.0:{port}", "ZeroMQ reads 'A;B' as source A, destination B"),
    ("tcp://0.0.0.0@127.0.0.1:{port}", "an '@' (an interface or source address) is not accepted"),
    ("tcp://127.1:{port}", "'127.1' is not a dotted IPv4 address"),
    ("tcp://*:{port}", "allowed only on loopback addresses"),
])
def test_broker_cli_refuses_bypasses(tmp_path, url, message):
    """The two attacks from the issue, and their cousins, on the real `qirrt broker` process."""
    port = free_port()
    done = subprocess.run([sys.executable, "-m", "qirrt.cli", "broker", "--bind", url.format(port=port),
                           "--insecure-loopback", "--store", str(tmp_path / "s.db")],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
    assert message in done.stderr
    assert "listening" not in done.stdout
    with socket.socket() as probe:  # nothing was left listening on any interface
        probe.bind(("0.0.0.0", port))


def test_clients_and_workers_refuse_bypasses_too():
    from qirrt.executors.distributed import connect

    with pytest.raises(EndpointError, match="ZeroMQ reads 'A;B'"):
        connect("tcp://127.0.0.1:1;10.0.0.1:5555", insecure_loopback=True)
    with pytest.raises(security.SecurityError, match="allowed only on loopback"):
        connect("tcp://192.0.2.1:5555", insecure_loopback=True)
    assert security.is_loopback("tcp://[::1]:5") and security.is_loopback("tcp://localhost:5")
    assert not security.is_loopback("tcp://127.0.0.1:1;0.0.0.0:5")
