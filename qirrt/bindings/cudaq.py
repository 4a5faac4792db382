"""CUDA-Q kernels → `Program`, through `cudaq.translate` and normalisation.

`cudaq.translate(kernel, *args, format=...)` emits QIR in three dialects; qirrt accepts all of them:

* ``qir-base`` and ``qir-adaptive``: static qubits, QIR 0.1 attribute names, an entry point whose
  name embeds a per-run address, records between gates (adaptive);
* ``qir`` (full): dynamic qubit allocation, `generalizedInvokeWithRotationsControlsTargets`, no output
  records — lowered by the normaliser to a static program recording every result, result 0 first.

Kernel arguments are baked in by `cudaq.translate`, so a kernel with parameters needs `args=`.
Outputs read as cudaq prints them: qubit/result 0 leftmost.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any

from qirrt.errors import FrontendError, require
from qirrt.qir.program import Profile, Program

_FORMATS = {
    None: ("qir-base", "qir-adaptive"),
    Profile.BASE: ("qir-base",),
    Profile.ADAPTIVE: ("qir-adaptive",),
    Profile.FULL: ("qir",),
}


def _kernel_name(kernel: Any) -> str:
    return str(getattr(kernel, "name", None) or getattr(kernel, "__name__", None) or type(kernel).__name__)


@contextlib.contextmanager
def _captured_stderr():
    """Collect what native code writes to file descriptor 2 (cudaq reports pass failures there)."""
    captured: list[str] = []
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (embedded interpreters): nothing to capture
        yield captured
        return
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read().decode("utf-8", "replace").strip())


def translate(kernel: Any, *args: Any, format: str) -> str:
    """`cudaq.translate` with cudaq's native error output folded into the exception."""
    cudaq = require("cudaq", extra="cudaq", feature="The CUDA-Q frontend")
    with _captured_stderr() as native:
        try:
            return cudaq.translate(kernel, *args, format=format)
        except Exception as exc:  # noqa: BLE001 - cudaq raises RuntimeError, ValueError, ...
            error = exc
    detail = " ".join(line for line in native if line)
    raise FrontendError(f"cudaq.translate(format={format!r}) failed for kernel '{_kernel_name(kernel)}': "
                        f"{str(error).strip()}{' — ' + detail if detail else ''}")


def from_cudaq(kernel: Any, *, args: tuple | list = (), profile: Profile | str | None = None,
               source_file: str | None = None) -> Program:
    """Translate a CUDA-Q kernel and normalise it.

    `profile=None` asks cudaq for the base profile and falls back to the adaptive one (mid-circuit
    measurement, multi-controlled gates); "full" uses cudaq's full-QIR output.
    """
    requested = Profile.parse(profile) if isinstance(profile, str) else profile
    failures: list[str] = []
    for fmt in _FORMATS[requested]:
        try:
            text = translate(kernel, *args, format=fmt)
        except FrontendError as exc:
            failures.append(str(exc))
            continue
        return Program.from_ir(text, producer="cudaq", source_file=source_file)
    raise FrontendError("; ".join(failures))


class CudaqFrontend:
    """Entry-point plugin: accepts `@cudaq.kernel` functions and `cudaq.make_kernel()` builders."""

    name = "cudaq"

    @staticmethod
    def accepts(source: Any) -> bool:
        kind = type(source)
        return kind.__module__.startswith("cudaq.") and kind.__name__ in ("PyKernelDecorator", "PyKernel")

    @staticmethod
    def load(source: Any, **options: Any) -> Program:
        return from_cudaq(source, **options)


__all__ = ["CudaqFrontend", "from_cudaq", "translate"]
