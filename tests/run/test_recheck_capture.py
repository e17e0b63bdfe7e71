"""A re-checked resource is captured again when what it shows has changed, and not when it has
not; every bundle is linked to its finding and resource."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from kuzet.run.queue import NewJob, SqlTaskQueue
from kuzet.run.runner import LocalRunner
from kuzet.run.services import Services
from kuzet.run.stages import Pipeline, fetch_job
from kuzet.settings import Settings
from kuzet.store.models import BundleRow, FindingEvidence, FindingRow

PAGES = [
    "<html><head><title>Казино Вулкан</title></head><body><h1>Казино Вулкан — рабочее зеркало</h1>"
    "<p>Бонус 200% на первый депозит и 100 фриспинов по промокоду VULKAN777. Регистрируйся и играй!</p>"
    "</body></html>",
    "<html><head><title>Казино Вулкан</title></head><body><h1>Казино Вулкан — новое зеркало</h1>"
    "<p>Кэшбэк 15% каждую неделю, турниры слотов и джекпот. Депозит картой или USDT. Забирай бонус!</p>"
    "</body></html>",
]


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian chromium is not installed")
def test_changed_content_is_captured_again(db, tmp_path: Path) -> None:
    state = {"page": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            body = PAGES[state["page"]].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://casino.test:{server.server_address[1]}/"
    settings = Settings(mode="development", data_dir=tmp_path / "data", database_url=db.url, resolve="*.test=127.0.0.1")
    queue = SqlTaskQueue(db)
    services = Services(settings, db)
    runner = LocalRunner(db, queue, Pipeline(services).handlers())
    try:
        queue.enqueue([fetch_job(url, source_id=None)])
        assert runner.run_until_idle().failed == 0
        # a re-check with the same content: a new fetch, no new capture
        queue.enqueue([NewJob("fetch", fetch_job(url, source_id=None).key + "#2", {"url": url})])
        assert runner.run_until_idle().failed == 0
        with db.session() as s:
            assert len(s.execute(select(BundleRow)).all()) == 1
        # the page changes: captured again, linked to the new finding
        state["page"] = 1
        queue.enqueue([NewJob("fetch", fetch_job(url, source_id=None).key + "#3", {"url": url})])
        assert runner.run_until_idle().failed == 0
    finally:
        services.close()
        server.shutdown()
    with db.session() as s:
        bundles = s.execute(select(BundleRow).order_by(BundleRow.id)).scalars().all()
        findings = s.execute(select(FindingRow).order_by(FindingRow.id)).scalars().all()
        assert len(bundles) == 2 and len(findings) == 2
        links = {(e.finding_id, e.bundle_id) for e in s.execute(select(FindingEvidence)).scalars()}
        assert links == {(findings[0].id, bundles[0].id), (findings[1].id, bundles[1].id)}
        assert all(b.resource_id == findings[0].resource_id for b in bundles)
        assert "новое зеркало" in (Path(bundles[1].path) / "text.txt").read_text()
