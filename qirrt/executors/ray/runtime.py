"""Ray itself: imported on first use (with the install hint), addresses checked, a cluster started or joined.

Addresses: None or ``"local"`` starts a local Ray on demand (``ray.init(num_cpus=...)``) unless this process
already runs one; ``"auto"`` joins the cluster already running on this machine; ``"ray://host:port"`` is
the Ray Client port of a remote head (10001 by default); ``"host:port"`` is a head's GCS address, for a
driver on a cluster node. ``"//host:port"`` is ``"ray://host:port"`` as the executor registry hands it over.
"""

from __future__ import annotations

import logging
import re
import threading

from qirrt.errors import ExecutionError, MissingOptionalDependencyError

log = logging.getLogger(__name__)

RAY_CLIENT_PORT = 10001
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)$")
_lock = threading.Lock()
_joined: str | None = None  # the address this process joined (None: a local Ray, or one started by others)


class RayAddressError(ExecutionError, ValueError):
    """A Ray address or option that cannot be used, or a cluster that cannot be reached."""


def ray_module():
    """The `ray` module, or the error naming the extra that installs it."""
    try:
        import ray
    except ImportError:
        raise MissingOptionalDependencyError("ray", "ray", "the Ray executor") from None
    return ray


def check_address(address: object) -> str | None:
    """`address` in the form `ray.init` takes (None: start a local Ray), or a `RayAddressError` saying why not."""
    if address is None or address == "local":
        return None
    if not isinstance(address, str):
        raise RayAddressError(f"a Ray address is a string such as 'ray://head:10001', got {type(address).__name__}")
    if address == "auto":
        return "auto"
    text = "ray:" + address if address.startswith("//") else address
    scheme, sep, rest = text.rpartition("://")
    if sep and scheme != "ray":
        raise RayAddressError(f"Ray address {address!r}: the scheme must be ray:// (Ray Client, port "
                              f"{RAY_CLIENT_PORT}) or none (a head's GCS address host:port), not {scheme}://")
    host, colon, port = rest.rpartition(":")
    if not colon:
        host, port = rest, str(RAY_CLIENT_PORT) if sep else ""
    if not host or not _HOST.match(host) or not port.isdigit() or not 0 < int(port) < 65536:
        raise RayAddressError(f"Ray address {address!r} is not host:port (e.g. 'ray://head:{RAY_CLIENT_PORT}', "
                              f"'10.0.0.5:6379', 'auto' or 'local')")
    return f"ray://{host}:{int(port)}" if sep else f"{host}:{int(port)}"


def ensure_started(address: str | None, *, num_cpus: int | None = None, namespace: str = "qirrt",
                   init_options: dict | None = None):
    """Ray, initialised in this process: joined to `address` (a checked address), or a local Ray started with
    `num_cpus` when `address` is None. A Ray this process already runs is used as it is."""
    global _joined
    ray = ray_module()
    with _lock:
        if ray.is_initialized():
            if address not in (None, "auto") and address != _joined:
                raise RayAddressError(f"this process already runs Ray ({_joined or 'started by ray.init'}); one "
                                      f"process joins one Ray cluster, so {address} cannot be joined too "
                                      f"(call ray.shutdown() first, or use address=None to use the one running)")
            return ray
        if num_cpus is not None and (isinstance(num_cpus, bool) or not isinstance(num_cpus, int) or num_cpus < 1):
            raise RayAddressError(f"num_cpus must be a whole number ≥ 1, got {num_cpus!r}")
        options = {"namespace": namespace, "log_to_driver": False, "ignore_reinit_error": True,
                   **(init_options or {})}
        if address is None:
            options.setdefault("include_dashboard", False)
            if num_cpus is not None:
                options["num_cpus"] = num_cpus
        elif num_cpus is not None:
            raise RayAddressError(f"num_cpus={num_cpus} sizes a local Ray; a cluster at {address} has its own "
                                  f"(leave num_cpus out, or use address='local')")
        try:
            ray.init(address=address, **options)
        except (ConnectionError, TimeoutError, RuntimeError, ValueError) as exc:
            raise RayAddressError(f"cannot start or reach Ray at {address or 'a new local instance'}: {exc} "
                                  f"(is the head running, and its port reachable from here?)") from exc
        _joined = address
        log.info("Ray started: %s", address or f"local, {num_cpus or 'all'} CPUs")
        return ray


__all__ = ["RAY_CLIENT_PORT", "RayAddressError", "check_address", "ensure_started", "ray_module"]
