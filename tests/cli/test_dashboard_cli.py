"""`qirrt keys generate --token`, and `qirrt dashboard` refusing a public address without TLS (exit 2, one line)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from click.testing import CliRunner

from qirrt.cli.app import main


def test_keys_generate_token_prints_it_once_and_keeps_only_its_hash(tmp_path):
    path = tmp_path / "tokens.sqlite3"
    result = CliRunner().invoke(main, ["keys", "generate", "--token", "--user", "alice", "--user", "ops",
                                       "--operator", "--tokens", str(path)])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert set(lines) == {"alice", "ops"} and all(t.startswith("qirrt_") for t in lines.values())
    stored = sqlite3.connect(path).execute("SELECT hash, user, operator FROM tokens").fetchall()
    assert {u for _, u, _ in stored} == {"alice", "ops"} and all(o == 1 for *_, o in stored)
    blob = path.read_bytes()
    assert not any(t.encode() in blob for t in lines.values())  # only hashes are kept
    from qirrt.api.http.tokens import TokenStore

    store = TokenStore(path)
    assert store.check(lines["alice"]).user == "alice" and store.check(lines["alice"]).operator
    assert store.check(lines["alice"] + "x") is None
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_keys_generate_token_into_the_keys_folder_and_bad_names(tmp_path):
    result = CliRunner().invoke(main, ["keys", "generate", str(tmp_path / "keys"), "--token", "--user", "bob"])
    assert result.exit_code == 0 and (tmp_path / "keys" / "tokens.sqlite3").is_file()
    bad = CliRunner().invoke(main, ["keys", "generate", "--token", "--user", "no spaces",
                                    "--tokens", str(tmp_path / "t.sqlite3")])
    assert bad.exit_code == 2 and "not allowed" in bad.stderr
    assert CliRunner().invoke(main, ["keys", "generate", "--token"]).exit_code == 2  # no --user


@pytest.mark.parametrize(("args", "message"), [
    (["--bind", "0.0.0.0:8080"], "not a loopback address"),
    (["--bind", "0.0.0.0:8080", "--tls-cert", "c.pem"], "both --tls-cert and --tls-key"),
    (["--bind", "nonsense"], "is not HOST:PORT"),
])
def test_dashboard_refuses_a_public_address_without_tls(tmp_path, args, message):
    process = subprocess.run([sys.executable, "-m", "qirrt.cli", "dashboard", "--store", str(tmp_path / "b.db"),
                              "--insecure-loopback", *args], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False)
    assert process.returncode == 2
    assert process.stderr.count("\n") == 1 and message in process.stderr and "Traceback" not in process.stderr


def test_broker_http_refuses_a_public_address_without_tls(tmp_path):
    process = subprocess.run([sys.executable, "-m", "qirrt.cli", "broker", "--store", str(tmp_path / "b.db"),
                              "--insecure-loopback", "--bind", "tcp://127.0.0.1:0", "--http", "10.1.2.3:80"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert process.returncode == 2 and "--http 10.1.2.3:80 is not a loopback address" in process.stderr


def test_dashboard_without_a_tokens_file_says_how_to_make_one(tmp_path):
    process = subprocess.run([sys.executable, "-m", "qirrt.cli", "dashboard", "--store", str(tmp_path / "b.db"),
                              "--insecure-loopback", "--bind", "127.0.0.1:0"], capture_output=True, text=True,
                             timeout=60, check=False)
    assert process.returncode == 2 and "qirrt keys generate --token" in process.stderr


def test_dashboard_on_a_taken_port_says_so(tmp_path):
    import socket

    from qirrt.api.http.tokens import TokenStore

    TokenStore(tmp_path / "tokens.sqlite3").close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        process = subprocess.run([sys.executable, "-m", "qirrt.cli", "dashboard", "--store", str(tmp_path / "b.db"),
                                  "--insecure-loopback", "--bind", f"127.0.0.1:{port}", "--tokens",
                                  str(tmp_path / "tokens.sqlite3")], capture_output=True, text=True, timeout=60,
                                 check=False)
    assert process.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in process.stderr
    assert "Traceback" not in process.stderr
