"""Local test servers for the sources tests: the sandbox web and a small site with traps."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kuzet.sandbox.server import SandboxServer
from kuzet.store import frontier  # noqa: F401 - the frontier tables (until store.models imports them)

Route = Callable[[BaseHTTPRequestHandler, str], None]


def html(h: BaseHTTPRequestHandler, body: str, status: int = 200, headers: dict[str, str] | None = None) -> None:
    data = body.encode("utf-8")
    h.send_response(status)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(data)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(data)


class LocalSite:
    """A threaded server on 127.0.0.1 whose paths are answered by ``routes`` (prefix match,
    longest first); counts the hits of every path. Stopped by the fixture that made it."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.stop_event = threading.Event()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                path, _, query = self.path.partition("?")
                site.hits[self.path] += 1
                for prefix in sorted(site.routes, key=len, reverse=True):
                    if path.startswith(prefix):
                        site.routes[prefix](self, self.path)
                        return
                html(self, "<p>not found</p>", 404)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> LocalSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def tree_site(pages: int) -> dict[str, Route]:
    """``/p/<i>`` links to its children 3i+1..3i+3 (as long as they are < pages)."""

    def page(h: BaseHTTPRequestHandler, path: str) -> None:
        try:
            i = int(path.split("?")[0].rsplit("/", 1)[1])
        except ValueError:
            html(h, "bad", 404)
            return
        kids = "".join(f'<a href="/p/{c}">page {c}</a> ' for c in range(3 * i + 1, 3 * i + 4) if c < pages)
        html(h, f"<html><head><title>Page {i}</title></head><body><p>Text of page {i}.</p>{kids}</body></html>")

    return {"/p/": page, "/robots.txt": lambda h, p: html(h, "", 404)}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def local_site() -> Iterator[Callable[[dict[str, Route]], LocalSite]]:
    made: list[LocalSite] = []

    def make(routes: dict[str, Route]) -> LocalSite:
        site = LocalSite(routes).__enter__()
        made.append(site)
        return site

    yield make
    for s in made:
        s.__exit__(None, None, None)


def wait_for(pred: Callable[[], bool], timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False
