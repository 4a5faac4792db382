"""`PassManager`: runs passes in order, timing each and (in debug mode) verifying after each."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from qirrt.errors import PassError, QirrtError
from qirrt.passes.base import Pass, PassContext
from qirrt.passes.pipeline import format_pipeline, parse_pipeline

log = logging.getLogger(__name__)


class PassManager:
    """A sequence of passes. Build from instances or from pipeline text (`PassManager.parse`)."""

    def __init__(self, passes: Iterable[Pass] = (), *, debug: bool = False):
        self.passes: list[Pass] = list(passes)
        for p in self.passes:
            if not isinstance(p, Pass):
                raise PassError(f"{p!r} is not a Pass")
        self.debug = debug
        self.timings_s: list[tuple[str, float]] = []

    @classmethod
    def parse(cls, pipeline: str, *, debug: bool = False) -> PassManager:
        return cls(parse_pipeline(pipeline), debug=debug)

    @property
    def pipeline(self) -> str:
        """The pipeline as text; `PassManager.parse(pm.pipeline)` rebuilds the same passes."""
        return format_pipeline(self.passes)

    def __str__(self) -> str:
        return self.pipeline

    def __repr__(self) -> str:
        return f"PassManager({self.pipeline!r})"

    def __len__(self) -> int:
        return len(self.passes)

    def run(self, program, ctx: PassContext | None = None, *, target=None, calibration=None):
        """Apply every pass in order and return the final Program."""
        if ctx is None:
            ctx = PassContext(target=target, calibration=calibration, debug=self.debug)
        debug = self.debug or ctx.debug
        self.timings_s = []
        for p in self.passes:
            start = time.perf_counter()
            try:
                result = p.apply(program, ctx)
            except QirrtError:
                raise
            except Exception as exc:  # a bug in a pass: say which pass and on what
                raise PassError(f"pass '{p}' failed on {program!r}: {type(exc).__name__}: {exc}") from exc
            elapsed = time.perf_counter() - start
            self.timings_s.append((p.name, elapsed))
            log.debug("pass %s: %.3f ms", p, elapsed * 1e3)
            if result is None:
                raise PassError(f"pass '{p}' returned None instead of a Program")
            if debug:
                _verify(result, p)
            program = result
        ctx.properties.setdefault("timings_s", []).extend(self.timings_s)
        return program


def _verify(program, p: Pass) -> None:
    from qirrt.qir.program import parse_module

    module = parse_module(program.ir)
    error = module.verify()
    if error:
        raise PassError(f"after pass '{p}' the module does not verify: {error.strip()}")
    program.validate(module=module)


__all__ = ["PassManager"]
