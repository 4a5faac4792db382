"""How much memory a state vector may take, read from the kernel (no psutil).

`available_bytes` is the smaller of `MemAvailable` in /proc/meminfo and what the cgroup still allows
(cgroup v2 `memory.max` - `memory.current`, or v1 `limit_in_bytes` - `usage_in_bytes`).
"""

from __future__ import annotations

import math

from qirrt.errors import ResourceLimitError
from qirrt.qir.memory import HEADROOM, available_bytes

ITEMSIZE = {"complex128": 16, "complex64": 8}
SMALL_BYTES = 1 << 24


def state_bytes(num_qubits: int, precision: str) -> int:
    return ITEMSIZE[precision] << num_qubits


def max_qubits(precision: str = "complex128", *, available: int | None = None) -> int:
    """The largest register one state vector of `precision` fits in now."""
    room = (available_bytes() if available is None else available) * HEADROOM
    if room < ITEMSIZE[precision]:
        return 0
    return math.floor(math.log2(room / ITEMSIZE[precision]))


def check_register(num_qubits: int, precision: str, *, limit_bytes: int | None = None) -> int:
    """Raise `ResourceLimitError` unless a `num_qubits` state fits; returns the spare bytes after it."""
    if precision not in ITEMSIZE:
        raise ValueError(f"precision must be 'complex128' or 'complex64', not {precision!r}")
    need = state_bytes(num_qubits, precision) if num_qubits < 62 else 1 << 62
    if need <= SMALL_BYTES and limit_bytes is None:
        return SMALL_BYTES * 16  # small registers: skip reading /proc on every run
    room = int(available_bytes() * HEADROOM)
    if limit_bytes is not None:
        room = min(room, int(limit_bytes))
    if need > room:
        largest = max_qubits(precision, available=int(room / HEADROOM))
        hint = " (or complex64 precision, which halves it)" if precision == "complex128" else ""
        raise ResourceLimitError(
            f"a {num_qubits}-qubit {precision} state vector needs {_gib(need)}, but only {_gib(room)} "
            f"is available; this machine holds at most {largest} qubits in {precision}{hint}")
    return room - need


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**27 else f"{n / 2**20:.1f} MiB"
