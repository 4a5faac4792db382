"""What every benchmark shares: importing a peer that may be missing, a G-test against exact
probabilities, fitting start-up + per-shot cost, and the closing JSON line.

A missing peer is never a traceback: `optional` prints one line naming the peer, why it was skipped
and the pip command that adds it, and returns None; the benchmark leaves that peer's rows out.
"""

from __future__ import annotations

import importlib
import json
import math

P_THRESHOLD = 0.001
"""A distribution check fails when its G-test p-value is below this (false alarm rate 0.1%)."""


def optional(module: str, peer: str, pip: str):
    """`module` imported, or None after printing why `peer` is skipped (a missing package, or one whose
    import fails for any other reason, e.g. a wheel built for another CPU)."""
    try:
        return importlib.import_module(module)
    except Exception as exc:  # noqa: BLE001 -- any failure to import means: skip this peer, say why
        print(f"skipping {peer}: cannot import {module} ({type(exc).__name__}: {exc}); "
              f"install it with: pip install {pip}", flush=True)
        return None


def g_test(counts: dict[str, int], probabilities: dict[str, float]) -> float:
    """p-value of `counts` against exact `probabilities` (G-test). Outcomes expected fewer than 5 times
    are pooled into one cell, so sparse distributions (many outcomes, few shots) stay valid; an
    outcome of probability < 1e-12 that occurs gives 0."""
    from scipy import stats

    shots = sum(counts.values())
    if shots == 0:
        return 0.0
    if any(probabilities.get(key, 0.0) < 1e-12 for key in counts):
        return 0.0
    observed, expected = [], []
    pooled_observed, pooled_expected = 0, 0.0
    for key, p in probabilities.items():
        if p < 1e-12:
            continue
        if p * shots >= 5:
            observed.append(counts.get(key, 0))
            expected.append(p * shots)
        else:
            pooled_observed += counts.get(key, 0)
            pooled_expected += p * shots
    if pooled_expected > 0:
        observed.append(pooled_observed)
        expected.append(pooled_expected)
    if len(observed) < 2:
        return 1.0
    scale = shots / sum(expected)
    expected = [e * scale for e in expected]
    return float(stats.power_divergence(observed, expected, lambda_="log-likelihood").pvalue)


def fit_linear(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares (a, b) of time = a + b·shots through ≥ 2 (shots, seconds) points; a is clipped at 0
    (timer noise can put the intercept slightly below)."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    b = sum((x - mean_x) * (y - mean_y) for x, y in points) / var
    a = mean_y - b * mean_x
    if a < 0:
        a, b = 0.0, sum(x * y for x, y in points) / sum(x * x for x, _ in points)
    return a, b


def emit(line: dict) -> dict:
    """Print the closing JSON line (non-finite floats as null) and return it."""
    def clean(value):
        if isinstance(value, float):
            return round(value, 6) if math.isfinite(value) else None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    line = clean(line)
    print(json.dumps(line), flush=True)
    return line


def distribution_check(counts: dict[str, int], probabilities: dict[str, float]) -> float:
    """Bonferroni-corrected p-value of `counts` against exact `probabilities`: the G-test of the whole
    key and of every bit's marginal (keys' characters, spaces dropped). The marginals keep the check's
    power when a slow peer can only afford tens of shots of a distribution with thousands of outcomes."""
    def marginal(table: dict, position: int) -> dict:
        out: dict[str, float] = {}
        for key, value in table.items():
            bit = key.replace(" ", "")[position]
            out[bit] = out.get(bit, 0) + value
        return out

    width = len(next(iter(probabilities)).replace(" ", "")) if probabilities else 0
    p_values = [g_test(counts, probabilities)]
    p_values += [g_test(marginal(counts, i), marginal(probabilities, i)) for i in range(width)]
    return min(1.0, min(p_values) * len(p_values))
