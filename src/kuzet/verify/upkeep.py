"""Case upkeep on a schedule: what `kuzet monitor` does between its crawl ticks.

Re-checks the sent and closed cases that are due (``KUZET_RECHECK_INTERVAL_HOURS``), a bounded
number per round so that a long list never stalls the crawl; delivers again the dispatches left
pending or failed; and logs a warning for every case still reachable ``KUZET_OVERDUE_DAYS`` after
it was sent. Each case's round is its own transaction, so one failure loses nothing else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from kuzet.errors import KuzetError
from kuzet.fetch.fetcher import Fetcher
from kuzet.settings import Settings
from kuzet.store import audit
from kuzet.store.db import Database
from kuzet.store.models import DispatchRow

log = logging.getLogger("kuzet.verify.upkeep")

ACTOR = "kuzet-monitor"
MAX_CASES_PER_ROUND = 20


@dataclass
class UpkeepSummary:
    rechecked: int = 0
    moved: dict[int, str] = field(default_factory=dict)  # case id -> new state
    redelivered: int = 0
    overdue: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def case_upkeep(
    db: Database,
    settings: Settings,
    fetcher: Fetcher,
    *,
    max_cases: int = MAX_CASES_PER_ROUND,
    now: datetime | None = None,
) -> UpkeepSummary:
    from kuzet.dispatch.service import retry_dispatches
    from kuzet.verify.alerts import overdue_cases
    from kuzet.verify.recheck import due_cases, recheck

    out = UpkeepSummary()
    with db.session() as s:
        due = due_cases(s, settings, now=now)[:max_cases]
    for cid in due:
        try:
            with db.session() as s:
                r = recheck(s, settings, cid, fetcher=fetcher, at=now)
                audit.record(s, "case.rechecked", "case", cid, actor=ACTOR, detail={"verdict": r.verdict, **r.outcomes})
            out.rechecked += 1
            if r.moved:
                out.moved[cid] = r.status_after
        except KuzetError as e:
            out.errors.append(f"case {cid}: {e}")
            log.warning("re-check of case %s failed: %s", cid, e)
    with db.session() as s:
        waiting = s.scalar(select(DispatchRow.id).where(DispatchRow.status.in_(("pending", "failed"))).limit(1))
    if waiting is not None:
        # No sleeping between attempts here: the next round is the back-off.
        results = retry_dispatches(db, settings, actor=ACTOR, sleep=lambda _s: None)
        out.redelivered = sum(1 for r in results if r.status == "sent")
    with db.session() as s:
        for o in overdue_cases(s, settings, now=now):
            out.overdue.append(o.case_id)
            log.warning(
                "case %s (%s) is still %s %.1f days after it was sent (last check: %s)",
                o.case_id,
                o.title,
                o.last_verdict,
                o.days_since_sent,
                o.last_checked_at,
            )
    return out
