"""The async twin of the guarded fetch path, for ``kuzet crawl``'s many concurrent requests.

``AsyncGuardedBackend`` is ``fetch.backend.GuardedBackend`` for httpcore's async pool: every TCP
connection goes to an address ``AddressGuard.resolve`` vetted (``KUZET_RESOLVE`` overrides,
private / loopback / metadata refused in production), resolved once, so DNS rebinding cannot
slip in. Redirects are followed one hop at a time by ``AsyncFetcher`` and each hop connects
through the same backend, so a redirect to 127.0.0.1 or 169.254.169.254 is refused too.

Bounds are the sync fetcher's: one wall-clock budget (``total_timeout``) per fetch, the decoded
body capped at ``max_body_bytes`` (HTML is cut and marked truncated), decompression bombs
refused by ratio, non-text types not read, at most ``max_redirects`` hops, loops refused.
``Page.snapshot()`` gives the sync fetcher's record (headers, redirect chain, sniffed type,
encoding), so the monitor stores an async fetch exactly as it stores a sync one.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urldefrag, urljoin

import anyio
import httpcore
import httpx
from httpcore import AsyncNetworkBackend, AsyncNetworkStream, ConnectError, ConnectTimeout
from httpcore._backends.auto import AutoBackend

from kuzet.errors import BodyTooLarge, FetchError, FetchTimeout, TooManyRedirects, UnsupportedContent
from kuzet.fetch.backend import server_address
from kuzet.fetch.body import ACCEPT_ENCODING, MAX_RATIO, RATIO_MIN_BYTES, BodyDecoder, UnknownEncoding
from kuzet.fetch.charset import choose_encoding
from kuzet.fetch.fetcher import (
    ACCEPT,
    ACCEPT_LANGUAGE,
    MAX_URL_LENGTH,
    RATIO_SLICE,
    REDIRECT_STATUSES,
    TRUNCATABLE,
)
from kuzet.fetch.guard import AddressGuard
from kuzet.fetch.sniff import GENERIC_TYPES, SNIFF_BYTES, is_text_type, looks_binary, media_type, sniff_text_type
from kuzet.records import Snapshot, utcnow
from kuzet.settings import Settings


class AsyncGuardedBackend(AsyncNetworkBackend):
    """An async httpcore backend that connects only to guard-vetted addresses."""

    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = AutoBackend()
        self._resolved: dict[tuple[str, int], list[str]] = {}

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        key = (host.lower(), port)
        addresses = self._resolved.get(key)
        if addresses is None:
            # getaddrinfo blocks: off the event loop. BlockedAddress passes through httpx as is.
            addresses = await anyio.to_thread.run_sync(
                lambda: self._guard.resolve(host, port, url=f"http://{host}:{port}/")
            )
            self._resolved[key] = addresses
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (ConnectError, ConnectTimeout) as e:
                last = e
        if isinstance(last, ConnectTimeout):
            raise last
        raise ConnectError(f"could not connect to {host}:{port} ({', '.join(addresses)}): {last}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> AsyncNetworkStream:
        raise ConnectError("unix sockets are not used by the fetcher")

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)


class AsyncGuardedTransport(httpx.AsyncHTTPTransport):
    def __init__(
        self, guard: AddressGuard, *, verify: ssl.SSLContext | bool = True, max_connections: int = 100
    ) -> None:
        super().__init__(verify=verify, trust_env=False, retries=0)
        ctx = httpx.create_ssl_context(verify=verify, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ctx,
            network_backend=AsyncGuardedBackend(guard),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=30.0,
        )


@dataclass(slots=True)
class Page:
    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    sha256: str
    elapsed_ms: int
    truncated: bool = False
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    redirects: list[str] = field(default_factory=list)  # the URLs that answered with a redirect
    server_ip: str | None = None
    raw_type: str = ""  # the Content-Type header as sent (its charset picks the encoding)
    fetched_at: datetime = field(default_factory=utcnow)

    def snapshot(self) -> Snapshot:
        return Snapshot(
            url=self.url,
            final_url=self.final_url,
            status=self.status,
            headers=dict(self.headers),
            body=self.body,
            content_type=self.content_type,
            encoding=choose_encoding(self.body, self.raw_type) if self.body else None,
            fetched_at=self.fetched_at,
            elapsed_ms=self.elapsed_ms,
            redirects=list(self.redirects),
            server_ip=self.server_ip,
            sha256=self.sha256,
            truncated=self.truncated,
        )


class AsyncFetcher:
    """Guarded async GET with the sync fetcher's limits. One per event loop; ``aclose()`` it."""

    def __init__(self, settings: Settings, *, guard: AddressGuard | None = None, max_connections: int = 100) -> None:
        self.settings = settings
        self.guard = guard or AddressGuard.from_settings(settings)
        s = settings
        self._client = httpx.AsyncClient(
            transport=AsyncGuardedTransport(self.guard, max_connections=max_connections),
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=s.total_timeout
            ),
            headers={
                "User-Agent": s.user_agent,
                "Accept": ACCEPT,
                "Accept-Language": ACCEPT_LANGUAGE,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, *, text_only: bool = True, headers: dict[str, str] | None = None) -> Page:
        """Fetch ``url`` following redirects; raises a FetchError subclass when it cannot.
        ``headers`` are sent with every hop (the validators of a conditional request)."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.settings.total_timeout):
                return await self._fetch(url, started, text_only, headers)
        except TimeoutError as e:
            raise FetchTimeout(f"{url}: total time limit of {self.settings.total_timeout:g}s reached", url=url) from e

    async def _fetch(self, url: str, started: float, text_only: bool, headers: dict[str, str] | None) -> Page:
        visits: dict[str, int] = {}
        current = url
        chain: list[str] = []
        while True:
            if len(current) > MAX_URL_LENGTH:
                raise FetchError(f"{url}: URL longer than {MAX_URL_LENGTH} characters", url=url)
            if not current.startswith(("http://", "https://")):
                raise FetchError(f"{url}: {current[:200]!r} is not an http(s) URL", url=url)
            key = urldefrag(current)[0]
            visits[key] = visits.get(key, 0) + 1
            try:
                async with self._client.stream("GET", current, headers=headers) as resp:
                    location = resp.headers.get("location")
                    if resp.status_code in REDIRECT_STATUSES and location:
                        nxt = urljoin(current, location.strip())
                        chain.append(current)
                        if len(chain) > self.settings.max_redirects:
                            raise TooManyRedirects(f"{url}: over {self.settings.max_redirects} redirects", url=url)
                        if visits.get(urldefrag(nxt)[0], 0) >= 2:
                            raise TooManyRedirects(f"{url}: redirect loop back to {nxt}", url=url)
                        current = nxt
                        continue
                    return await self._read(url, current, chain, resp, started, text_only)
            except httpx.TimeoutException as e:
                raise FetchTimeout(f"{url}: timed out fetching {current} ({type(e).__name__})", url=url) from e
            except httpx.InvalidURL as e:
                raise FetchError(f"{url}: invalid URL {current[:200]!r}: {e}", url=url) from e
            except httpx.HTTPError as e:
                raise FetchError(f"{url}: {type(e).__name__} fetching {current}: {e}", url=url) from e

    async def _read(
        self, url: str, final_url: str, chain: list[str], resp: httpx.Response, started: float, text_only: bool
    ) -> Page:
        limit = self.settings.max_body_bytes
        raw_type = resp.headers.get("content-type", "")
        mtype = media_type(raw_type)
        status = resp.status_code

        def page(body: bytes, truncated: bool = False, ctype: str = mtype) -> Page:
            return Page(
                url=url,
                final_url=final_url,
                status=status,
                content_type=ctype,
                body=body,
                sha256=hashlib.sha256(body).hexdigest(),
                elapsed_ms=int((time.monotonic() - started) * 1000),
                truncated=truncated,
                retry_after=resp.headers.get("retry-after"),
                headers={k.lower(): v for k, v in resp.headers.items()},
                redirects=list(chain),
                server_ip=server_address(resp.extensions),
                raw_type=raw_type,
            )

        if status in (204, 304) or status < 200:
            return page(b"")
        if text_only and mtype not in GENERIC_TYPES and not is_text_type(mtype):
            if 200 <= status < 300:
                raise UnsupportedContent(f"{url}: not text ({mtype}) at {final_url}", url=url)
            return page(b"")
        try:
            decoder = BodyDecoder(resp.headers.get("content-encoding", ""))
        except UnknownEncoding as e:
            raise UnsupportedContent(f"{url}: unknown Content-Encoding {e}", url=url) from e
        parts: list[bytes] = []
        decoded = raw = 0
        over = False
        try:
            async for chunk in resp.aiter_raw():
                # Fed in slices so the ratio check fires long before the size limit.
                for i in range(0, len(chunk), RATIO_SLICE):
                    raw += min(RATIO_SLICE, len(chunk) - i)
                    for out in decoder.feed(chunk[i : i + RATIO_SLICE]):
                        parts.append(out)
                        decoded += len(out)
                    if not decoder.identity and decoded > RATIO_MIN_BYTES and decoded > MAX_RATIO * raw:
                        raise BodyTooLarge(f"{url}: decompression bomb ({raw} bytes inflate past {decoded})", url=url)
                    if decoded > limit:
                        over = True
                        break
                if over:
                    break
            if not over:
                for out in decoder.flush():
                    parts.append(out)
                    decoded += len(out)
                over = decoded > limit
        except zlib.error as e:
            raise FetchError(f"{url}: corrupt compressed body: {e}", url=url) from e
        body = b"".join(parts)
        ctype = mtype
        if text_only and 200 <= status < 300:
            head = body[:SNIFF_BYTES]
            sniffed = sniff_text_type(head) if mtype in GENERIC_TYPES else (None if looks_binary(head) else mtype)
            if sniffed is None:
                raise UnsupportedContent(f"{url}: binary body ({mtype or 'no type'}) at {final_url}", url=url)
            ctype = sniffed  # a generic type is recorded as what the body is, like the sync fetcher
        if over:
            if ctype not in TRUNCATABLE and mtype not in GENERIC_TYPES:
                raise BodyTooLarge(f"{url}: body over the {limit}-byte limit ({mtype})", url=url)
            return page(body[:limit], truncated=True, ctype=ctype)
        return page(body, ctype=ctype)
