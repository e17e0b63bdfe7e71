"""The monitor's concurrent fetch phase: many fetch jobs in flight, each stored in its own transaction.

``FetchPump`` claims fetch jobs from the job queue (as the runner would: ``doing``, owned by this
process, leased) and hands them to a worker process (``fetchworker``) that fetches them with
``AsyncPoliteFetcher`` (global and per-host limits, per-host delay, robots.txt, retries). The
outcomes come back over a pipe, and each is stored on the calling thread by the pipeline's own
fetch handler through ``LocalRunner.run_job``: the snapshot, the frontier row's update and the
follow-up extract job commit together with the job's completion, exactly as a sequential fetch.
The handler gets the outcome through ``politeness.prefetched`` instead of asking the server again.

Why this keeps the monitor exactly-once across a kill:

* a page is *stored* only in the transaction that completes its job, so a stored page's job is
  ``done`` and never claimed again; the handler also finds a snapshot already stored under the job
  key and stores nothing twice;
* a page fetched but not yet stored when the process dies belongs to a ``doing`` job whose owner
  is dead: ``recover_orphans`` releases it at the next start and it is fetched again (at most
  ``backlog`` pages are in that state at any moment; none of them had been stored);
* a stopping pump gives its unfetched claims back (``SqlTaskQueue.release``); a worker that dies
  has its jobs given back too, and a new worker is started on the next ``fill``.

All database work happens on the calling thread; the worker only does network I/O.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection

from sqlalchemy import select

from kuzet.run.queue import Job, SqlTaskQueue
from kuzet.run.runner import LocalRunner, RunStats
from kuzet.settings import Settings
from kuzet.sources.fetchworker import rebuild_error, start_worker
from kuzet.sources.politeness import PolitenessStats, Prefetched, prefetched
from kuzet.store.db import Database
from kuzet.store.frontier import CrawlUrl
from kuzet.store.models import SnapshotRow

log = logging.getLogger("kuzet.sources.fetchpump")


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """The politeness of the fetch phase (the monitor config's ``[monitor]`` keys)."""

    concurrency: int = 4
    per_host: int = 1
    delay: float = 1.0
    retries: int = 2
    max_retry_wait: float = 30.0
    obey_robots: bool = True

    @property
    def backlog(self) -> int:
        """Jobs claimed ahead of the free slots, so that a host waiting out its delay does not
        leave the other hosts' slots idle; also the most pages a kill can make fetch twice."""
        return max(4 * self.concurrency, 16)


class FetchPump:
    def __init__(
        self, settings: Settings, db: Database, queue: SqlTaskQueue, runner: LocalRunner, config: FetchSettings
    ) -> None:
        """``runner`` stores the outcomes: its handlers must include the (crawl) pipeline's fetch."""
        self.settings = settings
        self.db = db
        self.queue = queue
        self.runner = runner
        self.config = config
        self._held: dict[int, Job] = {}  # claimed and not yet stored, by job id
        self._ready: list[tuple[Job, Prefetched | None]] = []  # outcomes not yet stored
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None  # to the worker
        self._inbox: Connection | None = None  # from the worker
        self._dry = False  # the last claim found no fetch job, and nothing has run since
        self.stats = PolitenessStats()

    # -- the worker -----------------------------------------------------------------------
    def _worker(self) -> Connection:
        if self._conn is not None:
            return self._conn
        self._proc, self._conn, self._inbox = start_worker(self.settings, asdict(self.config))
        return self._conn

    def _worker_lost(self, why: str) -> None:
        """The worker died: what it held goes back to the queue, a new one starts on ``fill``."""
        log.warning("fetch worker lost (%s): its %d jobs are given back", why, len(self._held))
        waiting = {job.id for job, _ in self._ready}
        lost = [j for i, j in self._held.items() if i not in waiting]
        for j in lost:
            self._held.pop(j.id, None)
        if lost:
            self.queue.release(lost, self.runner.owner)
        self._stop_worker()

    def _stop_worker(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):  # a dead worker needs no goodbye
                self._conn.send(None)
            self._conn.close()
            self._conn = None
        if self._inbox is not None:
            self._inbox.close()
            self._inbox = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
            self._proc = None

    # -- the calling thread -----------------------------------------------------------------
    @property
    def in_flight(self) -> int:
        """Jobs claimed and not yet stored."""
        return len(self._held)

    def poke(self) -> None:
        """New fetch jobs may have been queued (a job ran, time passed): claim again on ``fill``."""
        self._dry = False

    def fill(self) -> int:
        """Claim fetch jobs up to the backlog and start fetching them; returns how many.
        After a claim that found nothing, claims only once ``poke`` or a stored page says that
        something may have queued more (a claim costs a write transaction)."""
        started = 0
        while not self._dry and len(self._held) < self.config.backlog:
            job = self.queue.claim(self.runner.owner, stages=["fetch"])
            if job is None:
                self._dry = True
                break
            if job.id in self._held:
                continue  # our own lease ran out and we claimed it again: it is already under way
            self._held[job.id] = job
            started += 1
            etag, last_modified, stored = self._validators(job)
            if stored or not job.payload.get("url"):
                self._ready.append((job, None))  # the handler re-derives its follow-ups
                continue
            try:
                self._worker().send((job.id, str(job.payload["url"]), etag, last_modified))
            except OSError as e:
                self._worker_lost(f"{type(e).__name__}: {e}")
                break
        return started

    def _validators(self, job: Job) -> tuple[str | None, str | None, bool]:
        """The conditional-request validators of a revisit, and whether the job's snapshot is stored."""
        with self.db.session() as s:
            stored = s.execute(select(SnapshotRow.id).where(SnapshotRow.job_key == job.key)).first() is not None
            row_id = job.payload.get("crawl_url_id")
            row = s.get(CrawlUrl, int(row_id)) if row_id is not None else None
            if row is None or not row.fetches:
                return None, None, stored
            return row.etag, row.last_modified, stored

    def _receive(self, wait: float) -> None:
        """Move the outcomes the worker has sent into ``_ready`` (waiting up to ``wait`` for one)."""
        conn = self._inbox
        if conn is None:
            return
        try:
            timeout = wait
            while conn.poll(timeout):
                timeout = 0.0
                job_id, snap, err, stats = conn.recv()
                self.stats = PolitenessStats(**stats)
                job = self._held.get(job_id)
                if job is None:
                    continue
                url = str(job.payload["url"])
                result = Prefetched(url, error=rebuild_error(err)) if err else Prefetched(url, snapshot=snap)
                self._ready.append((job, result))
        except (EOFError, OSError) as e:
            self._worker_lost(f"{type(e).__name__}: {e}")

    def store_ready(self, stats: RunStats, *, wait: float = 0.0, limit: int | None = None) -> int:
        """Store fetched pages (waiting up to ``wait`` seconds for one); returns how many."""
        self._receive(0.0 if self._ready else wait)
        stored = 0
        while self._ready and (limit is None or stored < limit):
            job, result = self._ready.pop(0)
            if self._held.pop(job.id, None) is None:
                continue
            with prefetched(result):
                self.runner.run_job(job, stats)
            stored += 1
            self._dry = False  # its follow-ups, or its retry, may be fetch jobs
        return stored

    def close(self) -> None:
        """Stop fetching; claimed jobs whose page is not stored go back to the queue."""
        self._stop_worker()
        if self._held:
            released = self.queue.release(list(self._held.values()), self.runner.owner)
            log.info("fetch phase stopped: %d claimed fetch jobs given back", released)
        self._held.clear()
        self._ready.clear()
