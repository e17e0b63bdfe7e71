"""A hostile local HTTP server on 127.0.0.1 (port 0) for the fetcher tests.

Every endless or slow handler stops by itself after ``HANDLER_CAP`` seconds, so a failing test
cannot leave a thread streaming forever.
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kuzet.settings import Settings

HANDLER_CAP = 12.0
RUSSIAN = (
    "Казино Вулкан: получите бонус 500% на первый депозит! Играйте в слоты онлайн, "
    "выводите выигрыш на карту. Регистрация за одну минуту, промокод при входе. "
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8


def _bomb(decoded_mb: int) -> bytes:
    """gzip of ``decoded_mb`` MiB of HTML-ish spaces; ~1000:1."""
    co = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [co.compress(b"<html><body>")]
    chunk = b" " * (1 << 20)
    for _ in range(decoded_mb):
        out.append(co.compress(chunk))
    out.append(co.flush())
    return b"".join(out)


@dataclass
class Hostile:
    host: str
    port: int
    seen_hosts: list[str] = field(default_factory=list)
    seen_headers: list[dict[str, str]] = field(default_factory=list)

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"


def _make_handler(state: Hostile, bomb: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
            pass

        def _send(
            self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _redirect(self, location: str, status: int = 302) -> None:
            self._send(status, b"", "text/html", {"Location": location})

        def _stream(self, ctype: str, piece: bytes, pause: float) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            stop = time.monotonic() + HANDLER_CAP
            try:
                while time.monotonic() < stop:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    if pause:
                        time.sleep(pause)
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass

        def do_GET(self) -> None:  # noqa: C901 - one routing table, read top to bottom
            state.seen_hosts.append(self.headers.get("Host", ""))
            state.seen_headers.append({k.lower(): v for k, v in self.headers.items()})
            if self.path.startswith("http://"):
                # Acting as a forward proxy: the request line carries the absolute URL.
                self._send(200, f"<html><body>proxied {self.path}</body></html>".encode())
                return
            path = self.path.split("?", 1)[0]
            page = f"<html><head><title>ok</title></head><body><p>{RUSSIAN}</p></body></html>".encode()
            if path == "/page":
                self._send(200, page, extra={"Set-Cookie": "sid=1; Path=/", "X-Test": "Yes"})
            elif path == "/r1":
                self._redirect("/r2", 301)
            elif path == "/r2":
                self._redirect(state.url("/r3"), 307)
            elif path == "/r3":
                self._redirect("page", 302)
            elif path == "/loop-a":
                self._redirect("/loop-b")
            elif path == "/loop-b":
                self._redirect("/loop-a")
            elif path.startswith("/chain/"):
                n = int(path.rsplit("/", 1)[1])
                self._redirect(f"/chain/{n + 1}")
            elif path == "/to-metadata":
                self._redirect("http://169.254.169.254/latest/meta-data/")
            elif path == "/to-loopback":
                self._redirect(f"http://127.0.0.1:{state.port}/page")
            elif path == "/to-file":
                self._redirect("file:///etc/passwd")
            elif path == "/endless":
                self._stream("text/html", b"<p>" + b"x" * 65530 + b"</p>", 0)
            elif path == "/endless-json":
                self._stream("application/json", b"[" + b"1," * 32000, 0)
            elif path == "/drip":
                self._stream("text/html", b"a", 0.2)
            elif path == "/stall":
                time.sleep(3)
                self._send(200, page)
            elif path == "/bomb":
                self._send(200, bomb, "text/html", {"Content-Encoding": "gzip"})
            elif path == "/gzip":
                self._send(200, gzip.compress(page), "text/html; charset=utf-8", {"Content-Encoding": "gzip"})
            elif path == "/deflate-raw":
                co = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
                self._send(200, co.compress(page) + co.flush(), "text/html", {"Content-Encoding": "deflate"})
            elif path == "/brotli":
                self._send(200, b"\x0b\x02\x80hello\x03", "text/html", {"Content-Encoding": "br"})
            elif path == "/cp1251-lying":
                body = f"<html><body><p>{RUSSIAN}</p></body></html>".encode("cp1251")
                self._send(200, body, "text/html; charset=utf-8")
            elif path == "/koi8":
                body = f"<html><body><p>{RUSSIAN * 2}</p></body></html>".encode("koi8-r")
                self._send(200, body, "text/html")
            elif path == "/koi8-as-cp1251":
                body = f"<html><body><p>{RUSSIAN * 2}</p></body></html>".encode("koi8-r")
                self._send(200, body, "text/html; charset=windows-1251")
            elif path == "/meta-cp1251":
                body = (f'<html><head><meta charset="windows-1251"></head><body><p>{RUSSIAN}</p></body></html>').encode(
                    "cp1251"
                )
                self._send(200, body, "text/html")
            elif path == "/utf8-declared-cp1251":
                self._send(200, page, "text/html; charset=windows-1251")
            elif path == "/404":
                self._send(404, b"<html><body>not found</body></html>")
            elif path == "/500":
                self._send(500, b"<html><body>boom</body></html>")
            elif path == "/binary":
                self._send(200, PNG, "text/html")
            elif path == "/image":
                self._send(200, PNG, "image/png")
            elif path == "/octet-html":
                self._send(200, page, "application/octet-stream")
            elif path == "/etag":
                if self.headers.get("If-None-Match") == '"v1"':
                    self._send(304, b"", "", {"ETag": '"v1"'})
                else:
                    self._send(200, page, extra={"ETag": '"v1"', "Last-Modified": "Sun, 01 Nov 2026 00:00:00 GMT"})
            elif path == "/cookie-set":
                self._send(302, b"", "text/html", {"Location": "/cookie-check", "Set-Cookie": "step=1; Path=/"})
            elif path == "/bounce":
                if "b=1" in self.headers.get("Cookie", ""):
                    self._send(200, b"<html><body>welcome back</body></html>")
                else:
                    self._send(302, b"", "text/html", {"Location": "/bounce", "Set-Cookie": "b=1; Path=/"})
            elif path == "/aff":
                if "ref=" in self.path:
                    self._redirect("/aff")
                else:
                    self._send(200, b"<html><body>landing</body></html>")
            elif path == "/cookie-check":
                got = self.headers.get("Cookie", "")
                self._send(200, f"<html><body>cookie={got}</body></html>".encode())
            else:
                self._send(404, b"no route")

    return Handler


@pytest.fixture(scope="session")
def hostile() -> Iterator[Hostile]:
    bomb = _bomb(64)
    state = Hostile(host="127.0.0.1", port=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state, bomb))
    server.daemon_threads = True
    # Clients hang up on endless bodies on purpose; the tracebacks would only be noise.
    server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def dev_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**kw: object) -> Settings:
        base: dict[str, object] = {
            "mode": "development",
            "data_dir": tmp_path,
            "total_timeout": 5.0,
            "connect_timeout": 2.0,
            "read_timeout": 2.0,
        }
        base.update(kw)
        return Settings(**base)  # type: ignore[arg-type]

    return make
