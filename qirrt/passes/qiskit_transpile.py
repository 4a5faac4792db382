"""`qiskit-transpile`: layout, routing and optimisation by Qiskit's transpiler, chosen by qirrt's estimate.

The program is raised to Qiskit (`to_qiskit`: control flow, mid-circuit measurement and `Parameter`s
kept), transpiled against a Qiskit `Target` built from the context's target and calibration
(`qirrt.device.qiskit_target`: basis, coupling, durations, gate and readout errors) once per seed
``0..seeds-1`` — and, with `native-layout`, once more from qirrt's own noise-aware `layout`. Of those
candidates the one with the highest estimated success probability under the *current* calibration
(the product of ``1 − error`` over its gates and readouts, as `estimate-resources` computes it) wins
— without a calibration, the fewest two-qubit gates — and is lowered back onto the physical qubits it
uses.

Measurements stay in the circuit Qiskit sees, so its noise-aware layout weighs readout errors; when
its routing then acts on a measured qubit of a base-profile program, that seed is transpiled again
without the final measurements, which are put back where each qubit ends (Qiskit's final layout).
Output records, count keys and the parameter order are the source's. The chosen placement is
recorded like `layout`'s (the ``qirrt_physical_qubits`` attribute, ``metadata["physical_qubits"]``,
``ctx.properties["layout"]``), so compile-once/bind-many, angle-correction slots and drift
recompilation see it; ``ctx.properties["qiskit_transpile"]`` lists every candidate's score. Qiskit's
pass managers are built once per target, calibration epoch, level and seed, and reused.
A program that is already placed passes through unchanged.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

from qirrt.errors import ExecutionError, FrontendError, PassError
from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Circuit

log = logging.getLogger(__name__)

MAX_SEEDS = 64


@dataclass(frozen=True)
class QiskitTranspile(Pass):
    """Map the program with Qiskit's transpiler; keep the candidate qirrt estimates best (module docstring)."""

    name = "qiskit-transpile"
    optimization_level: int = 3
    seeds: int = 3
    native_layout: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.optimization_level, int) or not 0 <= self.optimization_level <= 3:
            raise PassError(f"pass 'qiskit-transpile': optimization-level must be 0, 1, 2 or 3, got "
                            f"{self.optimization_level!r}")
        if not isinstance(self.seeds, int) or not 1 <= self.seeds <= MAX_SEEDS:
            raise PassError(f"pass 'qiskit-transpile': seeds must be a whole number from 1 to {MAX_SEEDS}, "
                            f"got {self.seeds!r}")

    def apply(self, program, ctx: PassContext):
        if ctx.target is None:
            raise PassError("pass 'qiskit-transpile' needs a target (compile with target=... or give one to "
                            "the PassContext)")
        placed = _placement(program)
        if placed is not None:
            log.info("qiskit-transpile: %r is already placed on %s; keeping it", program, placed)
            ctx.properties["layout"] = dict(enumerate(placed))
            return program
        if program.num_qubits > ctx.target.num_qubits:
            raise PassError(f"the program needs {program.num_qubits} qubits but target {ctx.target.name!r} has "
                            f"{ctx.target.num_qubits}")
        from qirrt.bindings.qiskit.to_circuit import records_of, to_qiskit
        from qirrt.device.qiskit_target import qiskit_target

        try:
            raised = to_qiskit(program)
        except ExecutionError as exc:
            raise PassError(f"pass 'qiskit-transpile' cannot raise {program!r} to Qiskit ({exc}); compile it "
                            f"with the native passes instead (qirrt.api.compile.NATIVE_PIPELINE)") from None
        records = records_of(raised)
        straight = not any(getattr(i.operation, "blocks", None) for i in raised.data)
        stripped = _split_final_measures(raised) if straight else None
        device = qiskit_target(ctx.target, ctx.calibration)
        layouts: list[tuple[str, int, list[int] | None]] = [(f"seed {s}", s, None) for s in range(self.seeds)]
        if self.native_layout and straight and raised.num_qubits:
            layouts.append(("qirrt layout", 0, _native_layout(Circuit.from_program(program), ctx)))
        scores, best = [], None
        base = program.profile.name == "BASE"
        for label, seed, initial in layouts:
            started = time.perf_counter()
            mapped = self._map(raised, [], device, seed, initial)
            if base and _acts_after_measure(mapped):
                if stripped is None or not stripped[1]:
                    raise PassError(f"pass 'qiskit-transpile': Qiskit's mapping of {program!r} acts on a qubit "
                                    f"after measuring it, which its profile forbids")
                mapped = self._map(*stripped, device, seed, initial)
            success, two_qubit = _score(mapped, ctx.calibration)
            score = (success if success is not None else 0.0, -two_qubit)
            scores.append({"candidate": label, "success_probability": success, "two_qubit_gates": two_qubit,
                           "seconds": round(time.perf_counter() - started, 4)})
            if best is None or score > best[0]:
                best = (score, mapped, label)
        _, mapped, label = best
        chosen = self._lower(program, mapped, records, label)
        physical = chosen.metadata["physical_qubits"]
        ctx.properties["layout"] = dict(enumerate(physical))
        ctx.properties["qiskit_transpile"] = {"chosen": label, "candidates": scores}
        log.info("qiskit-transpile: %s chosen of %d candidates", label, len(scores))
        return chosen

    def _map(self, body, finals, device, seed: int, initial):
        """One transpilation; `finals` (qubit, clbit) measurements are put back where each qubit ends."""
        if initial is None:
            mapped = _pass_manager(device, self.optimization_level, seed).run(body)
        else:
            from qiskit import transpile

            mapped = transpile(body, target=device, optimization_level=self.optimization_level,
                               seed_transpiler=seed, initial_layout=initial)
        if finals:
            final = mapped.layout.final_index_layout() if mapped.layout is not None else list(range(body.num_qubits))
            for qubit, clbit in finals:
                mapped.measure(final[qubit], clbit)
        return mapped

    def _lower(self, program, mapped, records, label: str):
        """The mapped circuit as a Program placed on the physical qubits it uses."""
        from qirrt.bindings.qiskit.from_transpiled import lower_placed, used_qubits
        from qirrt.passes.circuit import _set_physical

        physical = sorted(used_qubits(mapped))
        try:
            text = lower_placed(mapped, physical=physical, records=records, parameters=program.parameters,
                                entry_point=program.entry_point, profile=program.profile)
        except FrontendError as exc:
            raise PassError(f"pass 'qiskit-transpile' cannot lower Qiskit's mapping of {program!r} back to QIR "
                            f"({exc}); compile it with the native passes instead") from None
        metadata = {**program.metadata, "physical_qubits": physical}
        return program.replace_ir(_set_physical(text, physical), note=f"{self} ({label}) → {physical}",
                                  metadata=metadata)


def _placement(program) -> list[int] | None:
    """The physical qubits a placed program runs on (its layout attribute), or None."""
    from qirrt.passes.circuit import PHYSICAL_ATTR

    found = program.metadata.get("physical_qubits")
    if found is not None:
        return list(found)
    match = re.search(rf'"{PHYSICAL_ATTR}"="([0-9,]+)"', program.ir)
    return [int(v) for v in match.group(1).split(",")] if match else None


def _operations(circuit, qubits: list[int]):
    """(Qiskit name, physical qubits) of every operation, control-flow bodies included (each once)."""
    index = {bit: qubits[i] for i, bit in enumerate(circuit.qubits)}
    for instruction in circuit.data:
        operation = instruction.operation
        where = [index[q] for q in instruction.qubits]
        blocks = getattr(operation, "blocks", None)
        if blocks:
            for block in blocks:
                if block is not None:
                    yield from _operations(block, where)
        else:
            yield operation.name, tuple(where)


def _score(mapped, calibration) -> tuple[float | None, int]:
    """(estimated success probability — as `estimate-resources` computes it — or None, two-qubit gates)."""
    from qirrt.device.target import canonical_gate_name

    log_fidelity, two_qubit = 0.0, 0
    costs: dict[tuple, float] = {}
    for name, qubits in _operations(mapped, list(range(mapped.num_qubits))):
        if name in ("barrier", "delay", "reset", "global_phase", "store"):
            continue
        two_qubit += len(qubits) == 2 and name != "measure"
        if calibration is None:
            continue
        key = (name, qubits)
        cost = costs.get(key)
        if cost is None:
            error = calibration.readout_error(qubits[0]) if name == "measure" else \
                calibration.gate_error(canonical_gate_name(name), qubits, default=0.0)
            cost = costs[key] = math.log1p(-min(error, 1 - 1e-12))
        log_fidelity += cost
    return (math.exp(log_fidelity) if calibration is not None else None), two_qubit


def _acts_after_measure(mapped) -> bool:
    """Whether anything acts on a qubit after it was measured (the base profile forbids that)."""
    measured: set = set()
    for instruction in mapped.data:
        if instruction.operation.name in ("barrier",):
            continue
        if measured & set(instruction.qubits) and instruction.operation.name != "measure":
            return True
        if instruction.operation.name == "measure":
            if measured & set(instruction.qubits):
                return True
            measured.update(instruction.qubits)
    return False


@lru_cache(maxsize=64)
def _pass_manager(device, optimization_level: int, seed: int):
    """Qiskit's preset pass manager for `device` (built once per target, epoch, level and seed)."""
    from qiskit.transpiler import generate_preset_pass_manager

    return generate_preset_pass_manager(optimization_level, target=device, seed_transpiler=seed)


def _split_final_measures(circuit):
    """(circuit without its final measurements, [(qubit index, clbit index)] of those measurements).

    A measurement is final when nothing after it acts on its qubit or its clbit."""
    later_qubits: set = set()
    later_clbits: set = set()
    final_positions: set[int] = set()
    finals = []
    for position in range(len(circuit.data) - 1, -1, -1):
        instruction = circuit.data[position]
        qubits, clbits = set(instruction.qubits), set(instruction.clbits)
        if instruction.operation.name == "measure" and not (qubits & later_qubits) and not (clbits & later_clbits):
            final_positions.add(position)
            finals.append((circuit.find_bit(instruction.qubits[0]).index, circuit.find_bit(instruction.clbits[0]).index))
        later_qubits |= qubits
        later_clbits |= clbits
    if not finals:
        return circuit, []
    body = circuit.copy_empty_like()
    for position, instruction in enumerate(circuit.data):
        if position not in final_positions:
            body.append(instruction)
    return body, finals[::-1]


def _native_layout(circuit: Circuit, ctx: PassContext) -> list[int]:
    """qirrt's noise-aware placement of the program's qubits (the `layout` pass's choice)."""
    from qirrt.passes.layout import choose_layout

    placement, _ = choose_layout(circuit, ctx.target, ctx.calibration, time_limit_s=0.5, trials=2)
    return placement


__all__ = ["QiskitTranspile"]
