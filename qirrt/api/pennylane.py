"""The PennyLane facade: ``qml.device("qirrt", wires=..., shots=..., executor=..., target=..., mitigation=...)``.

`QirrtDevice` is a PennyLane `Device` (the `pennylane.devices.Device` API: ``preprocess_transforms`` and
``execute(circuits, execution_config)``), registered as ``qirrt`` in the ``pennylane.plugins`` entry-point
group, so a QNode runs on qirrt without changing a line but the device name.

* **Executors.** ``executor`` is a registered name (``"local"``, ``"aer"``, ``"cudaq"``, ...), an `Executor`
  object, or a broker URL (``"tcp://host:port"``; ``keys=`` a key folder, else an insecure loopback
  connection; ``timeout_s`` bounds the wait for its results). ``target`` (``"FakeKolkata"``) compiles each
  program for that device once and runs it with the device's calibrated noise (``aer``) or on it (an
  adapter), as ``qirrt run --target`` does.
* **Measurements.** ``expval``, ``var``, ``probs``, ``sample`` and ``counts`` of wires or observables, and of
  mid-circuit measurement values; non-commuting observables are split into one tape per qubit-wise
  commuting group (`split_non_commuting`); broadcast parameters into one tape per point. Results are
  computed by PennyLane's own ``process_samples``/``process_counts`` from the program's count keys (see
  `qirrt.bindings.pennylane`), so their shapes and types are default.qubit's.
* **Mid-circuit measurements.** ``qml.measure`` and ``qml.cond`` run natively (the device's MCM method is
  ``"device"``): they lower to measurements and branches of an adaptive-profile program.
* **Compile once, bind many.** Each tape is lowered with every gate parameter as a runtime parameter
  (``parameters="all"``); the compiled program is kept per program hash, so repeated QNode calls with new
  values, and the tapes of a parameter-shift gradient, only bind values. Tapes of one batch that share
  a compiled program run as one executor call with one parameter row each (``compilations`` counts
  the programs compiled).
* **Shots.** ``shots=None`` (analytic) gives exact values from qirrt's reference semantics
  (`qirrt.qir.exact`) on the noiseless ``local`` executor; finite shots sample on any executor; shot
  vectors are split from one run's per-shot memory. Setting shots on the device is this device's API
  (PennyLane's ``qml.set_shots`` works too).
* **Mitigation.** ``mitigation="zne{scale-factors=1,3,5}"`` (any qirrt pipeline) applies to tapes whose
  measurements are all ``expval`` of Pauli sums; each is run through `qirrt.api.mitigate` with its
  values bound (mitigated runs are not compiled once for all parameter values).
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pennylane as qml
from pennylane.devices import Device, ExecutionConfig
from pennylane.devices.capabilities import DeviceCapabilities
from pennylane.devices.preprocess import validate_device_wires
from pennylane.exceptions import PennyLaneDeprecationWarning
from pennylane.measurements import (
    CountsMP,
    ExpectationMP,
    ProbabilityMP,
    SampleMP,
    Shots,
    VarianceMP,
)
from pennylane.tape import QuantumScript
from pennylane.transforms import broadcast_expand, split_non_commuting
from pennylane.transforms.core import CompilePipeline
from pennylane.transforms.dynamic_one_shot import gather_mcm
from pennylane.wires import Wires

from qirrt.api.facades import FacadeRunner, shuffled_shots
from qirrt.errors import ExecutionError, FrontendError

__all__ = ["MAX_SHOTS", "QirrtDevice"]

MAX_SHOTS = 2**31 - 1
"""The most shots one tape may ask for (executors count shots in 32-bit integers)."""

_SUPPORTED = (ExpectationMP, VarianceMP, ProbabilityMP, SampleMP, CountsMP)
_ANALYTIC = (ExpectationMP, VarianceMP, ProbabilityMP)


def _check_shots(shots: Any, where: str) -> Shots:
    """`shots` as PennyLane's `Shots`, or a qirrt error naming the rule."""
    if isinstance(shots, Shots):
        values = [s for s, copies in shots.shot_vector for _ in range(copies)] if shots else None
    else:
        values = None if shots is None else (list(shots) if isinstance(shots, Sequence) else [shots])
    for value in values or []:
        count = value[0] if isinstance(value, tuple) else value
        if not isinstance(count, numbers.Integral) or isinstance(count, bool) or count < 1:
            raise ExecutionError(f"{where}: shots must be None (exact values) or whole numbers ≥ 1, got {shots!r}")
        if count > MAX_SHOTS:
            raise ExecutionError(f"{where}: shots={count} exceeds the limit of {MAX_SHOTS}; split the run into "
                                 f"several executions or use a shot vector")
    return shots if isinstance(shots, Shots) else Shots(shots)


def _check_wires(wires: Any) -> Any:
    if wires is None:
        return None
    if isinstance(wires, numbers.Integral) and not isinstance(wires, bool):
        if wires < 1:
            raise ExecutionError(f"qml.device('qirrt'): wires must be a number ≥ 1 or a list of wire labels, "
                                 f"got {wires}")
        return int(wires)
    labels = list(wires) if isinstance(wires, Sequence | Wires | range) else None
    if not labels:
        raise ExecutionError(f"qml.device('qirrt'): wires must be a number ≥ 1 or a non-empty list of wire "
                             f"labels, got {wires!r}")
    return labels


class QirrtDevice(Device):
    """PennyLane's device over qirrt; see the module docstring."""

    name = "qirrt"
    capabilities = DeviceCapabilities(supported_mcm_methods=["device", "deferred"],
                                      non_commuting_observables=False, overlapping_observables=True)

    def __init__(self, wires=None, shots=None, *, executor: Any = "local", target: Any = None,
                 mitigation: Any = None, seed: int | None = None, keys: Any = None, timeout_s: float | None = None,
                 **executor_options):
        wires = _check_wires(wires)
        shots = _check_shots(shots, "qml.device('qirrt')")
        with warnings.catch_warnings():
            # PennyLane deprecates shots on devices in favour of qml.set_shots; they are this device's API
            warnings.simplefilter("ignore", PennyLaneDeprecationWarning)
            super().__init__(wires=wires, shots=shots)
        self.executor_name = executor if isinstance(executor, str) else getattr(executor, "name", "custom")
        self.target = target
        self.mitigation = mitigation
        self.keys = keys
        self.timeout_s = timeout_s
        self.executor_options = executor_options
        self._facade = FacadeRunner(executor, target, keys, executor_options, seed=seed, where="qml.device('qirrt')")
        self._kind, self._runner, self._rng = self._facade.kind, self._facade.runner, self._facade.rng

    @property
    def compilations(self) -> int:
        """How many distinct circuit structures this device has compiled."""
        return self._facade.compilations

    # -- PennyLane's hooks --------------------------------------------------------------------------------
    def preprocess_transforms(self, execution_config: ExecutionConfig | None = None) -> CompilePipeline:
        program = CompilePipeline()
        program.add_transform(validate_device_wires, wires=self.wires, name=self.name)
        program.add_transform(split_non_commuting, grouping_strategy="qwc")
        program.add_transform(broadcast_expand)
        return program

    def execute(self, circuits, execution_config: ExecutionConfig | None = None):
        single = isinstance(circuits, QuantumScript)
        tapes = [circuits] if single else list(circuits)
        results: list[Any] = [None] * len(tapes)
        groups: dict[tuple, list[tuple[int, Any, np.ndarray]]] = {}
        for index, tape in enumerate(tapes):
            self._validate(tape)
            if self.mitigation is not None:
                results[index] = self._run_mitigated(tape)
                continue
            compiled, values = self._compile(tape)
            shots = tape.shots
            key = (id(compiled), shots.total_shots, shots.has_partitioned_shots or self._needs_memory(tape))
            groups.setdefault(key, []).append((index, compiled, values))
        for (_, total, memory), members in groups.items():
            compiled = members[0][1]
            rows = [values for _, _, values in members]
            outcomes = self._sample(compiled, rows, total, memory) if total else self._exact(compiled, rows)
            for (index, _, _), outcome in zip(members, outcomes):
                results[index] = self._process(tapes[index], outcome)
        if self.tracker.active:
            self.tracker.update(executions=len(tapes), batches=1,
                                shots=sum(tape.shots.total_shots or 0 for tape in tapes))
            self.tracker.record()
        return results[0] if single else tuple(results)

    # -- checks -------------------------------------------------------------------------------------------
    def _validate(self, tape) -> None:
        _check_shots(tape.shots, "qirrt device")
        for m in tape.measurements:
            if not isinstance(m, _SUPPORTED):
                raise FrontendError(f"qirrt device: measurement {m} is not supported; use expval, var, probs, "
                                    f"sample or counts (qirrt runs programs shot by shot)")
            if not tape.shots and not isinstance(m, _ANALYTIC):
                raise ExecutionError(f"qirrt device: {type(m).__name__[:-2].lower()} needs shots; set them with "
                                     f"qml.device('qirrt', shots=N) or qml.set_shots")
        if not tape.shots and (self._kind != "exec" or self.target is not None or self.mitigation is not None
                               or getattr(self._runner, "name", None) != "local"):
            raise ExecutionError(f"qirrt device: shots=None (exact values) is available on the noiseless local "
                                 f"executor only; executor {self.executor_name!r}"
                                 f"{f' with target {self.target!r}' if self.target is not None else ''} needs "
                                 f"shots=N")

    @staticmethod
    def _needs_memory(tape) -> bool:
        return any(isinstance(m, SampleMP) for m in tape.measurements) or any(
            m.mv is not None for m in tape.measurements)

    # -- compile once, bind many ----------------------------------------------------------------------------
    def _compile(self, tape):
        """The compiled program of `tape`'s structure (cached by program hash) and this tape's values."""
        from qirrt.bindings.pennylane import from_pennylane

        program = from_pennylane(tape, parameters="all", wire_order=list(self.wires) if self.wires is not None else None)
        compiled = self._facade.compiled(program)
        everything = tape.get_parameters(trainable_only=False)
        values = np.array([float(qml.math.unwrap(everything[int(n[1:])])) for n in compiled.parameters], float)
        return compiled, values

    def _seed(self) -> int:
        return self._facade.seed()

    def _sample(self, compiled, rows: list[np.ndarray], shots: int, memory: bool) -> list[list[str] | dict]:
        """Per row: the shot keys (memory) or the counts."""
        if self._kind == "cluster":
            programs = [compiled.bind(row) for row in rows]
            jobs = self._runner.submit_many(programs, shots=shots, seed=self._seed())
            results = self._runner.results(jobs, timeout_s=self.timeout_s)
        else:
            full = [list(compiled.runtime_values(row)) for row in rows]
            extra = {**self.executor_options, **({"memory": True} if memory else {})}
            results = self._runner.run(compiled.program, shots=shots, seed=self._seed(), params=full, **extra)
            results = results if isinstance(results, list) else [results]
        if not memory:
            return [dict(r.counts) for r in results]
        return [list(r.memory) if r.memory is not None else shuffled_shots(r.counts, self._rng) for r in results]

    @staticmethod
    def _exact(compiled, rows: list[np.ndarray]) -> list[dict]:
        from qirrt.qir.exact import exact_distribution

        return [exact_distribution(compiled.program, list(compiled.runtime_values(row))) for row in rows]

    # -- results --------------------------------------------------------------------------------------------
    def _fields(self, tape) -> list[tuple[str, Any]]:
        """The count key's fields, as `qirrt.bindings.pennylane` records them: ("wire", w) or ("mcm", uid)."""
        all_wires = list(self.wires) if self.wires is not None else list(tape.wires)
        fields: list[tuple[str, Any]] = []
        for m in tape.measurements:
            if m.mv is not None:
                fields.extend(("mcm", value.measurements[0].meas_uid) for value in _mcm_values(m))
                continue
            wires = list(m.obs.wires) if m.obs is not None else (list(m.wires) if len(m.wires) else all_wires)
            fields.extend(("wire", w) for w in wires)
        return list(dict.fromkeys(fields))

    def _process(self, tape, outcome: list[str] | dict):
        fields = self._fields(tape)
        wire_columns = [i for i, (kind, _) in enumerate(fields) if kind == "wire"]
        wire_order = Wires([fields[i][1] for i in wire_columns])
        if isinstance(outcome, dict) and not tape.shots:
            per_bin = [self._from_distribution(tape, outcome, fields, wire_columns, wire_order)]
        elif isinstance(outcome, dict):
            per_bin = [self._from_counts(tape, outcome, wire_columns, wire_order)]
        else:
            samples = _bits(outcome, len(fields))
            per_bin = [self._from_samples(tape, samples[lo:hi], fields, wire_columns, wire_order)
                       for lo, hi in tape.shots.bins()]
        if len(tape.measurements) == 1:
            per_bin = [values[0] for values in per_bin]
        return tuple(per_bin) if tape.shots.has_partitioned_shots else per_bin[0]

    @staticmethod
    def _from_samples(tape, samples: np.ndarray, fields, wire_columns, wire_order) -> tuple:
        column = {uid: i for i, (kind, uid) in enumerate(fields) if kind == "mcm"}
        mcm_samples = {value.measurements[0]: samples[:, column[value.measurements[0].meas_uid]].reshape(-1, 1)
                       for m in tape.measurements for value in _mcm_values(m)}
        valid = np.ones(samples.shape[0], dtype=bool)
        return tuple(gather_mcm(m, mcm_samples, valid) if m.mv is not None
                     else m.process_samples(samples[:, wire_columns], wire_order) for m in tape.measurements)

    @staticmethod
    def _from_counts(tape, counts: dict, wire_columns, wire_order) -> tuple:
        projected: dict[str, int] = {}
        for key, count in counts.items():
            bits = key.replace(" ", "")
            sub = "".join(bits[i] for i in wire_columns)
            projected[sub] = projected.get(sub, 0) + int(count)
        return tuple(m.process_counts(projected, wire_order) for m in tape.measurements)

    @staticmethod
    def _from_distribution(tape, distribution: dict, fields, wire_columns, wire_order) -> tuple:
        projected: dict[str, float] = {}
        mcm_columns = {uid: i for i, (kind, uid) in enumerate(fields) if kind == "mcm"}
        rows = []
        for key, probability in distribution.items():
            bits = key.replace(" ", "")
            sub = "".join(bits[i] for i in wire_columns)
            projected[sub] = projected.get(sub, 0.0) + probability
            rows.append((bits, probability))
        out = []
        for m in tape.measurements:
            if m.mv is None:
                out.append(m.process_counts(projected, wire_order))
                continue
            columns = [mcm_columns[v.measurements[0].meas_uid] for v in _mcm_values(m)]
            out.append(_mcm_exact(m, [(tuple(int(bits[c]) for c in columns), p) for bits, p in rows]))
        return tuple(out)

    # -- mitigation -----------------------------------------------------------------------------------------
    def _run_mitigated(self, tape):
        from qirrt.api.run import run
        from qirrt.bindings.pennylane import from_pennylane
        from qirrt.observables import PauliObservable

        if self._kind == "cluster":
            raise ExecutionError("qirrt device: mitigation= runs on an executor name or object, not a broker URL")
        if tape.shots.has_partitioned_shots:
            raise ExecutionError("qirrt device: mitigation= takes a single shot count, not a shot vector")
        wires = list(self.wires) if self.wires is not None else list(tape.wires)
        bare = QuantumScript(tape.operations, [qml.counts(wires=wires)], shots=tape.shots)
        program = from_pennylane(bare, parameters="none", wire_order=wires)
        values = []
        for m in tape.measurements:
            if not isinstance(m, ExpectationMP) or m.obs is None:
                raise ExecutionError(f"qirrt device: mitigation= applies to expval of observables only, got {m}")
            observable = PauliObservable(_pauli_terms(m.obs, wires))
            executor = self.executor_name if self.target is not None and isinstance(self.executor_name, str) \
                else self._runner
            result = run(program, shots=tape.shots.total_shots, seed=self._seed(), executor=executor,
                         target=self.target, mitigation=self.mitigation, observable=observable,
                         **self.executor_options)
            values.append(np.float64(result.expectation))
        return values[0] if len(values) == 1 else tuple(values)


def _mcm_values(m) -> list:
    """The mid-circuit measurement values `m` measures (none for a wire or observable measurement)."""
    if m.mv is None:
        return []
    return list(m.mv) if isinstance(m.mv, (list, tuple)) else [m.mv]


def _bits(memory: list[str], width: int) -> np.ndarray:
    keys = [k.replace(" ", "") for k in memory]
    if any(len(k) != width for k in keys):
        raise ExecutionError(f"qirrt device: a shot recorded {len(keys[0])} bits where the tape measures {width}")
    return np.frombuffer("".join(keys).encode(), dtype=np.uint8).reshape(len(keys), width) - ord("0") \
        if keys else np.zeros((0, width), dtype=np.uint8)


def _mcm_exact(m, weighted: list[tuple[tuple[int, ...], float]]):
    """expval/var/probs of mid-circuit measurement values from exact probabilities."""
    values = _mcm_values(m)
    if isinstance(m, ProbabilityMP):
        probs = np.zeros(2 ** len(values))
        for bits, p in weighted:
            probs[int("".join(map(str, bits)), 2) if bits else 0] += p
        return probs / probs.sum()
    mean = sum(p * bits[0] for bits, p in weighted)
    total = sum(p for _, p in weighted)
    mean /= total
    return np.float64(mean) if isinstance(m, ExpectationMP) else np.float64(mean - mean * mean)


def _pauli_terms(observable, wires: list) -> tuple[tuple[str, float], ...]:
    """`observable` as (label, coefficient) pairs, label little-endian over `wires` (wire i = qubit i)."""
    try:
        sentence = qml.pauli.pauli_sentence(observable)
    except Exception as exc:  # noqa: BLE001 - PennyLane raises several types for non-Pauli operators
        raise ExecutionError(f"qirrt device: mitigation= needs Pauli observables; {observable} is not a Pauli "
                             f"sum ({exc})") from None
    position = {w: i for i, w in enumerate(wires)}
    terms = []
    for word, coefficient in sentence.items():
        if abs(complex(coefficient).imag) > 1e-12:
            raise ExecutionError(f"qirrt device: observable {observable} has a complex coefficient")
        label = ["I"] * len(wires)
        for wire, pauli in word.items():
            label[len(wires) - 1 - position[wire]] = pauli
        terms.append(("".join(label), float(complex(coefficient).real)))
    return tuple(terms) or (("I" * len(wires), 0.0),)
