from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest

from kuzet.records import RegistryEntry
from kuzet.sandbox import catalog
from kuzet.sandbox.server import SITES_DIR, SandboxServer, all_hosts, site_hosts


def test_start_on_free_port_and_stop() -> None:
    server = SandboxServer()
    server.start()
    port = server.port
    assert port > 0
    assert server.url("vulkan-royal.test") == f"http://vulkan-royal.test:{port}/"
    assert server.url("vulkan-royal.test", "bonus.html").endswith(f":{port}/bonus.html")
    r = httpx.get(server.base_url, timeout=5)
    assert r.status_code == 200
    server.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    with pytest.raises(RuntimeError):
        _ = server.port


def test_resolve_setting() -> None:
    assert SandboxServer.resolve_setting == "*.test=127.0.0.1"


def test_index_lists_every_host(sandbox: SandboxServer) -> None:
    body = httpx.get(sandbox.base_url, timeout=5).text
    for host in all_hosts():
        assert host in body
    assert "/_site/vulkan-royal.test/" in body


def test_every_seed_answers_200(sandbox: SandboxServer, web) -> None:
    seeds = catalog.seeds()
    assert {s.kind for s in seeds} == {"website", "telegram", "feed"}
    assert not any(s.host == "hostile.test" for s in seeds)
    for seed in seeds:
        r = web.get(seed.host, seed.path)
        assert r.status_code == 200, seed
        assert seed.url(sandbox.port).startswith(f"http://{seed.host}:{sandbox.port}/")


def test_host_routing_serves_different_sites(web) -> None:
    a = web.get("vulkan-royal.test").text
    b = web.get("tulpar-bet.test").text
    assert "Vulkan Royal" in a and "TULPAR" not in a
    assert "TULPAR BET" in b


def test_unknown_host_and_missing_page_404(web) -> None:
    assert web.get("no-such-site.test").status_code == 404
    assert web.get("vulkan-royal.test", "/nope.html").status_code == 404
    assert web.get("vulkan-royal.test", "/../../server.py").status_code == 404
    assert web.get("vulkan-royal.test", "/%2e%2e/%2e%2e/server.py").status_code == 404


def test_fixture_data_is_not_served(web) -> None:
    for path in (
        "/file/..%2fkapper_express_kz.json",
        "/file/../goldstep_invest.json",
        "/css/..%2f..%2fanswer_key.json",
    ):
        assert web.get("t.me.test", path).status_code == 404
    assert web.get("vulkan-royal.test", "/..%2f..%2fanswer_key.json").status_code == 404
    assert web.get("t.me.test", "/css/tgme.css").headers["content-type"].startswith("text/css")


def test_site_path_routing(sandbox: SandboxServer) -> None:
    r = httpx.get(sandbox.site_url("vulkan-royal.test", "/bonus.html"), timeout=5)
    assert r.status_code == 200
    assert "VULKAN777" in r.text
    # Root-relative links and cross-site links are rewritten to stay on /_site/.
    assert 'href="/_site/vulkan-royal.test/payments.html"' in r.text
    home = httpx.get(sandbox.site_url("vulkan-royal.test"), timeout=5).text
    assert f"http://127.0.0.1:{sandbox.port}/_site/vulkan-royal7.test/" in home
    tg = httpx.get(sandbox.site_url("t.me.test", "/s/kapper_express_kz"), timeout=5)
    assert tg.status_code == 200 and 'data-post="kapper_express_kz/1212"' in tg.text
    assert 'href="/_site/t.me.test/s/kapper_express_kz?before=' in tg.text


def test_cross_site_links_get_the_port(sandbox: SandboxServer, web) -> None:
    body = web.get("vulkan-royal.test").text
    assert f"http://vulkan-royal7.test:{sandbox.port}/" in body


def test_content_types(web) -> None:
    assert web.get("vulkan-royal.test").headers["content-type"] == "text/html; charset=utf-8"
    assert web.get("vulkan-royal.test", "/style.css").headers["content-type"].startswith("text/css")
    png = web.get("vulkan-royal.test", "/img/banner-bonus.png")
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert web.get("vulkan-royal.test", "/robots.txt").headers["content-type"].startswith("text/plain")
    assert web.get("dala-news.test", "/rss.xml").headers["content-type"].startswith("application/rss+xml")
    assert web.get("vulkan-royal.test", "/sitemap.xml").text.startswith("<?xml")


def test_directory_without_slash_redirects(web) -> None:
    r = web.get("goldstep-invest.test", "/en")
    assert r.status_code == 301 and r.headers["location"] == "/en/"


def test_conditional_get(web) -> None:
    first = web.get("sapa-bank.test")
    etag = first.headers["etag"]
    again = web.get("sapa-bank.test", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_head_has_no_body(sandbox: SandboxServer) -> None:
    r = httpx.head(sandbox.base_url, timeout=5, headers={"Host": "tulpar-bet.test"})
    assert r.status_code == 200 and r.content == b""
    assert int(r.headers["content-length"]) > 1000


def test_every_answer_key_page_is_served(web) -> None:
    pages = [i for i in catalog.answer_key()["items"] if i["kind"] == "page"]
    assert len(pages) >= 40
    for item in pages:
        r = web.get(item["host"], item["path"])
        assert r.status_code == 200, item["url_path"]
        assert r.headers["content-type"].startswith("text/html")


def test_every_html_file_is_in_the_answer_key() -> None:
    keyed = {i["url_path"] for i in catalog.answer_key()["items"] if i["kind"] == "page"}
    on_disk = set()
    for f in SITES_DIR.rglob("*.html"):
        rel = f.relative_to(SITES_DIR)
        host, path = rel.parts[0], "/" + "/".join(rel.parts[1:])
        on_disk.add(host + (path[: -len("index.html")] if path.endswith("/index.html") else path))
    assert on_disk == keyed


def test_set_blocked_flips_a_host(sandbox: SandboxServer, web) -> None:
    try:
        sandbox.set_blocked("vulkan-royal.test", True)
        r = web.get("vulkan-royal.test", "/bonus.html")
        assert "Доступ к ресурсу ограничен" in r.text and "решения уполномоченного органа" in r.text
        assert "VULKAN777" not in r.text
        # Only that host: its mirror still serves content.
        assert "VULKAN777" in web.get("vulkan-royal7.test").text
    finally:
        sandbox.set_blocked("vulkan-royal.test", False)
    assert "VULKAN777" in web.get("vulkan-royal.test", "/bonus.html").text


def test_set_removed(sandbox: SandboxServer, web) -> None:
    try:
        sandbox.set_removed("lucky-steppe.test", True)
        r = web.get("lucky-steppe.test")
        assert r.status_code == 410 and "removed" in r.text
    finally:
        sandbox.set_removed("lucky-steppe.test", False)
    assert web.get("lucky-steppe.test").status_code == 200


def test_registry_rows_build_registry_entries() -> None:
    rows = catalog.registry_rows()
    assert len(rows) == 1
    entry = RegistryEntry(**rows[0])
    assert entry.resource == "vulkan-royal.test" and entry.kind == "domain"
    assert entry.authority.startswith("Министерство культуры и информации")
    assert entry.decision_number and entry.decision_date and entry.legal_basis
    listed = {i["host"] for i in catalog.answer_key()["items"] if i["kind"] == "page" and i["in_registry"]}
    assert listed == {"vulkan-royal.test"}


def test_all_hosts() -> None:
    hosts = catalog.all_hosts()
    assert "t.me.test" in hosts and "hostile.test" in hosts
    assert set(site_hosts()) <= set(hosts)
    assert all(h.endswith(".test") for h in hosts)
    for seed in catalog.seeds():
        assert urlsplit(seed.url()).hostname in hosts
