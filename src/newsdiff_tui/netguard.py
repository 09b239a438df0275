"""The network guard: which addresses the fetcher may connect to, enforced at connect time.

By default a fetch never reaches loopback, private, link-local (169.254.169.254, the cloud
metadata service), multicast, reserved, unspecified or otherwise non-public addresses, IPv4 or
IPv6 (IPv4-mapped, 6to4 and NAT64 addresses are judged by the IPv4 address they carry). Why:
a hostile page or feed could otherwise make a cron ``fetch`` read an intranet page into a
stored version, and from there into a published export.

The check runs where the connection is made: ``GuardedBackend`` is an httpcore network backend
that resolves the host name itself, checks every address, and connects to an address it
checked (never to the name, so a DNS answer that changes between the check and the connect,
"DNS rebinding", cannot slip through). Redirects open their connections through the same
backend, so every hop is checked.

The opt-in, for intranet news sites and for tests on 127.0.0.1, is the environment variable
``NEWSDIFF_ALLOW_PRIVATE``: ``1`` allows every address; a comma-separated list of addresses or
networks (``10.1.0.0/16,192.168.1.20``) allows only those.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import select
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx
from httpcore import AnyIOBackend, AsyncNetworkBackend, AsyncNetworkStream

from newsdiff_tui.errors import NewsdiffError

__all__ = [
    "ALLOW_PRIVATE_ENV",
    "AddressPolicy",
    "AddressRefused",
    "GuardedBackend",
    "GuardedTransport",
    "address_problem",
    "host_problem",
]

ALLOW_PRIVATE_ENV = "NEWSDIFF_ALLOW_PRIVATE"
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# How an address is named when refused, by the first ``ipaddress`` property it has.
_KINDS = (
    ("unspecified", "is_unspecified"),
    ("loopback", "is_loopback"),
    ("link-local", "is_link_local"),
    ("multicast", "is_multicast"),
    ("private", "is_private"),
    ("reserved", "is_reserved"),
)
_TRUE = {"1", "true", "yes", "on", "all"}
_FALSE = {"", "0", "false", "no", "off"}


class AddressRefused(Exception):
    """A connection the guard refused; the message is the user's ("refused: private address
    10.0.0.5")."""


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why connecting to ``address`` is refused by default ("private address 10.0.0.5"), or
    None for a public address."""
    judged: IPAddress = address
    name = str(address)
    if isinstance(address, ipaddress.IPv6Address):
        carried = _carried_ipv4(address)
        if carried is not None:
            judged, name = carried, f"{carried} (as {address})"
    kind = next((kind for kind, test in _KINDS if getattr(judged, test)), None)
    if kind is None and not judged.is_global:
        kind = "non-public"  # e.g. carrier-grade NAT, documentation ranges
    return None if kind is None else f"{kind} address {name}"


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses are allowed anyway: all of them, or some networks."""

    allow_all: bool = False
    allowed: tuple[IPNetwork, ...] = ()

    def problem(self, address: IPAddress) -> str | None:
        """The refusal ("refused: loopback address 127.0.0.1"), or None if allowed."""
        if self.allow_all:
            return None
        reason = address_problem(address)
        if reason is None:
            return None
        candidates = [address]
        if isinstance(address, ipaddress.IPv6Address) and _carried_ipv4(address):
            candidates.append(_carried_ipv4(address))  # type: ignore[arg-type]
        for candidate in candidates:
            if any(candidate.version == n.version and candidate in n for n in self.allowed):
                return None
        return f"refused: {reason}"

    @classmethod
    def parse(cls, value: str, *, what: str = ALLOW_PRIVATE_ENV) -> AddressPolicy:
        """A policy from ``1`` / ``0`` or a comma-separated list of addresses and networks.

        Raises ``NewsdiffError`` naming ``what`` for anything else.
        """
        text = value.strip().lower()
        if text in _TRUE:
            return cls(allow_all=True)
        if text in _FALSE:
            return cls()
        networks: list[IPNetwork] = []
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise NewsdiffError(
                    f"{what}: {part!r} is not an address or network; use 1 (allow every "
                    "address), 0, or a list such as 10.1.0.0/16,192.168.1.20"
                ) from None
        return cls(allowed=tuple(networks))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AddressPolicy:
        """The policy ``NEWSDIFF_ALLOW_PRIVATE`` asks for (none set: public addresses only)."""
        environ = os.environ if environ is None else environ
        return cls.parse(environ.get(ALLOW_PRIVATE_ENV, ""))


def _literal(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is one (brackets and an IPv6 zone allowed)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to for a TCP connection, in the resolver's order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


def _judge(addresses: Iterable[str], policy: AddressPolicy) -> tuple[list[str], str | None]:
    """The addresses the policy allows, and the first refusal (for the message)."""
    allowed: list[str] = []
    refusal = None
    for address in addresses:
        parsed = _literal(address)
        problem = (
            f"refused: unparseable address {address}" if parsed is None else policy.problem(parsed)
        )
        if problem is None:
            allowed.append(address)
        elif refusal is None:
            refusal = problem
    return allowed, refusal


async def host_problem(host: str, policy: AddressPolicy, *, timeout: float = 5.0) -> str | None:
    """Whether fetching from ``host`` would be refused, for checks ahead of any fetch (a feed's
    links). None when allowed, or when the name cannot be resolved now (offline): the guard
    decides again when a fetch connects."""
    literal = _literal(host)
    if literal is not None:
        return policy.problem(literal)
    if policy.allow_all:
        return None
    try:
        addresses = await asyncio.wait_for(_resolve(host, 80), timeout)
    except (OSError, TimeoutError, UnicodeError):
        return None
    allowed, refusal = _judge(addresses, policy)
    return None if allowed else refusal


def _readable(sock: socket.socket | None) -> bool:
    """Whether a socket has data (or EOF) waiting: for an idle keep-alive connection, that the
    server closed it."""
    if sock is None or sock.fileno() == -1:
        return True
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    return bool(select.select([sock], [], [], 0)[0])


class _Stream(AsyncNetworkStream):
    """A connected stream that knows its socket.

    httpcore asks every idle connection whether its socket is readable on every request it
    places; anyio answers by building a dict of all the socket's attributes, with system
    calls, each time (a tenth of a fetch run's CPU). Here the socket is looked up once.
    """

    def __init__(self, inner: AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read from the wrapped stream."""
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write to the wrapped stream."""
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        """Close the wrapped stream."""
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        """Start TLS on the wrapped stream; the result knows its socket too."""
        return _Stream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        """The socket and its readability from our cache; anything else from the wrapped stream."""
        if info == "socket":
            return self._socket
        if info == "is_readable":
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


class GuardedBackend(AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses ``policy`` allows.

    It resolves names itself and hands the chosen address, never the name, to the real backend;
    TLS still verifies the certificate against the URL's host name (httpcore passes it as SNI).
    """

    def __init__(self, policy: AddressPolicy, inner: AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self._inner = inner or AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        """Resolve ``host`` and connect to an address ``policy`` allows; refuse it if none is."""
        deadline = None if timeout is None else time.monotonic() + timeout
        literal = _literal(host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await asyncio.wait_for(_resolve(host, port), timeout)
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(f"looking up {host} timed out") from exc
            except (OSError, UnicodeError) as exc:
                raise httpcore.ConnectError(str(exc)) from exc
        allowed, refusal = _judge(addresses, self.policy)
        if not allowed:
            raise AddressRefused(refusal or f"refused: {host} has no address")
        error: Exception | None = None
        for address in allowed:  # in the resolver's order, as a browser would
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                stream = await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=left,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
            else:
                return _Stream(stream)
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        """Always refused: a URL never names a unix socket."""
        raise AddressRefused("refused: unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the wrapped backend does."""
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport with its connection pool opening connections through
    ``GuardedBackend`` (httpx builds httpcore's pool without a backend parameter, so the pool
    is rebuilt here with the same limits)."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        verify: ssl.SSLContext,
        limits: httpx.Limits,
    ) -> None:
        """httpx's transport with ``verify`` and ``limits``, its pool rebuilt on
        ``GuardedBackend(policy)``."""
        super().__init__(verify=verify, limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )
