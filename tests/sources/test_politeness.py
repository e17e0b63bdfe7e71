"""PoliteFetcher: robots.txt, crawl-delay, per-host pacing, Retry-After, conditional requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from kuzet.errors import RobotsDisallowed
from kuzet.fetch.fetcher import Fetcher
from kuzet.settings import Settings
from kuzet.sources.politeness import PoliteFetcher, conditional

from .conftest import LocalSite, html

UA = "kuzet-test"
MakeSite = Callable[[dict[str, Any]], LocalSite]


def polite(settings: Settings, **kw: Any) -> PoliteFetcher:
    return PoliteFetcher(Fetcher(settings), user_agent=UA, **{"delay": 0.0, **kw})


def test_robots_disallow_is_refused_before_any_request(settings: Settings, local_site: MakeSite) -> None:
    site = local_site(
        {
            "/robots.txt": lambda h, p: html(h, "User-agent: *\nDisallow: /private/\nCrawl-delay: 0.4\n"),
            "/": lambda h, p: html(h, "<p>ok</p>"),
        }
    )
    f = polite(settings)
    try:
        with pytest.raises(RobotsDisallowed) as e:
            f.fetch(site.url + "/private/secret.html")
        assert e.value.reason == "robots" and "robots.txt" in str(e.value)
        started = time.monotonic()
        assert f.fetch(site.url + "/a").status == 200
        assert f.fetch(site.url + "/b").status == 200
        # Crawl-delay 0.4 paces the host: /a and /b start 0.4 s apart.
        assert time.monotonic() - started >= 0.38
        assert site.hits["/robots.txt"] == 1  # cached per host
        assert "/private/secret.html" not in site.hits
        assert f.stats.robots_refused == 1
    finally:
        f.close()


def test_broken_robots_txt_allows(settings: Settings, local_site: MakeSite) -> None:
    site = local_site({"/robots.txt": lambda h, p: html(h, "oops", 500), "/": lambda h, p: html(h, "ok")})
    f = polite(settings)
    try:
        assert f.fetch(site.url + "/private/x").status == 200
    finally:
        f.close()


def _flaky(status: int, retry_after: str) -> Callable[[BaseHTTPRequestHandler, str], None]:
    seen: set[str] = set()

    def route(h: BaseHTTPRequestHandler, path: str) -> None:
        if path not in seen:
            seen.add(path)
            html(h, "slow down", status, {"Retry-After": retry_after})
        else:
            html(h, "<p>welcome back</p>")

    return route


def test_429_and_503_are_retried_after_retry_after(settings: Settings, local_site: MakeSite) -> None:
    site = local_site(
        {"/429": _flaky(429, "1"), "/503": _flaky(503, "0"), "/robots.txt": lambda h, p: html(h, "", 404)}
    )
    f = polite(settings, retries=2)
    try:
        started = time.monotonic()
        snap = f.fetch(site.url + "/429")
        assert snap.status == 200 and time.monotonic() - started >= 0.9
        assert f.fetch(site.url + "/503").status == 200
        assert f.stats.retries == 2
    finally:
        f.close()


def test_retry_after_over_the_cap_is_recorded_not_waited(settings: Settings, local_site: MakeSite) -> None:
    site = local_site({"/429": _flaky(429, "3600"), "/robots.txt": lambda h, p: html(h, "", 404)})
    f = polite(settings, retries=2, max_retry_wait=2)
    try:
        started = time.monotonic()
        assert f.fetch(site.url + "/429").status == 429
        assert time.monotonic() - started < 2
    finally:
        f.close()


def test_conditional_request_gets_304(settings: Settings, local_site: MakeSite) -> None:
    def etagged(h: BaseHTTPRequestHandler, path: str) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        html(h, "<p>page</p>", 200, {"ETag": '"v1"'})

    site = local_site({"/page": etagged, "/robots.txt": lambda h, p: html(h, "", 404)})
    f = polite(settings)
    try:
        first = f.fetch(site.url + "/page")
        assert first.status == 200 and first.headers["etag"] == '"v1"'
        with conditional('"v1"', None):
            assert f.fetch(site.url + "/page").status == 304
        assert f.fetch(site.url + "/page").status == 200  # outside the context: unconditional
    finally:
        f.close()


def test_per_host_delay(settings: Settings, local_site: MakeSite) -> None:
    site = local_site({"/": lambda h, p: html(h, "ok"), "/robots.txt": lambda h, p: html(h, "", 404)})
    f = polite(settings, delay=0.3)
    try:
        started = time.monotonic()
        for i in range(3):
            f.fetch(f"{site.url}/{i}")
        # robots.txt + 3 pages, 0.3 s apart
        assert time.monotonic() - started >= 0.85
    finally:
        f.close()
