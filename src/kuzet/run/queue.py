"""The job queue behind the runner: a durable SQL job table and an in-memory twin.

Delivery is at least once: a claimed job carries a lease; a worker that dies leaves the job
``doing`` until the lease runs out (or, on the same host, until ``recover_orphans`` sees that the
owner process is gone), and then another worker claims it again. Handlers make that safe with
idempotency keys: the job key itself is unique, and every row a stage writes is keyed on it.

A distributed engine (Dramatiq on Redis or RabbitMQ) implements the same protocol.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kuzet.records import utcnow
from kuzet.store.db import Database
from kuzet.store.models import JobRow

# Lower runs first: every fetch before any extract, and so on, so that notifications are drafted
# only once the findings they cover have all been triaged.
STAGE_PRIORITY = {
    "fetch": 10,
    "extract": 20,
    "detect": 30,
    "capture": 40,
    # Every finding linked into its network before any is triaged: mirror watch needs the whole batch.
    "link": 45,
    "triage": 50,
    "notify": 60,
    # PDFs after every document is drafted: LibreOffice converts them all in one run.
    "render": 70,
}
DEFAULT_LEASE = timedelta(minutes=10)


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Job:
    id: int
    stage: str
    key: str
    payload: dict[str, Any]
    attempts: int = 0
    max_attempts: int = 3


@dataclass
class NewJob:
    stage: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)
    priority: int | None = None


class TaskQueue(Protocol):
    def enqueue(self, jobs: Iterable[NewJob], session: Session | None = None) -> int:
        """Add jobs whose key is new; returns how many were added. With ``session``, in its transaction."""
        ...

    def claim(self, owner: str, stages: Iterable[str] | None = None) -> Job | None: ...

    def complete(self, job: Job, session: Session | None = None) -> None: ...

    def fail(self, job: Job, error: str) -> str:
        """Record a failure; returns the new status (``todo`` to retry, ``failed`` when exhausted)."""
        ...

    def counts(self) -> dict[str, int]: ...

    def recover_orphans(self) -> int: ...


class SqlTaskQueue:
    """Jobs in the ``jobs`` table of the application database (SQLite or PostgreSQL)."""

    def __init__(self, db: Database, lease: timedelta = DEFAULT_LEASE) -> None:
        self.db = db
        self.lease = lease

    def _insert(self, session: Session, jobs: Iterable[NewJob]) -> int:
        rows = [
            {
                "stage": j.stage,
                "key": j.key,
                "payload": j.payload,
                "priority": j.priority if j.priority is not None else STAGE_PRIORITY.get(j.stage, 100),
                "status": "todo",
                "attempts": 0,
                "max_attempts": 3,
                "created_at": utcnow(),
                "updated_at": utcnow(),
            }
            for j in jobs
        ]
        if not rows:
            return 0
        ins = (
            pg_insert(JobRow)
            if session.bind is not None and session.bind.dialect.name == "postgresql"
            else sqlite_insert(JobRow)
        )
        added = 0
        for row in rows:  # one statement a row keeps the duplicate-key skip portable
            stmt = ins.values(**row).on_conflict_do_nothing(index_elements=["key"]).returning(JobRow.id)
            added += len(session.execute(stmt).all())
        return added

    def enqueue(self, jobs: Iterable[NewJob], session: Session | None = None) -> int:
        if session is not None:
            return self._insert(session, jobs)
        with self.db.session() as s:
            return self._insert(s, jobs)

    def claim(self, owner: str, stages: Iterable[str] | None = None) -> Job | None:
        now = utcnow()
        cond = (JobRow.status == "todo") | ((JobRow.status == "doing") & (JobRow.lease_until < now))
        pick = select(JobRow.id).where(cond).where((JobRow.not_before.is_(None)) | (JobRow.not_before <= now))
        if stages is not None:
            pick = pick.where(JobRow.stage.in_(list(stages)))
        pick = pick.order_by(JobRow.priority, JobRow.id).limit(1).with_for_update(skip_locked=True)
        stmt = (
            update(JobRow)
            .where(JobRow.id == pick.scalar_subquery())
            .values(
                status="doing", owner=owner, lease_until=now + self.lease, attempts=JobRow.attempts + 1, updated_at=now
            )
            .returning(JobRow.id, JobRow.stage, JobRow.key, JobRow.payload, JobRow.attempts, JobRow.max_attempts)
        )
        with self.db.session() as s:
            row = s.execute(stmt).first()
        if row is None:
            return None
        return Job(id=row[0], stage=row[1], key=row[2], payload=row[3], attempts=row[4], max_attempts=row[5])

    def complete(self, job: Job, session: Session | None = None) -> None:
        stmt = (
            update(JobRow)
            .where(JobRow.id == job.id)
            .values(status="done", lease_until=None, last_error=None, updated_at=utcnow())
        )
        if session is not None:
            session.execute(stmt)
            return
        with self.db.session() as s:
            s.execute(stmt)

    def fail(self, job: Job, error: str) -> str:
        status = "todo" if job.attempts < job.max_attempts else "failed"
        # Back off before the retry so a flapping target is not hammered.
        delay = timedelta(seconds=min(60, 2**job.attempts))
        with self.db.session() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job.id)
                .values(
                    status=status,
                    lease_until=None,
                    last_error=error[:4000],
                    updated_at=utcnow(),
                    not_before=utcnow() + delay if status == "todo" else None,
                )
            )
        return status

    def release(self, jobs: Iterable[Job], owner: str) -> int:
        """Give back claimed jobs that were not run (a stopping worker's backlog): ``todo`` again
        at once, the claim not counted as an attempt. Jobs no longer held by ``owner`` are left."""
        released = 0
        with self.db.session() as s:
            for job in jobs:
                res = s.execute(
                    update(JobRow)
                    .where(JobRow.id == job.id, JobRow.status == "doing", JobRow.owner == owner)
                    .values(
                        status="todo",
                        owner=None,
                        lease_until=None,
                        attempts=case((JobRow.attempts > 0, JobRow.attempts - 1), else_=0),
                        updated_at=utcnow(),
                    )
                )
                released += int(getattr(res, "rowcount", 0) or 0)
        return released

    def counts(self) -> dict[str, int]:
        with self.db.session() as s:
            rows = s.execute(select(JobRow.status, func.count()).group_by(JobRow.status)).all()
        return {str(k): int(v) for k, v in rows}

    def failed_jobs(self) -> list[tuple[str, str, str | None]]:
        with self.db.session() as s:
            rows = s.execute(
                select(JobRow.stage, JobRow.key, JobRow.last_error).where(JobRow.status == "failed").order_by(JobRow.id)
            ).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def recover_orphans(self) -> int:
        """Release jobs held by dead processes of this host, so a restart resumes at once."""
        host = socket.gethostname()
        released = 0
        with self.db.session() as s:
            held = s.execute(select(JobRow.id, JobRow.owner).where(JobRow.status == "doing")).all()
            for job_id, owner in held:
                h, _, pid = (owner or "").rpartition(":")
                if h == host and pid.isdigit() and not _alive(int(pid)):
                    s.execute(
                        update(JobRow)
                        .where(JobRow.id == job_id)
                        .values(status="todo", owner=None, lease_until=None, updated_at=utcnow())
                    )
                    released += 1
        return released


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class MemoryTaskQueue:
    """In-memory twin of SqlTaskQueue with the same semantics (keys, priorities, leases, retries)."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Any]] = {}
        self._next = 1

    def enqueue(self, jobs: Iterable[NewJob], session: Session | None = None) -> int:
        added = 0
        for j in jobs:
            if j.key in self._jobs:
                continue
            self._jobs[j.key] = {
                "id": self._next,
                "stage": j.stage,
                "key": j.key,
                "payload": dict(j.payload),
                "priority": j.priority if j.priority is not None else STAGE_PRIORITY.get(j.stage, 100),
                "status": "todo",
                "attempts": 0,
                "max_attempts": 3,
                "lease_until": None,
                "owner": None,
                "error": None,
            }
            self._next += 1
            added += 1
        return added

    def claim(self, owner: str, stages: Iterable[str] | None = None) -> Job | None:
        now = utcnow()
        wanted = set(stages) if stages is not None else None
        ready = [
            j
            for j in self._jobs.values()
            if (j["status"] == "todo" or (j["status"] == "doing" and j["lease_until"] < now))
            and (wanted is None or j["stage"] in wanted)
        ]
        if not ready:
            return None
        j = min(ready, key=lambda r: (r["priority"], r["id"]))
        j.update(status="doing", owner=owner, lease_until=now + DEFAULT_LEASE, attempts=j["attempts"] + 1)
        return Job(j["id"], j["stage"], j["key"], dict(j["payload"]), j["attempts"], j["max_attempts"])

    def complete(self, job: Job, session: Session | None = None) -> None:
        self._jobs[job.key].update(status="done", lease_until=None)

    def fail(self, job: Job, error: str) -> str:
        j = self._jobs[job.key]
        j["status"] = "todo" if job.attempts < job.max_attempts else "failed"
        j["error"] = error
        j["lease_until"] = None
        return str(j["status"])

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for j in self._jobs.values():
            out[j["status"]] = out.get(j["status"], 0) + 1
        return out

    def recover_orphans(self) -> int:
        return 0
