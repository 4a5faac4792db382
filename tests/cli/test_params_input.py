"""`qirrt run --params` takes any text: it runs, or says what is wrong in one line with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qirrt.cli.app import main

ROTATION = Path(__file__).resolve().parent.parent.parent / "examples" / "rotation.qasm"

numbers = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=32), st.integers(-5, 5))
json_values = st.recursive(st.one_of(numbers, st.text(max_size=3), st.none(), st.booleans()),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.sampled_from(["theta", "phi", "x"]), inner,
                                                                   max_size=2)), max_leaves=6)
params_text = st.one_of(st.text(max_size=20), json_values.map(json.dumps))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params_text)
def test_any_params_text_runs_or_is_one_line_exit_2(text):
    result = CliRunner().invoke(main, ["run", str(ROTATION), "--shots", "1", "--quiet", "--params", text])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), (text, result.output)
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr
