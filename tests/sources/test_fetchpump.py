"""The monitor's concurrent fetch phase: global and per-host limits, per-host delay, one snapshot a
page, conditional revisits, and claims given back when it stops."""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from kuzet.records import utcnow
from kuzet.run.queue import SqlTaskQueue
from kuzet.run.runner import LocalRunner, RunStats
from kuzet.run.services import Services
from kuzet.settings import Settings
from kuzet.sources.aiofetch import Page
from kuzet.sources.asyncpolite import AsyncPoliteFetcher
from kuzet.sources.fetchpump import FetchPump, FetchSettings
from kuzet.sources.monitor import MonitorConfig, run_monitor
from kuzet.sources.pipeline import CrawlPipeline
from kuzet.sources.politeness import origin
from kuzet.store.db import Database
from kuzet.store.frontier import CrawlUrl
from kuzet.store.models import JobRow, SnapshotRow

from .conftest import LocalSite, html

STAGES = ("fetch", "extract")


class Gauge:
    """Requests in flight at a server (per site and in all) and when each started."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.total = 0
        self.peak_total = 0
        self.starts: dict[str, list[float]] = {}

    def route(self, name: str, seconds: float) -> Callable[[Any, str], None]:
        def answer(h: Any, path: str) -> None:
            with self.lock:
                self.now[name] = self.now.get(name, 0) + 1
                self.total += 1
                self.peak[name] = max(self.peak.get(name, 0), self.now[name])
                self.peak_total = max(self.peak_total, self.total)
                self.starts.setdefault(name, []).append(time.monotonic())
            time.sleep(seconds)
            with self.lock:
                self.now[name] -= 1
                self.total -= 1
            html(h, f"<html><head><title>{path}</title></head><body><p>Page {path}</p></body></html>")

        return answer


def _settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        mode="development", data_dir=tmp_path / "data", database_url=db_url, total_timeout=5.0, read_timeout=4.0
    )


def _site(local_site: Callable[[dict[str, Any]], LocalSite], gauge: Gauge, name: str, seconds: float) -> LocalSite:
    return local_site({"/p/": gauge.route(name, seconds), "/robots.txt": lambda h, p: html(h, "", 404)})


def _list_source(name: str, site: LocalSite, pages: int) -> dict[str, Any]:
    return {"kind": "urls", "name": name, "url": "", "urls": [f"{site.url}/p/{i}" for i in range(pages)]}


def _pump(settings: Settings, db: Database) -> tuple[FetchPump, Services]:
    """A fetch phase storing with the crawl pipeline's fetch handler, two requests in flight."""
    queue = SqlTaskQueue(db)
    services = Services(settings, db)
    runner = LocalRunner(db, queue, {"fetch": CrawlPipeline(services).fetch})
    return FetchPump(settings, db, queue, runner, FetchSettings(concurrency=2, per_host=2, delay=0)), services


def _count(db: Database, model: Any, *where: Any) -> int:
    with db.session() as s:
        return int(s.execute(select(func.count()).select_from(model).where(*where)).scalar() or 0)


def test_global_and_per_host_limits_hold_and_fetches_overlap(
    tmp_path: Path, db_url: str, db: Database, local_site: Callable[[dict[str, Any]], LocalSite]
) -> None:
    gauge = Gauge()
    a, b = _site(local_site, gauge, "a", 0.15), _site(local_site, gauge, "b", 0.15)
    cfg = MonitorConfig(
        delay=0, concurrency=3, per_host=2, stages=STAGES, sources=[_list_source("a", a, 8), _list_source("b", b, 8)]
    )
    summary = run_monitor(_settings(tmp_path, db_url), db, cfg, once=True)
    assert summary.jobs.failed == 0 and summary.jobs.by_stage["fetch"] == 16
    assert gauge.peak["a"] <= 2 and gauge.peak["b"] <= 2  # per host
    assert gauge.peak_total == 3  # in all, and the limit was reached: fetches overlapped
    assert _count(db, SnapshotRow) == 16 and _count(db, CrawlUrl, CrawlUrl.status == "done") == 16


def test_per_host_delay_spaces_the_starts_and_hosts_do_not_wait_for_each_other() -> None:
    calls: list[tuple[str, float]] = []

    class Inner:
        async def fetch(self, url: str, *, headers: Any = None, text_only: bool = True) -> Page:
            calls.append((origin(url), time.monotonic()))
            await asyncio.sleep(0.01)
            body = b"<p>x</p>"
            return Page(url, url, 200, "text/html", body, hashlib.sha256(body).hexdigest(), 10)

        async def aclose(self) -> None:
            pass

    async def run() -> None:
        fetcher = AsyncPoliteFetcher(Settings(mode="development"), delay=0.1, concurrency=4, per_host=4)
        fetcher._inner = Inner()  # type: ignore[assignment]
        urls = [f"http://a.test/{i}" for i in range(5)] + [f"http://b.test/{i}" for i in range(5)]
        snaps = await asyncio.gather(*(fetcher.fetch(u, etag='"e"') for u in urls))
        assert [s.status for s in snaps] == [200] * 10 and snaps[0].encoding

    asyncio.run(run())
    for host in ("http://a.test", "http://b.test"):
        times = [t for h, t in calls if h == host]
        assert len(times) == 6  # robots.txt, then the five pages
        gaps = [y - x for x, y in zip(times, times[1:], strict=False)]
        assert min(gaps) >= 0.095, gaps
    first = {h: min(t for hh, t in calls if hh == h) for h, _ in calls}
    assert abs(first["http://a.test"] - first["http://b.test"]) < 0.05  # b does not queue behind a


def test_revisits_are_conditional_and_stored_once(
    tmp_path: Path, db_url: str, db: Database, local_site: Callable[[dict[str, Any]], LocalSite]
) -> None:
    seen: list[str | None] = []

    def page(h: Any, path: str) -> None:
        seen.append(h.headers.get("If-None-Match"))
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        html(h, "<p>hello</p>", headers={"ETag": '"v1"'})

    site = local_site({"/p/": page, "/robots.txt": lambda h, p: html(h, "", 404)})
    cfg = MonitorConfig(delay=0, concurrency=4, stages=STAGES, sources=[_list_source("a", site, 3)])
    settings = _settings(tmp_path, db_url)
    run_monitor(settings, db, cfg, once=True)
    with db.session() as s:
        s.execute(update(CrawlUrl).values(next_fetch_at=utcnow()))
    again = run_monitor(settings, db, cfg, once=True)
    assert again.jobs.by_stage.get("extract", 0) == 0  # nothing changed: nothing downstream
    assert seen.count(None) == 3 and seen.count('"v1"') == 3 and len(seen) == 6
    assert _count(db, SnapshotRow, SnapshotRow.status == 304) == 3
    with db.session() as s:
        assert s.execute(select(func.max(CrawlUrl.unchanged))).scalar() == 1


def test_a_stopped_pump_gives_its_claims_back(
    tmp_path: Path, db_url: str, db: Database, local_site: Callable[[dict[str, Any]], LocalSite]
) -> None:
    gauge = Gauge()
    site = _site(local_site, gauge, "a", 0.3)
    settings = _settings(tmp_path, db_url)
    cfg = MonitorConfig(delay=0, concurrency=2, per_host=2, stages=("fetch",), sources=[_list_source("a", site, 6)])
    # Queue the jobs without running them, then let a pump claim, store one page and stop.
    run_monitor(settings, db, cfg, once=True, stop_after=0.0)
    pump, services = _pump(settings, db)
    stats = RunStats()
    try:
        assert pump.fill() == 6 - _count(db, JobRow, JobRow.stage == "fetch", JobRow.status == "done")
        assert pump.store_ready(stats, wait=5.0, limit=1) == 1
    finally:
        pump.close()
        services.close()
    assert _count(db, JobRow, JobRow.status == "doing") == 0
    with db.session() as s:
        attempts = set(s.execute(select(JobRow.attempts).where(JobRow.status == "todo")).scalars())
    assert attempts <= {0}  # a claim given back is not counted as an attempt
    stored = _count(db, SnapshotRow)
    summary = run_monitor(settings, db, cfg, once=True)
    assert _count(db, SnapshotRow) == 6 and summary.jobs.by_stage["fetch"] == 6 - stored


def test_a_lost_worker_gives_its_jobs_back_and_a_new_one_finishes(
    tmp_path: Path, db_url: str, db: Database, local_site: Callable[[dict[str, Any]], LocalSite]
) -> None:
    gauge = Gauge()
    site = _site(local_site, gauge, "a", 0.2)
    settings = _settings(tmp_path, db_url)
    cfg = MonitorConfig(delay=0, concurrency=2, per_host=2, stages=("fetch",), sources=[_list_source("a", site, 6)])
    run_monitor(settings, db, cfg, once=True, stop_after=0.0)  # queue the jobs only
    pump, services = _pump(settings, db)
    stats = RunStats()
    try:
        assert pump.fill() == 6
        assert pump._proc is not None
        pump._proc.kill()  # the worker dies with every page in flight
        pump._proc.wait(timeout=5)
        pump.store_ready(stats, wait=2.0)
        assert pump.in_flight == 0 and _count(db, JobRow, JobRow.status == "doing") == 0
        end = time.monotonic() + 20
        while _count(db, SnapshotRow) < 6 and time.monotonic() < end:
            pump.poke()
            pump.fill()
            pump.store_ready(stats, wait=0.5)
    finally:
        pump.close()
        services.close()
    assert _count(db, SnapshotRow) == 6 and stats.by_stage["fetch"] == 6
