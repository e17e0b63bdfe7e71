"""A capture through a configured HTTP proxy: the browser's requests go through it (with the
proxy's credentials), and the bundle records the proxy without them."""

from __future__ import annotations

import base64
import http.client
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kuzet.evidence.capture import CaptureService
from kuzet.evidence.verify import verify_bundle
from kuzet.settings import Settings

from .conftest import needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium]
USER, SECRET = "kuzet", "pr0xy-s3cret"
TOKEN = "Basic " + base64.b64encode(f"{USER}:{SECRET}".encode()).decode()


@dataclass
class Proxy:
    port: int
    seen: list[tuple[str, str, bool]] = field(default_factory=list)  # method, target, authorized


@pytest.fixture
def proxy(site: str) -> Iterator[Proxy]:
    """A forward proxy on 127.0.0.1 that asks for Basic credentials and relays only to the test
    site (any other host gets a 502: nothing leaves the machine)."""
    site_host, site_port = urlsplit(site).hostname, urlsplit(site).port
    rec = Proxy(port=0)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802
            authorized = self.headers.get("Proxy-Authorization") == TOKEN
            with lock:
                rec.seen.append((self.command, self.path, authorized))
            if not authorized:
                self._reply(407, [("Proxy-Authenticate", 'Basic realm="kuzet-test"')], b"")
                return
            target = urlsplit(self.path)
            if target.hostname != site_host or target.port != site_port:
                self._reply(502, [], b"not relayed")
                return
            conn = http.client.HTTPConnection("127.0.0.1", site_port, timeout=10)
            try:
                hop = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in hop}
                conn.request("GET", target.path + (f"?{target.query}" if target.query else ""), headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                skip = {"transfer-encoding", "connection", "content-length", "keep-alive"}
                self._reply(resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in skip], body)
            finally:
                conn.close()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    rec.port = srv.server_address[1]
    yield rec
    srv.shutdown()
    srv.server_close()


def test_capture_goes_through_the_proxy_and_records_it_without_credentials(
    site: str, proxy: Proxy, tmp_path: Path
) -> None:
    s = Settings(
        mode="development",
        data_dir=tmp_path,
        resolve="*.test=127.0.0.1",
        capture_timeout=20,
        proxy=f"http://{USER}:{SECRET}@127.0.0.1:{proxy.port}",
    )
    with CaptureService(s) as svc:
        b = svc.capture(f"{site}/", tmp_path / "bundle")
    assert {p.name: p.status for p in b.parts if p.status != "ok"} == {}
    assert b.page_kind == "content"
    relayed = [(m, t) for m, t, ok in proxy.seen if ok]
    assert ("GET", f"{site}/") in relayed, proxy.seen
    assert ("GET", f"{site}/style.css") in relayed
    options = json.loads((b.path / "manifest.json").read_bytes())["options"]
    assert options["proxy"] == f"http://127.0.0.1:{proxy.port}"
    assert options["proxy_authenticated"] is True
    for f in b.path.iterdir():
        data = f.read_bytes()
        assert SECRET.encode() not in data and TOKEN.split()[1].encode() not in data, f.name
    assert verify_bundle(b.path, trusted_key_ids={b.key_id}).ok
