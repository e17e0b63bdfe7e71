"""``kuzet crawl`` on hostile sites: every page bounded in time and memory, logged with a reason,
and the crawl goes on."""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from kuzet.fetch.guard import AddressGuard
from kuzet.sandbox.server import SandboxServer
from kuzet.settings import Settings
from kuzet.sources.cli import app
from kuzet.sources.crawl import crawl_site, page_links

from .conftest import LocalSite, html, tree_site

MakeSite = Callable[[dict[str, Any]], LocalSite]


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    base: dict[str, Any] = {
        "mode": "development",
        "data_dir": tmp_path / "data",
        "total_timeout": 2.0,
        "read_timeout": 1.0,
        "max_body_bytes": 1024 * 1024,
    }
    return Settings(**{**base, **kw})


def test_hostile_host_is_crawled_to_the_end(tmp_path: Path, sandbox: SandboxServer) -> None:
    # 4 s: room for the bomb's inflation on a loaded machine, still short for the drip and the stall.
    settings = _settings(tmp_path, resolve=sandbox.resolve_setting, total_timeout=4.0)
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    stats = crawl_site(
        settings, sandbox.url("hostile.test", "/"), max_pages=60, concurrency=4, delay=0, on_page=rows.append
    )
    assert time.monotonic() - started < 30
    by_path = {r["url"].split(str(sandbox.port), 1)[1]: r for r in rows}
    assert by_path["/redirect-loop"]["reason"] == "redirects"
    assert by_path["/gzip-bomb"]["reason"] == "too_large"
    assert by_path["/slow"]["reason"] == "timeout"
    assert by_path["/binary.html"]["reason"] == "unsupported_content"
    assert by_path["/redirect-metadata"]["reason"] == "blocked_address"  # metadata: refused in every mode
    assert by_path["/rate-limited"]["status"] == 200  # 429 + Retry-After: 1, then served
    assert by_path["/endless"]["bytes"] <= 1024 * 1024 and by_path["/endless"].get("truncated")
    assert by_path["/cp1251-lying"]["status"] == 200
    assert "/private/secret.html" not in by_path and stats.robots_refused >= 1
    assert stats.retries >= 1
    for r in rows:
        assert r.get("reason") or r["status"] > 0, r


def test_infinite_calendar_is_bounded(tmp_path: Path, local_site: MakeSite) -> None:
    def calendar(h: BaseHTTPRequestHandler, path: str) -> None:
        n = int(path.rstrip("/").rsplit("/", 1)[1] or 0)
        links = f'<a href="/cal/{n + 1}">next</a> <a href="/cal/{n - 1}">prev</a> <a href="/cal/{n}/{n}/day">d</a>'
        html(h, f"<p>month {n}</p>{links}")

    site = local_site({"/cal/": calendar, "/robots.txt": lambda h, p: html(h, "", 404)})
    rows: list[dict[str, Any]] = []
    stats = crawl_site(
        _settings(tmp_path), site.url + "/cal/0", max_pages=40, concurrency=4, delay=0, on_page=rows.append
    )
    assert stats.pages == 40 == len({r["url"] for r in rows})
    stats = crawl_site(_settings(tmp_path), site.url + "/cal/0", max_pages=1000, max_depth=5, concurrency=2, delay=0)
    assert stats.pages < 40  # depth 5 around the start, not the whole endless calendar
    assert stats.rejected["too_deep"] > 0


def test_huge_page_is_cut_in_bounded_memory(tmp_path: Path, local_site: MakeSite) -> None:
    def huge(h: BaseHTTPRequestHandler, path: str) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(200 * 1024 * 1024))
        h.end_headers()
        chunk = b"<p>" + b"x" * 65530 + b"</p>"
        try:
            for _ in range(200 * 16):
                h.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass

    site = local_site({"/big": huge, "/robots.txt": lambda h, p: html(h, "", 404)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows: list[dict[str, Any]] = []
    crawl_site(_settings(tmp_path), site.url + "/big", max_pages=1, concurrency=1, delay=0, on_page=rows.append)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert rows[0]["truncated"] and rows[0]["bytes"] == 1024 * 1024
    assert grown_mb < 60


class PretendPublic(AddressGuard):
    """Production rules, except that ``origin.example`` counts as a public site on 127.0.0.1."""

    def resolve(self, host: str, port: int, *, url: str) -> list[str]:
        if host == "origin.example":
            return ["127.0.0.1"]
        return super().resolve(host, port, url=url)


def test_redirects_to_internal_addresses_are_refused_in_production(tmp_path: Path, local_site: MakeSite) -> None:
    holder: dict[str, int] = {}

    def front(h: BaseHTTPRequestHandler, path: str) -> None:
        html(h, '<a href="/to-loopback">a</a> <a href="/to-metadata">b</a> <a href="/fine">c</a>')

    def redirect(target: str) -> Callable[[BaseHTTPRequestHandler, str], None]:
        def route(h: BaseHTTPRequestHandler, path: str) -> None:
            h.send_response(302)
            h.send_header("Location", target.format(port=holder["port"]))
            h.send_header("Content-Length", "0")
            h.end_headers()

        return route

    site = local_site(
        {
            "/robots.txt": lambda h, p: html(h, "", 404),
            "/to-loopback": redirect("http://127.0.0.1:{port}/fine"),
            "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
            "/fine": lambda h, p: html(h, "<p>fine</p>"),
            "/": front,
        }
    )
    holder["port"] = int(site.url.rsplit(":", 1)[1])
    settings = _settings(tmp_path, mode="production")
    guard = PretendPublic(allow_loopback=False)
    rows: list[dict[str, Any]] = []
    crawl_site(
        settings, f"http://origin.example:{holder['port']}/", max_pages=10, delay=0, guard=guard, on_page=rows.append
    )
    by_path = {r["url"].rsplit(str(holder["port"]), 1)[1]: r for r in rows}
    assert by_path["/to-loopback"]["reason"] == "blocked_address"
    assert by_path["/to-metadata"]["reason"] == "blocked_address"
    assert by_path["/fine"]["status"] == 200
    assert by_path["/"]["status"] == 200


def test_links_nofollow_and_canonical() -> None:
    body = (
        b'<html><head><link rel="canonical" href="/canon"></head><body>'
        b'<a href="/a#frag">a</a><a rel="nofollow" href="/b">b</a><a href="mailto:x@y">m</a>'
        b'<a href="javascript:void(0)">j</a></body></html>'
    )
    links, nofollow = page_links(body, "http://s.test/dir/page")
    assert set(links) == {"http://s.test/canon", "http://s.test/a"} and not nofollow
    links, nofollow = page_links(
        b'<meta name="robots" content="noindex, nofollow"><a href="/x">x</a>', "http://s.test/"
    )
    assert links == [] and nofollow


def test_crawl_cli_writes_one_line_a_page(tmp_path: Path, local_site: MakeSite, monkeypatch: Any) -> None:
    site = local_site(tree_site(30))
    monkeypatch.setenv("KUZET_MODE", "development")
    monkeypatch.setenv("KUZET_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "pages.jsonl"
    result = CliRunner().invoke(
        app, ["crawl", site.url + "/p/0", "--max-pages", "20", "--concurrency", "3", "--delay", "0", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 20 == len({r["url"] for r in rows})
    assert set(rows[0]) >= {"url", "status", "final_url", "sha256", "bytes", "ms"}
    assert all(r["status"] == 200 for r in rows)
