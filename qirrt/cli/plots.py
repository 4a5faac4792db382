"""The `--plot` pictures (matplotlib, the `plot` extra): each `*_figure` builds a Figure, `save` writes it.

The builders return matplotlib `Figure`s so tests can inspect their axes, labels and lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np


def _pyplot():
    from qirrt.errors import require

    require("matplotlib", extra="plot", feature="--plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(figure, path: Path) -> None:
    """Write `figure` to `path` (format from the suffix: .png, .svg, .pdf) and release it."""
    plt = _pyplot()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def counts_figure(counts: Mapping[str, int], *, title: str):
    """A histogram of the counts, keys sorted."""
    plt = _pyplot()
    items = sorted(counts.items())
    figure, axes = plt.subplots(figsize=(max(4.0, 0.4 * len(items) + 2), 3.5))
    axes.bar([k or "(empty)" for k, _ in items], [v for _, v in items], color="#4063d8")
    axes.set_xlabel("outcome")
    axes.set_ylabel("counts")
    axes.set_title(title)
    axes.tick_params(axis="x", rotation=90 if len(items) > 8 else 0)
    return figure


def _fit_degree(extrapolation: str, points: int, order: int | None) -> int:
    if extrapolation == "linear":
        return 1
    if extrapolation == "polynomial" and order:
        return min(order, points - 1)
    return points - 1  # richardson: the polynomial through every point


def zne_figure(details: Mapping, *, mitigated: float, unmitigated: float, mitigated_error: float | None = None,
               observable: str = "O", title: str = ""):
    """Zero-noise extrapolation: measured ⟨O⟩ per noise scale (error bars), the fit, the zero-noise
    estimate at scale 0 and the unmitigated value. `details` is a zne group's `details` from a
    mitigated Result's metadata (scale_factors, values, errors, extrapolation)."""
    plt = _pyplot()
    scales = np.asarray(details["scale_factors"], dtype=float)
    values = np.asarray(details["values"], dtype=float)
    errors = details.get("errors")
    figure, axes = plt.subplots(figsize=(5.5, 3.8))
    axes.errorbar(scales, values, yerr=None if errors is None else np.asarray(errors, dtype=float), fmt="o",
                  color="#4063d8", capsize=4, label="measured")
    extrapolation = details.get("extrapolation", "richardson")
    grid = np.linspace(0.0, float(scales.max()), 200)
    if extrapolation == "exponential":
        axes.plot(np.concatenate([[0.0], scales]), np.concatenate([[mitigated], values]), "--", color="#4063d8",
                  label="exponential fit")
    else:
        coefficients = np.polyfit(scales, values, _fit_degree(extrapolation, len(scales), details.get("order")))
        axes.plot(grid, np.polyval(coefficients, grid), "--", color="#4063d8", label=f"{extrapolation} fit")
    axes.errorbar([0.0], [mitigated], yerr=None if mitigated_error is None else [mitigated_error], fmt="*",
                  markersize=12, color="#cb3c33", capsize=4, label=f"zero-noise estimate {mitigated:.4f}")
    axes.axhline(unmitigated, color="#389826", linestyle=":", label=f"unmitigated {unmitigated:.4f}")
    axes.set_xlabel("noise scale factor")
    axes.set_ylabel(f"<{observable}>")
    axes.set_xlim(left=-0.3)
    axes.set_title(title or "zero-noise extrapolation")
    axes.legend(fontsize="small")
    return figure


def sweep_figure(points: Sequence[Mapping[str, float]], series: Mapping[str, Sequence[float]], *,
                 errors: Mapping[str, Sequence[float]] | None = None, ylabel: str, title: str = ""):
    """One line per entry of `series` (a value per parameter point). The x axis is the one parameter that
    varies (its value), or the point's index when several or none do."""
    plt = _pyplot()
    names = list(points[0]) if points else []
    varying = [n for n in names if len({p[n] for p in points}) > 1]
    if len(varying) == 1:
        x = [p[varying[0]] for p in points]
        xlabel = varying[0]
    else:
        x = list(range(len(points)))
        xlabel = "parameter point"
    figure, axes = plt.subplots(figsize=(5.5, 3.8))
    for label, values in series.items():
        yerr = None if errors is None or label not in errors else errors[label]
        axes.errorbar(x, values, yerr=yerr, marker="o", capsize=3, label=label)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    if len(series) > 1:
        axes.legend(fontsize="small")
    return figure


def _mean(values) -> float:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else float("nan")


def calibration_series(calibration) -> dict[str, float]:
    """Device-wide means of one snapshot: T1 and T2 (µs), one- and two-qubit gate error, readout error."""
    qubits = list(calibration.qubits.values())
    gates = calibration.gates
    return {
        "t1_us": _mean(q.t1_s * 1e6 if q.t1_s is not None else None for q in qubits),
        "t2_us": _mean(q.t2_s * 1e6 if q.t2_s is not None else None for q in qubits),
        "gate_error_1q": _mean(g.error for (name, qs), g in gates.items() if len(qs) == 1),
        "gate_error_2q": _mean(g.error for (name, qs), g in gates.items() if len(qs) == 2),
        "readout_error": _mean(q.readout_error for q in qubits),
    }


def drift_figure(calibrations: Sequence, drift_at: Sequence, *, title: str = ""):
    """Calibration history: T1/T2, gate errors and readout error (device means) over time, with a
    vertical line at each snapshot in `drift_at` (timestamps whose drift exceeded the thresholds)."""
    plt = _pyplot()
    times = [c.timestamp for c in calibrations]
    rows = [calibration_series(c) for c in calibrations]
    figure, (coherence, gate, readout) = plt.subplots(3, 1, sharex=True, figsize=(7.0, 7.0))
    coherence.plot(times, [r["t1_us"] for r in rows], "o-", label="T1")
    coherence.plot(times, [r["t2_us"] for r in rows], "s-", label="T2")
    coherence.set_ylabel("mean T1, T2 (µs)")
    gate.plot(times, [r["gate_error_1q"] for r in rows], "o-", label="1-qubit gates")
    gate.plot(times, [r["gate_error_2q"] for r in rows], "s-", label="2-qubit gates")
    gate.set_ylabel("mean gate error")
    gate.set_yscale("log")
    readout.plot(times, [r["readout_error"] for r in rows], "o-", label="readout")
    readout.set_ylabel("mean readout error")
    readout.set_xlabel("calibration time (UTC)")
    for axes in (coherence, gate, readout):
        for moment in drift_at:
            axes.axvline(moment, color="#cb3c33", linestyle="--", linewidth=1)
        axes.legend(fontsize="small")
    coherence.set_title(title + (f" ({len(drift_at)} drift events)" if drift_at else ""))
    figure.autofmt_xdate()
    return figure
