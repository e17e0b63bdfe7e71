"""The pipeline over hostile pages and an unreachable site: each failure is recorded with a clear
reason, the run goes on, and everything stays within its time bounds."""

from __future__ import annotations

import socket
import time

from sqlalchemy import select

from kuzet.run.queue import SqlTaskQueue
from kuzet.run.runner import LocalRunner
from kuzet.run.services import Services
from kuzet.run.stages import Pipeline, fetch_job
from kuzet.sandbox.server import SandboxServer
from kuzet.settings import Settings
from kuzet.store.models import AuditEvent, DocumentRow, JobRow, SnapshotRow

PATHS = [
    "/redirect-loop",
    "/endless",
    "/cp1251-lying",
    "/koi8r",
    "/slow",
    "/gzip-bomb",
    "/error-500",
    "/missing",
    "/binary.html",
    "/redirect-metadata",
    "/redirect-chain/5",
]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_hostile_pages_and_unreachable_site(db, tmp_path) -> None:
    with SandboxServer() as srv:
        settings = Settings(
            mode="development",
            data_dir=tmp_path / "data",
            database_url=db.url,
            resolve=srv.resolve_setting,
            total_timeout=4.0,
            read_timeout=2.0,
            max_body_bytes=2_000_000,
        )
        queue = SqlTaskQueue(db)
        jobs = [fetch_job(srv.url("hostile.test", p), source_id=None) for p in PATHS]
        jobs.append(fetch_job(f"http://127.0.0.1:{_closed_port()}/", source_id=None))
        queue.enqueue(jobs)
        services = Services(settings, db)
        runner = LocalRunner(db, queue, Pipeline(services).handlers())
        started = time.monotonic()
        stats = runner.run_until_idle()
        services.close()
        elapsed = time.monotonic() - started
    assert elapsed < 60, elapsed
    assert stats.failed == 0, stats.errors  # failures are recorded as data, not failed jobs
    with db.session() as s:
        snaps = {r.url.rsplit("/", 1)[-1] or r.url: r for r in s.execute(select(SnapshotRow)).scalars()}
        reasons = {k: (r.error_reason, r.status, r.truncated) for k, r in snaps.items()}
        assert reasons["redirect-loop"][0] == "redirects"
        assert reasons["slow"][0] == "timeout"
        assert reasons["gzip-bomb"][0] == "too_large"
        assert reasons["binary.html"][0] == "unsupported_content"
        assert reasons["redirect-metadata"][0] == "blocked_address"
        assert reasons["endless"][2] is True  # truncated page, still analysed
        assert reasons["error-500"][1] == 500 and reasons["missing"][1] == 404
        assert any(r.error_reason == "fetch_error" for r in snaps.values() if "127.0.0.1" in r.url)
        texts = {d.url.rsplit("/", 1)[-1]: d.text for d in s.execute(select(DocumentRow)).scalars()}
        assert "казино" in texts["cp1251-lying"].lower()
        assert texts["koi8r"] and "\ufffd" not in texts["koi8r"]
        assert s.execute(select(JobRow).where(JobRow.status != "done")).first() is None
        failed = s.execute(select(AuditEvent).where(AuditEvent.action == "fetch_failed")).scalars().all()
        assert len(failed) >= 6 and all(ev.detail.get("error") for ev in failed)
