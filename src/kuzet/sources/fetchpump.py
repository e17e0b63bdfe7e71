"""The monitor's concurrent fetch phase: many fetch jobs in flight, each stored in its own transaction.

``FetchPump`` claims fetch jobs from the job queue (as the runner would: ``doing``, owned by this
process, leased), fetches them on an asyncio event loop in one background thread with
``AsyncPoliteFetcher`` (global and per-host limits, per-host delay, robots.txt, retries), and hands
the outcomes back to the calling thread. There each outcome is stored by the pipeline's own fetch
handler, through ``LocalRunner.run_job``: the snapshot, the frontier row's update and the
follow-up extract job commit together with the job's completion, exactly as a sequential fetch.
The handler gets the outcome through ``politeness.prefetched`` instead of asking the server again.

Why this keeps the monitor exactly-once across a kill:

* a page is *stored* only in the transaction that completes its job, so a stored page's job is
  ``done`` and never claimed again; the handler also finds a snapshot already stored under the job
  key and stores nothing twice;
* a page fetched but not yet stored when the process dies belongs to a ``doing`` job whose owner
  is dead: ``recover_orphans`` releases it at the next start and it is fetched again (at most
  ``backlog`` pages are in that state at any moment; none of them had been stored);
* a stopping pump gives its unfetched claims back (``SqlTaskQueue.release``).

All database work happens on the calling thread; the loop thread only does network I/O.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue as thread_queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from kuzet.errors import FetchError
from kuzet.records import Snapshot
from kuzet.run.queue import Job, SqlTaskQueue
from kuzet.run.runner import LocalRunner, RunStats
from kuzet.settings import Settings
from kuzet.sources.asyncpolite import AsyncPoliteFetcher
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


@dataclass(slots=True)
class _Outcome:
    job: Job
    result: Prefetched | None  # None: nothing fetched (a snapshot is already stored, or cancelled)


class FetchPump:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        queue: SqlTaskQueue,
        runner: LocalRunner,
        config: FetchSettings,
        *,
        make_fetcher: Callable[[], AsyncPoliteFetcher] | None = None,
    ) -> None:
        """``runner`` stores the outcomes: its handlers must include the (crawl) pipeline's fetch."""
        self.settings = settings
        self.db = db
        self.queue = queue
        self.runner = runner
        self.config = config
        self._make_fetcher = make_fetcher or self._default_fetcher
        self._done: thread_queue.Queue[_Outcome] = thread_queue.Queue()
        self._held: dict[int, Job] = {}  # claimed and not yet stored, by job id
        self._futures: dict[int, concurrent.futures.Future[None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._fetcher: AsyncPoliteFetcher | None = None
        self._dry = False  # the last claim found no fetch job, and nothing has run since
        self.stats = PolitenessStats()

    def _default_fetcher(self) -> AsyncPoliteFetcher:
        c = self.config
        return AsyncPoliteFetcher(
            self.settings,
            delay=c.delay,
            concurrency=c.concurrency,
            per_host=c.per_host,
            retries=c.retries,
            max_retry_wait=c.max_retry_wait,
            obey_robots=c.obey_robots,
        )

    # -- the loop thread ------------------------------------------------------------------
    def _start(self) -> asyncio.AbstractEventLoop:
        if self._loop is not None:
            return self._loop
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            self._fetcher = self._make_fetcher()  # its semaphores belong to this loop
            self.stats = self._fetcher.stats
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="kuzet-fetch", daemon=True)
        self._thread.start()
        ready.wait()
        self._loop = loop
        return loop

    async def _fetch(self, job: Job, etag: str | None, last_modified: str | None) -> None:
        assert self._fetcher is not None
        url = str(job.payload["url"])
        try:
            snap: Snapshot = await self._fetcher.fetch(url, etag=etag, last_modified=last_modified)
            result = Prefetched(url, snapshot=snap)
        except FetchError as e:
            result = Prefetched(url, error=e)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - recorded as this page's failure, the pump goes on
            log.warning("fetch of %s crashed: %s: %s", url, type(e).__name__, e)
            result = Prefetched(url, error=FetchError(f"{url}: {type(e).__name__}: {e}", url=url))
        self._done.put(_Outcome(job, result))

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
                self._done.put(_Outcome(job, None))  # the handler re-derives its follow-ups
                continue
            loop = self._start()
            self._futures[job.id] = asyncio.run_coroutine_threadsafe(self._fetch(job, etag, last_modified), loop)
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

    def store_ready(self, stats: RunStats, *, wait: float = 0.0, limit: int | None = None) -> int:
        """Store fetched pages (waiting up to ``wait`` seconds for the first); returns how many."""
        stored = 0
        timeout: float | None = wait
        while limit is None or stored < limit:
            try:
                out = self._done.get(timeout=timeout) if timeout else self._done.get_nowait()
            except thread_queue.Empty:
                break
            timeout = None
            self._futures.pop(out.job.id, None)
            if self._held.pop(out.job.id, None) is None:
                continue
            with prefetched(out.result):
                self.runner.run_job(out.job, stats)
            stored += 1
            self._dry = False  # its follow-ups, or its retry, may be fetch jobs
        return stored

    def close(self) -> None:
        """Stop fetching; claimed jobs whose page is not stored go back to the queue."""
        for fut in self._futures.values():
            fut.cancel()
        if self._loop is not None:
            loop = self._loop
            if self._fetcher is not None:
                try:
                    asyncio.run_coroutine_threadsafe(self._fetcher.aclose(), loop).result(timeout=5)
                except Exception as e:  # noqa: BLE001 - closing must not mask the run's result
                    log.debug("closing the async fetcher: %s", e)
            loop.call_soon_threadsafe(loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)
            loop.close()
            self._loop = None
        if self._held:
            released = self.queue.release(list(self._held.values()), self.runner.owner)
            log.info("fetch phase stopped: %d claimed fetch jobs given back", released)
        self._held.clear()
        self._futures.clear()
