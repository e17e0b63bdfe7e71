"""Politeness around the guarded Fetcher: robots.txt, per-host delay and concurrency, retries.

``PoliteFetcher`` has the Fetcher's ``fetch``/``fetch_bytes``/``close`` interface, so it drops
into ``Services.fetcher`` and every pipeline stage becomes polite without knowing it.

* robots.txt is read once per origin (protego; cached for ``robots_ttl``); a disallowed URL
  raises RobotsDisallowed before any request. A missing robots.txt (4xx) allows everything; one
  that cannot be fetched (network error, 5xx) allows everything too, logged, because refusing
  would let a broken server hide its pages from monitoring. ``Crawl-delay`` raises the host's
  delay (capped at ``max_crawl_delay``).
* One request at a time per host by default, at most ``concurrency`` in all, and ``delay``
  seconds between the start of two requests to one host.
* 429 and 503 are retried after ``Retry-After`` (seconds or an HTTP date; capped at
  ``max_retry_wait``, exponential backoff when absent), up to ``retries`` times; a timeout or a
  refused or dropped connection is retried once; a timeout is not. Errors that another try cannot fix (blocked address,
  too large, not text, redirect loop, robots) are raised at once.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urlsplit

from protego import Protego  # type: ignore[import-untyped]

from kuzet.errors import (
    BlockedAddress,
    BodyTooLarge,
    FetchError,
    FetchTimeout,
    RobotsDisallowed,
    TooManyRedirects,
    UnsupportedContent,
)
from kuzet.records import Snapshot, utcnow

log = logging.getLogger("kuzet.sources.politeness")

RETRY_STATUSES = {429, 503}
FINAL_ERRORS = (BlockedAddress, BodyTooLarge, UnsupportedContent, TooManyRedirects, RobotsDisallowed)
ROBOTS_MAX_BYTES = 512 * 1024


class FetcherLike(Protocol):
    def fetch(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        binary_limit: int | None = None,
    ) -> Snapshot: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


# The validators of the URL being fetched in this context: the crawl pipeline sets them around
# the shared fetch stage, which does not know about conditional requests.
_VALIDATORS: contextvars.ContextVar[Validators | None] = contextvars.ContextVar("kuzet_validators", default=None)


@contextlib.contextmanager
def conditional(etag: str | None, last_modified: str | None) -> Iterator[None]:
    token = _VALIDATORS.set(Validators(etag, last_modified) if (etag or last_modified) else None)
    try:
        yield
    finally:
        _VALIDATORS.reset(token)


@dataclass(frozen=True, slots=True)
class Prefetched:
    """The outcome of fetching ``url`` elsewhere (the monitor's concurrent fetch phase)."""

    url: str
    snapshot: Snapshot | None = None
    error: FetchError | None = None


# A fetch already made for the job being stored: the shared fetch stage, which calls
# ``fetcher.fetch(url)`` itself, gets this outcome instead of asking the server again.
_PREFETCHED: contextvars.ContextVar[Prefetched | None] = contextvars.ContextVar("kuzet_prefetched", default=None)


@contextlib.contextmanager
def prefetched(result: Prefetched | None) -> Iterator[None]:
    token = _PREFETCHED.set(result)
    try:
        yield
    finally:
        _PREFETCHED.reset(token)


def retry_after_seconds(value: str | None, default: float) -> float:
    """Seconds from a Retry-After header (delta seconds or an HTTP date); ``default`` if absent/bad."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        return default
    return max(0.0, (when - utcnow()).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When to try a URL again; shared by the sync and the async polite fetchers."""

    retries: int = 2
    max_retry_wait: float = 30.0

    def after_error(self, url: str, error: FetchError, attempt: int) -> float | None:
        """Seconds to wait before another try after ``error``; None: give up and raise it.
        A timeout is not retried: a server that drips would cost the whole budget twice."""
        if isinstance(error, (*FINAL_ERRORS, FetchTimeout)) or attempt >= min(1, self.retries):
            return None
        log.info("retrying %s after %s", url, error.reason)
        return min(self.max_retry_wait, 1.0)

    def after_status(self, url: str, status: int, retry_after: str | None, attempt: int) -> float | None:
        """Seconds the whole host waits before another try of a 429/503; None: keep this answer."""
        if status not in RETRY_STATUSES or attempt >= self.retries:
            return None
        wait = retry_after_seconds(retry_after, default=2.0**attempt)
        if wait > self.max_retry_wait:
            log.info("%s: HTTP %s asks to wait %.0fs, over the cap: recorded as is", url, status, wait)
            return None
        log.info("%s: HTTP %s, retrying in %.1fs (attempt %d)", url, status, wait, attempt + 1)
        return wait


def parse_robots(url: str, status: int, body: bytes) -> Protego | None:
    """A robots.txt answer as a parser; None (everything allowed) unless a readable 2xx."""
    if not 200 <= status < 300:
        return None
    try:
        return Protego.parse(body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace"))
    except Exception as e:  # noqa: BLE001 - a malformed robots.txt must not stop the crawl
        log.info("robots.txt at %s could not be parsed (%s): crawling as allowed", url, e)
        return None


def origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}".lower()


@dataclass
class _Host:
    lock: threading.Lock = field(default_factory=threading.Lock)
    slots: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(1))
    next_at: float = 0.0
    delay: float = 0.0


@dataclass
class PolitenessStats:
    requests: int = 0
    retries: int = 0
    robots_refused: int = 0
    waited_s: float = 0.0


class PoliteFetcher:
    """A Fetcher with robots.txt, per-host pacing and retries (thread-safe)."""

    def __init__(
        self,
        fetcher: FetcherLike,
        *,
        user_agent: str = "kuzet",
        delay: float = 1.0,
        concurrency: int = 4,
        per_host: int = 1,
        retries: int = 2,
        max_retry_wait: float = 30.0,
        obey_robots: bool = True,
        robots_ttl: float = 86400.0,
        max_crawl_delay: float = 30.0,
    ) -> None:
        self.inner = fetcher
        self.user_agent = user_agent
        self.delay = delay
        self.per_host = max(1, per_host)
        self.retries = retries
        self.max_retry_wait = max_retry_wait
        self.obey_robots = obey_robots
        self.robots_ttl = robots_ttl
        self.max_crawl_delay = max_crawl_delay
        self.stats = PolitenessStats()
        self._global = threading.Semaphore(max(1, concurrency))
        self._hosts: dict[str, _Host] = {}
        self._hosts_lock = threading.Lock()
        self._robots: dict[str, tuple[float, Protego | None]] = {}
        self._robots_lock = threading.Lock()

    # -- robots ---------------------------------------------------------------------------
    def robots_for(self, url: str) -> Protego | None:
        key = origin(url)
        now = time.monotonic()
        with self._robots_lock:
            cached = self._robots.get(key)
            if cached is not None and now - cached[0] < self.robots_ttl:
                return cached[1]
        parser = self._load_robots(key)
        with self._robots_lock:
            self._robots[key] = (now, parser)
        host = self._host(key)
        if parser is not None:
            crawl_delay = parser.crawl_delay(self.user_agent)
            if crawl_delay:
                host.delay = min(float(crawl_delay), self.max_crawl_delay)
        return parser

    def _load_robots(self, key: str) -> Protego | None:
        url = key + "/robots.txt"
        try:
            snap = self._paced(url, lambda: self.inner.fetch(url, binary_limit=ROBOTS_MAX_BYTES))
        except FetchError as e:
            log.info("robots.txt unavailable at %s (%s): crawling as allowed", url, e.reason)
            return None
        return parse_robots(url, snap.status, snap.body)

    def allowed(self, url: str) -> bool:
        if not self.obey_robots:
            return True
        parser = self.robots_for(url)
        return parser is None or bool(parser.can_fetch(url, self.user_agent))

    # -- pacing ---------------------------------------------------------------------------
    def _host(self, key: str) -> _Host:
        with self._hosts_lock:
            h = self._hosts.get(key)
            if h is None:
                h = self._hosts[key] = _Host(slots=threading.Semaphore(self.per_host))
            return h

    def _paced(self, url: str, call: Callable[[], Snapshot]) -> Snapshot:
        host = self._host(origin(url))
        with self._global, host.slots:
            with host.lock:
                wait = host.next_at - time.monotonic()
                host.next_at = max(host.next_at, time.monotonic()) + max(self.delay, host.delay)
            if wait > 0:
                self.stats.waited_s += wait
                time.sleep(wait)
            self.stats.requests += 1
            return call()

    # -- the Fetcher interface -----------------------------------------------------------
    def fetch(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        binary_limit: int | None = None,
    ) -> Snapshot:
        pre = _PREFETCHED.get()
        if pre is not None and pre.url == url and binary_limit is None:
            _PREFETCHED.set(None)  # used once: a second fetch in the same job asks the server
            if pre.error is not None:
                raise pre.error
            if pre.snapshot is not None:
                return pre.snapshot
        if not self.allowed(url):
            self.stats.robots_refused += 1
            raise RobotsDisallowed(f"{url}: disallowed by robots.txt for {self.user_agent!r}", url=url)
        ctx = _VALIDATORS.get()
        if ctx is not None and etag is None and last_modified is None:
            etag, last_modified = ctx.etag, ctx.last_modified
        policy = RetryPolicy(self.retries, self.max_retry_wait)
        attempt = 0
        while True:
            try:
                snap = self._paced(
                    url,
                    lambda: self.inner.fetch(
                        url, headers=headers, etag=etag, last_modified=last_modified, binary_limit=binary_limit
                    ),
                )
            except FetchError as e:
                pause = policy.after_error(url, e, attempt)
                if pause is None:
                    raise
                attempt += 1
                self.stats.retries += 1
                time.sleep(pause)
                continue
            wait = policy.after_status(url, snap.status, snap.headers.get("retry-after"), attempt)
            if wait is None:
                return snap
            attempt += 1
            self.stats.retries += 1
            host = self._host(origin(url))
            with host.lock:
                host.next_at = max(host.next_at, time.monotonic() + wait)

    def fetch_bytes(self, url: str, *, max_bytes: int) -> bytes:
        snap = self.fetch(url, binary_limit=max_bytes)
        if not 200 <= snap.status < 300:
            raise FetchError(f"{url}: HTTP {snap.status}", url=url)
        return snap.body

    def close(self) -> None:
        self.inner.close()
