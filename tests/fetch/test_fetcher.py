from __future__ import annotations

import hashlib
import time
import tracemalloc
from collections.abc import Callable

import pytest

from kuzet.errors import (
    BlockedAddress,
    BodyTooLarge,
    FetchError,
    FetchTimeout,
    TooManyRedirects,
    UnsupportedContent,
)
from kuzet.fetch import Fetcher, error_snapshot
from kuzet.fetch.guard import AddressGuard
from kuzet.settings import Settings

from .conftest import RUSSIAN, Hostile

MakeSettings = Callable[..., Settings]


class PretendPublic(AddressGuard):
    """Production rules, except that one test host name counts as a public site on 127.0.0.1."""

    def resolve(self, host: str, port: int, *, url: str) -> list[str]:
        if host == "origin.example":
            return ["127.0.0.1"]
        return super().resolve(host, port, url=url)


def test_normal_page(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings(user_agent="kuzet-test/1")) as f:
        snap = f.fetch(hostile.url("/page"))
    assert snap.status == 200 and snap.ok
    assert snap.content_type == "text/html"
    assert snap.encoding == "utf-8"
    assert RUSSIAN in snap.text()
    assert snap.sha256 == hashlib.sha256(snap.body).hexdigest()
    assert snap.server_ip == "127.0.0.1"
    assert snap.headers["x-test"] == "Yes"
    assert snap.redirects == [] and snap.final_url == snap.url
    assert snap.elapsed_ms >= 0 and not snap.truncated
    assert hostile.seen_headers[-1]["user-agent"] == "kuzet-test/1"
    assert "gzip" in hostile.seen_headers[-1]["accept-encoding"]


def test_redirect_chain_recorded(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        snap = f.fetch(hostile.url("/r1"))
    assert snap.status == 200
    assert snap.final_url == hostile.url("/page")
    assert snap.redirects == [hostile.url("/r1"), hostile.url("/r2"), hostile.url("/r3")]


def test_redirect_loop(hostile: Hostile, dev_settings: MakeSettings) -> None:
    t0 = time.monotonic()
    with Fetcher(dev_settings()) as f, pytest.raises(TooManyRedirects, match="loop") as e:
        f.fetch(hostile.url("/loop-a"))
    assert e.value.url == hostile.url("/loop-a")
    assert time.monotonic() - t0 < 2


def test_cookie_bounce_and_tracking_redirect_are_not_loops(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        bounce = f.fetch(hostile.url("/bounce"))
        aff = f.fetch(hostile.url("/aff?ref=partner42"))
    assert bounce.status == 200 and bounce.redirects == [hostile.url("/bounce")]
    assert aff.status == 200 and aff.final_url == hostile.url("/aff")


def test_too_many_redirects(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings(max_redirects=3)) as f, pytest.raises(TooManyRedirects, match="over 3"):
        f.fetch(hostile.url("/chain/0"))


def test_redirect_to_metadata_blocked_even_in_development(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f, pytest.raises(BlockedAddress, match="169.254.169.254"):
        f.fetch(hostile.url("/to-metadata"))


def test_redirect_to_non_http_scheme(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f, pytest.raises(FetchError, match="not an http"):
        f.fetch(hostile.url("/to-file"))


def test_loopback_refused_in_production(hostile: Hostile, tmp_path: object) -> None:
    prod = Settings(mode="production", data_dir=tmp_path, total_timeout=5)  # type: ignore[arg-type]
    with Fetcher(prod) as f, pytest.raises(BlockedAddress, match="non-public"):
        f.fetch(hostile.url("/page"))


def test_redirect_to_loopback_refused_in_production(hostile: Hostile, tmp_path: object) -> None:
    prod = Settings(mode="production", data_dir=tmp_path, total_timeout=5)  # type: ignore[arg-type]
    guard = PretendPublic.from_settings(prod)
    assert isinstance(guard, PretendPublic)
    with Fetcher(prod, guard=guard) as f:
        # The "public" origin itself is reachable...
        assert f.fetch(hostile.url("/page", host="origin.example")).status == 200
        # ...but its redirect to loopback is refused at the connection layer.
        with pytest.raises(BlockedAddress, match="127.0.0.1"):
            f.fetch(hostile.url("/to-loopback", host="origin.example"))


def test_development_allows_redirect_to_loopback(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        assert f.fetch(hostile.url("/to-loopback")).status == 200


def test_resolve_override_keeps_host_header(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings(resolve="*.test=127.0.0.1")) as f:
        snap = f.fetch(hostile.url("/page", host="casino.test"))
    assert snap.status == 200 and snap.server_ip == "127.0.0.1"
    assert hostile.seen_hosts[-1] == f"casino.test:{hostile.port}"


def test_endless_html_is_truncated(hostile: Hostile, dev_settings: MakeSettings) -> None:
    limit = 300_000
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        with Fetcher(dev_settings(max_body_bytes=limit)) as f:
            snap = f.fetch(hostile.url("/endless"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert snap.truncated and len(snap.body) == limit
    assert time.monotonic() - t0 < 3
    assert peak < 6 * limit


def test_endless_non_html_raises(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings(max_body_bytes=200_000)) as f, pytest.raises(BodyTooLarge):
        f.fetch(hostile.url("/endless-json"))


def test_slow_drip_hits_total_deadline(hostile: Hostile, dev_settings: MakeSettings) -> None:
    t0 = time.monotonic()
    with Fetcher(dev_settings(total_timeout=1.5, read_timeout=10)) as f, pytest.raises(FetchTimeout):
        f.fetch(hostile.url("/drip"))
    assert 1.3 < time.monotonic() - t0 < 2.5


def test_stalled_headers_hit_total_deadline(hostile: Hostile, dev_settings: MakeSettings) -> None:
    t0 = time.monotonic()
    with Fetcher(dev_settings(total_timeout=1.0, read_timeout=10)) as f, pytest.raises(FetchTimeout):
        f.fetch(hostile.url("/stall"))
    assert time.monotonic() - t0 < 1.8


def test_gzip_bomb_stopped_early(hostile: Hostile, dev_settings: MakeSettings) -> None:
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        with Fetcher(dev_settings()) as f, pytest.raises(BodyTooLarge, match="bomb"):
            f.fetch(hostile.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - t0 < 3
    assert peak < 8 * 1024 * 1024  # 64 MiB decoded if unchecked


def test_gzip_and_raw_deflate_decoded(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        for path in ("/gzip", "/deflate-raw"):
            snap = f.fetch(hostile.url(path))
            assert RUSSIAN in snap.text(), path
            assert snap.sha256 == hashlib.sha256(snap.body).hexdigest()


def test_unknown_content_encoding_refused(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f, pytest.raises(UnsupportedContent, match="br"):
        f.fetch(hostile.url("/brotli"))


def test_lying_utf8_header_on_cp1251(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        snap = f.fetch(hostile.url("/cp1251-lying"))
    assert snap.encoding == "cp1251"
    assert RUSSIAN in snap.text()


@pytest.mark.parametrize("path", ["/koi8", "/koi8-as-cp1251"])
def test_koi8r_detected(hostile: Hostile, dev_settings: MakeSettings, path: str) -> None:
    with Fetcher(dev_settings()) as f:
        snap = f.fetch(hostile.url(path))
    assert snap.encoding == "koi8-r"
    assert RUSSIAN in snap.text()


def test_meta_charset_and_utf8_under_wrong_header(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        meta = f.fetch(hostile.url("/meta-cp1251"))
        wrong = f.fetch(hostile.url("/utf8-declared-cp1251"))
    assert meta.encoding == "cp1251" and RUSSIAN in meta.text()
    assert wrong.encoding == "utf-8" and RUSSIAN in wrong.text()


@pytest.mark.parametrize(("path", "status"), [("/404", 404), ("/500", 500)])
def test_error_statuses_are_snapshots(hostile: Hostile, dev_settings: MakeSettings, path: str, status: int) -> None:
    with Fetcher(dev_settings()) as f:
        snap = f.fetch(hostile.url(path))
    assert snap.status == status and not snap.ok and snap.body


@pytest.mark.parametrize("path", ["/binary", "/image"])
def test_binary_refused(hostile: Hostile, dev_settings: MakeSettings, path: str) -> None:
    with Fetcher(dev_settings()) as f, pytest.raises(UnsupportedContent):
        f.fetch(hostile.url(path))


def test_octet_stream_html_is_sniffed(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        snap = f.fetch(hostile.url("/octet-html"))
    assert snap.content_type == "text/html"


def test_conditional_request_304(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        first = f.fetch(hostile.url("/etag"))
        again = f.fetch(hostile.url("/etag"), etag=first.headers["etag"], last_modified=first.headers["last-modified"])
    assert first.status == 200 and first.body
    assert again.status == 304 and again.body == b"" and again.encoding is None
    assert hostile.seen_headers[-1]["if-none-match"] == '"v1"'
    assert hostile.seen_headers[-1]["if-modified-since"] == "Sun, 01 Nov 2026 00:00:00 GMT"


def test_cookies_follow_redirects_but_not_fetches(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        assert b"cookie=step=1" in f.fetch(hostile.url("/cookie-set")).body
        assert f.fetch(hostile.url("/cookie-check")).body.count(b"step") == 0


def test_connection_refused_is_fetch_error(dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f, pytest.raises(FetchError) as e:
        f.fetch("http://127.0.0.1:9/")
    assert e.value.url == "http://127.0.0.1:9/"
    snap = error_snapshot("http://127.0.0.1:9/", e.value)
    assert snap.error and snap.error_reason == "fetch_error" and not snap.ok


def test_unresolvable_host(dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f, pytest.raises(FetchError):
        f.fetch("http://no-such-host.invalid/")


def test_fetch_bytes_accepts_images_within_a_limit(hostile: Hostile, dev_settings: MakeSettings) -> None:
    with Fetcher(dev_settings()) as f:
        data = f.fetch_bytes(hostile.url("/image"), max_bytes=1_000_000)
        assert data.startswith(b"\x89PNG")
        with pytest.raises(BodyTooLarge):
            f.fetch_bytes(hostile.url("/image"), max_bytes=8)
        with pytest.raises(FetchError, match="HTTP 404"):
            f.fetch_bytes(hostile.url("/404"), max_bytes=1000)
