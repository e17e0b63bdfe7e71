"""Fetch one URL into a Snapshot, treating the server as hostile.

Decisions (documented here because callers depend on them):

* Every connection goes to a guard-vetted address (see ``backend.py``); redirects are followed
  here, one guarded hop at a time, up to ``max_redirects``; a loop raises TooManyRedirects.
  A URL may come back once in a chain (cookie set, then back to the start); twice is a loop.
  ``Snapshot.redirects`` lists the URLs that answered with a redirect, in order, starting with
  the requested URL; it is empty when there was none. ``final_url`` is the URL that answered.
* Non-2xx answers are facts, not errors: a 404 or 500 comes back as a Snapshot with its status
  (and its body, if text). 304 comes back with an empty body.
* Size: the *decoded* body is bounded by ``max_body_bytes``. HTML (and plain text) over the
  limit is cut there and returned with ``truncated=True`` so the page is still analysed; any
  other type over the limit raises BodyTooLarge. A compressed body that inflates more than
  ``MAX_RATIO`` times past 1 MiB raises BodyTooLarge as a decompression bomb, whatever the type.
* Time: ``total_timeout`` is one wall-clock budget for connect, every redirect and the body;
  every socket wait is clamped to it, so a 1 byte/s drip ends with FetchTimeout on time.
* Content: non-text media types raise UnsupportedContent before the body is read (for 2xx);
  a text-declared body that sniffs as binary (magic numbers, NUL bytes) raises it too.
* One Fetcher is one httpx.Client with its own connection pool; use one per thread. Cookies are
  kept across the redirects of one fetch and dropped before the next.
"""

from __future__ import annotations

import hashlib
import ssl
import time
import zlib
from datetime import datetime
from types import TracebackType
from typing import Self
from urllib.parse import urldefrag, urljoin

import httpx

from kuzet.errors import (
    BodyTooLarge,
    FetchError,
    FetchTimeout,
    TooManyRedirects,
    UnsupportedContent,
)
from kuzet.fetch.backend import GuardedTransport, fetch_scope, server_address
from kuzet.fetch.body import ACCEPT_ENCODING, MAX_RATIO, RATIO_MIN_BYTES, STEP, BodyDecoder, UnknownEncoding
from kuzet.fetch.charset import choose_encoding
from kuzet.fetch.guard import AddressGuard
from kuzet.fetch.sniff import (
    GENERIC_TYPES,
    SNIFF_BYTES,
    is_text_type,
    looks_binary,
    media_type,
    sniff_text_type,
)
from kuzet.records import Snapshot, utcnow
from kuzet.settings import Settings, get_settings

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,application/rss+xml,"
    "application/atom+xml,text/plain;q=0.8,*/*;q=0.5"
)
ACCEPT_LANGUAGE = "ru,kk;q=0.9,en;q=0.8"
MAX_URL_LENGTH = 8192
RATIO_SLICE = 4096
# Types cut at the size limit instead of refused: a page is worth analysing even when huge.
TRUNCATABLE = {"text/html", "application/xhtml+xml", "text/plain"}


class Fetcher:
    """Synchronous, guarded HTTP fetcher. Use as a context manager or call ``close()``."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        guard: AddressGuard | None = None,
        verify_tls: ssl.SSLContext | bool = True,
    ) -> None:
        """``guard`` defaults to the settings' guard (tests pass one that pretends a host is public);
        ``verify_tls`` is True (certifi roots), False, or an SSLContext with other roots."""
        self.settings = settings or get_settings()
        self.guard = guard or AddressGuard.from_settings(self.settings)
        s = self.settings
        self._proxied = bool(s.proxy)
        self._total = s.total_timeout
        self._client = httpx.Client(
            transport=GuardedTransport(self.guard, proxy=s.proxy, verify=verify_tls),
            follow_redirects=False,
            trust_env=False,
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout, pool=s.connect_timeout
            ),
            headers={
                "User-Agent": s.user_agent,
                "Accept": ACCEPT,
                "Accept-Language": ACCEPT_LANGUAGE,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        binary_limit: int | None = None,
    ) -> Snapshot:
        """Fetch ``url``; raises a FetchError subclass (carrying ``url``) when it cannot.

        ``binary_limit`` accepts any media type (images for OCR) up to that many decoded bytes;
        by default only text is accepted."""
        started = time.monotonic()
        deadline = started + self.settings.total_timeout
        fetched_at = utcnow()
        extra = dict(headers or {})
        if etag:
            extra["If-None-Match"] = etag
        if last_modified:
            extra["If-Modified-Since"] = last_modified
        self._client.cookies.clear()
        chain: list[str] = []
        visits: dict[str, int] = {}
        current = url
        with fetch_scope(url, deadline):
            while True:
                self._check_url(url, current)
                key = urldefrag(current)[0]
                visits[key] = visits.get(key, 0) + 1
                if time.monotonic() >= deadline:
                    raise FetchTimeout(f"{url}: total time limit of {self._total:g}s reached", url=url)
                try:
                    if self._proxied:
                        # Behind a proxy the proxy resolves the name; checking it here still stops
                        # plain internal targets, though not rebinding (documented limitation).
                        u = httpx.URL(current)
                        self.guard.resolve(u.host, u.port or (443 if u.scheme == "https" else 80), url=url)
                    with self._client.stream("GET", current, headers=extra) as resp:
                        location = resp.headers.get("location")
                        if resp.status_code in REDIRECT_STATUSES and location:
                            nxt = urljoin(current, location.strip())
                            chain.append(current)
                            if len(chain) > self.settings.max_redirects:
                                raise TooManyRedirects(
                                    f"{url}: over {self.settings.max_redirects} redirects (last to {nxt})",
                                    url=url,
                                )
                            # One return to a URL is allowed: sites set a cookie and send the
                            # visitor back to where it started. A second return is a loop.
                            if visits.get(urldefrag(nxt)[0], 0) >= 2:
                                raise TooManyRedirects(f"{url}: redirect loop back to {nxt}", url=url)
                            current = nxt
                            continue
                        return self._read(url, current, chain, resp, started, deadline, fetched_at, binary_limit)
                except httpx.TimeoutException as e:
                    msg = f"{url}: timed out fetching {current} ({type(e).__name__}: {e})"
                    raise FetchTimeout(msg, url=url) from e
                except httpx.InvalidURL as e:
                    raise FetchError(f"{url}: invalid URL {current!r}: {e}", url=url) from e
                except httpx.HTTPError as e:
                    raise FetchError(f"{url}: {type(e).__name__} fetching {current}: {e}", url=url) from e

    def _check_url(self, url: str, current: str) -> None:
        if len(current) > MAX_URL_LENGTH:
            raise FetchError(f"{url}: URL longer than {MAX_URL_LENGTH} characters", url=url)
        try:
            u = httpx.URL(current)
        except httpx.InvalidURL as e:
            raise FetchError(f"{url}: invalid URL {current[:200]!r}: {e}", url=url) from e
        if u.scheme not in ("http", "https") or not u.host:
            what = "redirect to" if current != url else "URL"
            raise FetchError(f"{url}: {what} {current[:200]!r} is not an http(s) URL with a host", url=url)

    def _read(
        self,
        url: str,
        final_url: str,
        chain: list[str],
        resp: httpx.Response,
        started: float,
        deadline: float,
        fetched_at: datetime,
        binary_limit: int | None = None,
    ) -> Snapshot:
        limit = binary_limit or self.settings.max_body_bytes
        hdrs = {k.lower(): v for k, v in resp.headers.items()}
        raw_type = hdrs.get("content-type", "")
        mtype = media_type(raw_type)
        status = resp.status_code
        ip = None if self._proxied else server_address(resp.extensions)

        def snapshot(body: bytes, ctype: str, truncated: bool = False) -> Snapshot:
            return Snapshot(
                url=url,
                final_url=final_url,
                status=status,
                headers=hdrs,
                body=body,
                content_type=ctype,
                encoding=choose_encoding(body, raw_type) if body and binary_limit is None else None,
                fetched_at=fetched_at,
                elapsed_ms=int((time.monotonic() - started) * 1000),
                redirects=list(chain),
                server_ip=ip,
                sha256=hashlib.sha256(body).hexdigest(),
                truncated=truncated,
            )

        if status == 304 or status == 204 or status < 200:
            return snapshot(b"", mtype)
        declared_text = mtype not in GENERIC_TYPES and is_text_type(mtype)
        if binary_limit is None and mtype not in GENERIC_TYPES and not declared_text:
            if 200 <= status < 300:
                raise UnsupportedContent(f"{url}: not text ({mtype}) at {final_url}", url=url)
            return snapshot(b"", mtype)  # an error page in a binary type: the status is the fact
        try:
            decoder = BodyDecoder(hdrs.get("content-encoding", ""))
        except UnknownEncoding as e:
            raise UnsupportedContent(f"{url}: unknown Content-Encoding {e} at {final_url}", url=url) from e

        declared_len = _int(hdrs.get("content-length"))
        too_long = declared_len is not None and declared_len > limit
        if too_long and decoder.identity and mtype not in TRUNCATABLE:
            raise BodyTooLarge(f"{url}: Content-Length {declared_len} over the {limit}-byte limit", url=url)

        parts: list[bytes] = []
        decoded = 0
        raw = 0
        over = False
        sniffed = False
        ctype = mtype
        try:
            for chunk in resp.iter_raw(STEP):
                # Fed in small slices so the ratio check fires long before the size limit.
                for i in range(0, len(chunk), RATIO_SLICE):
                    raw += min(RATIO_SLICE, len(chunk) - i)
                    for out in decoder.feed(chunk[i : i + RATIO_SLICE]):
                        parts.append(out)
                        decoded += len(out)
                        if not decoder.identity and decoded > RATIO_MIN_BYTES and decoded > MAX_RATIO * raw:
                            raise BodyTooLarge(
                                f"{url}: decompression bomb ({raw} compressed bytes inflate past {decoded})",
                                url=url,
                            )
                        if decoded > limit:
                            over = True
                            break
                    if over:
                        break
                if binary_limit is None and not sniffed and decoded >= SNIFF_BYTES:
                    ctype = self._sniff(url, final_url, mtype, b"".join(parts)[:SNIFF_BYTES])
                    sniffed = True
                if over:
                    break
                if time.monotonic() >= deadline:
                    raise FetchTimeout(
                        f"{url}: total time limit of {self._total:g}s reached reading the body",
                        url=url,
                    )
            if not over:
                for out in decoder.flush():
                    parts.append(out)
                    decoded += len(out)
                    over = decoded > limit
        except zlib.error as e:
            raise FetchError(f"{url}: corrupt compressed body at {final_url}: {e}", url=url) from e
        body = b"".join(parts)
        if binary_limit is not None:
            if over:
                raise BodyTooLarge(f"{url}: body over the {limit}-byte limit", url=url)
            return snapshot(body, mtype)
        if not sniffed:
            ctype = self._sniff(url, final_url, mtype, body[:SNIFF_BYTES])
        if over:
            if ctype not in TRUNCATABLE:
                kind = ctype or "unknown type"
                raise BodyTooLarge(f"{url}: body over the {limit}-byte limit ({kind})", url=url)
            return snapshot(body[:limit], ctype, truncated=True)
        return snapshot(body, ctype)

    def fetch_bytes(self, url: str, *, max_bytes: int) -> bytes:
        """The body of ``url`` whatever its type (an image, say), at most ``max_bytes``; 2xx only."""
        snap = self.fetch(url, binary_limit=max_bytes)
        if not 200 <= snap.status < 300:
            raise FetchError(f"{url}: HTTP {snap.status}", url=url)
        return snap.body

    @staticmethod
    def _sniff(url: str, final_url: str, mtype: str, head: bytes) -> str:
        """The media type to record; raises UnsupportedContent for binary bodies."""
        if mtype in GENERIC_TYPES:
            sniffed = sniff_text_type(head)
            if sniffed is None:
                raise UnsupportedContent(f"{url}: binary body without a text type at {final_url}", url=url)
            return sniffed
        if looks_binary(head):
            raise UnsupportedContent(f"{url}: body declared {mtype} is binary at {final_url}", url=url)
        return mtype


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def error_snapshot(url: str, error: FetchError) -> Snapshot:
    """A Snapshot recording a failed fetch (``error`` and ``error_reason`` set, no body)."""
    return Snapshot(
        url=url,
        final_url=url,
        status=0,
        headers={},
        body=b"",
        content_type="",
        encoding=None,
        fetched_at=utcnow(),
        elapsed_ms=0,
        error=str(error),
        error_reason=error.reason,
    )
