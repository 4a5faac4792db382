"""ZeroMQ endpoints, parsed strictly: what a broker binds and a client or worker connects to.

ZeroMQ reads more into an endpoint than it seems to say: ``tcp://A:1;B:2`` binds or connects ``B``
(``A`` is a *source* address), ``tcp://127.1:5``, ``tcp://2130706433:5`` and ``tcp://lo:5`` all mean
loopback, ``tcp://x@y:5`` names an interface. A check on a loosely parsed URL can therefore pass
while ZeroMQ listens somewhere else. This parser accepts only the plain forms::

    tcp://HOST:PORT     HOST: dotted IPv4, [IPv6], localhost, a DNS name, or * (bind only)
                        PORT: 1..65535, or 0 or * (bind only: an ephemeral port)
    ipc://PATH          a Unix socket path (never leaves the machine)
    inproc://NAME       inside one process

and refuses anything else with an `EndpointError` that says what is wrong and what is allowed.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from qirrt.errors import ExecutionError

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                       r"(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_NUMERIC = re.compile(r"^[0-9.]+$")
_PORT = re.compile(r"^(\*|[0-9]{1,5})$")
_LOCAL_NAME = re.compile(r"^[^\x00-\x1f\x7f]+$")  # ipc paths and inproc names: printable, non-empty
FORMS = "tcp://HOST:PORT, ipc://PATH or inproc://NAME"


class EndpointError(ExecutionError):
    """An address is not one of the plain ZeroMQ endpoint forms qirrt accepts."""


@dataclass(frozen=True)
class Endpoint:
    """One parsed endpoint. `host` is an IP address (no brackets), a DNS name or ``*``; `port` is
    None for an ephemeral port; `path` is the ipc path or inproc name."""

    scheme: str
    host: str | None = None
    port: int | None = None
    path: str | None = None

    @property
    def ipv6(self) -> bool:
        return self.host is not None and ":" in self.host

    @property
    def is_loopback(self) -> bool:
        """True when traffic to or from this endpoint never leaves the machine."""
        if self.scheme in ("ipc", "inproc"):
            return True
        if self.host == "localhost":
            return True
        try:
            address = ipaddress.ip_address(self.host or "")
        except ValueError:
            return False
        mapped = getattr(address, "ipv4_mapped", None)
        return (mapped or address).is_loopback

    def __str__(self) -> str:
        if self.scheme != "tcp":
            return f"{self.scheme}://{self.path}"
        host = f"[{self.host}]" if self.ipv6 else self.host
        return f"tcp://{host}:{'*' if self.port is None else self.port}"


def parse(url: object, *, bind: bool = False) -> Endpoint:
    """The endpoint `url` names, or `EndpointError`. `bind` allows ``*`` hosts and ephemeral ports."""
    if not isinstance(url, str):
        raise EndpointError(f"an endpoint is a string like tcp://127.0.0.1:5555, not {type(url).__name__}")
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("tcp", "ipc", "inproc"):
        raise EndpointError(f"endpoint {url!r}: use {FORMS}")
    if scheme != "tcp":
        if not _LOCAL_NAME.match(rest) or rest != rest.strip():
            raise EndpointError(f"endpoint {url!r}: {scheme}:// needs a non-empty name without control "
                                f"characters or surrounding spaces")
        return Endpoint(scheme, path=rest)
    host, colon, port_text = rest.rpartition(":")
    if not colon or not _PORT.match(port_text):
        raise EndpointError(f"endpoint {url!r}: a tcp endpoint ends in :PORT (1 to 65535"
                            f"{', 0 or * to pick a free one' if bind else ''}); use {FORMS}")
    port = None if port_text == "*" else int(port_text)
    if port is not None and port > 65535:
        raise EndpointError(f"endpoint {url!r}: port {port} is above 65535")
    if port == 0:
        port = None
    if port is None and not bind:
        raise EndpointError(f"endpoint {url!r}: connect to a port from 1 to 65535")
    return Endpoint("tcp", _host(host, url, bind=bind), port)


def _host(host: str, url: str, *, bind: bool) -> str:
    if host.startswith("[") and host.endswith("]"):
        try:
            return str(ipaddress.IPv6Address(host[1:-1]))
        except ValueError:
            raise EndpointError(f"endpoint {url!r}: {host} is not an IPv6 address") from None
    if host == "*":
        if not bind:
            raise EndpointError(f"endpoint {url!r}: * (every interface) is for --bind only; "
                                f"connect to the broker's address")
        return host
    if _NUMERIC.match(host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise EndpointError(f"endpoint {url!r}: {host!r} is not a dotted IPv4 address "
                                f"like 127.0.0.1") from None
    if ";" in host:
        raise EndpointError(f"endpoint {url!r}: ZeroMQ reads 'A;B' as source A, destination B and uses B; "
                            f"give one address, tcp://HOST:PORT")
    if "@" in host:
        raise EndpointError(f"endpoint {url!r}: an '@' (an interface or source address) is not accepted; "
                            f"give one address, tcp://HOST:PORT")
    if _HOSTNAME.match(host) and not host.replace(".", "").isdigit():
        return host.lower()
    raise EndpointError(f"endpoint {url!r}: {host!r} is not an IP address or a host name (only letters, "
                        f"digits, '-' and '.'; IPv6 in brackets); use {FORMS}")
