"""Composition follows the user's order; plan() reports what actually runs."""

from __future__ import annotations

import pytest

from qirrt.api.mitigate.pipeline import Pipeline, plan, run, run_batch
from qirrt.errors import PassError
from qirrt.executors.base import Executor
from qirrt.passes.circuit import Circuit, Gate, Op
from qirrt.passes.mitigation import ZeroNoiseExtrapolation
from qirrt.result import Result
from tests.api.mitigate.helpers import ExactSampler, corpus_program


def _steps(program):
    return [tag["step"] for tag in program.metadata.get("mitigation", ())]


def _count(program, name, qubit=None):
    return sum(1 for g in Circuit.from_program(program).gates()
               if g.name == name and (qubit is None or g.qubits == (qubit,)))


def _idle_ns(program):
    return sum(float(op.suffix.split("double")[1].split(",")[0]) for op in Circuit.from_program(program).items()
               if isinstance(op, Op) and op.name == "delay")


def _timeline(program, qubit):
    """What one qubit does, in order: gate names and delay lengths."""
    out = []
    for item in Circuit.from_program(program).items():
        if isinstance(item, Gate) and qubit in item.qubits:
            out.append(item.name)
        elif isinstance(item, Op) and item.qubit == qubit and item.name == "delay":
            out.append(item.suffix)
    return out


def test_pipeline_text_round_trips():
    pipeline = Pipeline.parse("ddd{sequence=xy4},zne{scale-factors=1,2,3,extrapolation=linear}")
    assert [s.name for s in pipeline.steps] == ["ddd", "zne"]
    assert pipeline.steps[1] == ZeroNoiseExtrapolation(scale_factors=(1, 2, 3), extrapolation="linear")
    assert Pipeline.parse(str(pipeline)) == pipeline
    assert Pipeline.parse(["ddd", "zne{scale-factors=1,3}"]).steps[1].scale_factors == (1.0, 3.0)
    assert Pipeline.parse(None).steps == ()


def test_pipeline_refuses_ordinary_passes():
    with pytest.raises(PassError, match="'cancel-inverses' is not a mitigation step"):
        Pipeline.parse("cancel-inverses,zne")


def test_ddd_then_zne_folds_the_padded_circuit():
    program = corpus_program("ghz5")
    tree = Pipeline.parse("ddd,zne").expand(program)
    leaves = tree.leaves()
    assert len(leaves) == 3
    assert all(_steps(leaf.program) == ["ddd", "zne"] for leaf in leaves)
    padded = tree.children[0].program
    pulses = _count(padded, "x")
    assert pulses > 0
    # the DD pulses are folded with the rest: three times as many X at scale 3, five at scale 5
    assert [_count(leaf.program, "x") for leaf in leaves] == [pulses, 3 * pulses, 5 * pulses]
    # and so are the delays that space them: every copy idles where the padded circuit did
    idle = _idle_ns(padded)
    assert idle > 0
    assert [_idle_ns(leaf.program) for leaf in leaves] == pytest.approx([idle, 3 * idle, 5 * idle])
    for leaf in leaves[1:]:
        for qubit in range(program.num_qubits):
            timeline = _timeline(leaf.program, qubit)
            copy = _timeline(padded, qubit)
            assert timeline[:len(copy)] == copy and timeline[-len(copy):] == copy


def test_zne_then_ddd_pads_each_folded_circuit():
    program = corpus_program("ghz5")
    tree = Pipeline.parse("zne,ddd").expand(program)
    leaves = tree.leaves()
    assert len(leaves) == 3
    assert all(_steps(leaf.program) == ["zne", "ddd"] for leaf in leaves)
    windows = [leaf.program.metadata["mitigation"][-1]["windows"] for leaf in leaves]
    assert windows[0] < windows[1] <= windows[2]  # folding opens more idle windows to fill


def test_nesting_multiplies_and_readout_calibration_passes_through():
    program = corpus_program("ghz3")
    tree = Pipeline.parse("twirl{num-twirls=5},zne").expand(program)
    assert len(tree.leaves()) == 15
    assert all(_steps(leaf.program) == ["twirl", "zne"] for leaf in tree.leaves())
    tree = Pipeline.parse("readout{source=circuits,mode=full},zne").expand(program)
    leaves = tree.leaves()
    assert len(leaves) == 3 + 8  # the target folded three ways; calibration circuits untouched
    assert sum(_steps(leaf.program) == ["readout"] for leaf in leaves) == 8
    tree = Pipeline.parse("zne,readout{source=circuits,mode=tensored}").expand(program)
    assert len(tree.leaves()) == 3 * (1 + 2)
    assert len({leaf.program.hash for leaf in tree.leaves()}) == 3 + 2  # shared calibration circuits


@pytest.mark.parametrize("pipeline, observable", [
    ("ddd,zne{scale-factors=1,3,5}", "ZZZ"),
    ("zne,readout{source=circuits}", "XXX"),
    ("twirl{num-twirls=3},zne{scale-factors=1,2}", "0.5*ZZI + XXX"),
    ("readout{source=circuits,mode=tensored}", None),
])
def test_plan_equals_what_ran(pipeline, observable):
    program = corpus_program("ghz3")
    sampler = ExactSampler()
    expected = plan(program, pipeline, 300, observable=observable)
    result = run(program, pipeline, observable, executor=sampler, shots=300, seed=5)
    assert sampler.programs_run == expected.executions
    assert sampler.shots_run == expected.shots
    assert result.metadata["mitigation"]["plan"]["batch_shots"] == expected.shots
    assert expected.circuits >= expected.executions
    assert expected.estimated_time_s > 0


def test_plan_with_a_shot_budget_splits_it():
    program = corpus_program("ghz3")
    budget = plan(program, "zne{scale-factors=1,2,3,4,shot-allocation=equal}", shot_budget=4000, observable="ZZZ",
                  reference=False)
    assert budget.shots == 4000 and budget.circuits == 4 and budget.shots_per_circuit == 1000


def test_zne_weights_a_shot_budget_by_its_extrapolation_weights():
    program = corpus_program("ghz3")
    sampler = ExactSampler()
    result = run(program, "zne{scale-factors=1,3,5}", "ZZI", executor=sampler, shot_budget=7000, seed=1,
                 reference=False)
    assert result.expectation == pytest.approx(1.0)
    shots = sorted(shots for _, shots in sampler.calls)
    # Richardson at 1,3,5 weighs 15/8, −5/4, 3/8: shares 15/28, 10/28, 3/28 of the budget
    assert shots == [750, 2500, 3750]
    weighted = plan(program, "zne{scale-factors=1,3,5}", shot_budget=7000, observable="ZZZ", reference=False)
    assert weighted.shots == 7000 and weighted.circuits == 3
    with pytest.raises(PassError, match="shot-allocation must be one of weighted, equal"):
        run(program, "zne{shot-allocation=some}", "ZZZ", executor=sampler, shots=10)


def test_shot_groups_draw_independent_shot_noise():
    """Scale factors run with different shot counts, one executor call each: each call gets its own seed."""

    class Recorder(Executor):
        name = "recorder"

        def __init__(self):
            self.seeds = []

        def execute(self, programs, *, shots, seed=None, params=None, **options):
            self.seeds.append(seed)
            return [Result(counts={"000": shots}, shots=shots) for _ in programs]

    recorder = Recorder()
    run(corpus_program("ghz3"), "zne{scale-factors=1,3,5}", "ZZI", executor=recorder, shot_budget=7000, seed=1,
        reference=False)
    assert len(recorder.seeds) == 3 and len(set(recorder.seeds)) == 3


def test_noiseless_runs_keep_the_ideal_value():
    program = corpus_program("ghz3")
    result = run(program, "ddd,zne{scale-factors=1,3,5}", "XXX", executor=ExactSampler(), shots=400, seed=2)
    assert result.expectation == pytest.approx(1.0)
    assert result.expectation_unmitigated == pytest.approx(1.0)


def test_run_batch_gives_each_circuit_its_own_pipeline():
    ghz = corpus_program("ghz3")
    other = corpus_program("ghz4")
    sampler = ExactSampler()
    results = run_batch([(ghz, "zne", "XXX"), (other, None, "ZZII"), (ghz, "twirl{num-twirls=2}", "ZZI")],
                        executor=sampler, shots=200, seed=3)
    # one batch: every distinct program once, one executor call per distinct shot count
    assert {shots for _, shots in sampler.calls} == {200, 400}  # ghz3's reference is zne's scale-1 copy
    assert sampler.programs_run == len({p.hash for programs, _ in sampler.calls for p in programs})
    assert [r.expectation for r in results] == pytest.approx([1.0, 1.0, 1.0])
    assert results[1].metadata["mitigation"]["pipeline"] == ""
    assert results[0].metadata["mitigation"]["plan"]["circuits"] == 3 + 1  # three folds and the reference
