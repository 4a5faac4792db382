"""Fixtures for the mitigation tests."""

from __future__ import annotations

import pytest

from tests.api.mitigate.helpers import ExactSampler


@pytest.fixture
def sampler():
    return ExactSampler()
