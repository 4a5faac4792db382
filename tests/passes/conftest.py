from __future__ import annotations

import pytest

import qirrt
from qirrt.qir.exact import exact_distribution
from tests.corpus import CORPUS

SMALL = [name for name, build in CORPUS.items() if build().num_qubits <= 6]
"""Corpus entries small enough for fast exact distributions."""

_programs: dict = {}
_distributions: dict = {}


def corpus_program(name: str):
    if name not in _programs:
        _programs[name] = qirrt.load(CORPUS[name]())
    return _programs[name]


def corpus_distribution(name: str) -> dict[str, float]:
    if name not in _distributions:
        _distributions[name] = exact_distribution(corpus_program(name))
    return _distributions[name]


@pytest.fixture(scope="session")
def kolkata():
    from qirrt.adapters import resolve_calibration, resolve_target

    return resolve_target("FakeKolkata"), resolve_calibration("FakeKolkata")
