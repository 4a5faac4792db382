from __future__ import annotations

import pytest

from tests.executors.distributed.helpers import Cluster


@pytest.fixture
def cluster(tmp_path):
    made = Cluster(tmp_path)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def make_cluster(tmp_path):
    made: list[Cluster] = []

    def make(**options) -> Cluster:
        c = Cluster(tmp_path, **options)
        made.append(c)
        return c

    try:
        yield make
    finally:
        for c in made:
            c.close()
