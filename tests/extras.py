"""Skip marks for tests that need one of qirrt's optional extras, so the suite runs cleanly without them."""

from __future__ import annotations

import importlib.util

import pytest


def installed(module: str) -> bool:
    """Whether `module` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def needs_extra(module: str, extra: str) -> pytest.MarkDecorator:
    """Skip unless `module` is installed; the reason names the extra that provides it."""
    return pytest.mark.skipif(not installed(module), reason=f"needs {module} (pip install 'qirrt[{extra}]')")


FAKE_BACKENDS = needs_extra("qiskit_ibm_runtime", "fake-backends")
"""FakeKolkata and the other fake IBM backends come from qiskit-ibm-runtime."""
