"""qirrt's on-disk cache: where it lives, a stamp of the code that wrote it, and safe entries.

Loaded programs (`qirrt.qir.program_cache`) and JIT-compiled object code
(`qirrt.executors.local.object_cache`) are kept here so that a second process neither normalises
nor compiles again. The directory is ``$QIRRT_CACHE_DIR``, else ``$XDG_CACHE_HOME/qirrt``, else
``~/.cache/qirrt``; ``QIRRT_NO_CACHE=1`` (or the callers' own ``cache=False`` options) turns it off.

Every entry is written to a temporary file in the same directory and renamed into place (readers see
a whole entry or none, concurrent writers of one key both write the same bytes), and carries a
SHA-256 of its payload: an entry that fails the check is removed and reported as a miss, so a
corrupt or truncated file only costs the work it was meant to save. Keys include `code_stamp()`,
which changes whenever any qirrt source file or the LLVM/numba packages change.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import sys
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

ENV_DIR = "QIRRT_CACHE_DIR"
ENV_DISABLE = "QIRRT_NO_CACHE"
_MAGIC = b"QIRRTC1\n"
_DIGEST = 32
_PACKAGE = Path(__file__).resolve().parents[1]
_STAMPED = ("qir", "bindings", "executors/local", "api/load.py", "errors.py", "result.py")
"""The parts of qirrt whose code decides what a loaded program or compiled object holds."""
_PACKAGES = ("pyqir", "llvmlite", "numba", "qiskit", "qiskit_qasm3_import", "qsharp", "qdk")
"""Libraries that parse, lower or compile on the way (stamped by where they live and when installed)."""


def cache_dir() -> Path | None:
    """The cache directory, or None when the cache is disabled through ``QIRRT_NO_CACHE``."""
    if os.environ.get(ENV_DISABLE, "").strip().lower() not in ("", "0", "false", "no"):
        return None
    explicit = os.environ.get(ENV_DIR)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "qirrt"


_stamp: str | None = None


def code_stamp() -> str:
    """A hash of qirrt's loading and compiling source files (path, size, modification time), of where and
    when the libraries they use were installed, of the Python version and the machine: entries written
    by other code are never read. (File metadata only: `importlib.metadata` would cost 50-100 ms.)"""
    global _stamp
    if _stamp is None:
        digest = hashlib.sha256()
        for part in _STAMPED:
            for path in _sources(_PACKAGE / part):
                _stamp_file(digest, path)
        for package in _PACKAGES:
            _stamp_file(digest, _origin(package))
        digest.update(f"{sys.version}|{platform.machine()}".encode())
        _stamp = digest.hexdigest()
    return _stamp


def _sources(top: Path):
    """The `.py` files of a file or a folder (recursively, `__pycache__` left out), in a stable order."""
    walk = [(str(top.parent), [], [top.name])] if top.is_file() else os.walk(top)
    for root, dirs, files in walk:
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(root, name)


def _stamp_file(digest, path: str | None) -> None:
    try:
        stat = os.stat(path) if path else None
    except OSError:
        stat = None
    digest.update(f"{path}:{stat.st_size if stat else -1}:{stat.st_mtime_ns if stat else -1}\n".encode())


def _origin(package: str) -> str | None:
    """The file a top-level package is loaded from, found without importing it."""
    from importlib.util import find_spec

    try:
        spec = find_spec(package)
    except (ImportError, ValueError):
        return None
    return spec.origin if spec is not None else None


def key(*parts: object) -> str:
    """A file-name-safe key of `parts` (with the code stamp)."""
    digest = hashlib.sha256(code_stamp().encode())
    for part in parts:
        digest.update(b"\0" + (part if isinstance(part, bytes) else repr(part).encode()))
    return digest.hexdigest()


def entry_path(kind: str, name: str, suffix: str = ".bin") -> Path | None:
    root = cache_dir()
    return None if root is None else root / kind / f"{name[:2]}" / f"{name}{suffix}"


def read(path: Path | None) -> bytes | None:
    """The payload stored at `path`, or None when it is missing, unreadable or fails its checksum
    (a bad entry is removed)."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(_MAGIC) + _DIGEST
    payload = data[head:]
    if data[:len(_MAGIC)] != _MAGIC or hashlib.sha256(payload).digest() != data[len(_MAGIC):head]:
        log.warning("qirrt cache entry %s is corrupt; removed (it will be rebuilt)", path)
        discard(path)
        return None
    return payload


def write(path: Path | None, payload: bytes) -> bool:
    """Store `payload` at `path` atomically; False (logged) when the cache cannot be written."""
    if path is None:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
            os.replace(temporary, path)
        except BaseException:
            discard(Path(temporary))
            raise
        return True
    except OSError as exc:
        log.info("qirrt cache not written (%s): %s", path, exc)
        return False


def discard(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


__all__ = ["ENV_DIR", "ENV_DISABLE", "cache_dir", "code_stamp", "discard", "entry_path", "key", "read", "write"]
