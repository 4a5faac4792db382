"""`qiskit-transpile`: layout, routing and optimisation by Qiskit's transpiler, chosen by qirrt's estimate.

The program is raised to Qiskit (`to_qiskit`: control flow, mid-circuit measurement and `Parameter`s
kept), transpiled against a Qiskit `Target` built from the context's target and calibration
(`qirrt.device.qiskit_target`: basis, coupling, durations, gate and readout errors) once per seed
``0..seeds-1`` — and, with `native-layout`, once more from qirrt's own noise-aware `layout` — and
lowered back onto the physical qubits it uses. Of those candidates the one with the highest
estimated success probability under the *current* calibration (`estimate-resources`: the product of
``1 − error`` over its gates and readouts) wins; without a calibration, the fewest two-qubit gates.

Measurements stay in the circuit Qiskit sees, so its noise-aware layout weighs readout errors; when
its routing then acts on a measured qubit of a base-profile program, that seed is transpiled again
without the final measurements, which are put back where each qubit ends (Qiskit's final layout). Output records, count keys and the parameter order are the source's. The chosen placement is
recorded like `layout`'s (the ``qirrt_physical_qubits`` attribute, ``metadata["physical_qubits"]``,
``ctx.properties["layout"]``), so compile-once/bind-many, angle-correction slots and drift
recompilation see it; ``ctx.properties["qiskit_transpile"]`` lists every candidate's score.
A program that is already placed passes through unchanged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import lru_cache

from qirrt.errors import ExecutionError, FrontendError, PassError
from qirrt.passes.base import Pass, PassContext
from qirrt.passes.circuit import Circuit
from qirrt.passes.estimate_resources import estimate

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
        circuit = Circuit.from_program(program)
        if circuit.physical is not None:
            log.info("qiskit-transpile: %r is already placed on %s; keeping it", program, circuit.physical)
            ctx.properties["layout"] = dict(enumerate(circuit.physical))
            return program
        if circuit.num_qubits > ctx.target.num_qubits:
            raise PassError(f"the program needs {circuit.num_qubits} qubits but target {ctx.target.name!r} has "
                            f"{ctx.target.num_qubits}")
        from qirrt.bindings.qiskit.to_circuit import records_of, to_qiskit
        from qirrt.device.qiskit_target import qiskit_target

        try:
            raised = to_qiskit(program)
        except ExecutionError as exc:
            raise PassError(f"pass 'qiskit-transpile' cannot raise {program!r} to Qiskit ({exc}); compile it "
                            f"with the native passes instead: --passes layout,route,decompose") from None
        records = records_of(raised)
        stripped = _split_final_measures(raised) if circuit.is_straight_line else None
        device = qiskit_target(ctx.target, ctx.calibration)
        layouts: list[tuple[str, int, list[int] | None]] = [(f"seed {s}", s, None) for s in range(self.seeds)]
        if self.native_layout and circuit.is_straight_line and raised.num_qubits:
            layouts.append(("qirrt layout", 0, _native_layout(circuit, ctx)))
        scores, best = [], None
        for label, seed, initial in layouts:
            start = time.perf_counter()
            try:
                candidate = self._candidate(program, raised, [], records, device, seed, initial, ctx)
            except _NeedsAdaptive:
                if stripped is None or not stripped[1]:
                    raise PassError(f"pass 'qiskit-transpile': Qiskit's mapping of {program!r} acts on a qubit "
                                    f"after measuring it, which its profile forbids") from None
                candidate = self._candidate(program, *stripped, records, device, seed, initial, ctx)
            resources = estimate(candidate, ctx)
            score = (resources.success_probability if resources.success_probability is not None else 0.0,
                     -resources.two_qubit_gates, -resources.depth)
            scores.append({"candidate": label, "success_probability": resources.success_probability,
                           "two_qubit_gates": resources.two_qubit_gates, "depth": resources.depth,
                           "seconds": round(time.perf_counter() - start, 4)})
            if best is None or score > best[0]:
                best = (score, candidate, label)
        _, chosen, label = best
        physical = chosen.metadata["physical_qubits"]
        ctx.properties["layout"] = dict(enumerate(physical))
        ctx.properties["qiskit_transpile"] = {"chosen": label, "candidates": scores}
        log.info("qiskit-transpile: %s chosen of %d candidates", label, len(scores))
        return chosen

    def _candidate(self, program, body, finals, records, device, seed: int, initial, ctx: PassContext):
        """One transpilation, lowered back to a placed Program."""
        from qirrt.bindings.qiskit.from_transpiled import lower_placed, used_qubits

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
        used = used_qubits(mapped)
        physical = sorted(used)
        try:
            text = lower_placed(mapped, physical=physical, records=records, parameters=program.parameters,
                                entry_point=program.entry_point, profile=program.profile)
        except FrontendError as exc:
            if "base profile forbids" in str(exc) and not finals:
                raise _NeedsAdaptive from None
            raise PassError(f"pass 'qiskit-transpile' cannot lower Qiskit's mapping of {program!r} back to QIR "
                            f"({exc}); compile it with the native passes instead") from None
        lowered = Circuit.from_ir(text, program.entry_point, len(physical))
        lowered.physical = physical
        return lowered.to_program(program, note=f"{self} (seed {seed}) → {physical}")


class _NeedsAdaptive(Exception):
    """Qiskit's mapping acts on a measured qubit: a base-profile program must be mapped without its final
    measurements (they are put back where each qubit ends)."""


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
