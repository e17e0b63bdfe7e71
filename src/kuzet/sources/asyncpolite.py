"""Politeness for the async fetch path: robots.txt, global and per-host limits, per-host delay.

``AsyncPoliteFetcher`` is ``PoliteFetcher``'s rules on ``AsyncFetcher``, for the monitor's
concurrent fetch phase (``fetchpump``):

* at most ``concurrency`` requests in flight in all and ``per_host`` to one origin;
* ``delay`` seconds between the starts of two requests to one origin (robots.txt ``Crawl-delay``
  raises it, capped at ``max_crawl_delay``), between the real starts. A request waits for its
  host's turn *before* it takes one of the global slots, so a polite host's delay never holds a
  slot another host could use;
* robots.txt read once per origin (one request, however many wait for it), cached ``robots_ttl``;
  unreachable or 4xx/5xx robots allow everything, as in ``PoliteFetcher``;
* 429/503 retried after ``Retry-After`` (the whole host waits; over ``max_retry_wait`` the answer
  is kept as is), a dropped or refused connection retried once, a timeout never.

It returns ``Snapshot`` records (``Page.snapshot()``) and raises the FetchError subclasses the
sync path raises, so the pipeline stores both alike.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

from protego import Protego  # type: ignore[import-untyped]

from kuzet.errors import FetchError, RobotsDisallowed
from kuzet.fetch.guard import AddressGuard
from kuzet.records import Snapshot
from kuzet.settings import Settings
from kuzet.sources.aiofetch import AsyncFetcher, Page
from kuzet.sources.politeness import PolitenessStats, RetryPolicy, origin, parse_robots

log = logging.getLogger("kuzet.sources.asyncpolite")

MAX_HOSTS = 10_000  # per-host state kept; idle hosts are forgotten past this


@dataclass
class _AsyncHost:
    slots: asyncio.Semaphore
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pace: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_at: float = 0.0
    delay: float = 0.0  # Crawl-delay
    robots: Protego | None = None
    robots_at: float | None = None  # when robots.txt was read (None: not yet)
    users: int = 0


class AsyncPoliteFetcher:
    """Polite guarded async GETs. Create, use and ``aclose()`` inside one event loop."""

    def __init__(
        self,
        settings: Settings,
        *,
        delay: float = 1.0,
        concurrency: int = 4,
        per_host: int = 1,
        retries: int = 2,
        max_retry_wait: float = 30.0,
        obey_robots: bool = True,
        robots_ttl: float = 86400.0,
        max_crawl_delay: float = 30.0,
        guard: AddressGuard | None = None,
    ) -> None:
        self.user_agent = settings.user_agent
        self.delay = max(0.0, delay)
        self.per_host = max(1, per_host)
        self.policy = RetryPolicy(retries, max_retry_wait)
        self.obey_robots = obey_robots
        self.robots_ttl = robots_ttl
        self.max_crawl_delay = max_crawl_delay
        self.stats = PolitenessStats()
        self._global = asyncio.Semaphore(max(1, concurrency))
        self._hosts: dict[str, _AsyncHost] = {}
        self._inner = AsyncFetcher(settings, guard=guard, max_connections=max(1, concurrency))

    async def aclose(self) -> None:
        await self._inner.aclose()

    # -- per-host state -------------------------------------------------------------------
    def _host(self, key: str) -> _AsyncHost:
        h = self._hosts.get(key)
        if h is None:
            if len(self._hosts) >= MAX_HOSTS:
                now = time.monotonic()
                for k in [k for k, v in self._hosts.items() if v.users == 0 and v.next_at < now]:
                    del self._hosts[k]
            h = self._hosts[key] = _AsyncHost(slots=asyncio.Semaphore(self.per_host))
        return h

    async def _paced(self, host: _AsyncHost, url: str, headers: dict[str, str] | None, text_only: bool) -> Page:
        host.users += 1
        try:
            async with host.slots:
                # Starts to one host go one by one: wait out the delay, then take a global slot,
                # and only then set the host's next start, so the delay holds between the real
                # starts (a late wake-up or a wait for a slot cannot bunch two requests up), and
                # no global slot is held while a host's delay runs.
                async with host.pace:
                    wait = host.next_at - time.monotonic()
                    if wait > 0:
                        self.stats.waited_s += wait
                        await asyncio.sleep(wait)
                    await self._global.acquire()
                    host.next_at = time.monotonic() + max(self.delay, host.delay)
                try:
                    self.stats.requests += 1
                    return await self._inner.fetch(url, headers=headers, text_only=text_only)
                finally:
                    self._global.release()
        finally:
            host.users -= 1

    # -- robots ---------------------------------------------------------------------------
    async def _robots(self, key: str, host: _AsyncHost) -> Protego | None:
        async with host.robots_lock:  # one robots.txt request per origin, whoever asks
            if host.robots_at is not None and time.monotonic() - host.robots_at < self.robots_ttl:
                return host.robots
            host.robots = await self._load_robots(key, host)
            host.robots_at = time.monotonic()
            if host.robots is not None:
                cd = host.robots.crawl_delay(self.user_agent)
                if cd:
                    host.delay = min(float(cd), self.max_crawl_delay)
            return host.robots

    async def _load_robots(self, key: str, host: _AsyncHost) -> Protego | None:
        url = key + "/robots.txt"
        try:
            page = await self._paced(host, url, None, text_only=False)
        except FetchError as e:
            log.info("robots.txt unavailable at %s (%s): crawling as allowed", url, e.reason)
            return None
        return parse_robots(url, page.status, page.body)

    # -- fetch ----------------------------------------------------------------------------
    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Snapshot:
        """Fetch a text resource politely; raises a FetchError subclass when it cannot."""
        key = origin(url)
        host = self._host(key)
        if self.obey_robots:
            parser = await self._robots(key, host)
            if parser is not None and not parser.can_fetch(url, self.user_agent):
                self.stats.robots_refused += 1
                raise RobotsDisallowed(f"{url}: disallowed by robots.txt for {self.user_agent!r}", url=url)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            try:
                page = await self._paced(host, url, headers or None, text_only=True)
            except FetchError as e:
                pause = self.policy.after_error(url, e, attempt)
                if pause is None:
                    raise
                attempt += 1
                self.stats.retries += 1
                await asyncio.sleep(pause)
                continue
            wait = self.policy.after_status(url, page.status, page.retry_after, attempt)
            if wait is None:
                return page.snapshot()
            attempt += 1
            self.stats.retries += 1
            host.next_at = max(host.next_at, time.monotonic() + wait)  # the whole host waits
