"""Fixtures for the adapter tests."""

from __future__ import annotations

import pytest

from qirrt.adapters.base import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    """A clock the test moves by hand (starts at 2026-01-01 UTC)."""
    return ManualClock()
