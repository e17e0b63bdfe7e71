"""The sandbox web: fixture sites on 127.0.0.1, chosen by the Host header.

Every site is a host under the reserved ``.test`` TLD. kuzet reaches them through a resolver
override (``KUZET_RESOLVE="*.test=127.0.0.1"`` for httpx, ``--host-resolver-rules`` for
chromium); a person's browser, which cannot resolve ``.test``, uses the index at the bare
``http://127.0.0.1:PORT/`` and the ``/_site/<host>/<path>`` form.

Static sites live in ``sites/<host>/``; ``t.me.test`` is rendered from channel data
(:mod:`kuzet.sandbox.telegram`) and ``hostile.test`` is dynamic (:mod:`kuzet.sandbox.hostile`).
Absolute links between sandbox hosts are written in the files without a port
(``http://vulkan-royal7.test/``); the server adds the port it listens on (or rewrites them to
``/_site/`` form) as it serves, so the files stay port-independent.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import suppress
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from kuzet.sandbox import hostile, telegram

log = logging.getLogger("kuzet.sandbox")
SITES_DIR = Path(str(resources.files("kuzet.sandbox"))) / "sites"
LOCAL_NAMES = {"127.0.0.1", "localhost", "[::1]", "::1", ""}
# Fixed so that conditional requests (If-Modified-Since) behave the same on every run.
LAST_MODIFIED = formatdate(1764403200, usegmt=True)  # 2025-11-29

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
}
# Feeds by their usual file names get the feed media type, as most feed servers send.
FEED_TYPES = {"rss.xml": "application/rss+xml; charset=utf-8", "atom.xml": "application/atom+xml; charset=utf-8"}
REWRITTEN_TYPES = (".html", ".htm", ".xml", ".txt", ".css")

BLOCK_PAGE = """<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>Доступ ограничен</title></head>
<body style="font-family:sans-serif;background:#f4f4f4">
<div style="max-width:640px;margin:60px auto;background:#fff;padding:32px;border-top:6px solid #c0392b">
<h1>Доступ к ресурсу ограничен</h1>
<p>Доступ к запрашиваемому ресурсу <b>{host}</b> ограничен на основании решения уполномоченного органа
в соответствии с законодательством Республики Казахстан (статья 41-1 Закона РК «О связи»).</p>
<p lang="kk">Сұралған ресурсқа қол жеткізу уәкілетті органның шешімі негізінде шектелген.</p>
<p>Если вы считаете, что ограничение применено ошибочно, обратитесь к владельцу ресурса
или в Министерство культуры и информации Республики Казахстан.</p>
<p style="color:#888">Оператор связи: ТОО «ДалаТелеком» · Справочная служба 160</p>
</div></body></html>
"""

REMOVED_PAGE = """<!DOCTYPE html>
<html lang="ru"><head><meta charset="utf-8"><title>410 Gone — content removed</title></head>
<body><h1>Content removed</h1><p>Материал удалён владельцем ресурса. The content at {host} has been removed.</p>
</body></html>
"""

_ABS_LINK = re.compile(rb"http://([a-z0-9][a-z0-9.-]*\.test)(?![a-z0-9.:-])(/?)", re.I)
_ROOT_ATTR = re.compile(rb"""((?:href|src|action)=["']|url\(['"]?)/(?!/)""", re.I)


def site_hosts() -> list[str]:
    """Hosts with static files under ``sites/``."""
    return sorted(p.name for p in SITES_DIR.iterdir() if p.is_dir())


class _Handler(BaseHTTPRequestHandler):
    server: _SandboxHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    # Idle keep-alive connections and stuck writes give up after this, so threads do not pile up.
    timeout = 30
    # Headers and body go out in separate writes; without this, Nagle plus delayed ACK adds 40 ms.
    disable_nagle_algorithm = True

    # --- Responder interface used by hostile endpoints ---------------------------------
    @property
    def stop_event(self) -> threading.Event:
        return self.server.stop_event

    def client_key(self) -> str:
        return str(self.client_address[0])

    def send_head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def write_raw(self, data: bytes) -> bool:
        if self.command == "HEAD":
            return False
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            self.close_connection = True
            return False
        return True

    def send_simple(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        all_headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        all_headers.update(headers or {})
        self.send_head(status, all_headers)
        if body:
            self.write_raw(body)

    # --- dispatch -------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        try:
            self._dispatch()
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True
        except Exception:
            # A bug in a fixture must show up as a 500 and a log line, not as a silent hang-up.
            log.exception("sandbox handler failed for %s %s", self.headers.get("Host"), self.path)
            self.close_connection = True
            with suppress(OSError):
                self.send_simple(500, b"sandbox error", "text/plain; charset=utf-8")

    do_HEAD = do_GET

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        # Quiet by default: tests and the demo start many requests; failures show as statuses.
        return

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path) or "/"
        query = parts.query
        host = (self.headers.get("Host") or "").strip().lower()
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        host = host.rstrip(".")
        if host in LOCAL_NAMES or host == self.server.bind_host:
            if path.startswith("/_site/"):
                rest = path[len("/_site/") :]
                site, _, sub = rest.partition("/")
                self._serve_host(site.lower(), "/" + sub, query, via_site=True)
            elif path in {"/", "/index.html"}:
                self.send_simple(200, self._index_page(), "text/html; charset=utf-8")
            else:
                self._not_found("no such page on the sandbox index")
            return
        self._serve_host(host, path, query, via_site=False)

    def _serve_host(self, host: str, path: str, query: str, *, via_site: bool) -> None:
        state = self.server.sandbox
        if host in state.blocked:
            body = BLOCK_PAGE.format(host=html.escape(host)).encode()
            self.send_simple(200, body, "text/html; charset=utf-8", {"Cache-Control": "no-store"})
            return
        if host in state.removed:
            self.send_simple(410, REMOVED_PAGE.format(host=html.escape(host)).encode(), "text/html; charset=utf-8")
            return
        if host == hostile.HOST and not via_site:
            endpoint = state.hostile_routes.get(path)
            if endpoint is None:
                self._not_found("no such hostile endpoint")
            else:
                endpoint(self, query)
            return
        if host == hostile.HOST:
            self._not_found("hostile.test is served on its own host only")
            return
        if host == telegram.HOST:
            self._serve_telegram(path, query, via_site=via_site)
            return
        self._serve_static(host, path, via_site=via_site)

    # --- static sites ---------------------------------------------------------------
    def _serve_static(self, host: str, path: str, *, via_site: bool) -> None:
        root = SITES_DIR / host
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*\.test", host) or not root.is_dir():
            self._not_found(f"unknown sandbox host {host!r}")
            return
        target = (root / path.lstrip("/")).resolve()
        if root.resolve() not in target.parents and target != root.resolve():
            self._not_found("outside the site")
            return
        if target.is_dir():
            if not path.endswith("/"):
                location = ("/_site/" + host if via_site else "") + path + "/"
                self.send_simple(301, b"", "text/html", {"Location": location})
                return
            target = target / "index.html"
        if not target.is_file():
            self._not_found("no such page")
            return
        suffix = target.suffix.lower()
        ctype = FEED_TYPES.get(target.name) or CONTENT_TYPES.get(suffix, "application/octet-stream")
        body = target.read_bytes()
        if suffix in REWRITTEN_TYPES:
            body = self._rewrite(body, host, via_site=via_site)
        self._send_cacheable(body, ctype)

    def _send_cacheable(self, body: bytes, ctype: str) -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_head(304, {"ETag": etag, "Content-Length": "0"})
            return
        self.send_simple(200, body, ctype, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

    def _rewrite(self, body: bytes, host: str, *, via_site: bool) -> bytes:
        """Add the listening port to absolute sandbox links, or turn them into ``/_site/`` links."""
        port = self.server.server_address[1]
        base = f"http://{self.server.bind_host}:{port}/_site/"

        def absolute(m: re.Match[bytes]) -> bytes:
            target = m.group(1).decode().lower()
            if via_site:
                return f"{base}{target}/".encode()
            return f"http://{target}:{port}/".encode() if port != 80 else m.group(0)

        body = _ABS_LINK.sub(absolute, body)
        if via_site:
            body = _ROOT_ATTR.sub(lambda m: m.group(1) + f"/_site/{host}/".encode(), body)
        return body

    # --- telegram -------------------------------------------------------------------
    def _serve_telegram(self, path: str, query: str, *, via_site: bool) -> None:
        port = self.server.server_address[1]
        origin = (
            f"http://{self.server.bind_host}:{port}/_site/{telegram.HOST}"
            if via_site
            else f"http://{telegram.HOST}:{port}"
        )
        segs = [s for s in path.split("/") if s]
        if len(segs) == 2 and segs[0] in {"file", "css"}:
            f = (telegram.FILES_DIR if segs[0] == "file" else telegram.CHANNELS_DIR / "css") / segs[1]
            if re.fullmatch(r"[\w.-]+", segs[1]) and f.is_file():
                self._send_cacheable(f.read_bytes(), CONTENT_TYPES.get(f.suffix.lower(), "application/octet-stream"))
            else:
                self._not_found("no such file")
            return
        if path == "/robots.txt":
            self.send_simple(200, b"User-agent: *\nAllow: /s/\n", "text/plain; charset=utf-8")
            return
        chans = telegram.channels()
        if len(segs) == 2 and segs[0] == "s" and segs[1].lower() in chans:
            ch = chans[segs[1].lower()]
            params = parse_qs(query)
            try:
                before = int(params["before"][0]) if "before" in params else None
                after = int(params["after"][0]) if "after" in params else None
            except ValueError:
                self._not_found("bad page parameter")
                return
            page = (
                telegram.render_after(ch, after, origin)
                if after is not None
                else telegram.render_channel(ch, before, origin)
            )
            body = self._rewrite(page.encode(), telegram.HOST, via_site=via_site)
            self.send_simple(200, body, "text/html; charset=utf-8")
            return
        if len(segs) == 3 and segs[0] == "s" and segs[1].lower() in chans and segs[2].isdigit():
            # t.me/s/NAME/ID: the channel preview opened at one post.
            ch = chans[segs[1].lower()]
            if telegram.find_post(ch, int(segs[2])) is None:
                self._not_found("no such post")
                return
            page = telegram.render_post_context(ch, int(segs[2]), origin)
            self.send_simple(
                200, self._rewrite(page.encode(), telegram.HOST, via_site=via_site), "text/html; charset=utf-8"
            )
            return
        if len(segs) == 2 and segs[0].lower() in chans and segs[1].isdigit():
            # t.me/NAME/ID: the post's own page; with ?embed=1 the widget that page frames.
            ch = chans[segs[0].lower()]
            post = telegram.find_post(ch, int(segs[1]))
            if post is None:
                self._not_found("no such post")
                return
            embed = parse_qs(query).get("embed", ["0"])[0] == "1"
            page = (telegram.render_post_widget if embed else telegram.render_post_page)(ch, post, origin)
            self.send_simple(
                200, self._rewrite(page.encode(), telegram.HOST, via_site=via_site), "text/html; charset=utf-8"
            )
            return
        if len(segs) == 1 and segs[0].lower() in chans:
            # t.me/NAME opens the channel's web preview.
            ch = chans[segs[0].lower()]
            loc = f"/s/{ch.name}"
            self.send_simple(302, b"", "text/html", {"Location": ("/_site/t.me.test" if via_site else "") + loc})
            return
        self._not_found("no such channel")

    # --- misc -----------------------------------------------------------------------
    def _not_found(self, why: str) -> None:
        body = (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 Not Found</title></head>'
            f"<body><h1>404 Not Found</h1><p>{html.escape(why)}</p></body></html>"
        ).encode()
        self.send_simple(404, body, "text/html; charset=utf-8")

    def _index_page(self) -> bytes:
        port = self.server.server_address[1]
        rows = []
        for h in all_hosts():
            if h == telegram.HOST:
                links = " ".join(
                    f'<a href="/_site/{h}/s/{c.name}">{html.escape(c.name)}</a>' for c in telegram.channels().values()
                )
            elif h == hostile.HOST:
                links = "(dynamic hostile endpoints; reachable on its own host only)"
            else:
                links = f'<a href="/_site/{h}/">open</a>'
            rows.append(f"<tr><td><code>http://{h}:{port}/</code></td><td>{links}</td></tr>")
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>kuzet sandbox web</title></head>'
            "<body><h1>kuzet sandbox web</h1><p>Fixture sites for tests and the demo. Resolve "
            f"<code>{SandboxServer.resolve_setting}</code> to reach them by name.</p>"
            f"<table>{''.join(rows)}</table></body></html>"
        ).encode()


class _SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.stop_event = sandbox._stop
        self.bind_host = addr[0]
        self._active: set[socket.socket] = set()
        self._active_lock = threading.Lock()
        super().__init__(addr, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._active_lock:
            self._active.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._active_lock:
                self._active.discard(request)

    def close_active(self) -> None:
        """Cut every open connection: a stopped server leaves no stream or keep-alive behind."""
        with self._active_lock:
            active = list(self._active)
        for sock in active:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up mid-response are normal on the hostile host; anything else is logged.
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            log.error("sandbox connection from %s failed", client_address, exc_info=exc)


def all_hosts() -> list[str]:
    """Every host the sandbox answers for: static sites, the Telegram preview and the hostile host."""
    return sorted([*site_hosts(), telegram.HOST, hostile.HOST])


class SandboxServer:
    """A threaded HTTP server for the sandbox web; ``port=0`` picks a free port."""

    resolve_setting = "*.test=127.0.0.1"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._requested_port = port
        self._stop = threading.Event()
        self._httpd: _SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.blocked: set[str] = set()
        self.removed: set[str] = set()
        self._hostile_state = hostile.HostileState()
        self.hostile_routes = hostile.routes(self._hostile_state)

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("sandbox server is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def url(self, site_host: str, path: str = "/") -> str:
        """``http://SITE:PORT/PATH`` for a sandbox host (reachable through ``resolve_setting``)."""
        if not path.startswith("/"):
            path = "/" + path
        return f"http://{site_host}:{self.port}{path}"

    def site_url(self, site_host: str, path: str = "/") -> str:
        """The same page through ``/_site/`` on the bare address (no resolver needed)."""
        return f"http://{self.host}:{self.port}/_site/{site_host}/{path.lstrip('/')}"

    def start(self) -> SandboxServer:
        if self._httpd is not None:
            return self
        self._stop.clear()
        self._httpd = _SandboxHTTPServer((self.host, self._requested_port), self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="kuzet-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stop.set()  # wakes slow and endless streams so their threads end
        self._httpd.shutdown()
        self._httpd.close_active()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def set_blocked(self, host: str, blocked: bool = True) -> None:
        """Make ``host`` answer with an ISP block page (or serve normally again)."""
        (self.blocked.add if blocked else self.blocked.discard)(host.lower())

    def set_removed(self, host: str, removed: bool = True) -> None:
        """Make ``host`` answer 410 "content removed" (or serve normally again)."""
        (self.removed.add if removed else self.removed.discard)(host.lower())

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def iter_site_urls(self) -> Iterator[str]:
        for h in site_hosts():
            yield self.url(h)


def serve_forever(host: str, port: int) -> None:
    """Serve the sandbox until Ctrl-C, printing the base URL and the index of sites."""
    server = SandboxServer(host, port).start()
    print(f"kuzet sandbox web on {server.base_url}")
    print(f"resolve *.test to {host} (KUZET_RESOLVE={SandboxServer.resolve_setting!r}) or browse /_site/<host>/")
    for h in all_hosts():
        print(f"  {server.url(h)}    {server.site_url(h)}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping")
    finally:
        with suppress(Exception):
            server.stop()


__all__ = ["SandboxServer", "all_hosts", "serve_forever", "site_hosts"]
