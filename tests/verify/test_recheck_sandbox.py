"""Done when: a case walks from detection to "blocked" on the sandbox web, and back.

The finding's document is what the pipeline would store for a sandbox casino page (fetched and
extracted here), the case goes submit -> approve (another person) -> draft -> send, then the
sandbox host flips to a Kazakh ISP block page and a re-check closes the case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from kuzet.cases import case_view, transition
from kuzet.extract.dispatch import extract
from kuzet.fetch.fetcher import Fetcher
from kuzet.records import utcnow
from kuzet.sandbox.server import SandboxServer
from kuzet.settings import Settings
from kuzet.store.db import Database
from kuzet.store.models import BlockCheckRow, CaseEventRow, CaseRow, NotificationRow
from kuzet.verify.recheck import recheck, recheck_case

from .conftest import seed_finding

HOST = "vulkan-royal.test"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


def detect_and_send(db: Database, settings: Settings, url: str, t0) -> int:  # type: ignore[no-untyped-def]
    with Fetcher(settings) as f:
        snap = f.fetch(url)
    doc = extract(snap)[0]
    with db.session() as s:
        case = CaseRow(key=f"blocking:{HOST}", route="blocking", title=f"gambling: {HOST}", detected_at=t0)
        s.add(case)
        s.flush()
        seed_finding(s, case.id, url, text=doc.text, title=doc.title, body_sha=snap.sha256)
        transition(s, case.id, "submit", actor="analyst", reason="casino with card deposits", at=t0)
        transition(s, case.id, "approve", actor="supervisor", at=t0 + timedelta(minutes=30))
        s.add(NotificationRow(case_id=case.id, kind="blocking_notification", lang="ru", path="/tmp/n", sha256="d"))
        transition(s, case.id, "draft", actor="kuzet", at=t0 + timedelta(hours=1))
        transition(s, case.id, "send", actor="kuzet", at=t0 + timedelta(hours=2))
        return case.id


def test_case_walks_from_detection_to_blocked_and_back(db: Database, vsettings: Settings, sandbox) -> None:  # type: ignore[no-untyped-def]
    url = sandbox.url(HOST)
    t0 = utcnow() - timedelta(days=3)
    cid = detect_and_send(db, vsettings, url, t0)

    # Before the authority acts: the page is there, nothing moves. (Its own text says
    # "сайт заблокирован? используйте зеркало": the content test must win over the fingerprint.)
    with db.session() as s:
        checks = recheck_case(s, vsettings, cid, at=t0 + timedelta(hours=20))
        assert [c.outcome for c in checks] == ["reachable_same"]
        assert s.get(CaseRow, cid).status == "sent"

    sandbox.set_blocked(HOST, True)
    blocked_at = t0 + timedelta(hours=26)
    with db.session() as s:
        checks = recheck_case(s, vsettings, cid, at=blocked_at)
        assert [c.outcome for c in checks] == ["block_page"]
        assert checks[0].detail["fingerprint"] in {"government_block_ru_kz", "kz_isp_block"}
    with db.session() as s:
        view = case_view(s, cid)
        assert view.status == "blocked"
        assert view.closed_at == blocked_at
        assert view.time_to_block_s == (view.closed_at - view.sent_at).total_seconds() == 24 * 3600
        last = s.scalars(select(CaseEventRow).where(CaseEventRow.case_id == cid).order_by(CaseEventRow.id)).all()[-1]
        assert last.actor == "kuzet" and last.to_status == "blocked" and "block_page" in last.reason
        blocks = select(BlockCheckRow).where(BlockCheckRow.case_id == cid, BlockCheckRow.outcome == "block_page")
        assert len(s.scalars(blocks).all()) == 1

    # A later round confirms the block.
    with db.session() as s:
        r = recheck(s, vsettings, cid, at=blocked_at + timedelta(days=1))
        assert (r.verdict, r.moved, r.status_after) == ("blocked", "reverify", "reverified")

    # The block is lifted and the casino is back: the case is reopened for a new decision.
    sandbox.set_blocked(HOST, False)
    with db.session() as s:
        r = recheck(s, vsettings, cid, at=blocked_at + timedelta(days=2))
        assert (r.verdict, r.moved, r.status_after) == ("back", "reopen", "reopened")
        assert r.reason.startswith("content is back")


def test_removed_content_closes_the_case_as_removed(db: Database, vsettings: Settings, sandbox) -> None:  # type: ignore[no-untyped-def]
    url = sandbox.url(HOST)
    t0 = utcnow() - timedelta(days=1)
    cid = detect_and_send(db, vsettings, url, t0)
    sandbox.set_removed(HOST, True)
    with db.session() as s:
        r = recheck(s, vsettings, cid, at=t0 + timedelta(hours=5))
        assert [(c.outcome, c.http_status) for c in r.checks] == [("removed", 410)]
        assert r.status_after == "content_removed"
    with db.session() as s:
        assert case_view(s, cid).time_to_block_s == 3 * 3600
