"""The null executor: accepts any Program, returns empty Results, through the same Job interface."""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.circuit import Parameter

import qirrt
from qirrt.executors.base import JobStatus
from qirrt.executors.null import NullExecutor


def _program(parametric: bool = False):
    qc = QuantumCircuit(2, 2)
    if parametric:
        qc.ry(Parameter("a"), 0)
    qc.h(0)
    qc.measure([0, 1], [0, 1])
    return qirrt.load(qc)


def test_returns_an_empty_result_with_metadata():
    program = _program()
    result = NullExecutor().run(program, shots=123, seed=4)
    assert result.counts == {} and result.shots == 123
    assert result.metadata["executor"] == "null" and result.metadata["program_hash"] == program.hash
    assert result.metadata["num_qubits"] == 2 and result.metadata["seed"] == 4


def test_submit_returns_a_finished_job_and_lists_for_batches():
    executor = NullExecutor()
    job = executor.submit([_program(), _program(True)], shots=5)
    assert job.status() is JobStatus.DONE and job.done() and not job.cancel()
    results = job.result(timeout_s=1)
    assert isinstance(results, list) and len(results) == 2


def test_accepts_unbound_parameters_and_binding_batches():
    executor = NullExecutor()
    assert executor.run(_program(True)).counts == {}
    assert len(executor.run(_program(True), params=[[0.1], [0.2], [0.3]])) == 3


def test_found_by_name_through_qirrt_run():
    result = qirrt.run(_program(), executor="null", shots=7)
    assert result.shots == 7 and result.counts == {}
