"""Every pass keeps the noiseless distribution (count keys included) on the corpus."""

from __future__ import annotations

import numpy as np
import pytest

import qirrt
from qirrt.passes import PassContext, PassManager
from qirrt.qir.exact import exact_distribution
from tests.corpus import ansatz, expression_ansatz
from tests.passes.helpers import SMALL, corpus_distribution, corpus_program
from tests.stats import assert_same_distribution

PIPELINES = [
    "decompose{basis=rz,sx,x,cx}",
    "decompose{basis=rz,sx,x,cz}",
    "decompose{basis=rx,ry,rz,cz}",
    "merge-rotations",
    "cancel-inverses",
    "decompose{basis=rz,sx,x,cx},merge-rotations,cancel-inverses",
    "remove-unused",
    "layout",
    "route",
    "layout,route",
    "estimate-resources",
    "elide-final-swaps",
    "remove-unused,elide-final-swaps,layout,route,decompose,merge-rotations,cancel-inverses,merge-rotations",
]


@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("name", SMALL)
def test_pass_preserves_distribution(name, pipeline, kolkata):
    target, calibration = kolkata.target, kolkata.calibration
    program = corpus_program(name)
    ctx = PassContext(target=target, calibration=calibration, debug=True)
    out = PassManager.parse(pipeline).run(program, ctx)
    assert_same_distribution(corpus_distribution(name), exact_distribution(out), atol=1e-9)


PARAMETRIC = {
    "expressions": expression_ansatz,
    "ra4": lambda: ansatz("ra", 4, 0, bound=False),
    "su24": lambda: ansatz("su2", 4, 0, bound=False),
}


@pytest.mark.parametrize("pipeline", ["decompose{basis=rz,sx,x,cx},merge-rotations,cancel-inverses",
                                      "decompose{basis=rx,ry,rz,cz},merge-rotations",
                                      "layout,route,decompose,merge-rotations,cancel-inverses"])
@pytest.mark.parametrize("name", sorted(PARAMETRIC))
def test_passes_keep_parameters_symbolic(name, pipeline, kolkata):
    target, calibration = kolkata.target, kolkata.calibration
    circuit = PARAMETRIC[name]()
    program = qirrt.load(circuit)
    out = PassManager.parse(pipeline).run(program, PassContext(target=target, calibration=calibration))
    assert out.parameters == program.parameters
    assert "__qirrt__parameter" in out.ir
    rng = np.random.default_rng(7)
    for _ in range(3):
        values = rng.uniform(-np.pi, np.pi, len(program.parameters))
        assert_same_distribution(exact_distribution(program, values), exact_distribution(out, values), atol=1e-9)
