"""Re-check a sent case's URLs from the monitoring vantage point and move the case accordingly.

One *round* is one ``recheck_case`` call: every URL of the case's findings (dismissed findings
left out) is fetched once, and each answer is stored as a ``BlockCheckRow`` with the same
``checked_at``. The round then gets one verdict:

* ``mirror``  some URL redirects to a mirror (same network, or a resource with findings);
* ``back``    some URL shows the reported content again (``reachable_same``);
* ``blocked`` every URL is blocked (block page, DNS failure, refused / reset connection) or
  removed, and at least one is blocked;
* ``removed`` every URL is removed (404 / 410, "content removed", parked domain);
* ``unclear`` anything else (timeouts, other HTTP errors, changed content): nothing is moved.

and the case moves (actor "kuzet", the reason naming the outcomes):

=====================  ====================  ===========================================
case is                verdict               move
=====================  ====================  ===========================================
sent, acknowledged     blocked / removed     ``blocked`` / ``removed`` (time to block is
                                             closed_at - sent_at, stamped with the check time)
blocked, removed       blocked or removed    ``reverify`` (a later check confirms it)
blocked, removed,      back / mirror         ``reopen``: "content is back" / "moved to a
reverified                                   mirror" (the alert path; a person decides anew)
=====================  ====================  ===========================================

Threshold: a move needs ``block_confirmations`` consecutive rounds with the same verdict
(default 1: one observation). One is the default because every URL of the case must agree
within the round, a timeout never counts as blocked, and each round is kept, so a flapping
resource shows as a reopen right after the next round; raise it where the vantage point's
network is flaky. Re-verification needs only the current round: the case is already closed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuzet.cases.service import transition
from kuzet.errors import CaseError, FetchError
from kuzet.fetch.fetcher import Fetcher
from kuzet.link.networks import network_of
from kuzet.records import utcnow
from kuzet.settings import Settings
from kuzet.store.models import BlockCheckRow, CaseRow, DocumentRow, FindingRow, Resource, SnapshotRow
from kuzet.store.repo import as_utc
from kuzet.urls import resource_key
from kuzet.verify.outcomes import BLOCKING, Observation, Reported, classify_error, classify_snapshot

log = logging.getLogger("kuzet.verify")

ACTOR = "kuzet"
# Cases whose URLs are re-checked: sent and waiting, or closed and watched for a comeback.
RECHECKED = ("sent", "acknowledged", "blocked", "content_removed", "reverified")
WAITING = frozenset({"sent", "acknowledged"})
CLOSED = frozenset({"blocked", "content_removed"})
REOPENABLE = frozenset({"blocked", "content_removed", "reverified"})


@dataclass(slots=True)
class RecheckResult:
    case_id: int
    checks: list[BlockCheckRow]
    verdict: str
    status_before: str
    status_after: str
    moved: str | None = None  # the action applied, if any
    reason: str = ""
    outcomes: dict[str, int] = field(default_factory=dict)


def round_verdict(outcomes: Sequence[str]) -> str:
    """The verdict of one round of checks (see the module docstring)."""
    if not outcomes:
        return "unclear"
    if "moved_to_mirror" in outcomes:
        return "mirror"
    if "reachable_same" in outcomes:
        return "back"
    if all(o in BLOCKING or o == "removed" for o in outcomes):
        return "blocked" if any(o in BLOCKING for o in outcomes) else "removed"
    return "unclear"


def _reported(s: Session, finding: FindingRow) -> Reported:
    doc = s.get(DocumentRow, finding.document_id)
    body_sha = ""
    if doc is not None and doc.snapshot_id is not None:
        snap = s.get(SnapshotRow, doc.snapshot_id)
        # A channel preview's snapshot holds many posts: its hash says nothing about one post.
        body_sha = snap.sha256 if snap is not None and snap.url == finding.url else ""
    res = s.get(Resource, finding.resource_id) if finding.resource_id else None
    return Reported(
        url=finding.url,
        resource_key=res.key if res is not None else resource_key(finding.url),
        text=doc.text if doc is not None else "",
        title=doc.title if doc is not None else "",
        content_sha256=doc.content_sha256 if doc is not None else "",
        body_sha256=body_sha,
    )


def mirror_reason(s: Session, reported_resource_id: int | None, final_key: str) -> str | None:
    """Why the resource ``final_key`` is a mirror of the reported one, or None."""
    target = s.scalar(select(Resource).where(Resource.key == final_key))
    if target is None or target.id == reported_resource_id:
        return None
    if reported_resource_id is not None:
        net = network_of(s, reported_resource_id)
        if net is not None and network_of(s, target.id) == net:
            return f"{final_key} is in network {net} with the reported resource"
    has_findings = s.scalar(select(func.count()).select_from(FindingRow).where(FindingRow.resource_id == target.id))
    if has_findings:
        return f"{final_key} has {has_findings} finding(s) of its own"
    return None


def check_url(s: Session, fetcher: Fetcher, finding: FindingRow) -> Observation:
    reported = _reported(s, finding)
    try:
        snap = fetcher.fetch(finding.url)
    except FetchError as e:
        return classify_error(e)
    final_key = resource_key(snap.final_url or snap.url)
    mirror = mirror_reason(s, finding.resource_id, final_key) if final_key != reported.resource_key else None
    return classify_snapshot(snap, reported, final_resource_key=final_key, mirror_of=mirror)


def _case_findings(s: Session, case_id: int) -> list[FindingRow]:
    rows = s.scalars(
        select(FindingRow)
        .where(FindingRow.case_id == case_id, FindingRow.status != "dismissed")
        .order_by(FindingRow.id)
    ).all()
    seen: set[str] = set()
    out = []
    for f in rows:
        if f.url not in seen:
            seen.add(f.url)
            out.append(f)
    return out


def previous_rounds(s: Session, case_id: int, before: datetime, n: int) -> list[list[str]]:
    """Outcomes of the ``n`` rounds before ``before``, newest first."""
    if n <= 0:
        return []
    times = s.scalars(
        select(BlockCheckRow.checked_at)
        .where(BlockCheckRow.case_id == case_id, BlockCheckRow.checked_at < before)
        .group_by(BlockCheckRow.checked_at)
        .order_by(BlockCheckRow.checked_at.desc())
        .limit(n)
    ).all()
    return [
        list(
            s.scalars(
                select(BlockCheckRow.outcome).where(BlockCheckRow.case_id == case_id, BlockCheckRow.checked_at == t)
            )
        )
        for t in times
    ]


def _decide(status: str, verdict: str) -> tuple[str, str] | None:
    """(action, reason prefix) for a case in ``status`` after a round with ``verdict``."""
    if status in WAITING and verdict == "blocked":
        return "blocked", "re-check: resource blocked"
    if status in WAITING and verdict == "removed":
        return "removed", "re-check: content removed"
    if status in CLOSED and verdict in ("blocked", "removed"):
        return "reverify", "re-check confirms the resource is still unavailable"
    if status in REOPENABLE and verdict == "back":
        return "reopen", "content is back"
    if status in REOPENABLE and verdict == "mirror":
        return "reopen", "content moved to a mirror"
    return None


def recheck(
    session: Session,
    settings: Settings,
    case_id: int,
    *,
    fetcher: Fetcher | None = None,
    at: datetime | None = None,
) -> RecheckResult:
    """One round of checks for case ``case_id``, stored, and the move it calls for (if any)."""
    case = session.get(CaseRow, case_id)
    if case is None:
        raise CaseError(f"no case {case_id}", case_id=case_id)
    now = at or utcnow()
    findings = _case_findings(session, case_id)
    own = fetcher is None
    f = fetcher or Fetcher(settings)
    checks: list[BlockCheckRow] = []
    try:
        for finding in findings:
            obs = check_url(session, f, finding)
            row = BlockCheckRow(
                case_id=case_id,
                resource_id=finding.resource_id,
                url=finding.url,
                outcome=obs.outcome,
                http_status=obs.http_status,
                content_sha256=obs.content_sha256,
                detail=obs.detail,
                checked_at=now,
            )
            session.add(row)
            checks.append(row)
    finally:
        if own:
            f.close()
    session.flush()
    outcomes = [c.outcome for c in checks]
    verdict = round_verdict(outcomes)
    result = RecheckResult(
        case_id=case_id,
        checks=checks,
        verdict=verdict,
        status_before=case.status,
        status_after=case.status,
        outcomes={o: outcomes.count(o) for o in sorted(set(outcomes))},
    )
    decision = _decide(case.status, verdict)
    if decision is not None:
        action, why = decision
        need = 1 if action == "reverify" else max(1, settings.block_confirmations)
        earlier = previous_rounds(session, case_id, now, need - 1)
        agreed = len(earlier) == need - 1 and all(round_verdict(r) == verdict for r in earlier)
        if agreed:
            detail = ", ".join(f"{c.url}: {c.outcome}" for c in checks)
            reason = f"{why} ({need} round(s)): {detail}"
            transition(session, case_id, action, actor=ACTOR, reason=reason, at=now)
            result.moved, result.reason, result.status_after = action, reason, case.status
            level = logging.WARNING if action == "reopen" else logging.INFO
            log.log(level, "case %s: %s -> %s (%s)", case_id, result.status_before, case.status, why)
        else:
            log.info("case %s: %s seen, %d more round(s) needed", case_id, verdict, need - 1 - len(earlier))
    if case.status in WAITING and verdict != "blocked" and verdict != "removed":
        sent = as_utc(case.sent_at)
        if sent is not None and now - sent >= timedelta(days=settings.overdue_days):
            days = (now - sent).total_seconds() / 86400
            log.warning("case %s still reachable %.1f days after sending (%s)", case_id, days, verdict)
    return result


def recheck_case(
    session: Session,
    settings: Settings,
    case_id: int,
    *,
    fetcher: Fetcher | None = None,
    at: datetime | None = None,
) -> list[BlockCheckRow]:
    """Re-fetch every URL of the case, store a BlockCheckRow each, and move the case (module doc)."""
    return recheck(session, settings, case_id, fetcher=fetcher, at=at).checks


def due_cases(session: Session, settings: Settings, *, now: datetime | None = None) -> list[int]:
    """Cases in a re-checked state whose last round is older than ``recheck_interval_hours``."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=settings.recheck_interval_hours)
    last = (
        select(BlockCheckRow.case_id, func.max(BlockCheckRow.checked_at).label("last"))
        .group_by(BlockCheckRow.case_id)
        .subquery()
    )
    rows = session.execute(
        select(CaseRow.id, last.c.last)
        .outerjoin(last, last.c.case_id == CaseRow.id)
        .where(CaseRow.status.in_(RECHECKED))
        .order_by(CaseRow.id)
    ).all()
    due = []
    for cid, when in rows:
        last_at = as_utc(when)
        if last_at is None or last_at <= cutoff:
            due.append(cid)
    return due
