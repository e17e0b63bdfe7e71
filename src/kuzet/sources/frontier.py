"""The persistent frontier: the seen-set (``crawl_urls``) feeding fetch jobs into the job queue.

A URL enters the seen-set and gets its fetch job in one transaction (the caller's session), so
a process killed at any moment either has both or neither: nothing queued is lost, nothing is
queued twice. The first visit's job key is the pipeline's own (``fetch:<source>:<canonical>``);
a revisit adds ``#<n>`` so that the snapshot of every visit is kept under its own key, and a
visit whose snapshot is stored is never fetched again after a restart.

Priorities (lower first, all before extract's 20): new domains 2, watched or flagged resources
5, first visits 10, revisits 15.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuzet.records import utcnow
from kuzet.run.queue import NewJob
from kuzet.store.frontier import CrawlUrl
from kuzet.urls import canonical_url, host_of

log = logging.getLogger("kuzet.sources.frontier")

PRIORITY_NEW_DOMAIN = 2
PRIORITY_WATCHED = 5
PRIORITY_FIRST = 10
PRIORITY_REVISIT = 15
MAX_KEY_LENGTH = 2048


@dataclass(frozen=True, slots=True)
class Candidate:
    """A URL offered to the frontier, with how deep it is and what its fetch job should carry."""

    url: str
    depth: int = 0
    payload: dict[str, Any] | None = None


def fetch_key(source_id: int, url_key: str, visit: int) -> str:
    base = f"fetch:{source_id}:{url_key}"
    return base if visit == 0 else f"{base}#{visit}"


def _job(row: CrawlUrl, payload: dict[str, Any], priority: int) -> NewJob:
    body = {
        "url": row.url,
        "source_id": row.source_id,
        "depth": row.depth,
        "page": 1,
        **payload,
        "crawl_url_id": row.id,
    }
    return NewJob("fetch", fetch_key(row.source_id, row.url_key, row.fetches), body, priority=priority)


def add(
    s: Session,
    source_id: int,
    candidates: Iterable[Candidate],
    *,
    payload: dict[str, Any] | None = None,
    priority: int = PRIORITY_FIRST,
    watch: bool = False,
    max_per_host: int | None = None,
) -> list[NewJob]:
    """Fetch jobs for the candidates not seen before for this source (their rows are added to ``s``)."""
    jobs: list[NewJob] = []
    per_host: dict[str, int] = {}
    for c in candidates:
        key = canonical_url(c.url)
        if len(key) > MAX_KEY_LENGTH:
            continue
        exists = s.execute(select(CrawlUrl.id).where(CrawlUrl.source_id == source_id, CrawlUrl.url_key == key)).first()
        if exists is not None:
            continue
        host = host_of(key)
        if max_per_host is not None:
            if host not in per_host:
                per_host[host] = (
                    s.execute(
                        select(func.count())
                        .select_from(CrawlUrl)
                        .where(CrawlUrl.source_id == source_id, CrawlUrl.host == host)
                    ).scalar()
                    or 0
                )
            if per_host[host] >= max_per_host:
                continue
            per_host[host] += 1
        row = CrawlUrl(
            source_id=source_id,
            url_key=key,
            url=c.url,
            host=host,
            depth=c.depth,
            priority=priority,
            status="queued",
            watch=watch,
            fetches=0,
            unchanged=0,
            last_status=0,
        )
        s.add(row)
        s.flush()
        jobs.append(_job(row, {**(payload or {}), **(c.payload or {})}, priority))
    return jobs


def requeue(s: Session, row: CrawlUrl, payload: dict[str, Any], *, priority: int | None = None) -> NewJob | None:
    """A revisit of a fetched URL (none while its previous visit is still queued)."""
    if row.status == "queued":
        return None
    row.status = "queued"
    prio = priority if priority is not None else (PRIORITY_WATCHED if row.watch else PRIORITY_REVISIT)
    return _job(row, payload, prio)


def due(s: Session, now: datetime, *, limit: int = 1000) -> list[CrawlUrl]:
    """Fetched URLs whose next visit is due, watched ones first."""
    return list(
        s.execute(
            select(CrawlUrl)
            .where(CrawlUrl.status.in_(("done", "failed")), CrawlUrl.next_fetch_at.is_not(None))
            .where(CrawlUrl.next_fetch_at <= now)
            .order_by(CrawlUrl.watch.desc(), CrawlUrl.next_fetch_at)
            .limit(limit)
        ).scalars()
    )


def next_visit(interval_s: float, *, watch: bool, unchanged: int, now: datetime | None = None) -> datetime:
    """When to look again: watched resources four times as often; pages that keep not changing
    back off up to four times the interval."""
    factor = (0.25 if watch else 1.0) * min(4.0, 1.0 + 0.5 * unchanged)
    return (now or utcnow()) + timedelta(seconds=max(1.0, interval_s * factor))


def mark_watched(s: Session, url: str) -> int:
    """Re-check every frontier row of ``url``'s host more often (a finding was made there)."""
    host = host_of(url)
    rows = list(s.execute(select(CrawlUrl).where(CrawlUrl.host == host)).scalars())
    for r in rows:
        r.watch = True
    return len(rows)


def counts(s: Session) -> dict[str, int]:
    rows = s.execute(select(CrawlUrl.status, func.count()).group_by(CrawlUrl.status)).all()
    return {str(k): int(v) for k, v in rows}
