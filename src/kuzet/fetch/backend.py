"""The connection layer: every TCP connection goes to an address the AddressGuard vetted.

httpx hands the hostname to httpcore, which asks its *network backend* to open a TCP stream.
``GuardedBackend`` replaces that backend: it resolves the host once through
``AddressGuard.resolve`` (which applies ``KUZET_RESOLVE`` overrides and refuses private,
loopback and metadata addresses) and connects to the vetted IP itself. The hostname is never
resolved a second time, so a DNS-rebinding name cannot swap in 127.0.0.1 between the check and
the connection. TLS is started by httpcore on the stream we return, with the original hostname
as SNI and for certificate verification; the Host header is untouched.

The stream wrapper also clamps every socket wait to the current fetch's wall-clock deadline, so
a server that drips one byte per second, or stalls after the headers, cannot keep a fetch alive
past ``total_timeout`` (httpx's own read timeout restarts on every received byte).
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypedDict

import httpcore
import httpx
from httpcore import ConnectError, ConnectTimeout, NetworkBackend, NetworkStream, ReadTimeout, WriteTimeout
from httpcore._backends.sync import SyncBackend

from kuzet.fetch.guard import AddressGuard


@dataclass(frozen=True, slots=True)
class FetchScope:
    """What the connection layer needs to know about the fetch in progress."""

    url: str  # the requested URL, named in guard errors whatever hop is being connected
    deadline: float  # time.monotonic() value after which every socket wait fails


_SCOPE: contextvars.ContextVar[FetchScope | None] = contextvars.ContextVar("kuzet_fetch_scope", default=None)


@contextlib.contextmanager
def fetch_scope(url: str, deadline: float) -> Iterator[FetchScope]:
    scope = FetchScope(url=url, deadline=deadline)
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def _clamp(timeout: float | None, exc: type[Exception]) -> float | None:
    """The smaller of ``timeout`` and the time left before the fetch's deadline."""
    scope = _SCOPE.get()
    if scope is None:
        return timeout
    left = scope.deadline - time.monotonic()
    if left <= 0:
        raise exc("total time limit reached")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(NetworkStream):
    """Delegates to a real stream, with every wait bounded by the fetch deadline."""

    def __init__(self, inner: NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _clamp(timeout, ConnectTimeout))
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(NetworkBackend):
    """A sync httpcore backend that connects only to guard-vetted addresses.

    ``trusted`` lists (host, port) pairs the operator configured (the proxy) that are connected
    to without the guard: they are not crawled content.
    """

    def __init__(self, guard: AddressGuard, *, trusted: Iterable[tuple[str, int]] = ()) -> None:
        self._guard = guard
        self._trusted = {(h.lower(), p) for h, p in trusted}
        self._sync = SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> NetworkStream:
        scope = _SCOPE.get()
        url = scope.url if scope else f"//{host}:{port}"
        # resolve() raises BlockedAddress (not an httpcore error), which passes through httpx as is.
        trusted = (host.lower(), port) in self._trusted
        addresses = [host] if trusted else self._guard.resolve(host, port, url=url)
        last: Exception | None = None
        for address in addresses:
            try:
                stream = self._sync.connect_tcp(
                    address,
                    port,
                    timeout=_clamp(timeout, ConnectTimeout),
                    local_address=local_address,
                    socket_options=list(socket_options or []),
                )
            except (ConnectError, ConnectTimeout) as e:
                last = e
                continue
            return DeadlineStream(stream)
        if isinstance(last, ConnectTimeout):
            raise last
        raise ConnectError(f"could not connect to {host}:{port} ({', '.join(addresses)}): {last}")

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> NetworkStream:
        raise ConnectError("unix sockets are not used by the fetcher")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with its connection pool rebuilt on the guarded backend.

    httpx does not expose the network backend, so the pool it builds is replaced by an
    identical one (same SSL context and limits) that uses ``GuardedBackend``.
    """

    def __init__(self, guard: AddressGuard, *, proxy: str | None = None, verify: ssl.SSLContext | bool = True) -> None:
        super().__init__(verify=verify, trust_env=False, retries=0)
        ctx = httpx.create_ssl_context(verify=verify, trust_env=False)
        pool: httpcore.ConnectionPool
        if not proxy:
            self._pool = httpcore.ConnectionPool(ssl_context=ctx, network_backend=GuardedBackend(guard), **_LIMITS)
            return
        purl = httpx.URL(proxy)
        default_port = {"https": 443, "socks5": 1080, "socks5h": 1080}.get(purl.scheme, 80)
        port = purl.port or default_port
        backend = GuardedBackend(guard, trusted=[(purl.host, port)])
        core_url = httpcore.URL(scheme=purl.raw_scheme, host=purl.raw_host, port=port, target=purl.raw_path)
        auth = (purl.username, purl.password) if purl.username else None
        if purl.scheme in ("http", "https"):
            pool = httpcore.HTTPProxy(
                proxy_url=core_url, proxy_auth=auth, ssl_context=ctx, network_backend=backend, **_LIMITS
            )
        elif purl.scheme in ("socks5", "socks5h"):
            pool = httpcore.SOCKSProxy(
                proxy_url=core_url, proxy_auth=auth, ssl_context=ctx, network_backend=backend, **_LIMITS
            )
        else:
            raise ValueError(f"unsupported proxy scheme {purl.scheme!r} (http, https, socks5)")
        self._pool = pool


class _Limits(TypedDict):
    max_connections: int
    max_keepalive_connections: int
    keepalive_expiry: float


_LIMITS = _Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=5.0)


def server_address(extensions: dict[str, Any]) -> str | None:
    """The peer IP of the connection that answered, when httpcore exposes it."""
    stream = extensions.get("network_stream")
    if stream is None:
        return None
    try:
        addr = stream.get_extra_info("server_addr")
    except OSError:
        return None
    if isinstance(addr, tuple) and addr:
        return str(addr[0])
    return None
