"""The dashboard's connection to the broker: `Client`s for the actions (submit, cancel, status, workers).

A `Client` is not thread-safe and the web app serves requests on a thread pool, so each client sits
behind a lock. Without CurveZMQ keys (a loopback broker) there is one client per token user, so the
broker records the real user as each job's owner; with keys every action goes through the dashboard's
own key pair and `TokenStore.record_owner` says which user a job is for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from qirrt.executors.distributed.client import Client


@dataclass(frozen=True)
class BrokerSettings:
    """How to reach the broker: its URL, and keys (a directory and key name) or insecure loopback."""

    url: str
    keys: tuple[Path, str] | Path | None = None
    insecure_loopback: bool = False
    timeout_s: float = 10.0


class BrokerLink:
    """Clients of the broker, made on first use, each used by one thread at a time."""

    def __init__(self, settings: BrokerSettings):
        self.settings = settings
        self._lock = threading.Lock()
        self._clients: dict[str, tuple[threading.Lock, Client]] = {}

    @property
    def per_user(self) -> bool:
        """True when the broker sees each token user as themselves (no keys: the client names the user)."""
        return self.settings.keys is None

    def _client(self, user: str) -> tuple[threading.Lock, Client]:
        key = user if self.per_user else ""
        with self._lock:
            entry = self._clients.get(key)
            if entry is None:
                s = self.settings
                client = Client(s.url, keys=s.keys, insecure_loopback=s.insecure_loopback,
                                user=user if self.per_user else None, timeout_s=s.timeout_s)
                entry = self._clients[key] = (threading.Lock(), client)
            return entry

    def call(self, user: str, action, *args, **kwargs):
        """`action(client, *args, **kwargs)` on `user`'s client, holding its lock."""
        lock, client = self._client(user)
        with lock:
            return action(client, *args, **kwargs)

    def close(self) -> None:
        with self._lock:
            for lock, client in self._clients.values():
                with lock:
                    client.close()
            self._clients.clear()
