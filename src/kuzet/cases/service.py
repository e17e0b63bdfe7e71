"""Moving a case through its states (``kuzet.cases.states``) with the rules people rely on.

``transition`` is the only way a case changes state: it checks that the move is allowed from
the current state, applies the four-eyes rule on approval, refuses to send a case that has no
evidence bundle or no drafted document, stamps the times the figures need (sent, closed), and
writes a ``case_events`` row and an audit event in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuzet.cases.states import ACTIONS, CLOSING, STATES, allowed_next
from kuzet.errors import CaseError
from kuzet.records import utcnow
from kuzet.store import audit
from kuzet.store.models import (
    BlockCheckRow,
    BundleRow,
    CaseAnswerRow,
    CaseEventRow,
    CaseRow,
    DispatchRow,
    FindingEvidence,
    FindingRow,
    NotificationRow,
)
from kuzet.store.repo import as_utc

MAX_REASON_CHARS = 4000


def evidence_count(session: Session, case_id: int) -> int:
    """Bundles proving at least one of the case's findings."""
    return int(
        session.scalar(
            select(func.count(func.distinct(FindingEvidence.bundle_id)))
            .join(FindingRow, FindingRow.id == FindingEvidence.finding_id)
            .where(FindingRow.case_id == case_id)
        )
        or 0
    )


def document_count(session: Session, case_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.case_id == case_id, NotificationRow.status != "pending")
        )
        or 0
    )


def transition(
    session: Session,
    case_id: int,
    target: str,
    *,
    actor: str,
    reason: str = "",
    supervisors: frozenset[str] = frozenset(),
    at: datetime | None = None,
) -> CaseRow:
    """Move case ``case_id`` to ``target`` (a state or an action verb such as "approve")."""
    case = session.get(CaseRow, case_id)
    if case is None:
        raise CaseError(f"no case {case_id}", case_id=case_id)
    to = ACTIONS.get(target, target)
    if to not in STATES:
        raise CaseError(f"unknown state or action {target!r}", case_id=case_id)
    actor = actor.strip()
    if not actor:
        raise CaseError("a transition needs the name of the person (or process) making it", case_id=case_id)
    current = case.status
    if current == to:
        raise CaseError(f"case {case_id} is already {to}", case_id=case_id)
    if to not in allowed_next(current):
        allowed = ", ".join(sorted(allowed_next(current))) or "nothing"
        raise CaseError(f"case {case_id} is {current}: it can go to {allowed}, not {to}", case_id=case_id)
    now = at or utcnow()
    if to == "in_review" and current in ("new", "reopened"):
        case.proposed_by = actor
    if to == "approved":
        if actor == case.proposed_by:
            raise CaseError(
                f"four eyes: {actor} proposed case {case_id} and cannot approve it; another person must",
                case_id=case_id,
            )
        if supervisors and actor not in supervisors:
            raise CaseError(f"{actor} is not a supervisor (KUZET_SUPERVISORS)", case_id=case_id)
        case.approved_by = actor
    if to == "drafted" and not document_count(session, case_id):
        raise CaseError(f"case {case_id} has no drafted documents", case_id=case_id)
    if to == "sent":
        if not evidence_count(session, case_id):
            raise CaseError(f"case {case_id} has no evidence bundle: it cannot be sent", case_id=case_id)
        if not document_count(session, case_id):
            raise CaseError(f"case {case_id} has no drafted documents: it cannot be sent", case_id=case_id)
        case.sent_at = case.sent_at or now
    if to in CLOSING:
        case.closed_at = now
    if to == "reopened":
        # A reopened case is decided afresh: new review, new approval, a new clock to block.
        case.closed_at = None
        case.approved_by = ""
    reason = reason.strip()[:MAX_REASON_CHARS]
    session.add(CaseEventRow(case_id=case_id, at=now, actor=actor, from_status=current, to_status=to, reason=reason))
    case.status = to
    case.updated_at = now
    session.flush()
    audit.record(
        session, f"case.{to}", "case", case_id, actor=actor, detail={"from": current, "to": to, "reason": reason}
    )
    return case


def case_summaries(session: Session, *, status: str | None = None, route: str | None = None) -> list[dict[str, Any]]:
    """Every case (optionally of one state or route) with its number of findings, by id."""
    q = (
        select(CaseRow, func.count(FindingRow.id))
        .outerjoin(FindingRow, FindingRow.case_id == CaseRow.id)
        .group_by(CaseRow.id)
        .order_by(CaseRow.id)
    )
    if status:
        q = q.where(CaseRow.status == status)
    if route:
        q = q.where(CaseRow.route == route)
    return [
        {"id": c.id, "route": c.route, "status": c.status, "title": c.title, "findings": n, "key": c.key}
        for c, n in session.execute(q)
    ]


@dataclass
class CaseView:
    """Everything ``kuzet case show`` and the API print about one case."""

    id: int
    key: str
    route: str
    status: str
    title: str
    legal_basis: str
    rule_id: str
    policy_version: str
    proposed_by: str
    approved_by: str
    created_at: datetime | None
    detected_at: datetime | None
    sent_at: datetime | None
    closed_at: datetime | None
    network_id: int | None
    allowed: list[str]
    evidence_bundles: int
    findings: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    dispatches: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def time_to_block_s(self) -> float | None:
        """Seconds from sending to the authority's action (blocked / removed), when both are known."""
        if self.sent_at is None or self.closed_at is None or self.status == "refused":
            return None
        return (self.closed_at - self.sent_at).total_seconds()

    @property
    def detection_to_close_s(self) -> float | None:
        start = self.detected_at or self.created_at
        if start is None or self.closed_at is None:
            return None
        return (self.closed_at - start).total_seconds()


def case_view(session: Session, case_id: int) -> CaseView:
    case = session.get(CaseRow, case_id)
    if case is None:
        raise CaseError(f"no case {case_id}", case_id=case_id)
    findings = session.scalars(select(FindingRow).where(FindingRow.case_id == case_id).order_by(FindingRow.id)).all()
    view = CaseView(
        id=case.id,
        key=case.key,
        route=case.route,
        status=case.status,
        title=case.title,
        legal_basis=case.legal_basis,
        rule_id=case.rule_id,
        policy_version=case.policy_version,
        proposed_by=case.proposed_by,
        approved_by=case.approved_by,
        created_at=as_utc(case.created_at),
        detected_at=as_utc(case.detected_at),
        sent_at=as_utc(case.sent_at),
        closed_at=as_utc(case.closed_at),
        network_id=case.network_id,
        allowed=sorted(allowed_next(case.status)),
        evidence_bundles=evidence_count(session, case_id),
    )
    for f in findings:
        bundles = session.scalars(
            select(BundleRow.path)
            .join(FindingEvidence, FindingEvidence.bundle_id == BundleRow.id)
            .where(FindingEvidence.finding_id == f.id)
        ).all()
        view.findings.append(
            {
                "id": f.id,
                "url": f.url,
                "label": f.label,
                "score": round(f.score, 3),
                "status": f.status,
                "rule": f.rule_id,
                "bundles": list(bundles),
            }
        )
    for n in session.scalars(
        select(NotificationRow).where(NotificationRow.case_id == case_id).order_by(NotificationRow.id)
    ):
        view.documents.append({"kind": n.kind, "lang": n.lang, "format": n.fmt, "path": n.path, "sha256": n.sha256})
    for e in session.scalars(select(CaseEventRow).where(CaseEventRow.case_id == case_id).order_by(CaseEventRow.id)):
        view.events.append(
            {"at": as_utc(e.at), "actor": e.actor, "from": e.from_status, "to": e.to_status, "reason": e.reason}
        )
    for d in session.scalars(select(DispatchRow).where(DispatchRow.case_id == case_id).order_by(DispatchRow.id)):
        view.dispatches.append(
            {
                "channel": d.channel,
                "target": d.target,
                "status": d.status,
                "attempts": d.attempts,
                "error": d.last_error,
                "reference": d.reference,
                "sent_at": as_utc(d.sent_at),
            }
        )
    for a in session.scalars(select(CaseAnswerRow).where(CaseAnswerRow.case_id == case_id).order_by(CaseAnswerRow.id)):
        view.answers.append(
            {
                "kind": a.kind,
                "reference": a.reference,
                "text": a.text,
                "received_at": as_utc(a.received_at),
                "recorded_by": a.recorded_by,
            }
        )
    for c in session.scalars(select(BlockCheckRow).where(BlockCheckRow.case_id == case_id).order_by(BlockCheckRow.id)):
        view.checks.append(
            {
                "url": c.url,
                "outcome": c.outcome,
                "http_status": c.http_status,
                "checked_at": as_utc(c.checked_at),
                "detail": c.detail,
            }
        )
    return view
