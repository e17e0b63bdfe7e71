"""Alerts on sent cases: still reachable ``overdue_days`` after sending.

A case is overdue when it is sent or acknowledged, was sent at least ``overdue_days`` ago, and
its latest round of re-checks did not find it blocked or removed — including a case never
re-checked, since nobody has seen it go. Each one is logged as a warning when listed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuzet.records import utcnow
from kuzet.settings import Settings
from kuzet.store.models import BlockCheckRow, CaseRow
from kuzet.store.repo import as_utc
from kuzet.verify.recheck import WAITING, round_verdict

log = logging.getLogger("kuzet.verify")


@dataclass(frozen=True, slots=True)
class Overdue:
    case_id: int
    title: str
    route: str
    status: str
    sent_at: datetime
    days_since_sent: float
    last_checked_at: datetime | None
    last_verdict: str  # "not checked" when no round yet
    last_outcomes: dict[str, int]


def overdue_cases(session: Session, settings: Settings, *, now: datetime | None = None) -> list[Overdue]:
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.overdue_days)
    out: list[Overdue] = []
    cases = session.scalars(
        select(CaseRow)
        .where(CaseRow.status.in_(sorted(WAITING)), CaseRow.sent_at.is_not(None), CaseRow.sent_at <= cutoff)
        .order_by(CaseRow.sent_at, CaseRow.id)
    ).all()
    for case in cases:
        last = session.scalar(select(func.max(BlockCheckRow.checked_at)).where(BlockCheckRow.case_id == case.id))
        outcomes: list[str] = []
        if last is not None:
            outcomes = list(
                session.scalars(
                    select(BlockCheckRow.outcome).where(
                        BlockCheckRow.case_id == case.id, BlockCheckRow.checked_at == last
                    )
                )
            )
        verdict = round_verdict(outcomes) if outcomes else "not checked"
        if verdict in ("blocked", "removed"):
            continue  # waiting for the confirming round; not an alert
        sent = as_utc(case.sent_at)
        assert sent is not None
        days = (now - sent).total_seconds() / 86400
        log.warning("case %s sent %.1f days ago is still not blocked (last check: %s)", case.id, days, verdict)
        out.append(
            Overdue(
                case_id=case.id,
                title=case.title,
                route=case.route,
                status=case.status,
                sent_at=sent,
                days_since_sent=round(days, 2),
                last_checked_at=as_utc(last),
                last_verdict=verdict,
                last_outcomes={o: outcomes.count(o) for o in sorted(set(outcomes))},
            )
        )
    return out
