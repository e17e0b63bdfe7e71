from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuzet.run.queue import Job, MemoryTaskQueue, NewJob, SqlTaskQueue
from kuzet.run.runner import LocalRunner, RunStats
from kuzet.store.models import JobRow, Resource


@pytest.fixture(params=["sql", "memory"])
def queue(request, db):
    return SqlTaskQueue(db) if request.param == "sql" else MemoryTaskQueue()


def test_keys_are_idempotent_and_priorities_order_claims(queue) -> None:
    assert queue.enqueue([NewJob("notify", "n:1"), NewJob("fetch", "f:1"), NewJob("fetch", "f:1")]) == 2
    first = queue.claim("me")
    assert first is not None and first.key == "f:1"
    queue.complete(first)
    second = queue.claim("me")
    assert second is not None and second.key == "n:1"
    assert queue.claim("me") is None


def test_failures_retry_then_fail(queue) -> None:
    queue.enqueue([NewJob("fetch", "f:x")])
    statuses = []
    for _ in range(3):
        if isinstance(queue, SqlTaskQueue):  # skip the back-off wait
            with queue.db.session() as s:
                s.query(JobRow).update({"not_before": None})
        job = queue.claim("me")
        assert job is not None
        statuses.append(queue.fail(job, "boom"))
    assert statuses == ["todo", "todo", "failed"]


def test_expired_lease_is_claimed_again(db) -> None:
    q = SqlTaskQueue(db, lease=timedelta(seconds=-1))
    q.enqueue([NewJob("fetch", "f:lease")])
    a = q.claim("worker-a")
    b = q.claim("worker-b")
    assert a is not None and b is not None and a.key == b.key and b.attempts == 2


def test_orphans_of_dead_processes_are_released(db) -> None:
    q = SqlTaskQueue(db)
    q.enqueue([NewJob("fetch", "f:orphan")])
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    ).stdout.strip()
    import socket

    job = q.claim(f"{socket.gethostname()}:{dead}")
    assert job is not None
    assert q.claim("other") is None  # still leased
    assert q.recover_orphans() == 1
    again = q.claim("other")
    assert again is not None and again.key == "f:orphan"


def test_runner_commits_rows_and_followups_atomically(db) -> None:
    q = SqlTaskQueue(db)
    calls = {"n": 0}

    def make_resource(s: Session, job: Job) -> list[NewJob]:
        calls["n"] += 1
        s.add(Resource(key=job.payload["key"]))
        if calls["n"] == 1:
            raise RuntimeError("killed mid-job")  # nothing of this attempt may persist
        return [NewJob("extract", f"e:{job.payload['key']}")]

    def noop(s: Session, job: Job) -> list[NewJob]:
        return []

    with db.session() as s:
        s.query(JobRow).delete()
    q.enqueue([NewJob("fetch", "f:1", {"key": "site.test"})])
    runner = LocalRunner(db, q, {"fetch": make_resource, "extract": noop})
    with db.session() as s:  # let the retry run at once
        pass
    stats = RunStats()
    runner.run_one(stats)
    assert stats.retried == 1
    with db.session() as s:
        s.query(JobRow).update({"not_before": None})
    stats = runner.run_until_idle()
    assert stats.done == 2
    with db.session() as s:
        assert s.execute(select(func.count()).select_from(Resource)).scalar() == 1
        assert s.execute(select(func.count()).select_from(JobRow).where(JobRow.status == "done")).scalar() == 2
    assert os.getpid()
