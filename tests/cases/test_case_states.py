"""A case's life: allowed moves, four eyes, no sending without evidence and documents, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kuzet.cases import case_view, transition
from kuzet.cases.states import ACTIONS, STATES, TRANSITIONS
from kuzet.errors import CaseError
from kuzet.records import utcnow
from kuzet.store.audit import verify_chain
from kuzet.store.db import Database
from kuzet.store.models import (
    AuditEvent,
    BundleRow,
    CaseEventRow,
    CaseRow,
    DocumentRow,
    FindingEvidence,
    FindingRow,
    NotificationRow,
    VerdictRow,
)


def seed_case(db: Database, *, evidence: bool = True, documents: bool = True) -> int:
    with db.session() as s:
        case = CaseRow(key="blocking:casino.test", route="blocking", title="gambling: casino.test")
        s.add(case)
        doc = DocumentRow(url="http://casino.test/", kind="page", text="казино", content_sha256="c" * 64)
        s.add(doc)
        s.flush()
        v = VerdictRow(document_id=doc.id, label="gambling", score=0.9, detector="t")
        s.add(v)
        s.flush()
        f = FindingRow(document_id=doc.id, verdict_id=v.id, url=doc.url, label="gambling", score=0.9, case_id=case.id)
        s.add(f)
        s.flush()
        if evidence:
            b = BundleRow(job_key="capture:casino", url=doc.url, path="/tmp/b", manifest_sha256="b" * 64, parts=[])
            s.add(b)
            s.flush()
            s.add(FindingEvidence(finding_id=f.id, bundle_id=b.id))
        if documents:
            s.add(
                NotificationRow(
                    case_id=case.id, kind="blocking_notification", lang="ru", path="/tmp/n.docx", sha256="d" * 64
                )
            )
        return case.id


def test_every_state_has_its_moves_and_every_action_a_state() -> None:
    assert set(TRANSITIONS) == set(STATES)
    assert all(t in STATES for targets in TRANSITIONS.values() for t in targets)
    assert set(ACTIONS.values()) <= set(STATES)


def test_walk_from_new_to_blocked_and_reopen(db: Database) -> None:
    cid = seed_case(db)
    t0 = utcnow()
    with db.session() as s:
        transition(s, cid, "submit", actor="analyst", reason="casino with card payments", at=t0)
        with pytest.raises(CaseError, match="four eyes"):
            transition(s, cid, "approve", actor="analyst")
        transition(s, cid, "approve", actor="supervisor", at=t0 + timedelta(hours=1))
        with pytest.raises(CaseError, match="already approved"):
            transition(s, cid, "approve", actor="supervisor2")
        transition(s, cid, "draft", actor="kuzet")
        transition(s, cid, "send", actor="kuzet", at=t0 + timedelta(hours=2))
        transition(s, cid, "acknowledge", actor="analyst", reason="incoming No. 77")
        transition(s, cid, "blocked", actor="kuzet", reason="ISP block page seen", at=t0 + timedelta(hours=26))
    with db.session() as s:
        view = case_view(s, cid)
        assert view.status == "blocked" and view.proposed_by == "analyst" and view.approved_by == "supervisor"
        assert view.time_to_block_s == 24 * 3600
        assert [e["to"] for e in view.events] == ["in_review", "approved", "drafted", "sent", "acknowledged", "blocked"]
        assert view.allowed == ["reopened", "reverified"]
        transition(s, cid, "reopen", actor="kuzet", reason="mirror casino2.test appeared")
    with db.session() as s:
        case = s.get(CaseRow, cid)
        assert case.status == "reopened" and case.closed_at is None and case.approved_by == ""
        actions = [e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.object_type == "case"))]
        assert actions[-1] == "case.reopened" and len(actions) == 7
        assert verify_chain(s) == []


@pytest.mark.parametrize(
    ("evidence", "documents", "message"), [(False, True, "no evidence"), (True, False, "no drafted")]
)
def test_a_case_without_evidence_or_documents_is_not_sent(
    db: Database, evidence: bool, documents: bool, message: str
) -> None:
    cid = seed_case(db, evidence=evidence, documents=documents)
    with db.session() as s:
        transition(s, cid, "submit", actor="a")
        transition(s, cid, "approve", actor="b")
    # Without documents even the "drafted" state is refused; without evidence, sending is.
    with pytest.raises(CaseError, match=message), db.session() as s:
        transition(s, cid, "draft", actor="kuzet")
        transition(s, cid, "send", actor="kuzet")


def test_bad_moves_are_refused_and_change_nothing(db: Database) -> None:
    cid = seed_case(db)
    with pytest.raises(CaseError, match="can go to dismissed, in_review, not sent"), db.session() as s:
        transition(s, cid, "send", actor="a")
    with pytest.raises(CaseError, match="unknown state"), db.session() as s:
        transition(s, cid, "teleport", actor="a")
    with pytest.raises(CaseError, match="name of the person"), db.session() as s:
        transition(s, cid, "submit", actor="  ")
    with pytest.raises(CaseError, match="no case 404"), db.session() as s:
        transition(s, 404, "submit", actor="a")
    with db.session() as s:
        assert s.get(CaseRow, cid).status == "new"
        assert not s.scalars(select(CaseEventRow)).all()


def test_supervisors_setting_limits_who_approves(db: Database) -> None:
    cid = seed_case(db)
    with db.session() as s:
        transition(s, cid, "submit", actor="a")
        with pytest.raises(CaseError, match="not a supervisor"):
            transition(s, cid, "approve", actor="b", supervisors=frozenset({"chief"}))
        transition(s, cid, "approve", actor="chief", supervisors=frozenset({"chief"}))
