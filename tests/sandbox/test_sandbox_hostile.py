"""The hostile host behaves as documented; every request here bounds itself in time and size."""

from __future__ import annotations

import threading
import time
import zlib

import httpx
import pytest
from protego import Protego

from kuzet.sandbox import catalog
from kuzet.sandbox.server import SandboxServer

HOST = "hostile.test"


def _request_threads() -> int:
    return sum(1 for t in threading.enumerate() if "process_request_thread" in t.name)


def test_answer_key_documents_every_endpoint(web) -> None:
    endpoints = catalog.answer_key()["hostile"]["endpoints"]
    assert len(endpoints) >= 12
    index = web.get(HOST, "/").text
    for e in endpoints:
        if e["path"] != "/missing":
            assert e["path"] in index


def test_redirect_loop(sandbox: SandboxServer, web) -> None:
    r = web.get(HOST, "/redirect-loop")
    assert r.status_code == 302 and r.headers["location"] == "/redirect-loop-b"
    assert web.get(HOST, "/redirect-loop-b").headers["location"] == "/redirect-loop"
    with (
        httpx.Client(timeout=5, follow_redirects=True, max_redirects=6) as c,
        pytest.raises(httpx.TooManyRedirects),
    ):
        c.get(f"http://127.0.0.1:{sandbox.port}/redirect-loop", headers={"Host": HOST})


def test_redirect_chain_ends(sandbox: SandboxServer) -> None:
    with httpx.Client(timeout=5, follow_redirects=True) as c:
        r = c.get(f"http://127.0.0.1:{sandbox.port}/redirect-chain/5", headers={"Host": HOST})
    assert r.status_code == 200 and len(r.history) == 5


def test_redirect_to_metadata_address(web) -> None:
    r = web.get(HOST, "/redirect-metadata")
    assert r.status_code == 302 and r.headers["location"].startswith("http://169.254.169.254/")


def test_endless_body_does_not_pin_the_server(sandbox: SandboxServer, web) -> None:
    before = _request_threads()
    limit = 3 * 1024 * 1024
    for _ in range(3):
        with (
            httpx.Client(timeout=httpx.Timeout(5.0)) as c,
            c.stream("GET", sandbox.base_url + "endless", headers={"Host": HOST}) as r,
        ):
            assert r.status_code == 200 and "content-length" not in r.headers
            got = 0
            for chunk in r.iter_raw():
                got += len(chunk)
                if got > limit:
                    break
            assert got > limit
    # The server still answers at once, and the abandoned streams' threads end.
    t = time.monotonic()
    assert web.get("tulpar-bet.test").status_code == 200
    assert time.monotonic() - t < 2
    deadline = time.monotonic() + 5
    while _request_threads() > before + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _request_threads() <= before + 1


def test_lying_cp1251(web) -> None:
    r = web.get(HOST, "/cp1251-lying")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    assert "Рабочее зеркало казино" in r.content.decode("cp1251")


def test_koi8r_without_charset(web) -> None:
    r = web.get(HOST, "/koi8r")
    assert r.headers["content-type"] == "text/html"
    assert b"charset" not in r.content.lower()
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    assert "ремонт дорог" in r.content.decode("koi8-r")


def test_slow_page_trickles(sandbox: SandboxServer) -> None:
    with (
        httpx.Client(timeout=httpx.Timeout(5.0)) as c,
        c.stream("GET", sandbox.base_url + "slow", headers={"Host": HOST}) as r,
    ):
        declared = int(r.headers["content-length"])
        got = 0
        start = time.monotonic()
        for chunk in r.iter_raw():
            got += len(chunk)
            if time.monotonic() - start > 1.6:
                break
    assert declared > 100
    assert 1 <= got <= 6


def test_stall_needs_a_read_timeout(sandbox: SandboxServer) -> None:
    start = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(sandbox.base_url + "stall", headers={"Host": HOST}, timeout=httpx.Timeout(5.0, read=0.5))
    assert time.monotonic() - start < 3


def test_gzip_bomb_small_on_the_wire_huge_inflated(sandbox: SandboxServer) -> None:
    with (
        httpx.Client(timeout=httpx.Timeout(10.0)) as c,
        c.stream("GET", sandbox.base_url + "gzip-bomb", headers={"Host": HOST}) as r,
    ):
        assert r.headers["content-encoding"] == "gzip"
        wire = int(r.headers["content-length"])
        assert wire < 2 * 1024 * 1024
        d = zlib.decompressobj(31)
        raw = inflated = 0
        for chunk in r.iter_raw():
            raw += len(chunk)
            while chunk:
                out = d.decompress(chunk, 8 * 1024 * 1024)
                inflated += len(out)
                chunk = d.unconsumed_tail
            if inflated >= 200 * 1024 * 1024:
                break
    assert inflated >= 200 * 1024 * 1024
    assert raw < 400 * 1024  # 200 MiB came out of a few hundred KiB


def test_error_statuses(web) -> None:
    assert web.get(HOST, "/error-500").status_code == 500
    assert web.get(HOST, "/missing").status_code == 404


def test_binary_served_as_html(web) -> None:
    r = web.get(HOST, "/binary.html")
    assert r.headers["content-type"] == "text/html"
    assert r.content.startswith(b"\x7fELF") and b"\x00" in r.content


def test_robots_disallows_private(web) -> None:
    robots = web.get(HOST, "/robots.txt").text
    rp = Protego.parse(robots)
    assert not rp.can_fetch("http://hostile.test/private/secret.html", "kuzet")
    assert rp.can_fetch("http://hostile.test/slow", "kuzet")
    assert web.get(HOST, "/private/secret.html").status_code == 200


def test_rate_limited_then_ok(web) -> None:
    first = web.get(HOST, "/rate-limited?k=test")
    assert first.status_code == 429 and first.headers["retry-after"] == "1"
    assert web.get(HOST, "/rate-limited?k=test").status_code == 200


def test_script_only_page(web) -> None:
    r = web.get(HOST, "/script-only")
    assert '<div id="app">Загрузка…</div>' in r.text and "document.getElementById" in r.text


def test_hostile_host_not_served_through_site_path(sandbox: SandboxServer) -> None:
    assert httpx.get(sandbox.site_url(HOST, "/endless"), timeout=5).status_code == 404


def test_stop_ends_streams(web) -> None:
    server = SandboxServer().start()
    port = server.port
    done = threading.Event()

    def read_slow() -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(10.0)) as c:
                c.get(f"http://127.0.0.1:{port}/slow", headers={"Host": HOST})
        except httpx.HTTPError:
            pass
        done.set()

    t = threading.Thread(target=read_slow, daemon=True)
    t.start()
    time.sleep(0.3)
    start = time.monotonic()
    server.stop()
    assert done.wait(5)
    assert time.monotonic() - start < 5
