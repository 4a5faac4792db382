"""QIR from every producer: loaded, normalised, validated, and its exact distribution unchanged.

Golden copies (tests/golden/producers) run everywhere; the live tests regenerate each sample from
its producer and skip where the producer is not installed. See `tests/producer_samples.py`.
"""

from __future__ import annotations

import importlib.util
import re

import pytest

import qirrt
from qirrt.qir.exact import exact_distribution
from qirrt.qir.program import Profile, Program
from tests.producer_samples import SAMPLES, Sample, cudaq_kernels
from tests.stats import assert_same_distribution

_IDS = [s.id for s in SAMPLES]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def check(sample: Sample, text: str) -> Program:
    """Load → normalised → validated; notes say what changed; the distribution is the source's."""
    program = Program.from_ir(text, source_file=f"{sample.id}.ll")
    assert program.producer == (sample.detected or sample.producer)
    assert program.profile is Profile(sample.profile)
    notes = "\n".join(program.normalisation)
    for expected in sample.notes:
        assert expected in notes, f"note {expected!r} missing from:\n{notes}"
    assert_same_distribution(exact_distribution(program), sample.distribution(text))
    again = Program.from_ir(program.ir)
    assert again.hash == program.hash, "normalising a normalised program must change nothing"
    return program


@pytest.mark.parametrize("sample", SAMPLES, ids=_IDS)
def test_golden(sample: Sample):
    check(sample, sample.golden())


@pytest.mark.parametrize("sample", SAMPLES, ids=_IDS)
def test_live(sample: Sample):
    pytest.importorskip(sample.module)
    check(sample, sample.generate())


def test_every_producer_has_golden_samples():
    producers = {s.producer for s in SAMPLES}
    assert producers == {"pyqir", "qdk", "qdk-qiskit", "pytket", "qbraid", "cudaq", "hand"}
    for sample in SAMPLES:
        assert sample.path.exists(), f"golden copy missing: run `python -m tests.producer_samples {sample.producer}`"


# -- what the dialect guarantees, on every sample --------------------------------------------------
@pytest.mark.parametrize("sample", SAMPLES, ids=_IDS)
def test_normalised_dialect(sample: Sample):
    ir = Program.from_ir(sample.golden()).ir
    assert "%Qubit" not in ir and "%Result" not in ir
    assert '"requiredQubits"' not in ir and "__nvqpp__mlirgen__" not in ir
    assert "__quantum__rt__initialize" not in ir and "__quantum__rt__qubit_allocate" not in ir
    assert "generalizedInvoke" not in ir and "__quantum__rt__read_result" not in ir
    called = set(re.findall(r"call \S+ @(__quantum__qis__\w+)", ir))
    for symbol in called:
        assert symbol.endswith("__body"), symbol
        assert symbol[len("__quantum__qis__"):-len("__body")] not in ("cnot", "m", "mresetz"), symbol
    assert re.search(r'!"qir_major_version", i32 1\}', ir)
    records = re.findall(r"call void @__quantum__rt__\w+_record_output", ir)
    assert records, "every sample records its outputs"
    tail = ir[ir.index(records[0]):ir.index("ret ")]
    assert "__quantum__qis__" not in tail.split("\n", 1)[1] or "read_result" in tail, \
        "output records come after the last quantum operation"


# -- cross-check through raising: the normalised Program as a Qiskit circuit ---------------------------
def _measurements_all_final(circuit) -> bool:
    measured: set[int] = set()
    for instruction in circuit.data:
        if instruction.operation.name in ("if_else", "while_loop", "for_loop", "switch_case", "box"):
            return False
        qubits = {circuit.find_bit(q).index for q in instruction.qubits}
        if instruction.operation.name == "measure":
            measured |= qubits
        elif qubits & measured and instruction.operation.name != "barrier":
            return False
    return True


@pytest.mark.parametrize("sample", SAMPLES, ids=_IDS)
def test_raised_circuit_has_the_source_distribution(sample: Sample):
    """Where the normalised program raises to a circuit with final measurements only, Qiskit's own
    simulation of that circuit gives the source's distribution too (independently of qirrt.qir.exact)."""
    raising = pytest.importorskip("qirrt.bindings.qiskit.to_circuit")
    from qirrt.errors import ExecutionError
    from tests.producer_samples import clbit_distribution

    program = Program.from_ir(sample.golden())
    try:
        circuit = raising.to_qiskit(program)
    except ExecutionError as exc:
        pytest.skip(f"not raisable: {exc}")
    if not _measurements_all_final(circuit):
        pytest.skip("mid-circuit measurement: covered by the exact interpreter")
    if circuit.num_qubits > 12:
        pytest.skip("too many qubits for a density matrix: covered by the exact interpreter")
    key = raising.key_function(circuit)
    distribution: dict[str, float] = {}
    for bits, p in clbit_distribution(circuit).items():
        program_key = key("".join(str(b) for b in reversed(bits)))
        distribution[program_key] = distribution.get(program_key, 0.0) + p
    assert_same_distribution(distribution, sample.distribution(sample.golden()))


# -- conventions ----------------------------------------------------------------------------------
def test_qdk_from_qiskit_keys_read_as_qiskit_counts():
    from qiskit.quantum_info import Statevector

    from tests.producer_samples import ghz_rotations

    sample = next(s for s in SAMPLES if s.id == "qdk-qiskit/ghz_rotations")
    program = Program.from_ir(sample.golden())
    circuit = ghz_rotations()
    circuit.remove_final_measurements()
    reference = Statevector(circuit).probabilities_dict()
    assert_same_distribution(exact_distribution(program), reference)


def test_pytket_base_records_follow_its_labels():
    sample = next(s for s in SAMPLES if s.id == "pytket/base")
    ir = Program.from_ir(sample.golden()).ir
    order = [int(i) if i else 0 for i in
             re.findall(r"result_record_output\(ptr (?:null|inttoptr \(i64 (\d+) to ptr\))", ir)]
    labels = {m.group(1): int(m.group(2)) for m in re.finditer(r'^(@\d+) = [^\n]*c"c\[(\d+)\]\\00"', ir, re.MULTILINE)}
    recorded_labels = [labels[label] for label in re.findall(r"result_record_output\([^,]+, ptr (@\d+)\)", ir)]
    assert order == recorded_labels, "pytket labels each result record with the clbit it measured"


def test_cudaq_entry_point_hash_is_stable_across_kernel_objects():
    pytest.importorskip("cudaq")
    import cudaq

    first, second = cudaq_kernels()["bell"][0], cudaq_kernels()["bell"][0]
    texts = [cudaq.translate(kernel, format="qir-base") for kernel in (first, second)]
    assert texts[0] != texts[1], "cudaq names each kernel object differently"
    programs = [Program.from_ir(text) for text in texts]
    assert programs[0].entry_point == "bell"
    assert programs[0].hash == programs[1].hash


def test_cudaq_full_and_adaptive_agree():
    """cudaq's full QIR, lowered by qirrt, behaves exactly as cudaq's own adaptive lowering."""
    for kernel in ("feed", "gates", "controls", "loop_feed", "repeat_until", "branch_index", "rus_counter",
                   "rus_index", "walk"):
        full = next(s for s in SAMPLES if s.id == f"cudaq/{kernel}_qir")
        adaptive = next(s for s in SAMPLES if s.id == f"cudaq/{kernel}_qir-adaptive")
        assert_same_distribution(exact_distribution(Program.from_ir(full.golden())),
                                 exact_distribution(Program.from_ir(adaptive.golden())))


# -- frontends ------------------------------------------------------------------------------------
class TestCudaqFrontend:
    @pytest.fixture(autouse=True)
    def _cudaq(self):
        pytest.importorskip("cudaq")

    def test_load_picks_base_then_adaptive(self):
        kernels = cudaq_kernels()
        bell = qirrt.load(kernels["bell"][0])
        assert (bell.producer, bell.profile, bell.entry_point) == ("cudaq", Profile.BASE, "bell")
        feed = qirrt.load(kernels["feed"][0])
        assert feed.profile is Profile.ADAPTIVE
        assert_same_distribution(exact_distribution(feed), {"00": 0.5, "11": 0.5})

    def test_profiles_and_arguments(self):
        from qirrt.bindings.cudaq import CudaqFrontend, from_cudaq

        kernel, args = cudaq_kernels()["parametric"]
        assert CudaqFrontend.accepts(kernel) and not CudaqFrontend.accepts(lambda: None)
        programs = [from_cudaq(kernel, args=args, profile=p) for p in ("base", "adaptive", "full")]
        distributions = [exact_distribution(p) for p in programs]
        for distribution in distributions[1:]:
            assert_same_distribution(distribution, distributions[0])
        assert programs[2].parameters == ()

    def test_base_refusal_is_a_frontend_error(self):
        from qirrt.bindings.cudaq import from_cudaq
        from qirrt.errors import FrontendError

        with pytest.raises(FrontendError, match=re.escape("cudaq.translate(format='qir-base') failed for "
                                                          "kernel 'feed")):
            from_cudaq(cudaq_kernels()["feed"][0], profile="base")

    def test_builder_kernels(self):
        import cudaq

        kernel = cudaq.make_kernel()
        qubits = kernel.qalloc(2)
        kernel.h(qubits[0])
        kernel.cx(qubits[0], qubits[1])
        kernel.mz(qubits)
        program = qirrt.load(kernel)
        assert_same_distribution(exact_distribution(program), {"00": 0.5, "11": 0.5})


class TestQSharpFrontend:
    @pytest.fixture(autouse=True)
    def _qdk(self):
        pytest.importorskip("qdk")

    def test_entry_point_and_profiles(self):
        from qirrt.bindings.qsharp import from_qsharp

        source = """
        namespace Demo {
            @EntryPoint()
            operation Run() : (Result, Result) {
                use (a, b) = (Qubit(), Qubit());
                H(a);
                let r = M(a);
                if r == One { X(b); }
                let s = M(b);
                Reset(a); Reset(b);
                (r, s)
            }
        }
        """
        program = from_qsharp(source)
        assert (program.producer, program.profile) == ("qdk", Profile.ADAPTIVE)
        assert_same_distribution(exact_distribution(program), {"0 0": 0.5, "1 1": 0.5})
        from qirrt.errors import FrontendError

        with pytest.raises(FrontendError, match="no QDK target profile accepts the program"):
            from_qsharp(source, profile="base")

    def test_base_program_and_file(self, tmp_path):
        from tests.producer_samples import QSHARP_BELL

        path = tmp_path / "bell.qs"
        path.write_text(QSHARP_BELL)
        program = qirrt.load(path)
        assert program.profile is Profile.BASE and program.source_file == str(path)
        assert_same_distribution(exact_distribution(program), {"00": 0.5, "11": 0.5})

    def test_entry_expression(self):
        from qirrt.bindings.qsharp import entry_expression, from_qsharp
        from qirrt.errors import FrontendError

        assert entry_expression("namespace A.B { @EntryPoint() operation Go() : Unit {} }") == "A.B.Go()"
        assert entry_expression("operation Main() : Result { use q = Qubit(); M(q) }") == "Main()"
        with pytest.raises(FrontendError, match="no `@EntryPoint\\(\\)` operation"):
            entry_expression("operation Prepare(x : Double) : Unit {}")
        program = from_qsharp("operation Prepare(theta : Double) : Result { use q = Qubit(); Ry(theta, q); "
                              "MResetZ(q) }", entry_expr="Prepare(1.0)")
        assert program.num_qubits == 1

    def test_q_sharp_errors_are_frontend_errors(self):
        from qirrt.bindings.qsharp import from_qsharp
        from qirrt.errors import FrontendError

        with pytest.raises(FrontendError, match="the QDK rejected the program"):
            from_qsharp("operation Main() : Unit { Foo(); }")

    def test_compiled_programs_load_through_the_registry(self):
        import qdk

        context = qdk.Context(target_profile=qdk.TargetProfile.Base)
        context.eval("operation Main() : Result { use q = Qubit(); X(q); M(q) }")
        program = qirrt.load(context.compile("Main()"))
        assert program.producer == "qdk"
        assert_same_distribution(exact_distribution(program), {"1": 1.0})


def test_missing_producer_hint(monkeypatch):
    import sys

    from qirrt.bindings.cudaq import from_cudaq
    from qirrt.bindings.qsharp import from_qsharp
    from qirrt.errors import MissingOptionalDependencyError

    monkeypatch.setitem(sys.modules, "cudaq", None)
    monkeypatch.setitem(sys.modules, "qdk", None)
    with pytest.raises(MissingOptionalDependencyError, match=re.escape("pip install 'qirrt[cudaq]'")):
        from_cudaq(object())
    with pytest.raises(MissingOptionalDependencyError, match=re.escape("pip install 'qirrt[qdk]'")):
        from_qsharp("operation Main() : Unit {}")


@pytest.mark.skipif(not _installed("cudaq"), reason="cudaq is not installed")
def test_cudaq_import_leaves_numpy_and_qiskit_usable():
    import cudaq  # noqa: F401
    import numpy
    import qiskit

    assert int(numpy.__version__.split(".")[0]) >= 2 and qiskit.__version__.startswith("2.")
