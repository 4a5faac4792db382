"""Statistical checks used by the tests: G-tests of observed counts against exact probabilities or each other."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import stats

P_THRESHOLD = 0.001
"""Tests reject a distribution when the G-test p-value falls below this (false alarm rate 0.1%)."""


def g_test_pvalue(counts: Mapping[str, int], probabilities: Mapping[str, float]) -> float:
    """p-value of observed counts against expected probabilities; outcomes with p < 1e-12 must not occur."""
    shots = sum(counts.values())
    impossible = [k for k in counts if probabilities.get(k, 0.0) < 1e-12]
    if impossible:
        return 0.0
    keys = [k for k, p in probabilities.items() if p >= 1e-12]
    observed = [counts.get(k, 0) for k in keys]
    expected = [probabilities[k] * shots for k in keys]
    total = sum(expected)
    expected = [e * shots / total for e in expected]
    if len(keys) == 1:
        return 1.0
    return float(stats.power_divergence(observed, expected, lambda_="log-likelihood").pvalue)


def assert_distribution(counts: Mapping[str, int], probabilities: Mapping[str, float]) -> None:
    p = g_test_pvalue(counts, probabilities)
    assert p > P_THRESHOLD, f"G-test p={p:.2e} ≤ {P_THRESHOLD}: counts {dict(counts)} vs {dict(probabilities)}"


def assert_same_distribution(a: Mapping[str, float], b: Mapping[str, float], atol: float = 1e-9) -> None:
    keys = set(a) | set(b)
    worst = max((abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys), default=0.0)
    assert worst <= atol, f"distributions differ by {worst:.3g}: {dict(a)} vs {dict(b)}"


def two_sample_pvalue(a: dict[str, int], b: dict[str, int]) -> float:
    """G-test that two samples come from one distribution (2×K contingency table)."""
    keys = sorted(set(a) | set(b))
    if len(keys) < 2:
        return 1.0
    table = np.array([[a.get(k, 0) for k in keys], [b.get(k, 0) for k in keys]])
    return float(stats.chi2_contingency(table, lambda_="log-likelihood")[1])


def assert_same_sample(a: dict[str, int], b: dict[str, int]) -> None:
    p = two_sample_pvalue(a, b)
    assert p > P_THRESHOLD, f"two-sample G-test p={p:.2e} ≤ {P_THRESHOLD}: {a} vs {b}"
