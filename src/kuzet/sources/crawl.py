"""``kuzet crawl URL``: crawl one site in scope, fast and polite, one JSON line a page.

Async workers share one guarded connection pool (``aiofetch``). ``concurrency`` bounds the
requests in flight (in all, and so per host: a crawl stays on one host); ``delay`` spaces the
starts of two requests to the host (0 in the benchmark; polite 1 s by default on the CLI).
robots.txt is read first and obeyed (``Crawl-delay`` raises the delay, capped at 30 s). Links are
parsed with selectolax, canonicalised, deduplicated and filtered by the Scope (host, prefix,
depth, page budget, trap limits); ``rel=nofollow`` links and pages with ``<meta name=robots
content=nofollow>`` are not followed.

Every page yields a line ``{"url", "status", "final_url", "sha256", "bytes", "ms", "depth"}``;
a page that could not be fetched yields ``status: 0`` with ``error`` and ``reason``. The crawl
goes on whatever a page does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urljoin

from protego import Protego  # type: ignore[import-untyped]
from selectolax.lexbor import LexborHTMLParser

from kuzet.errors import FetchError
from kuzet.fetch.guard import AddressGuard
from kuzet.settings import Settings
from kuzet.sources.aiofetch import AsyncFetcher
from kuzet.sources.politeness import retry_after_seconds
from kuzet.sources.scope import Scope
from kuzet.urls import canonical_url, host_of

log = logging.getLogger("kuzet.sources.crawl")

HTML_TYPES = {"text/html", "application/xhtml+xml", ""}
MAX_LINKS_PER_PAGE = 2000
MAX_CRAWL_DELAY = 30.0
MAX_RETRY_WAIT = 30.0
RETRIES = 2


@dataclass
class CrawlStats:
    pages: int = 0
    ok: int = 0
    bytes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    robots_refused: int = 0
    retries: int = 0
    elapsed_s: float = 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.elapsed_s if self.elapsed_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "pages": self.pages,
            "ok": self.ok,
            "bytes": self.bytes,
            "elapsed_s": round(self.elapsed_s, 3),
            "pages_per_s": round(self.pages_per_s, 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "errors": dict(self.errors),
            "not_followed": dict(self.rejected),
            "robots_refused": self.robots_refused,
            "retries": self.retries,
        }


def page_links(body: bytes, base: str) -> tuple[list[str], bool]:
    """Absolute link targets of an HTML page (``rel=nofollow`` left out) and whether the page
    asks not to be followed at all."""
    tree = LexborHTMLParser(body)
    robots = tree.css_first('meta[name="robots"]')
    if robots is not None:
        content = (robots.attributes.get("content") or "").lower()
        if "nofollow" in content or "none" in content:
            return [], True
    base_node = tree.css_first("base[href]")
    if base_node is not None and base_node.attributes.get("href"):
        base = urljoin(base, base_node.attributes.get("href") or "")
    out: list[str] = []
    for node in tree.css('a[href], link[rel="canonical"][href]'):
        attrs = node.attributes
        if "nofollow" in (attrs.get("rel") or "").lower().split():
            continue
        href = (attrs.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        try:
            out.append(urljoin(base, href).split("#", 1)[0])
        except ValueError:
            continue
        if len(out) >= MAX_LINKS_PER_PAGE:
            break
    return out, False


class Crawler:
    def __init__(
        self,
        settings: Settings,
        start_url: str,
        *,
        max_pages: int = 100,
        concurrency: int = 4,
        delay: float = 1.0,
        max_depth: int = 20,
        obey_robots: bool = True,
        guard: AddressGuard | None = None,
        on_page: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.settings = settings
        self.start_url = start_url
        self.scope = Scope(host=host_of(start_url), max_depth=max_depth, max_pages=max_pages)
        self.max_pages = max_pages
        self.concurrency = max(1, concurrency)
        self.delay = max(0.0, delay)
        self.obey_robots = obey_robots
        self.guard = guard
        self.on_page = on_page
        self.stats = CrawlStats()
        self._seen: set[str] = set()
        self._queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
        self._next_at = 0.0
        self._robots: Protego | None = None

    def _offer(self, url: str, depth: int) -> None:
        if len(self._seen) >= self.max_pages:
            return
        reason = self.scope.reject_reason(url, depth)
        if reason is not None:
            self.stats.rejected[reason] += 1
            return
        key = canonical_url(url)
        if key in self._seen:
            return
        if self._robots is not None and not self._robots.can_fetch(url, self.settings.user_agent):
            self.stats.robots_refused += 1
            return
        self._seen.add(key)
        self._queue.put_nowait((url, depth))

    async def _pace(self) -> None:
        if self.delay <= 0 and self._next_at == 0.0:
            return  # the benchmark's path: no pacing at all
        now = time.monotonic()
        start = max(now, self._next_at)
        self._next_at = start + self.delay
        if start > now:
            await asyncio.sleep(start - now)

    async def _load_robots(self, fetcher: AsyncFetcher) -> None:
        url = urljoin(self.start_url, "/robots.txt")
        try:
            page = await fetcher.fetch(url)
        except FetchError as e:
            log.info("robots.txt unavailable at %s (%s): crawling as allowed", url, e.reason)
            return
        if 200 <= page.status < 300:
            try:
                self._robots = Protego.parse(page.body.decode("utf-8", errors="replace"))
            except Exception as e:  # noqa: BLE001 - a malformed robots.txt must not stop the crawl
                log.info("robots.txt at %s unreadable (%s): crawling as allowed", url, e)
                return
            cd = self._robots.crawl_delay(self.settings.user_agent)
            if cd and float(cd) > self.delay:
                self.delay = min(float(cd), MAX_CRAWL_DELAY)

    async def _worker(self, fetcher: AsyncFetcher) -> None:
        while True:
            url, depth = await self._queue.get()
            try:
                await self._visit(fetcher, url, depth)
            except Exception as e:  # noqa: BLE001 - one page must never stop the crawl
                log.warning("crawl: %s failed unexpectedly: %s: %s", url, type(e).__name__, e)
                self._emit({"url": url, "status": 0, "error": f"{type(e).__name__}: {e}", "reason": "crash"})
                self.stats.errors["crash"] += 1
            finally:
                self._queue.task_done()

    async def _visit(self, fetcher: AsyncFetcher, url: str, depth: int) -> None:
        started = time.monotonic()
        try:
            for attempt in range(RETRIES + 1):
                await self._pace()
                page = await fetcher.fetch(url)
                if page.status not in (429, 503) or attempt == RETRIES:
                    break
                # Honour Retry-After for the whole host (capped), then try again.
                wait = min(retry_after_seconds(page.retry_after, 2.0**attempt), MAX_RETRY_WAIT)
                if wait >= MAX_RETRY_WAIT:
                    break
                self.stats.retries += 1
                self._next_at = max(self._next_at, time.monotonic() + wait)
        except FetchError as e:
            self.stats.errors[e.reason] += 1
            log.info("crawl: %s: %s", e.reason, e)
            self._emit(
                {
                    "url": url,
                    "status": 0,
                    "final_url": url,
                    "ms": int((time.monotonic() - started) * 1000),
                    "depth": depth,
                    "error": str(e)[:500],
                    "reason": e.reason,
                }
            )
            return
        self.stats.ok += 1 if 200 <= page.status < 300 else 0
        self.stats.statuses[page.status] += 1
        self.stats.bytes += len(page.body)
        rec: dict[str, Any] = {
            "url": url,
            "status": page.status,
            "final_url": page.final_url,
            "sha256": page.sha256,
            "bytes": len(page.body),
            "ms": page.elapsed_ms,
            "depth": depth,
        }
        if page.truncated:
            rec["truncated"] = True
        self._emit(rec)
        if 200 <= page.status < 300 and page.content_type in HTML_TYPES and page.body:
            links, _ = page_links(page.body, page.final_url)
            for link in links:
                self._offer(link, depth + 1)

    def _emit(self, rec: dict[str, Any]) -> None:
        self.stats.pages += 1
        if self.on_page is not None:
            self.on_page(rec)

    async def run(self) -> CrawlStats:
        started = time.monotonic()
        # One client (one keep-alive connection) per worker: httpcore's pool scans every
        # connection on each request, so one shared pool of N costs O(N) a request.
        fetchers = [AsyncFetcher(self.settings, guard=self.guard, max_connections=1) for _ in range(self.concurrency)]
        try:
            if self.obey_robots:
                await self._load_robots(fetchers[0])
            self._offer(self.start_url, 0)
            workers = [asyncio.create_task(self._worker(f)) for f in fetchers]
            await self._queue.join()
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        finally:
            for f in fetchers:
                await f.aclose()
        self.stats.elapsed_s = time.monotonic() - started
        return self.stats


def crawl_site(
    settings: Settings,
    url: str,
    *,
    out: IO[str] | None = None,
    max_pages: int = 100,
    concurrency: int = 4,
    delay: float = 1.0,
    max_depth: int = 20,
    obey_robots: bool = True,
    guard: AddressGuard | None = None,
    on_page: Callable[[dict[str, Any]], None] | None = None,
) -> CrawlStats:
    """Crawl ``url``'s site; JSON lines go to ``out`` (if given) and to ``on_page``."""

    def emit(rec: dict[str, Any]) -> None:
        if out is not None:
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        if on_page is not None:
            on_page(rec)

    crawler = Crawler(
        settings,
        url,
        max_pages=max_pages,
        concurrency=concurrency,
        delay=delay,
        max_depth=max_depth,
        obey_robots=obey_robots,
        guard=guard,
        on_page=emit,
    )
    return asyncio.run(crawler.run())
