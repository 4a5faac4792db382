"""A module already in qirrt's dialect is parsed once: normalisation hands back the verified input."""

from __future__ import annotations

from qiskit import QuantumCircuit

import qirrt
from qirrt.qir.module import parse_module
from qirrt.qir.normalize import core
from qirrt.qir.program import Program


def _teleport_like() -> str:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    with qc.if_test((qc.clbits[0], 1)):
        qc.x(2)
    qc.measure([1, 2], [1, 2])
    return qirrt.load(qc).ir


def test_qirrts_own_output_is_not_parsed_again(monkeypatch):
    ir = _teleport_like()
    calls = []
    monkeypatch.setattr(core, "parse_module", lambda *a, **k: calls.append(a) or parse_module(*a, **k))
    module = parse_module(ir)
    normalised = core.normalize(module)
    assert normalised.module is module and not calls
    again = Program.from_ir(ir)
    assert again.ir == Program.from_ir(ir + "\n\n; a trailing comment\n").ir == normalised.ir


def test_a_module_that_needs_rewriting_is_still_parsed_afresh(monkeypatch):
    text = _teleport_like().replace('"entry_point"', '"EntryPoint"')  # QIR 0.1's name: renamed
    calls = []
    monkeypatch.setattr(core, "parse_module", lambda *a, **k: calls.append(a) or parse_module(*a, **k))
    module = parse_module(text)
    normalised = core.normalize(module)
    assert normalised.module is not module and len(calls) == 1
    assert '"entry_point"' in normalised.ir and "EntryPoint" not in normalised.ir


def test_layout_comparison_ignores_only_blank_lines_comments_and_trailing_spaces():
    a = "define void @f() {\nentry:\n  ret void\n}\n"
    assert core._same_but_layout(a, "define void @f() {   \n\nentry:  ; preds = %x\n  ret void\n}\n; end\n")
    assert not core._same_but_layout(a, a.replace("@f", "@g"))
    assert not core._same_but_layout('@s = constant [3 x i8] c"a;b"', '@s = constant [3 x i8] c"a;c"')
