"""`qirrt targets` and `qirrt run --target` with device-modelling executors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qirrt.cli.app import main

pytest.importorskip("qiskit_ibm_runtime")


def test_targets_lists_fake_backends_executors_and_adapters():
    result = CliRunner().invoke(main, ["targets", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert "FakeKolkata" in payload["targets"] and "generic:N" in payload["targets"]
    assert {"local", "aer", "emulated", "qiskit-backend"} <= set(payload["executors"])
    assert set(payload["adapters"]) >= {"emulated", "qiskit-backend"}
    text = CliRunner().invoke(main, ["targets"])
    assert text.exit_code == 0 and "FakeKolkata" in text.output and "adapters:" in text.output


@pytest.mark.parametrize("executor", ["aer", "emulated", "qiskit-backend"])
def test_run_with_a_target_has_that_devices_noise(ghz_file, executor):
    result = CliRunner().invoke(main, ["run", str(ghz_file), "--executor", executor, "--target", "FakeKolkata",
                                       "--shots", "4000", "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    counts = payload["counts"]
    assert sum(counts.values()) == 4000
    assert set(counts) - {"000", "111"}, counts  # readout and gate errors show
    assert counts.get("000", 0) + counts.get("111", 0) > 0.85 * 4000


def test_target_with_an_ideal_executor_is_a_clear_error(ghz_file):
    result = CliRunner().invoke(main, ["run", str(ghz_file), "--target", "FakeKolkata"])
    assert result.exit_code == 2
    assert "needs an executor that models a device" in result.output


def test_targets_without_the_fake_backends_extra_says_how_to_get_them(monkeypatch):
    import json as _json

    from click.testing import CliRunner

    from qirrt.cli import app

    monkeypatch.setattr(app, "_fake_backend_names", lambda: [])
    text = CliRunner().invoke(app.main, ["targets"])
    assert text.exit_code == 0 and "pip install 'qirrt[fake-backends]'" in text.stdout
    payload = _json.loads(CliRunner().invoke(app.main, ["targets", "--json"]).stdout)
    assert payload["targets"] == ["generic:N"] and "qirrt[fake-backends]" in payload["hint"]
