"""The monitor: connectors into the frontier, the pipeline's fetch and extract, revisits that
cost nothing when nothing changed, Telegram's only-new-posts paging, new domains, imports."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from kuzet.records import utcnow
from kuzet.sandbox.server import SandboxServer
from kuzet.settings import Settings
from kuzet.sources.monitor import MonitorConfig, load_config, run_monitor
from kuzet.store.db import Database
from kuzet.store.frontier import CrawlUrl, SourceState
from kuzet.store.models import DocumentRow, JobRow, SnapshotRow, Source

from .conftest import LocalSite, html

STAGES = ("fetch", "extract")


@pytest.fixture
def msettings(tmp_path: Path, db_url: str, sandbox: SandboxServer) -> Settings:
    return Settings(
        mode="development",
        data_dir=tmp_path / "data",
        database_url=db_url,
        resolve=sandbox.resolve_setting,
        total_timeout=3.0,
        read_timeout=2.0,
    )


def _count(db: Database, model: Any, *where: Any) -> int:
    with db.session() as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar() or 0)


def _make_due(db: Database) -> None:
    past = utcnow() - timedelta(seconds=1)
    with db.session() as s:
        s.execute(update(SourceState).values(next_run_at=past))
        s.execute(update(CrawlUrl).where(CrawlUrl.next_fetch_at.is_not(None)).values(next_fetch_at=past))


def test_sources_feed_the_pipeline_and_unchanged_revisits_stop_at_fetch(
    msettings: Settings, db: Database, sandbox: SandboxServer
) -> None:
    cfg = MonitorConfig(
        delay=0,
        stages=STAGES,
        sources=[
            {"kind": "website", "name": "vulkan", "url": sandbox.url("vulkan-royal.test"), "max_depth": 1},
            {
                "kind": "telegram",
                "name": "goldstep",
                "url": sandbox.url("t.me.test", "/s/goldstep_invest"),
                "max_pages": 3,
            },
            {"kind": "feed", "name": "dala", "url": sandbox.url("dala-news.test", "/rss.xml")},
        ],
    )
    first = run_monitor(msettings, db, cfg, once=True)
    assert first.jobs.failed == 0 and first.frontier.get("queued", 0) == 0
    assert _count(db, DocumentRow, DocumentRow.kind == "telegram_post") >= 3
    assert _count(db, DocumentRow, DocumentRow.kind == "feed_item") >= 1
    assert _count(db, DocumentRow, DocumentRow.kind == "page") >= 2
    with db.session() as s:
        state = s.execute(select(SourceState).join(Source).where(Source.name == "goldstep")).scalar_one()
        assert int(state.cursor["max_post_id"]) > 0
        pages = s.execute(select(func.count()).select_from(CrawlUrl).where(CrawlUrl.source_id == state.source_id))
        assert 1 <= (pages.scalar() or 0) <= 3  # max_pages preview pages
    docs = _count(db, DocumentRow)
    extracts = _count(db, JobRow, JobRow.stage == "extract")
    snaps = _count(db, SnapshotRow)

    # Nothing is due yet: a second run queues nothing.
    again = run_monitor(msettings, db, cfg, once=True)
    assert again.queued == 0 and _count(db, SnapshotRow) == snaps

    # Everything due: every page and preview head is asked again, nothing has changed, so no
    # extract job and no document is added, and Telegram does not page back over old posts.
    _make_due(db)
    third = run_monitor(msettings, db, cfg, once=True)
    assert third.queued > 0 and third.jobs.by_stage.get("extract", 0) == 0
    assert _count(db, SnapshotRow) > snaps
    assert _count(db, SnapshotRow, SnapshotRow.status == 304) > 0  # conditional requests
    assert _count(db, JobRow, JobRow.stage == "extract") == extracts
    assert _count(db, DocumentRow) == docs
    with db.session() as s:
        assert s.execute(select(func.max(CrawlUrl.unchanged))).scalar() == 1


def test_new_domain_watch_and_url_lists(
    msettings: Settings, db: Database, sandbox: SandboxServer, tmp_path: Path
) -> None:
    feed = tmp_path / "new.txt"
    feed.write_text(
        "vulkan-royal7.test\nkofe-alatau.test\n"
        + json.dumps({"data": {"leaf_cert": {"all_domains": ["*.vulkan-royal-zerkalo12.test"]}}})
        + "\n",
        encoding="utf-8",
    )
    cfg = MonitorConfig(
        delay=0,
        stages=STAGES,
        sources=[
            {"kind": "newdomains", "name": "nrd", "url": "", "file": str(feed), "scheme": "http", "port": sandbox.port},
            {
                "kind": "urls",
                "name": "list",
                "url": "",
                "urls": ["mektep-17.test"],
                "scheme": "http",
                "port": sandbox.port,
            },
        ],
    )
    summary = run_monitor(msettings, db, cfg, once=True)
    assert summary.jobs.failed == 0
    with db.session() as s:
        rows = {r.host: r for r in s.execute(select(CrawlUrl).where(CrawlUrl.depth == 0)).scalars()}
        fetch_prio = dict(s.execute(select(JobRow.key, JobRow.priority).where(JobRow.stage == "fetch")).all())
    assert {"vulkan-royal7.test", "vulkan-royal-zerkalo12.test", "mektep-17.test"} <= set(rows)
    assert "kofe-alatau.test" not in rows  # an ordinary name is not queued
    assert rows["vulkan-royal7.test"].priority == 2 < rows["mektep-17.test"].priority  # new domains first
    assert all(rows[h].last_status == 200 for h in rows)
    assert any(k.startswith("fetch:") and p == 2 for k, p in fetch_prio.items())


def test_imports_of_jsonl_csv_and_warc(msettings: Settings, db: Database, tmp_path: Path) -> None:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    jl = tmp_path / "posts.jsonl"
    jl.write_text(
        json.dumps({"url": "https://t.me/somechan/5", "text": "Казино бонус", "kind": "telegram_post"})
        + "\n{not json\n"
        + json.dumps({"url": "https://site.kz/", "html": "<html><body><p>Привет</p></body></html>"})
        + "\n"
        + json.dumps({"text": "no url"})
        + "\n",
        encoding="utf-8",
    )
    cv = tmp_path / "rows.csv"
    cv.write_text("url,text,title\nhttps://a.kz/x,Ставки на спорт,A\n", encoding="utf-8")
    wa = tmp_path / "pages.warc.gz"
    with wa.open("wb") as f:
        w = WARCWriter(f, gzip=True)
        body = "<html><head><title>W</title></head><body><p>Из архива</p></body></html>".encode()
        hdrs = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        import io

        w.write_record(
            w.create_warc_record("https://w.kz/page", "response", payload=io.BytesIO(body), http_headers=hdrs)
        )
    cfg = MonitorConfig(
        delay=0,
        stages=STAGES,
        sources=[{"kind": "import", "name": f"imp-{p.suffix}", "url": str(p)} for p in (jl, cv, wa)],
    )
    run_monitor(msettings, db, cfg, once=True)
    with db.session() as s:
        urls = dict(s.execute(select(DocumentRow.url, DocumentRow.kind)).all())
    assert urls["https://t.me/somechan/5"] == "telegram_post"
    assert urls["https://a.kz/x"] == "text"
    assert urls["https://site.kz/"] == "page" and urls["https://w.kz/page"] == "page"  # extracted like fetched pages
    n = _count(db, SnapshotRow)
    _make_due(db)
    run_monitor(msettings, db, cfg, once=True)
    assert _count(db, SnapshotRow) == n  # the same file again adds nothing


def test_telegram_preview_with_missing_fields(
    msettings: Settings, db: Database, local_site: Callable[[dict[str, Any]], LocalSite]
) -> None:
    preview = (
        '<html><body><div class="tgme_widget_message" data-post="bare_chan/7"></div>'
        '<div class="tgme_widget_message" data-post="bare_chan/8"><div class="tgme_widget_message_text">'
        "Ставки 1xbet</div></div>"
        '<div class="tgme_widget_message" data-post="broken"></div></body></html>'
    )
    site = local_site({"/s/bare_chan": lambda h, p: html(h, preview), "/robots.txt": lambda h, p: html(h, "", 404)})
    cfg = MonitorConfig(
        delay=0, stages=STAGES, sources=[{"kind": "telegram", "name": "bare", "url": site.url + "/s/bare_chan"}]
    )
    summary = run_monitor(msettings, db, cfg, once=True)
    assert summary.jobs.failed == 0
    with db.session() as s:
        posts = s.execute(select(DocumentRow.post_id).where(DocumentRow.kind == "telegram_post")).scalars().all()
    assert posts and len(posts) <= 3


def test_config_files(tmp_path: Path) -> None:
    toml = tmp_path / "m.toml"
    toml.write_text('[monitor]\ndelay = 0.5\n\n[[source]]\nkind = "feed"\nname = "f"\nurl = "https://x.kz/rss"\n')
    cfg = load_config(toml)
    assert cfg.delay == 0.5 and cfg.sources[0]["kind"] == "feed"
    yml = tmp_path / "m.yaml"
    yml.write_text(
        "monitor: {stages: [fetch, extract]}\nsources:\n  - {kind: website, name: w, url: 'https://x.kz/'}\n"
    )
    assert load_config(yml).stages == ("fetch", "extract")
    bad = tmp_path / "bad.toml"
    bad.write_text('[[source]]\nkind = "ftp"\nname = "x"\n')
    from kuzet.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown kind"):
        load_config(bad)
    example = Path(__file__).resolve().parents[2] / "examples" / "monitor.toml"
    assert {s["kind"] for s in load_config(example).sources} >= {"website", "telegram", "feed"}
    # The monitor runs every stage the pipeline has, in order; triage brings link, notify render.
    from kuzet.run.stages import Pipeline
    from kuzet.sources.monitor import ALL_STAGES

    assert set(ALL_STAGES) == set(Pipeline.__new__(Pipeline).handlers())
    assert load_config(example).stages == ALL_STAGES
    old = tmp_path / "old.toml"
    old.write_text('[monitor]\nstages = ["fetch", "extract", "detect", "capture", "triage", "notify"]\n')
    assert load_config(old).stages == ALL_STAGES


def test_hostile_pages_are_recorded_with_reasons_and_the_crawl_goes_on(
    msettings: Settings, db: Database, local_site: Callable[[dict[str, Any]], LocalSite]
) -> None:
    def redirect_loop(h: Any, path: str) -> None:
        h.send_response(302)
        h.send_header("Location", "/loop")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def binary(h: Any, path: str) -> None:
        data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    front = '<a href="/loop">l</a> <a href="/bin.html">b</a> <a href="/private/x">p</a> <a href="/ok">o</a>'
    site = local_site(
        {
            "/robots.txt": lambda h, p: html(h, "User-agent: *\nDisallow: /private/\n"),
            "/loop": redirect_loop,
            "/bin.html": binary,
            "/ok": lambda h, p: html(h, "<p>fine</p>"),
            "/": lambda h, p: html(h, front),
        }
    )
    cfg = MonitorConfig(delay=0, stages=STAGES, sources=[{"kind": "website", "name": "h", "url": site.url + "/"}])
    summary = run_monitor(msettings, db, cfg, once=True)
    assert summary.jobs.failed == 0 and summary.robots_refused == 1
    with db.session() as s:
        got = {r.url.rsplit("/", 1)[1]: r for r in s.execute(select(CrawlUrl)).scalars()}
        reasons = dict(s.execute(select(SnapshotRow.url, SnapshotRow.error_reason)).all())
    assert got["loop"].status == "failed" and "redirect loop" in (got["loop"].last_error or "")
    assert got["bin.html"].status == "failed" and reasons[site.url + "/bin.html"] == "unsupported_content"
    assert got["x"].status == "failed" and reasons[site.url + "/private/x"] == "robots"
    assert got["ok"].status == "done" and got["ok"].last_status == 200
    assert "/private/x" not in site.hits
