"""The producer corpus runs: every sample (tests/producer_samples.py) on the local executor, its counts
held to the exact distribution by a G-test (p > 0.001), and that exact distribution is the source's.

Golden copies run everywhere; `test_live_corpus_runs` (marked slow) regenerates each sample where its
producer is installed. The corpus covers pyqir, qdk (Q# Base / Adaptive_RI / Adaptive_RIF / Adaptive, and its
Qiskit path), cudaq (`qir`, `qir-base`, `qir-adaptive`; QIR 0.1 and 1.0), pytket-qir, qbraid-qir
and hand-written modules.
"""

from __future__ import annotations

import pytest

import qirrt
from qirrt.qir.exact import exact_distribution
from qirrt.qir.program import Program
from tests.producer_samples import SAMPLES, Sample
from tests.stats import assert_distribution, assert_same_distribution

SHOTS = 3000


def run_against_exact(sample: Sample, text: str, seed: int) -> None:
    program = Program.from_ir(text, source_file=f"{sample.id}.ll")
    exact = exact_distribution(program)
    assert_same_distribution(exact, sample.distribution(text))
    result = qirrt.run(program, shots=SHOTS, seed=seed)
    assert sum(result.counts.values()) == SHOTS
    assert_distribution(result.counts, exact)


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_golden_corpus_runs(sample: Sample):
    run_against_exact(sample, sample.golden(), seed=sum(map(ord, sample.id)))


@pytest.mark.slow  # regenerating all 75 samples takes minutes; test_producers.py::test_live checks them too
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.id for s in SAMPLES])
def test_live_corpus_runs(sample: Sample):
    pytest.importorskip(sample.module)
    run_against_exact(sample, sample.generate(), seed=7 + sum(map(ord, sample.id)))


def test_corpus_covers_every_producer_and_profile():
    producers = {s.producer for s in SAMPLES}
    assert producers >= {"pyqir", "qdk", "qdk-qiskit", "pytket", "qbraid", "cudaq", "hand"}
    names = {s.id for s in SAMPLES}
    for required in ("qdk/bell_base", "qdk/int_compare_adaptive_ri", "qdk/loop_adaptive_rif", "qdk/rus_adaptive",
                     "qdk-qiskit/feedforward_adaptive_ri", "cudaq/bell_qir-base", "cudaq/bell_qir-base_1.0",
                     "cudaq/feed_qir-adaptive", "cudaq/feed_qir-adaptive_1.0", "cudaq/branch_index_qir"):
        assert required in names, required
