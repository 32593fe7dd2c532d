"""Which addresses a fetch may connect to: the SSRF guard, checked at connect time.

A fetcher fed URLs from feeds and pages must not become a way into the machine's own
network: ``http://127.0.0.1:5432/``, a cloud metadata address (169.254.169.254), a home
router. Checking the URL's text is not enough (a public name can resolve to a private
address, or re-resolve between a check and the connection; a redirect can point
anywhere), so the check sits where the connection is made: :class:`GuardedBackend` is the
network backend of every client :func:`dateline.ingest.fetch.make_client` builds. It
resolves the host, refuses it unless every address it would use is public or
allow-listed (``DATELINE_FETCH_ALLOW_NETWORKS``), and connects to the address it checked,
so a second resolution cannot swap it. Redirects open their connections through the same
backend.

Out of scope: with a proxy from the environment, the proxy makes the connection, and
guarding it is the proxy's job.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable
from functools import cache
from typing import Any

import httpcore
import httpx

from dateline.errors import FetchRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Not caught by ``is_global`` in every Python version: shared address space (RFC 6598).
CGNAT = ipaddress.ip_network("100.64.0.0/10")
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's defaults


@cache
def networks(allowed: str) -> tuple[Network, ...]:
    """The setting's CIDRs (already validated when the settings were loaded)."""
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False) for p in allowed.split(",") if p.strip()
    )


def refusal(address: IPAddress, allowed: Iterable[Network] = ()) -> str | None:
    """The kind of address that keeps a fetch from ``address`` ("loopback", "private",
    …), or None when it may connect: public, or in an allow-listed network."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(address in net for net in allowed if net.version == address.version):
        return None
    for kind, hit in (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("shared (CGNAT)", address.version == 4 and address in CGNAT),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("non-public", not address.is_global),
    ):
        if hit:
            return kind
    return None


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's own synchronous backend, connecting only to checked addresses."""

    def __init__(self, allowed: str = "") -> None:
        self._inner = httpcore.SyncBackend()
        self._allowed = networks(allowed)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        address = self.checked(host, port)
        return self._inner.connect_tcp(str(address), port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise FetchRefused(f"{path}: a fetch never connects to a local socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)

    def checked(self, host: str, port: int) -> IPAddress:
        """The address to connect to: the first one ``host`` resolves to, when every one is
        allowed (a name with one private address among public ones is refused whole)."""
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:  # the same failure httpcore would report, as httpx maps it
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in found))
        for address in addresses:
            kind = refusal(address, self._allowed)
            if kind is not None:
                what = f"{address} is" if host == str(address) else f"{host} resolves to {address},"
                raise FetchRefused(
                    f"{what} a {kind} address: refused "
                    "(allow its network with DATELINE_FETCH_ALLOW_NETWORKS)"
                )
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no address")
        return addresses[0]


@cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying context per process (loading the CA bundle takes ~30 ms; a context
    is safe to share between connections and threads)."""
    return httpx.create_ssl_context()


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over :class:`GuardedBackend` (its pool rebuilt with the backend:
    httpx takes no backend argument)."""

    def __init__(self, allowed: str = "") -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=LIMITS.max_connections,
            max_keepalive_connections=LIMITS.max_keepalive_connections,
            keepalive_expiry=LIMITS.keepalive_expiry,
            network_backend=GuardedBackend(allowed),
        )


__all__ = ["CGNAT", "GuardedBackend", "GuardedTransport", "networks", "refusal"]
