"""Progress on stderr: a rich bar on a terminal, a line every few seconds elsewhere, nothing with --quiet.

The work stays on the calling thread (pyqir objects must not cross threads); only the periodic line
runs on a helper thread. rich is imported only when a bar is shown.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO

COLD_KERNELS = "compiling simulator kernels once, ~1 min; cached for later runs"


def announce_cold_kernels(executor: str, precision: str, *, quiet: bool, stream: IO[str] | None = None) -> bool:
    """Say so in one line when the local executor is about to compile its numba kernels; True if it did."""
    if quiet or executor != "local":
        return False
    from qirrt.executors.local.numba_cache import kernels_cached

    if kernels_cached(precision):
        return False
    stream = stream or sys.stderr
    print(COLD_KERNELS, file=stream, flush=True)
    return True


class Progress:
    """Progress of `total` items (None: one piece of work of unknown length) called `label`.

    On a terminal a rich bar (items done, per-item state, elapsed time, ETA) appears once the work has
    taken `delay_s`; elsewhere one line every `interval_s`; with `quiet` nothing.
    """

    def __init__(self, label: str, total: int | None = None, *, quiet: bool = False, stream: IO[str] | None = None,
                 interval_s: float = 5.0, delay_s: float = 1.0, clock=time.monotonic):
        self.label = label
        self.total = total
        self.done = 0
        self.state = ""
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self.delay_s = delay_s
        self.clock = clock
        self._start = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar = None
        self._task = None

    @property
    def terminal(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def __enter__(self) -> Progress:  # noqa: PYI034
        if not self.quiet:
            target = self._bar_after_delay if self.terminal else self._lines
            self._thread = threading.Thread(target=target, name="qirrt-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.stop()

    def advance(self, state: str = "", steps: int = 1) -> None:
        """One more item done (`state` describes it, e.g. "theta=0.3: done")."""
        self.done += steps
        self.state = state
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, state=state)

    def expect(self, count: int) -> None:
        """`count` more items are on their way (the total grows; unknown totals start from zero)."""
        self.total = (self.total or 0) + count
        if self._bar is not None:
            self._bar.update(self._task, total=self.total)

    def describe(self, state: str) -> None:
        """Show `state` (e.g. "queued, position 3, ETA 12 s") without counting an item."""
        self.state = state
        if self._bar is not None:
            self._bar.update(self._task, state=state)

    def line(self) -> str:
        """The non-terminal progress line: label, items done, elapsed time, ETA."""
        elapsed = self.clock() - self._start
        text = f"{self.label}: "
        if self.total is not None:
            text += f"{self.done}/{self.total} done, "
        text += f"{elapsed:.0f} s elapsed"
        if self.total and 0 < self.done < self.total:
            text += f", ETA {elapsed / self.done * (self.total - self.done):.0f} s"
        if self.state:
            text += f" ({self.state})"
        return text

    def _lines(self) -> None:
        while not self._stop.wait(self.interval_s):
            print(self.line(), file=self.stream, flush=True)

    def _bar_after_delay(self) -> None:
        if self._stop.wait(self.delay_s):
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        columns = [SpinnerColumn(), TextColumn("{task.description}")]
        if self.total is not None:
            columns += [BarColumn(), MofNCompleteColumn()]
        columns += [TimeElapsedColumn()]
        if self.total is not None:
            columns += [TextColumn("ETA"), TimeRemainingColumn()]
        columns += [TextColumn("{task.fields[state]}")]
        bar = Bar(*columns, console=Console(file=self.stream), transient=True)
        self._task = bar.add_task(self.label, total=self.total, completed=self.done, state=self.state)
        bar.start()
        self._bar = bar
        self._stop.wait()
