"""TLS through the guarded backend (SNI and certificate checked on the hostname, not the vetted IP)
and fetching through a configured proxy."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kuzet.errors import BlockedAddress, FetchError
from kuzet.fetch import Fetcher
from kuzet.settings import Settings

from .conftest import Hostile

MakeSettings = Callable[..., Settings]


def _cert(
    subject: str, issuer_key: ec.EllipticCurvePrivateKey | None, issuer: x509.Name | None, ca: bool
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256()), key


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, ssl.SSLContext, list[str]]]:
    d: Path = tmp_path_factory.mktemp("tls")
    ca_cert, ca_key = _cert("kuzet test CA", None, None, ca=True)
    leaf, leaf_key = _cert("casino.test", ca_key, ca_cert.subject, ca=False)
    (d / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (d / "leaf.key").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    sni_seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:
            body = f"<html><body>secure {self.headers.get('Host')}</body></html>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(d / "leaf.pem", d / "leaf.key")
    server_ctx.sni_callback = lambda sock, name, ctx: sni_seen.append(name or "")  # type: ignore[assignment,func-returns-value]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    client_ctx = ssl.create_default_context()
    client_ctx.load_verify_locations(cadata=ca_cert.public_bytes(serialization.Encoding.PEM).decode())
    yield server.server_address[1], client_ctx, sni_seen
    server.shutdown()
    server.server_close()


def test_tls_sni_and_certificate_use_hostname(
    tls_server: tuple[int, ssl.SSLContext, list[str]], dev_settings: MakeSettings
) -> None:
    port, ctx, sni_seen = tls_server
    with Fetcher(dev_settings(resolve="*.test=127.0.0.1"), verify_tls=ctx) as f:
        snap = f.fetch(f"https://casino.test:{port}/")
        assert snap.status == 200 and b"secure casino.test" in snap.body
        assert snap.server_ip == "127.0.0.1"
        assert sni_seen[-1] == "casino.test"
        # Same IP, other name: the certificate does not match, so the fetch fails.
        with pytest.raises(FetchError, match="(?i)certificate|hostname"):
            f.fetch(f"https://other.test:{port}/")


def test_fetch_through_proxy(hostile: Hostile, dev_settings: MakeSettings) -> None:
    proxy = f"http://127.0.0.1:{hostile.port}"
    with Fetcher(dev_settings(proxy=proxy, resolve="*.test=127.0.0.1")) as f:
        snap = f.fetch("http://casino.test:8081/page")
    assert b"proxied http://casino.test:8081/page" in snap.body
    assert snap.server_ip is None  # the peer is the proxy, not the site


def test_proxy_does_not_open_internal_targets(hostile: Hostile, tmp_path: Path) -> None:
    prod = Settings(mode="production", data_dir=tmp_path, total_timeout=5, proxy=f"http://127.0.0.1:{hostile.port}")
    with Fetcher(prod) as f, pytest.raises(BlockedAddress):
        f.fetch("http://127.0.0.1:8081/page")
