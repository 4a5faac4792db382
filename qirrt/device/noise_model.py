"""An Aer `NoiseModel` from a qirrt `Calibration`: thermal relaxation, depolarising gate errors, readout.

The model is the one `qiskit_aer.noise.NoiseModel.from_backend` builds from a device's target, made
from qirrt's own calibration snapshot instead (so a stored, drifted or edited calibration can be
simulated):

* every calibrated gate on its qubits gets a T1/T2 thermal-relaxation error for its duration (the
  tensor product over its qubits, T2 truncated to 2·T1), composed after a depolarising error whose
  strength makes the gate's average infidelity equal the calibrated error (no depolarising part when
  relaxation alone already exceeds it);
* every qubit gets a readout error: symmetric with the calibrated ``readout_error`` (as Aer does for
  BackendV2 targets), or asymmetric from ``prob_meas1_prep0`` / ``prob_meas0_prep1`` with
  ``asymmetric_readout=True`` where the calibration has them;
* delays get thermal relaxation through Aer's `RelaxationNoisePass` (``dt_s`` converts ``dt`` units).

Qubit temperature is taken as zero (no thermal excitation), as in Aer's default.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from qirrt.errors import CalibrationError

if TYPE_CHECKING:
    from qiskit_aer.noise import NoiseModel

    from qirrt.device.calibration import Calibration

__all__ = ["basis_gates_of", "noise_model_from_calibration", "qiskit_gate_name"]

_QISKIT_NAMES = {"s__adj": "sdg", "t__adj": "tdg", "ccx": "ccx"}
_NOT_NOISY = {"measure", "barrier", "delay"}
_NON_UNITARY = {"reset"}  # relaxation only, as Aer models non-gate instructions


def qiskit_gate_name(name: str) -> str:
    """A dialect gate name in Qiskit's spelling (``s__adj`` → ``sdg``)."""
    return _QISKIT_NAMES.get(name, name)


def basis_gates_of(calibration: Calibration) -> list[str]:
    """The Qiskit names of the gates a calibration covers (what circuits must be translated to)."""
    return sorted({qiskit_gate_name(name) for name, _ in calibration.gates})


def _relaxation(qubits: tuple[int, ...], duration_s: float, calibration: Calibration):
    from qiskit_aer.noise import thermal_relaxation_error

    error = None
    for q in qubits:
        t1, t2 = _t1_t2(calibration, q)
        single = thermal_relaxation_error(t1, t2, duration_s, 0)
        error = single if error is None else error.expand(single)
    return error


def _t1_t2(calibration: Calibration, qubit: int) -> tuple[float, float]:
    entry = calibration.qubits.get(qubit)
    t1 = entry.t1_s if entry is not None and entry.t1_s else math.inf
    t2 = entry.t2_s if entry is not None and entry.t2_s else None
    t2 = 2 * t1 if t2 is None else min(t2, 2 * t1)
    return t1, t2


def _depolarizing(num_qubits: int, error: float, relaxation):
    """The depolarising channel that, composed with `relaxation`, has average infidelity `error`."""
    from qiskit import quantum_info as qi
    from qiskit_aer.noise import depolarizing_error

    relax_fidelity = qi.average_gate_fidelity(relaxation) if relaxation is not None else 1.0
    relax_infidelity = 1.0 - relax_fidelity
    if error <= relax_infidelity:
        return None
    dim = 2 ** num_qubits
    error = min(error, dim / (dim + 1))
    parameter = dim * (error - relax_infidelity) / (dim * relax_fidelity - 1)
    parameter = min(parameter, 4 ** num_qubits / (4 ** num_qubits - 1))
    return depolarizing_error(parameter, num_qubits)


def noise_model_from_calibration(calibration: Calibration, *, gate_error: bool = True,
                                 thermal_relaxation: bool = True, readout_error: bool = True,
                                 asymmetric_readout: bool = False, dt_s: float | None = None,
                                 qubits: Iterable[int] | None = None) -> NoiseModel:
    """An Aer noise model of `calibration` (see the module docstring); `qubits` limits it to some qubits."""
    from qiskit.circuit import Delay
    from qiskit_aer.noise import NoiseModel, ReadoutError
    from qiskit_aer.noise.passes import RelaxationNoisePass

    chosen = None if qubits is None else {int(q) for q in qubits}
    basis = basis_gates_of(calibration)
    model = NoiseModel(basis_gates=[g for g in basis if g not in _NOT_NOISY])
    for (name, gate_qubits), entry in sorted(calibration.gates.items()):
        if name in _NOT_NOISY or (chosen is not None and not set(gate_qubits) <= chosen):
            continue
        relaxation = None
        if thermal_relaxation and entry.duration_ns:
            relaxation = _relaxation(gate_qubits, entry.duration_ns * 1e-9, calibration)
        depolarizing = None
        if gate_error and entry.error and name not in _NON_UNITARY:
            depolarizing = _depolarizing(len(gate_qubits), float(entry.error), relaxation)
        if depolarizing is not None and relaxation is not None:
            combined = depolarizing.compose(relaxation)
        else:
            combined = depolarizing if depolarizing is not None else relaxation
        if combined is not None:
            model.add_quantum_error(combined, qiskit_gate_name(name), list(gate_qubits), warnings=False)
    if readout_error:
        for q, entry in sorted(calibration.qubits.items()):
            if chosen is not None and q not in chosen:
                continue
            if asymmetric_readout and entry.prob_meas1_prep0 is not None and entry.prob_meas0_prep1 is not None:
                p01, p10 = entry.prob_meas1_prep0, entry.prob_meas0_prep1
            elif entry.readout_error is not None:
                p01 = p10 = entry.readout_error
            else:
                continue
            if not (0.0 <= p01 <= 1.0 and 0.0 <= p10 <= 1.0):
                raise CalibrationError(f"calibration {calibration.epoch} of {calibration.target_name}: qubit {q} "
                                       f"has readout error probabilities {p01}, {p10} outside [0, 1]")
            if p01 == 0 and p10 == 0:
                continue
            model.add_readout_error(ReadoutError([[1 - p01, p01], [p10, 1 - p10]]), [q], warnings=False)
    if thermal_relaxation and calibration.qubits:
        size = max(calibration.qubits) + 1
        t1s, t2s = zip(*(_t1_t2(calibration, q) for q in range(size)))
        try:
            model._custom_noise_passes.append(RelaxationNoisePass(t1s=list(t1s), t2s=list(t2s), dt=dt_s,
                                                                  op_types=Delay))
        except (ValueError, TypeError):  # pragma: no cover - Aer rejects incomplete T1/T2 data
            pass
    return model
