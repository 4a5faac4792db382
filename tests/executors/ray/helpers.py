"""Executors the Ray tests load by name on Ray workers (``tests.executors.ray.helpers:SlowLocal``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from qirrt.executors.local.executor import LocalExecutor


class SlowLocal(LocalExecutor):
    """The local executor, after noting its process id in ``$QIRRT_RAY_TEST_DIR`` and sleeping 1.5 s: a
    task long enough for the test to find the worker process and kill it."""

    def execute(self, programs, **options):
        scratch = Path(os.environ["QIRRT_RAY_TEST_DIR"])
        (scratch / f"pid-{os.getpid()}").touch()
        time.sleep(1.5)
        return super().execute(programs, **options)
