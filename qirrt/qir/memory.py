"""How much memory this process may still use, read from the kernel (no psutil).

`available_bytes` is the smaller of `MemAvailable` in /proc/meminfo and what the cgroup still allows
(cgroup v2 `memory.max` - `memory.current`, or v1 `limit_in_bytes` - `usage_in_bytes`).
"""

from __future__ import annotations

import os

HEADROOM = 0.9
"""Fraction of the available memory a run may plan to use (the rest is left to the process)."""


def _read_int(path: str) -> int | None:
    try:
        with open(path) as handle:
            text = handle.read().strip()
    except OSError:
        return None
    if not text or text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_room() -> int | None:
    limit = _read_int("/sys/fs/cgroup/memory.max")
    if limit is not None:
        used = _read_int("/sys/fs/cgroup/memory.current") or 0
        return max(0, limit - used)
    limit = _read_int("/sys/fs/cgroup/memory/memory.limit_in_bytes")
    if limit is not None and limit < 1 << 60:
        used = _read_int("/sys/fs/cgroup/memory/memory.usage_in_bytes") or 0
        return max(0, limit - used)
    return None


def available_bytes() -> int:
    """Bytes this process can still allocate without swapping or an OOM kill (best estimate)."""
    candidates = [v for v in (_meminfo_available(), _cgroup_room()) if v is not None]
    if not candidates:
        try:
            return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError):
            return 1 << 34
    return min(candidates)


__all__ = ["HEADROOM", "available_bytes"]
