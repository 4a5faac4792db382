"""`qirrt run --mitigate PIPELINE --observable PAULI --json` and `qirrt.run(..., mitigation=, observable=)`.

These run on the noiseless Aer executor (no target: nothing is transpiled, so folds stay folded)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import qirrt
from qirrt.api.run import run
from qirrt.cli.app import main
from qirrt.errors import PassError
from tests.extras import FAKE_BACKENDS


def test_cli_prints_both_values_and_the_plan(ghz_file):
    out = CliRunner().invoke(main, ["run", str(ghz_file), "--mitigate", "ddd,zne{scale-factors=1,3,5}",
                                    "--observable", "XXX", "--json", "--seed", "3", "--shots", "500", "-q",
                                    "--executor", "aer"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output.strip().splitlines()[-1])
    assert payload["expectation"] == pytest.approx(1.0)
    assert payload["expectation_unmitigated"] == pytest.approx(1.0)
    assert payload["plan"]["circuits"] == 4 and payload["plan"]["batch_shots"] == 2000
    assert payload["plan"]["pipeline"] == "ddd,zne"


def test_cli_text_output_and_bad_pipeline(ghz_file):
    out = CliRunner().invoke(main, ["run", str(ghz_file), "--observable", "ZZI", "--seed", "1", "-q",
                                    "--executor", "aer"])
    assert out.exit_code == 0, out.output
    assert "<ZZI> mitigated    1.000000" in out.output
    bad = CliRunner().invoke(main, ["run", str(ghz_file), "--mitigate", "zne{scale-factors=0,1}", "-q"])
    assert bad.exit_code != 0
    assert "zne scale factors must be ≥ 1" in bad.output


def test_runtime_run_delegates_to_mitigation(ghz_file):
    result = run(str(ghz_file), shots=300, seed=2, executor="aer", mitigation="twirl{num-twirls=2}",
                 observable="0.5*ZZI + XXX")
    assert result.expectation == pytest.approx(1.5)
    assert result.expectation_unmitigated == pytest.approx(1.5)
    with pytest.raises(PassError, match="bind the parameters first"):
        run(str(ghz_file), mitigation="zne", observable="ZZI", params=[0.1])
    assert qirrt.api.mitigate.pipeline.Pipeline.parse("zne").steps[0].name == "zne"


@FAKE_BACKENDS
def test_cli_mitigates_on_a_noisy_device(ghz_file):
    args = ["run", str(ghz_file), "--observable", "XXX", "--json", "--seed", "1", "--shots", "20000", "-q",
            "--executor", "aer", "--target", "FakeKolkata"]
    out = CliRunner().invoke(main, [*args, "--mitigate", "zne,readout"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output.strip().splitlines()[-1])
    raw, mitigated = payload["expectation_unmitigated"], payload["expectation"]
    assert raw < 0.95  # FakeKolkata's noise, on the compiled program (folds not transpiled away)
    assert abs(mitigated - 1.0) < abs(raw - 1.0) / 2
