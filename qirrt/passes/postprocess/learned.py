"""`mlp`: a learned readout corrector for correlated readout errors (a scikit-learn MLP, extra ``learned``).

**Calibration.** Basis-state preparations over the m measured bits (all 2^m when 2^m ≤ `circuits`,
else `circuits` distinct random states drawn with `seed`), each measured with the program's own
measurements, so crosstalk between neighbouring readouts shows up in the data.

**Model.** A multi-layer perceptron (``sklearn.neural_network.MLPClassifier``, ReLU hidden layers of
sizes `hidden`, logistic outputs, L-BFGS, `random_state=seed`) reads a measured bit string and gives,
for each measured bit i, q_i(m) = P(prepared_i = 1 | measured m): a multi-label classifier trained on
(measured bits → prepared bits) pairs weighted by their counts. Because every output sees all measured
bits, a qubit's correction depends on what its neighbours read — what a tensored (per-qubit) inverse
cannot express. The joint posterior under the calibration's uniform prior is taken as
Q(x | m) = Π_i q_i(m)^{x_i} (1 − q_i(m))^{1 − x_i}.

**Correction.** The measured distribution is mapped through the learned conditional, with the prior
updated from the previous estimate (iterative Bayesian unfolding): starting from the uniform
distribution, p_{t+1}(x) = Σ_m p_noisy(m) · Q(x|m) p_t(x) / Σ_x' Q(x'|m) p_t(x'), for at most
`iterations` rounds. The first round is exactly "map through P(prepared | measured)"; later rounds
replace the calibration's uniform prior with the current estimate, which is what makes peaked
distributions come out right. The result is a proper distribution (non-negative, same total). Bits
that are not final measurements are left as they are (each of their patterns is corrected
separately). Up to 12 measured bits (2^12 prepared states are enumerated).

The fitted state is the network's weights and biases as nested lists, so applying a shipped state needs
only numpy; fitting needs scikit-learn (``pip install 'qirrt[learned]'``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from qirrt.errors import CalibrationError, PassError
from qirrt.observables import strip_key
from qirrt.passes.outcomes import QuasiDistribution
from qirrt.passes.postprocess.base import CalibrationData, PostProcessor, Requirements

MAX_QUBITS = 12
_CLIP = 1e-6


@dataclass(frozen=True)
class LearnedReadoutCorrector(PostProcessor):
    """A small neural network's P(prepared | measured), applied by iterative Bayesian unfolding."""

    name: ClassVar[str] = "mlp"
    requires: ClassVar[Requirements] = Requirements(snapshot=False, circuits=True, max_qubits=MAX_QUBITS)

    hidden: tuple[int, ...] = (32,)
    circuits: int = 32
    iterations: int = 200
    seed: int = 0
    max_iter: int = 400
    alpha: float = 1e-4
    weights: tuple[tuple[tuple[float, ...], ...], ...] = ()  # per layer: (inputs × outputs)
    biases: tuple[tuple[float, ...], ...] = ()

    def __post_init__(self) -> None:
        if not self.hidden or any(h < 1 for h in self.hidden):
            raise PassError(f"mlp hidden layer sizes must be ≥ 1, got {self.hidden}")
        if self.circuits < 2 or self.iterations < 1 or self.max_iter < 1 or self.alpha < 0:
            raise PassError("mlp needs circuits ≥ 2, iterations ≥ 1, max_iter ≥ 1 and alpha ≥ 0")
        if len(self.weights) != len(self.biases):
            raise PassError("mlp state: one bias vector per weight matrix")

    # -- calibration ------------------------------------------------------------------------------
    def calibration_states(self, measured: int) -> list[str]:
        if measured > MAX_QUBITS:
            raise PassError(f"the mlp readout corrector handles up to {MAX_QUBITS} measured bits, the program "
                            f"measures {measured}: use readout-model{{name=tensored}}")
        if 2 ** measured <= self.circuits:
            indices = range(2 ** measured)
        else:
            rng = np.random.default_rng(self.seed)
            indices = sorted(int(i) for i in rng.choice(2 ** measured, size=self.circuits, replace=False))
        return [format(i, f"0{measured}b") for i in indices]

    def fit(self, data: CalibrationData) -> LearnedReadoutCorrector:
        from qirrt.errors import require

        if not data.samples:
            raise CalibrationError("the mlp readout corrector learns from calibration circuits: run it as "
                                   "readout-model{name=mlp} (source=circuits), or fit it on CalibrationData "
                                   "with samples")
        m = len(data.positions)
        if m > MAX_QUBITS:
            raise PassError(f"the mlp readout corrector handles up to {MAX_QUBITS} measured bits, got {m}")
        inputs, targets, weights = [], [], []
        for state, distribution in data.samples:
            if len(state) != m:
                raise CalibrationError(f"calibration state {state!r} has {len(state)} bits for {m} measured bits")
            for measured, p in data.measured(distribution).items():
                if p > 0:
                    inputs.append([int(b) for b in measured])
                    targets.append([int(b) for b in state])
                    weights.append(p * distribution.shots)
        y = np.array(targets, dtype=int)
        if not len(y) or (y.min(axis=0) == y.max(axis=0)).any():
            raise CalibrationError("the mlp readout corrector needs calibration states that prepare both 0 and 1 on "
                                   "every measured qubit")
        neural = require("sklearn.neural_network", extra="learned", feature="the mlp readout corrector")
        model = neural.MLPClassifier(hidden_layer_sizes=tuple(self.hidden), activation="relu", solver="lbfgs",
                                     alpha=self.alpha, max_iter=self.max_iter, random_state=self.seed)
        import warnings

        with warnings.catch_warnings():  # L-BFGS stopping at max_iter is fine for a calibration fit
            warnings.simplefilter("ignore")
            model.fit(np.array(inputs, dtype=float), y, sample_weight=np.array(weights, dtype=float))
        return self._fitted_for(
            data, weights=tuple(tuple(tuple(float(v) for v in row) for row in layer) for layer in model.coefs_),
            biases=tuple(tuple(float(v) for v in layer) for layer in model.intercepts_))

    # -- the network ------------------------------------------------------------------------------
    def posterior_bits(self, measured: np.ndarray) -> np.ndarray:
        """q_i(m) = P(prepared_i = 1 | measured m) for each row of 0/1 `measured` (rows × m)."""
        activation = np.asarray(measured, dtype=float)
        layers = list(zip(self.weights, self.biases))
        for index, (w, b) in enumerate(layers):
            activation = activation @ np.asarray(w) + np.asarray(b)
            if index < len(layers) - 1:
                activation = np.maximum(activation, 0.0)
        return 1.0 / (1.0 + np.exp(-activation))

    def unfold(self, patterns: list[str], weights: np.ndarray) -> np.ndarray:
        """Iterative Bayesian unfolding of the measured `patterns` (weights) → a vector over 2^m states."""
        m = len(self.positions)
        measured = np.array([[int(b) for b in p] for p in patterns], dtype=float)
        q = np.clip(self.posterior_bits(measured), _CLIP, 1 - _CLIP)
        states = (np.arange(2 ** m)[:, None] >> np.arange(m - 1, -1, -1)[None, :]) & 1
        log_q = np.log(q) @ states.T + np.log1p(-q) @ (1 - states).T
        likelihood = np.exp(log_q - log_q.max(axis=1, keepdims=True))  # rows: measured, columns: prepared
        total = float(weights.sum())
        if total == 0:
            return np.zeros(2 ** m)
        w = weights / total
        estimate = np.full(2 ** m, 1.0 / 2 ** m)
        for _ in range(self.iterations):
            denominator = likelihood @ estimate
            updated = estimate * (likelihood.T @ (w / np.maximum(denominator, 1e-300)))
            done = np.abs(updated - estimate).max() < 1e-12
            estimate = updated
            if done:
                break
        return estimate * total

    def correct(self, distribution: QuasiDistribution) -> QuasiDistribution:
        positions = list(self.positions)
        others = [i for i in range(self.width) if i not in set(positions)]
        slices: dict[str, dict[str, float]] = {}
        template = ""
        for key, p in distribution.probabilities.items():
            template = template or key
            bits = strip_key(key)
            rest = "".join(bits[i] for i in others)
            sub = slices.setdefault(rest, {})
            pattern = "".join(bits[i] for i in positions)
            sub[pattern] = sub.get(pattern, 0.0) + p
        spaces = [i for i, ch in enumerate(template) if ch == " "]
        out: dict[str, float] = {}
        m = len(positions)
        for rest, sub in slices.items():
            patterns = list(sub)
            vector = self.unfold(patterns, np.array([sub[p] for p in patterns]))
            for index in np.flatnonzero(np.abs(vector) > 1e-12):
                bits = ["0"] * self.width
                for position, bit in zip(positions, format(int(index), f"0{m}b")):
                    bits[position] = bit
                for position, bit in zip(others, rest):
                    bits[position] = bit
                key = "".join(bits)
                for position in spaces:
                    key = key[:position] + " " + key[position:]
                out[key] = float(vector[index])
        return QuasiDistribution(out, distribution.shots, distribution.circuits)


__all__ = ["MAX_QUBITS", "LearnedReadoutCorrector"]
