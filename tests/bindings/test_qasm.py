"""OpenQASM 2 and 3 frontends."""

from __future__ import annotations

import re

import pytest

import qirrt
from qirrt.errors import FrontendError
from qirrt.qir.exact import exact_distribution
from tests.stats import assert_same_distribution

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
    with pytest.raises(FrontendError, match=r"broken\.qasm:3:1: invalid OpenQASM 2: .*notagate"):
        qirrt.load(path)


@pytest.mark.parametrize(("text", "position", "detail"), [
    ("", "1:1", "the program is empty"),
    ("// nothing but a comment\n", "1:1", "the program is empty"),
    ("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[2] q;\nh q[0]\ncx q[0], q[1];\n", "5:1",
     "syntax error at 'cx' (a missing ';' or bracket before it?)"),
    ("OPENQASM 3.0;\nqubit[2] q;\nh q[0]", "3:7", "syntax error at end of file"),
    ("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[1] q;\nfoo q[0];\n", "4:1", "gate 'foo' is not defined"),
    ("OPENQASM 3.0;\nqubit[1] q;\n\"abc\n", "3:1", "token recognition error"),
    ("OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nh q[0]\n", "4:1", "expecting to see ';'"),
])
def test_qasm_errors_name_line_and_column(tmp_path, text, position, detail):
    path = tmp_path / "prog.qasm"
    path.write_text(text)
    with pytest.raises(FrontendError, match=re.escape(f"prog.qasm:{position}: invalid OpenQASM")) as caught:
        qirrt.load(path)
    assert detail in str(caught.value)


def test_qasm_errors_on_the_cli_are_one_line_without_antlr_chatter(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "lex.qasm"
    path.write_text("OPENQASM 3.0;\nqubit[1] q;\n\"abc\n")
    done = subprocess.run([sys.executable, "-m", "qirrt.cli", "inspect", str(path)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    expected = f"error: {path}:3:1: invalid OpenQASM 3: token recognition error at: '\"a'"
    assert done.stderr.strip().splitlines() == [expected]
