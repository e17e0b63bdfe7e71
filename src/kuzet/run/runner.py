"""The local runner: claims jobs and runs stage handlers, one transaction per job.

A handler gets a SQLAlchemy session and the job, writes its rows, and returns follow-up jobs.
The rows, the follow-ups and the job's completion commit together, so a process killed mid-job
leaves nothing half-done: the job is claimed again and runs from the start, and the unique keys
on every row make the second run write no duplicate.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from kuzet.errors import KuzetError
from kuzet.run.queue import Job, NewJob, SqlTaskQueue, TaskQueue, owner_id
from kuzet.store import audit
from kuzet.store.db import Database

log = logging.getLogger("kuzet.run")

Handler = Callable[[Session, Job], list[NewJob]]


@dataclass
class RunStats:
    done: int = 0
    retried: int = 0
    failed: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class LocalRunner:
    """Runs jobs from a queue in this process until it is idle (or a limit is hit)."""

    def __init__(self, db: Database, queue: TaskQueue, handlers: dict[str, Handler]) -> None:
        self.db = db
        self.queue = queue
        self.handlers = handlers
        self.owner = owner_id()

    def run_one(self, stats: RunStats) -> bool:
        job = self.queue.claim(self.owner, stages=list(self.handlers))
        if job is None:
            return False
        self.run_job(job, stats)
        return True

    def run_job(self, job: Job, stats: RunStats) -> None:
        """Run a job this runner's owner has claimed: its handler, follow-ups and completion in one
        transaction, or the failure recorded (retry or failed) when the handler raises."""
        handler = self.handlers[job.stage]
        try:
            with self.db.session() as s:
                follow = handler(s, job)
                if isinstance(self.queue, SqlTaskQueue):
                    self.queue.enqueue(follow, session=s)
                    self.queue.complete(job, session=s)
                else:
                    self.queue.enqueue(follow)
                    self.queue.complete(job)
        except Exception as e:  # noqa: BLE001 - one bad job must not stop the run
            detail = f"{e.__class__.__name__}: {e}"
            if not isinstance(e, KuzetError):
                log.debug("job %s crashed:\n%s", job.key, traceback.format_exc())
            status = self.queue.fail(job, detail)
            log.warning("job %s %s (%s): %s", job.stage, job.key, status, detail)
            with self.db.session() as s:
                audit.record(
                    s,
                    "job_failed" if status == "failed" else "job_retry",
                    "job",
                    job.key,
                    detail={"stage": job.stage, "error": detail[:500], "attempt": job.attempts},
                )
            if status == "failed":
                stats.failed += 1
                stats.errors.append(f"{job.stage} {job.key}: {detail}")
            else:
                stats.retried += 1
            return
        stats.done += 1
        stats.by_stage[job.stage] = stats.by_stage.get(job.stage, 0) + 1

    def run_until_idle(
        self,
        *,
        max_jobs: int | None = None,
        deadline: float | None = None,
        on_job: Callable[[RunStats], None] | None = None,
        idle_wait: float = 0.2,
    ) -> RunStats:
        """Run until no job is ready (waiting out retry back-offs), ``max_jobs`` or ``deadline``."""
        stats = RunStats()
        self.queue.recover_orphans()
        ran = 0
        idle_since: float | None = None
        while max_jobs is None or ran < max_jobs:
            if deadline is not None and time.monotonic() > deadline:
                break
            if self.run_one(stats):
                ran += 1
                idle_since = None
                if on_job:
                    on_job(stats)
                continue
            # Nothing claimable: finished, unless jobs wait for a retry back-off.
            counts = self.queue.counts()
            if counts.get("todo", 0) == 0 and counts.get("doing", 0) == 0:
                break
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 120:
                break
            time.sleep(idle_wait)
        return stats
