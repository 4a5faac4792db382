"""Executors by name: the one place that turns ``local``, ``aer`` or ``package.module:Class`` into an executor.

`qirrt.run`, the mitigation pipeline, the Qiskit primitives, the CLI and the distributed worker all load
executors here. A name is a plugin of the ``qirrt.executors`` entry-point group; ``plugin:argument`` is a
plugin made with one argument (``emulated:FakeKolkata``: an adapter for that device); ``module:attr``
names an executor class (or instance) directly; ``tcp://host:port`` is a qirrt cluster (its broker), with
the CurveZMQ keys in ``$QIRRT_CLUSTER_KEYS`` (a directory) and ``$QIRRT_CLUSTER_KEY_NAME`` (which pair),
or without keys for a broker on loopback.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
from typing import Any

from qirrt.errors import PluginError
from qirrt.plugins import load_plugin, names

GROUP = "qirrt.executors"

_shared: dict[str, Any] = {}
_lock = threading.Lock()


def executor_names() -> list[str]:
    """The names registered in ``qirrt.executors``, sorted."""
    return names(GROUP)


def executor_factory(name_or_spec: str):
    """What `name_or_spec` names, not instantiated: an executor class (or instance, or factory).

    A plugin name (``local``, ``aer``, an adapter), ``plugin:argument`` or ``package.module:attribute``."""
    if is_cluster_url(name_or_spec):
        return _cluster_factory(name_or_spec)
    plugin, argument = split_plugin_argument(name_or_spec)
    if plugin is not None:
        factory = load_plugin(GROUP, plugin)
        return functools.partial(factory, argument)
    if ":" in name_or_spec:
        module_name, _, attr = name_or_spec.partition(":")
        try:
            return getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise PluginError(f"cannot load executor {name_or_spec!r}: {exc}") from exc
    return load_plugin(GROUP, name_or_spec)


def is_cluster_url(name: str) -> bool:
    return isinstance(name, str) and name.startswith(("tcp://", "ipc://"))


def split_plugin_argument(name: str) -> tuple[str | None, str]:
    """(``emulated``, ``FakeKolkata``) for ``emulated:FakeKolkata``; (None, name) when the part before the
    colon is not a registered executor plugin (then it is ``module:attribute``)."""
    left, colon, right = name.partition(":")
    if colon and right and left in executor_names():
        return left, right
    return None, name


def executor_label(name: str) -> str:
    """The short name a worker advertises for the executor `name` (``emulated`` for ``emulated:FakeKolkata``,
    ``Class`` for ``module:Class``)."""
    plugin, _ = split_plugin_argument(name)
    return plugin if plugin is not None else name.rsplit(":", 1)[-1]


def _cluster_factory(url: str):
    return functools.partial(_make_cluster, url)


def _make_cluster(url: str, **options):
    from qirrt.executors.distributed.cluster import Cluster

    keys = options.pop("keys", None) or os.environ.get("QIRRT_CLUSTER_KEYS")
    key_name = options.pop("key_name", None) or os.environ.get("QIRRT_CLUSTER_KEY_NAME")
    if keys is None:
        options.setdefault("insecure_loopback", True)  # the client refuses it unless `url` is loopback
    return Cluster(url, keys=keys, key_name=key_name, **options)


def new_executor(name_or_spec: str, **options):
    """A new executor from a plugin name, ``plugin:argument``, ``module:Class`` or a cluster URL; `options`
    go to the class."""
    obj = executor_factory(name_or_spec)
    if isinstance(obj, (type, functools.partial)):
        return obj(**options)
    if options:
        raise PluginError(f"executor {name_or_spec!r} is an instance, not a class, so it takes no options "
                          f"({', '.join(sorted(options))}); pass its name without them")
    return obj


def get_executor(name: str = "local"):
    """The shared instance of the executor `name` (made once, thread-safe)."""
    with _lock:
        executor = _shared.get(name)
        if executor is None:
            executor = _shared[name] = new_executor(name)
        return executor


__all__ = ["GROUP", "executor_factory", "executor_label", "executor_names", "get_executor", "is_cluster_url",
           "new_executor", "split_plugin_argument"]
