"""Without chromium the run goes on: findings are triaged and documents drafted, and the missing
evidence is recorded in the audit log with the reason."""

from __future__ import annotations

from sqlalchemy import select

from kuzet.run.queue import SqlTaskQueue
from kuzet.run.runner import LocalRunner
from kuzet.run.services import Services
from kuzet.run.stages import Pipeline, fetch_job
from kuzet.sandbox.server import SandboxServer
from kuzet.settings import Settings
from kuzet.store import audit
from kuzet.store.models import AuditEvent, BundleRow, FindingRow, NotificationRow, Source


def test_missing_chromium_is_recorded_and_the_run_goes_on(db, tmp_path) -> None:
    with SandboxServer() as srv:
        settings = Settings(
            mode="development",
            data_dir=tmp_path / "data",
            database_url=db.url,
            resolve=srv.resolve_setting,
            chromium_path=str(tmp_path / "no-chromium"),
        )
        queue = SqlTaskQueue(db)
        queue.enqueue([fetch_job(srv.url("goldstep-invest.test"), source_id=None)])
        services = Services(settings, db)
        stats = LocalRunner(db, queue, Pipeline(services).handlers()).run_until_idle()
        services.close()
    assert stats.failed == 0, stats.errors
    with db.session() as s:
        finding = s.execute(select(FindingRow)).scalars().one()
        assert finding.label == "pyramid" and finding.route == "criminal"
        assert s.execute(select(BundleRow)).first() is None
        failed = s.execute(select(AuditEvent).where(AuditEvent.action == "capture_failed")).scalars().one()
        assert "chromium" in failed.detail["error"].lower()
        assert {n.lang for n in s.execute(select(NotificationRow)).scalars()} == {"ru", "kk"}
        assert audit.verify_chain(s) == []


def test_findings_at_one_address_share_one_capture(db, tmp_path) -> None:
    """A feed link with tracking parameters and the bare page are one address: one capture job,
    both findings triaged."""
    with SandboxServer() as srv:
        settings = Settings(
            mode="development",
            data_dir=tmp_path / "data",
            database_url=db.url,
            resolve=srv.resolve_setting,
            chromium_path=str(tmp_path / "no-chromium"),
        )
        queue = SqlTaskQueue(db)
        with db.session() as s:
            src = Source(kind="urls", name="feed links", url="-")
            s.add(src)
            s.flush()
            src_id = src.id
        tracked = srv.url("goldstep-invest.test", "/?utm_source=feed&utm_medium=rss")
        queue.enqueue(
            [fetch_job(srv.url("goldstep-invest.test"), source_id=None), fetch_job(tracked, source_id=src_id)]
        )
        services = Services(settings, db)
        stats = LocalRunner(db, queue, Pipeline(services).handlers()).run_until_idle()
        services.close()
    assert stats.failed == 0, stats.errors
    with db.session() as s:
        findings = s.execute(select(FindingRow)).scalars().all()
        assert len(findings) == 2
        assert len({f.evidence_url for f in findings}) == 1
        assert all(f.route == "criminal" for f in findings)
