"""One keys folder serves broker, worker and user: the worker takes the one worker key pair, a client the
one user key pair; with several, the error names --key-name (the CLI's words, not Python's)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qirrt.cli.app import main
from qirrt.cli.cluster import _keys
from qirrt.executors.distributed.security import SecurityError

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


def _generate(folder, *args):
    result = CliRunner().invoke(main, ["keys", "generate", str(folder), *args])
    assert result.exit_code == 0, result.output


def test_the_documented_folder_serves_worker_and_user(tmp_path):
    _generate(tmp_path / "keys", "--user", "alice", "--worker", "w1")
    assert _keys(tmp_path / "keys", None, "workers") == (tmp_path / "keys", "w1")
    assert _keys(tmp_path / "keys", None, "clients") == (tmp_path / "keys", "alice")
    assert _keys(tmp_path / "keys", "w1", "clients") == (tmp_path / "keys", "w1")
    assert _keys(None, None, "clients") is None


def test_several_key_pairs_ask_for_key_name_in_cli_words(tmp_path):
    _generate(tmp_path / "keys", "--user", "alice", "--user", "bob", "--worker", "w1")
    with pytest.raises(SecurityError, match="choose one with --key-name alice") as caught:
        _keys(tmp_path / "keys", None, "clients")
    assert "keys=(" not in str(caught.value) and "alice, bob" in str(caught.value)
    result = CliRunner().invoke(main, ["submit", str(EXAMPLES / "bell.qasm"), "--keys", str(tmp_path / "keys"),
                                       "--timeout-s", "1"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--key-name" in result.stderr and "keys=(" not in result.stderr


def test_no_key_pair_for_the_role_says_how_to_make_one(tmp_path):
    _generate(tmp_path / "keys", "--user", "alice", "--user", "bob", "--worker", "w1")
    (tmp_path / "keys" / "w1.key_secret").unlink()
    with pytest.raises(SecurityError, match=r"qirrt keys generate .* --worker NAME"):
        _keys(tmp_path / "keys", None, "workers")


def test_key_name_without_keys_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["status", "abc", "--key-name", "alice", "--timeout-s", "1"])
    assert result.exit_code == 2 and "--keys DIR" in result.stderr
