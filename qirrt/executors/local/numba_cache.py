"""Numba's on-disk cache, keyed on all of the executor's kernel sources at once.

Numba invalidates a cached function only when its own file changes, yet a cached function embeds
the code of everything it calls — a kernel edited in another file would keep running stale. The
locators below give every function defined in this package one source stamp: a hash of all the
package's numba modules, so editing any of them recompiles all of them. Import this module before
defining any `cache=True` function here.
"""

from __future__ import annotations

import hashlib
import os

from numba.core import caching

_DIR = os.path.dirname(os.path.abspath(__file__))
KERNEL_MODULES = ("abi.py", "kernels/bits.py", "kernels/buffers.py",
                  "kernels/gate_table.py", "kernels/fusion.py", "kernels/statevector.py", "pointers.py",
                  "services.py", "driver.py", "interpreter.py", "numba_cache.py",
                  "../../qir/gates.py")  # the gate table's matrices, frozen into the compiled kernels


def _stamp() -> str:
    digest = hashlib.sha256()
    for name in KERNEL_MODULES:
        path = os.path.join(_DIR, name)
        try:
            with open(path, "rb") as handle:
                digest.update(handle.read())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


STAMP = _stamp()


def _ours(py_file: str) -> bool:
    return os.path.abspath(py_file).startswith(_DIR + os.sep)


def _locator(base):
    class Locator(base):
        def get_source_stamp(self):
            return STAMP

        @classmethod
        def from_function(cls, py_func, py_file):
            if not _ours(py_file):
                return None
            return super().from_function(py_func, py_file)

    Locator.__name__ = f"Qirrt{base.__name__.lstrip('_')}"
    return Locator


def _marker_dir() -> str:
    """Where numba puts this package's cache: NUMBA_CACHE_DIR, else beside the sources when writable."""
    from numba.core import config

    if config.CACHE_DIR:
        return config.CACHE_DIR
    tree = os.path.join(_DIR, "__pycache__")
    if os.access(_DIR, os.W_OK) or os.access(tree, os.W_OK):
        return tree
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "qirrt")


def _marker(precision: str) -> str:
    return os.path.join(_marker_dir(), f"qirrt-kernels-{precision}-{STAMP[:16]}.ready")


def kernels_cached(precision: str = "complex128") -> bool:
    """Whether the kernels for `precision` were compiled into numba's cache since their sources last changed."""
    return os.path.exists(_marker(precision))


def mark_cached(precision: str) -> None:
    """Note that the kernels for `precision` are in numba's cache now (best effort)."""
    path = _marker(precision)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(STAMP + "\n")
    except OSError:
        pass


def install() -> None:
    """Put qirrt's locators in front of numba's own (idempotent)."""
    names = ("UserProvidedCacheLocator", "InTreeCacheLocator", "UserWideCacheLocator")
    bases = [getattr(caching, n, None) or getattr(caching, "_" + n, None) for n in names]
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
    classes = impl._locator_classes
    if any(getattr(c, "_qirrt", False) for c in classes):
        return
    ours = []
    for base in bases:
        if base is not None:
            locator = _locator(base)
            locator._qirrt = True
            ours.append(locator)
    classes[:0] = ours


install()
