"""OpenQASM 2 and 3 frontends."""

from __future__ import annotations

import pytest

import qirrt
from qirrt.errors import FrontendError
from qirrt.exact import exact_distribution

from .stats import assert_same_distribution

BELL2 = """OPENQASM 2.0;
include "qelib1.inc";
qreg q[2]; creg c[2];
h q[0]; cx q[0], q[1];
measure q -> c;
"""

FEEDFORWARD3 = """OPENQASM 3.0;
include "stdgates.inc";
qubit[2] q; bit[2] c;
h q[0];
c[0] = measure q[0];
if (c[0]) { x q[1]; }
c[1] = measure q[1];
"""


def test_qasm2_text():
    program = qirrt.load(BELL2)
    assert program.profile is qirrt.Profile.BASE
    assert_same_distribution(exact_distribution(program), {"00": 0.5, "11": 0.5})


def test_qasm3_text_with_feed_forward():
    program = qirrt.load(FEEDFORWARD3)
    assert program.profile is qirrt.Profile.ADAPTIVE
    assert_same_distribution(exact_distribution(program), {"00": 0.5, "11": 0.5})


def test_qasm_file_keeps_its_path(tmp_path):
    path = tmp_path / "bell.qasm"
    path.write_text(BELL2)
    program = qirrt.load(str(path))
    assert program.source_file == str(path)


def test_invalid_qasm_names_the_file(tmp_path):
    path = tmp_path / "broken.qasm"
    path.write_text("OPENQASM 2.0;\nqreg q[1];\nnotagate q[0];\n")
    with pytest.raises(FrontendError, match=r"broken\.qasm: invalid OpenQASM 2: .*notagate"):
        qirrt.load(path)
