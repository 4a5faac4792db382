"""Pipeline text, the registry and the pass manager."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import pytest

import qirrt
from qirrt.errors import PassError, PluginError
from qirrt.passes import (
    Pass,
    PassContext,
    PassManager,
    available_passes,
    parse_pipeline,
    register_pass,
)
from qirrt.passes.decompose import Decompose
from qirrt.passes.layout import Layout
from tests.corpus import ghz

SHIPPED = ["cancel-inverses", "decompose", "elide-final-swaps", "estimate-resources", "layout", "merge-rotations",
           "remove-unused",
           "route"]


def test_shipped_passes_are_entry_points():
    assert set(SHIPPED) <= set(available_passes())


@pytest.mark.parametrize("text", [
    "decompose{basis=rz,sx,x,cz},route,merge-rotations",
    "layout{embeddings=10,time-limit-s=0.5},route,decompose,cancel-inverses,estimate-resources",
    "remove-unused{compact=false}",
    "decompose{basis=h,s,t,cx}",
    "",
])
def test_pipeline_text_round_trips(text):
    manager = PassManager.parse(text)
    assert manager.pipeline == text
    assert PassManager.parse(manager.pipeline).passes == manager.passes


def test_options_become_fields():
    passes = parse_pipeline("decompose{basis=rz,sx,x,cz},layout{time-limit-s=0.25}")
    assert passes == [Decompose(basis=("rz", "sx", "x", "cz")), Layout(time_limit_s=0.25)]
    assert str(passes[0]) == "decompose{basis=rz,sx,x,cz}"


@pytest.mark.parametrize("text, message", [
    ("nope", "unknown pass 'nope' (known: "),
    ("decompose{colour=red}", "pass 'decompose' has no option 'colour' (options: basis)"),
    ("layout{embeddings=many}", "pass 'layout' option 'embeddings': expected an integer, got 'many'"),
    ("remove-unused{compact=yes}", "pass 'remove-unused' option 'compact': expected true or false, got 'yes'"),
    ("decompose{basis=rz", "pipeline 'decompose{basis=rz': unbalanced '{'"),
    ("Decompose", "bad pass name 'Decompose': pass names are kebab-case, like merge-rotations"),
    ("decompose{rz}", "options {rz}: expected name=value"),
])
def test_pipeline_errors(text, message):
    with pytest.raises(PassError, match=re.escape(message)):
        parse_pipeline(text)


def test_third_party_pass_found_by_name():
    @dataclass(frozen=True)
    class CountGates(Pass):
        name = "count-gates-test"
        analysis = True
        label: str = "gates"

        def apply(self, program, ctx):
            ctx.properties[self.label] = program.resources().total_gates
            return program

    register_pass(CountGates)
    register_pass(CountGates)  # the same class again is fine
    manager = PassManager.parse("count-gates-test{label=n}")
    ctx = PassContext()
    program = qirrt.load(ghz(3))
    assert manager.run(program, ctx) is program
    assert ctx.properties["n"] == 3


def test_duplicate_pass_name_is_a_plugin_error():
    @dataclass(frozen=True)
    class Impostor(Pass):
        name = "route"

    with pytest.raises(PluginError, match=re.escape("two passes are named 'route': qirrt.passes.route:Route and")):
        register_pass(Impostor)


def test_manager_logs_times_and_verifies_in_debug(caplog):
    program = qirrt.load(ghz(3))
    manager = PassManager.parse("decompose{basis=rz,sx,x,cx},merge-rotations", debug=True)
    with caplog.at_level(logging.DEBUG, logger="qirrt.passes.manager"):
        out = manager.run(program)
    assert [name for name, _ in manager.timings_s] == ["decompose", "merge-rotations"]
    assert any("pass decompose{basis=rz,sx,x,cx}:" in r.getMessage() for r in caplog.records)
    assert out.resources().gate_counts.keys() <= {"rz", "sx", "x", "cx"}
    assert out.metadata["passes"][0] == "decompose{basis=rz,sx,x,cx}"


def test_broken_pass_is_reported_by_name():
    @dataclass(frozen=True)
    class Broken(Pass):
        name = "broken-test"

        def apply(self, program, ctx):
            raise ZeroDivisionError("boom")

    with pytest.raises(PassError, match=re.escape("pass 'broken-test' failed on Program('ghz3'")):
        PassManager([Broken()]).run(qirrt.load(ghz(3)))


def test_decompose_needs_a_basis_or_target():
    with pytest.raises(PassError, match=re.escape("pass 'decompose' needs a basis")):
        PassManager.parse("decompose").run(qirrt.load(ghz(3)))
