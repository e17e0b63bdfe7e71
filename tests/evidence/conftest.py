"""Fixtures for evidence tests: a local site with hostile endpoints, a throwaway RFC 3161 TSA,
and one shared capture service (one chromium for the whole module)."""

from __future__ import annotations

import base64
import http.server
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"
)

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
CSS = b"h1 { color: #c00; font-family: sans-serif; }"
JS = b"document.addEventListener('DOMContentLoaded', () => { document.body.dataset.js = 'ran'; });"

PAGES: dict[str, tuple[int, str, bytes]] = {
    "/": (
        200,
        "text/html; charset=utf-8",
        (
            "<!doctype html><html><head><title>Казино Вулкан — официальный сайт</title>"
            "<link rel=stylesheet href=/style.css><script src=/app.js></script></head>"
            "<body><h1>Казино Вулкан</h1><p>Бонус 200% на первый депозит. Промокод VIP2024.</p>"
            "<img src=/logo.png alt=logo></body></html>"
        ).encode(),
    ),
    "/style.css": (200, "text/css", CSS),
    "/app.js": (200, "application/javascript", JS),
    "/logo.png": (200, "image/png", PNG_1PX),
    "/redirect": (302, "text/html", b""),
    "/alert": (
        200,
        "text/html",
        b"<html><body><h1>alerts</h1><script>var i=0; while(true){alert('win '+i++)}</script></body></html>",
    ),
    "/busy": (200, "text/html", b"<html><body><h1>Busy page</h1><script>while (true) {}</script></body></html>"),
    "/lazy": (
        200,
        "text/html",
        b"<html><body><h1>Lazy</h1><div style='height:7000px'></div><p id=tail>...</p>"
        b"<script>new IntersectionObserver((es) => { if (es[0].isIntersecting)"
        b" document.getElementById('tail').textContent = 'lazy text loaded'; })"
        b".observe(document.getElementById('tail'));</script></body></html>",
    ),
    "/lazy-img": (
        200,
        "text/html",
        b"<html><body><h1>Lazy image</h1><div style='height:9000px'></div>"
        b"<img loading=lazy src='/slow.png?lazy' width=40 height=40 alt=lazy></body></html>",
    ),
    "/popup": (200, "text/html", b"<html><body><h1>Popup</h1><script>window.open('/style.css')</script></body></html>"),
    "/404": (
        404,
        "text/html",
        b"<html><head><title>Not Found</title></head><body><h1>404 Not Found</h1></body></html>",
    ),
    "/500": (500, "text/html", b"<html><body><h1>Internal Server Error</h1></body></html>"),
    "/tall": (
        200,
        "text/html",
        b"<html><body style='margin:0'><div style='height:50000px;"
        b"background:linear-gradient(#fff,#00f)'>tall</div></body></html>",
    ),
    "/challenge": (
        503,
        "text/html",
        b"<html><head><title>Just a moment...</title></head><body>"
        b"<p>Checking your browser before accessing casino.test.</p>"
        b"<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/jsch/v1'></script>"
        b"</body></html>",
    ),
    "/blocked": (
        200,
        "text/html; charset=utf-8",
        "<html><head><title>Ресурс заблокирован</title></head><body><h1>Доступ к ресурсу ограничен</h1>"
        "<p>на основании решения уполномоченного органа.</p></body></html>".encode(),
    ),
    "/private-sub": (
        200,
        "text/html",
        b"<html><body><h1>sub</h1><img src='http://10.255.255.1/x.png'>"
        b"<img src='http://169.254.169.254/latest/meta-data/'>"
        b"<script>try { new WebSocket('ws://10.255.255.2:8080/feed') } catch (e) {}</script></body></html>",
    ),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    stop = threading.Event()

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if path == "/hang":
            # Headers and the start of a body, then nothing: "load" never fires.
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><head><title>slow</title></head><body><h1>Loading forever</h1>" + b" " * 2048)
            self.wfile.flush()
            deadline = time.monotonic() + 60
            while not self.stop.is_set() and time.monotonic() < deadline:
                time.sleep(0.1)
            return
        if path == "/slow.png":
            time.sleep(0.2)  # a lazy image that takes a while: the capture must wait for it
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG_1PX)))
            self.end_headers()
            self.wfile.write(PNG_1PX)
            return
        if path == "/set-state":
            # A page that leaves state behind: a cookie from the server and one from script, and
            # local and session storage.
            body = (
                b"<html><body><h1>state set</h1><script>document.cookie = 'js_cookie=leak; path=/';"
                b"localStorage.setItem('k', 'leak'); sessionStorage.setItem('k', 'leak');</script></body></html>"
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Set-Cookie", "server_cookie=leak; Path=/; Max-Age=3600")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path == "/echo-state":
            # What the browser brought: the Cookie and User-Agent headers, and what script finds.
            cookie = (self.headers.get("Cookie") or "none").replace("<", "")
            ua = (self.headers.get("User-Agent") or "none").replace("<", "")
            body = (
                f"<html><body><p>cookie header: {cookie}</p><p>user agent: {ua}</p><p id=s></p><script>"
                "document.getElementById('s').textContent = 'storage: ' + (localStorage.getItem('k') || 'none')"
                " + ', session: ' + (sessionStorage.getItem('k') || 'none')"
                " + ', js cookie: ' + (document.cookie || 'none');"
                "</script></body></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path == "/download":
            body = b"PK\x03\x04 not really an apk"
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.android.package-archive")
            self.send_header("Content-Disposition", 'attachment; filename="casino-vulkan.apk"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        status, ctype, body = PAGES.get(path, (404, "text/plain", b"not found"))
        self.send_response(status)
        if path == "/redirect":
            self.send_header("Location", "/")
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    """Base URL ``http://casino.test:PORT`` of the local site (the host is mapped to 127.0.0.1)."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://casino.test:{srv.server_address[1]}"
    _Handler.stop.set()
    srv.shutdown()
    srv.server_close()


@dataclass
class TSA:
    url: str
    cert: Path
    dir: Path


_TSA_CONF = """
[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@pytest.fixture(scope="session")
def tsa() -> Iterator[TSA]:
    """A throwaway RFC 3161 TSA: a self-signed timeStamping certificate and `openssl ts -reply` behind HTTP."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = Path(tempfile.mkdtemp(prefix="kuzet-tsa-"))
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(d / "tsa.key"),
            "-out",
            str(d / "tsa.crt"),
            "-days",
            "2",
            "-subj",
            "/CN=kuzet test TSA",
            "-addext",
            "extendedKeyUsage=critical,timeStamping",
        ],
        check=True,
        capture_output=True,
    )
    (d / "serial").write_text("01\n")
    (d / "tsa.cnf").write_text(_TSA_CONF.format(dir=d))
    lock = threading.Lock()

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                (d / "q.tsq").write_bytes(query)
                subprocess.run(
                    [
                        "openssl",
                        "ts",
                        "-reply",
                        "-config",
                        str(d / "tsa.cnf"),
                        "-queryfile",
                        str(d / "q.tsq"),
                        "-out",
                        str(d / "r.tsr"),
                    ],
                    capture_output=True,
                    check=True,
                )
                reply = (d / "r.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield TSA(url=f"http://127.0.0.1:{srv.server_address[1]}/", cert=d / "tsa.crt", dir=d)
    srv.shutdown()
    srv.server_close()
    shutil.rmtree(d, ignore_errors=True)


@dataclass
class HttpsSite:
    url: str
    cert_der: bytes


@pytest.fixture(scope="session")
def https_site() -> Iterator[HttpsSite]:
    """``https://secure.test:PORT/`` with a self-signed certificate (mapped to 127.0.0.1)."""
    import ssl

    d = Path(tempfile.mkdtemp(prefix="kuzet-https-"))
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(d / "k.pem"),
            "-out",
            str(d / "c.pem"),
            "-days",
            "2",
            "-subj",
            "/CN=secure.test/O=Casino Vulkan Ltd",
            "-addext",
            "subjectAltName=DNS:secure.test",
        ],
        check=True,
        capture_output=True,
    )
    der = subprocess.run(
        ["openssl", "x509", "-in", str(d / "c.pem"), "-outform", "DER"], check=True, capture_output=True
    ).stdout
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "c.pem", d / "k.pem")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield HttpsSite(url=f"https://secure.test:{srv.server_address[1]}", cert_der=der)
    srv.shutdown()
    srv.server_close()
    shutil.rmtree(d, ignore_errors=True)
