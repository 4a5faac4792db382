"""Resource summary and the nominal run-time estimate the distributed broker starts its ETAs from."""

from __future__ import annotations

import qirrt
from qirrt.qir.resources import estimated_simulation_s
from tests.corpus import ghz


def test_estimate_grows_with_qubits_gates_and_shots():
    small, large = qirrt.load(ghz(4)).resources(), qirrt.load(ghz(8)).resources()
    assert estimated_simulation_s(large, 1000) > estimated_simulation_s(small, 1000)
    assert estimated_simulation_s(small, 100_000) > estimated_simulation_s(small, 1000)


def test_resources_are_computed_once_per_program():
    program = qirrt.load(ghz(3))
    assert program.resources() is program.resources()
    assert program.resources().two_qubit_gates == 2


def test_distributed_submissions_carry_the_estimate():
    from qirrt.executors.distributed.client import Client

    program = qirrt.load(ghz(5))
    spec = Client._spec(None, program, shots=500, seed=None, priority=0, params=None, requires=None,
                        max_attempts=None, time_limit_s=None, estimated_duration_s=None, session=None)
    assert spec["estimated_duration_s"] == estimated_simulation_s(program.resources(), 500)
    explicit = Client._spec(None, program, shots=500, seed=None, priority=0, params=None, requires=None,
                            max_attempts=None, time_limit_s=None, estimated_duration_s=3.0, session=None)
    assert explicit["estimated_duration_s"] == 3.0
