"""``kuzet monitor``: the scheduler over the configured sources, feeding the pipeline.

Sources come from the ``sources`` table and from a config file (TOML or YAML), whose sources
are written into the table by name first (so the table is the one list, and ``kuzet source``
manages it)::

    [monitor]
    delay = 1.0          # seconds between the starts of two requests to one host
    concurrency = 4      # page requests in flight in all
    per_host = 1         # page requests in flight to one host
    retries = 2          # 429/503 retries, honouring Retry-After
    stages = ["fetch", "extract", "detect", "capture", "link", "triage", "notify", "render"]
    case_upkeep = true   # between ticks: re-check sent cases, re-deliver dispatches, log overdue ones

    [[source]]
    kind = "website"
    name = "Example"
    url = "https://example.kz/"
    max_depth = 2

Every tick the scheduler starts the sources that are due (their seeds enter the frontier) and
re-queues the frontier URLs whose next visit is due. Fetch jobs then go to the concurrent fetch
phase (``fetchpump``: async requests in a worker process, under the global and per-host limits
and the per-host delay), and each fetched page is stored by ``CrawlPipeline``'s fetch handler in one transaction
with its follow-up jobs; the other stages run on this thread in between, through the LocalRunner.
With an HTTP proxy configured, pages are fetched one at a time by the sync polite fetcher
(the async path does not speak to proxies).

All state is in the database: a killed monitor started again picks up the jobs it had queued
(orphaned ``doing`` jobs are released at once) and fetches nothing it had already stored.
"""

from __future__ import annotations

import logging
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from kuzet.errors import ConfigError
from kuzet.records import utcnow
from kuzet.run.queue import NewJob, SqlTaskQueue
from kuzet.run.runner import LocalRunner, RunStats
from kuzet.run.services import Services
from kuzet.settings import Settings
from kuzet.sources import frontier
from kuzet.sources.connectors import CONNECTORS, RunContext, connector_for, parse_interval
from kuzet.sources.fetchpump import FetchPump, FetchSettings
from kuzet.sources.pipeline import CrawlPipeline
from kuzet.sources.politeness import PoliteFetcher
from kuzet.store import frontier as _frontier_tables  # noqa: F401 - registers the tables
from kuzet.store.db import Database
from kuzet.store.frontier import CrawlUrl, SourceState
from kuzet.store.models import JobRow, Source

log = logging.getLogger("kuzet.sources.monitor")

ALL_STAGES = ("fetch", "extract", "detect", "capture", "link", "triage", "notify", "render")
# Stages a listed stage cannot do without: triage jobs come from link, PDFs follow drafting.
_IMPLIED = {"triage": "link", "notify": "render"}
SOURCE_KEYS = {"kind", "name", "url", "enabled"}


@dataclass
class MonitorConfig:
    delay: float = 1.0
    concurrency: int = 4
    per_host: int = 1
    retries: int = 2
    max_retry_wait: float = 30.0
    obey_robots: bool = True
    tick_s: float = 30.0
    stages: tuple[str, ...] = ALL_STAGES
    # Between ticks: re-check sent cases that are due, deliver pending dispatches, log overdue ones.
    case_upkeep: bool = True
    sources: list[dict[str, Any]] = field(default_factory=list)

    def fetch_settings(self) -> FetchSettings:
        return FetchSettings(
            concurrency=self.concurrency,
            per_host=self.per_host,
            delay=self.delay,
            retries=self.retries,
            max_retry_wait=self.max_retry_wait,
            obey_robots=self.obey_robots,
        )


def _upkeep(db: Database, settings: Settings, services: Services) -> None:
    """Case upkeep (``kuzet.verify.upkeep``); a failure is logged, the crawl goes on."""
    from kuzet.verify.upkeep import case_upkeep

    try:
        done = case_upkeep(db, settings, services.fetcher)
    except Exception:  # noqa: BLE001 - upkeep must never stop the monitor
        log.exception("case upkeep failed")
        return
    if done.rechecked or done.redelivered:
        log.info(
            "upkeep: %d cases re-checked, %s moved, %d dispatches delivered",
            done.rechecked,
            done.moved,
            done.redelivered,
        )


def load_config(path: Path | None) -> MonitorConfig:
    if path is None:
        return MonitorConfig()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read monitor config {path}: {e}") from e
    try:
        data: Any = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: not valid {'YAML' if path.suffix in ('.yaml', '.yml') else 'TOML'}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a table with [monitor] and [[source]] entries")
    mon = data.get("monitor") or {}
    listed = [str(x) for x in mon.get("stages", ALL_STAGES)]
    listed += [_IMPLIED[x] for x in listed if x in _IMPLIED and _IMPLIED[x] not in listed]
    stages = tuple(x for x in ALL_STAGES if x in listed) + tuple(x for x in listed if x not in ALL_STAGES)
    unknown = set(stages) - set(ALL_STAGES)
    if unknown or "fetch" not in stages:
        raise ConfigError(f"{path}: stages must include fetch and be among {', '.join(ALL_STAGES)}")
    for key in ("concurrency", "per_host"):
        if not isinstance(mon.get(key, 1), int) or int(mon.get(key, 1)) < 1:
            raise ConfigError(f"{path}: [monitor] {key} must be a whole number of at least 1")
    sources = data.get("source") or data.get("sources") or []
    for i, src in enumerate(sources):
        if not isinstance(src, dict) or not src.get("kind") or not src.get("name"):
            raise ConfigError(f"{path}: source #{i + 1} needs kind and name")
        if src["kind"] not in CONNECTORS:
            raise ConfigError(f"{path}: source {src['name']!r}: unknown kind {src['kind']!r}")
    return MonitorConfig(
        delay=float(mon.get("delay", 1.0)),
        concurrency=int(mon.get("concurrency", 4)),
        per_host=int(mon.get("per_host", 1)),
        retries=int(mon.get("retries", 2)),
        max_retry_wait=float(mon.get("max_retry_wait", 30.0)),
        obey_robots=bool(mon.get("robots", True)),
        tick_s=parse_interval(mon.get("tick"), 30.0),
        stages=stages,
        case_upkeep=bool(mon.get("case_upkeep", True)),
        sources=[dict(s) for s in sources],
    )


def upsert_sources(db: Database, sources: list[dict[str, Any]]) -> int:
    """Write config-file sources into the table by name; returns how many were added or changed."""
    changed = 0
    with db.session() as s:
        for spec in sources:
            config = {k: v for k, v in spec.items() if k not in SOURCE_KEYS}
            row = s.execute(select(Source).where(Source.name == spec["name"])).scalar_one_or_none()
            url = str(spec.get("url", ""))
            enabled = bool(spec.get("enabled", True))
            if row is None:
                s.add(Source(kind=spec["kind"], name=spec["name"], url=url, config=config, enabled=enabled))
                changed += 1
            elif (row.kind, row.url, row.config, row.enabled) != (spec["kind"], url, config, enabled):
                row.kind, row.url, row.config, row.enabled = spec["kind"], url, config, enabled
                changed += 1
    return changed


class MonitorServices(Services):
    """The pipeline's services with a polite fetcher (robots, per-host delay, retries)."""

    def __init__(self, settings: Settings, db: Database | None, config: MonitorConfig) -> None:
        super().__init__(settings, db)
        self.monitor_config = config

    @cached_property
    def fetcher(self) -> PoliteFetcher:  # type: ignore[override]
        from kuzet.fetch.fetcher import Fetcher

        c = self.monitor_config
        return PoliteFetcher(
            Fetcher(self.settings),
            user_agent=self.settings.user_agent,
            delay=c.delay,
            concurrency=c.concurrency,
            retries=c.retries,
            max_retry_wait=c.max_retry_wait,
            obey_robots=c.obey_robots,
        )


class Scheduler:
    """Decides what to fetch next: due sources' seeds, then due revisits."""

    def __init__(self, db: Database, queue: SqlTaskQueue, ctx: RunContext) -> None:
        self.db = db
        self.queue = queue
        self.ctx = ctx

    def tick(self, now: datetime | None = None) -> int:
        """Queue what is due; returns how many fetch jobs were added."""
        now = now or utcnow()
        added = 0
        with self.db.session() as s:
            sources = list(s.execute(select(Source).where(Source.enabled.is_(True)).order_by(Source.id)).scalars())
            by_id = {src.id: src for src in sources}
            for src in sources:
                state = s.get(SourceState, src.id)
                if state is None:
                    state = SourceState(source_id=src.id, runs=0, cursor={})
                    s.add(state)
                    s.flush()
                if state.next_run_at is not None and _aware(state.next_run_at) > now:
                    continue
                conn = connector_for(src)
                try:
                    jobs = conn.start_run(s, state, self.ctx)
                    state.last_error = None
                except ConfigError as e:
                    log.warning("source %r: %s", src.name, e)
                    state.last_error = str(e)
                    jobs = []
                state.runs += 1
                state.last_run_at = now
                state.next_run_at = now + timedelta(seconds=conn.recrawl_s)
                added += self.queue.enqueue(jobs, session=s)
            revisits: list[NewJob] = []
            for row in frontier.due(s, now):
                owner = by_id.get(row.source_id)
                if owner is None:
                    continue
                conn = connector_for(owner)
                if owner.kind == "telegram" and row.depth == 0:
                    state = s.get(SourceState, owner.id)
                    if state is not None:
                        from kuzet.sources.connectors import mark_baseline

                        mark_baseline(state)
                job = frontier.requeue(s, row, conn.payload_for(row))
                if job is not None:
                    revisits.append(job)
            added += self.queue.enqueue(revisits, session=s)
        return added

    def next_due(self) -> datetime | None:
        with self.db.session() as s:
            a = s.execute(select(SourceState.next_run_at).order_by(SourceState.next_run_at).limit(1)).scalar()
            b = s.execute(
                select(CrawlUrl.next_fetch_at)
                .where(CrawlUrl.next_fetch_at.is_not(None), CrawlUrl.status != "queued")
                .order_by(CrawlUrl.next_fetch_at)
                .limit(1)
            ).scalar()
        times = [_aware(t) for t in (a, b) if t is not None]
        return min(times) if times else None


def _aware(t: datetime) -> datetime:
    from datetime import UTC

    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


@dataclass
class MonitorSummary:
    ticks: int = 0
    queued: int = 0
    jobs: RunStats = field(default_factory=RunStats)
    frontier: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    retries: int = 0
    robots_refused: int = 0
    elapsed_s: float = 0.0


def run_monitor(
    settings: Settings,
    db: Database,
    config: MonitorConfig,
    *,
    once: bool = False,
    on_job: Callable[[RunStats, SqlTaskQueue], None] | None = None,
    stop_after: float | None = None,
) -> MonitorSummary:
    """Run until stopped (Ctrl-C), or with ``once`` until the frontier is drained."""
    upsert_sources(db, config.sources)
    queue = SqlTaskQueue(db)
    services = MonitorServices(settings, db, config)
    pipeline = CrawlPipeline(services)
    handlers = {k: v for k, v in pipeline.handlers().items() if k in config.stages}
    runner = LocalRunner(db, queue, handlers)
    # The fetch phase claims the fetch jobs; this thread's runner claims the other stages.
    pump = None if settings.proxy else FetchPump(settings, db, queue, runner, config.fetch_settings())
    others = LocalRunner(db, queue, {k: v for k, v in handlers.items() if k != "fetch"}) if pump else runner
    ctx = RunContext(services=services, pipeline=pipeline)
    scheduler = Scheduler(db, queue, ctx)
    summary = MonitorSummary()
    started = time.monotonic()
    queue.recover_orphans()  # jobs a killed monitor held are taken up again at once
    total = RunStats()
    try:
        while True:
            summary.ticks += 1
            summary.queued += scheduler.tick()
            deadline = None if once else time.monotonic() + config.tick_s
            if stop_after is not None:
                deadline = min(deadline or float("inf"), started + stop_after)
            stats = drain(others, db, config.stages, deadline=deadline, on_job=on_job, queue=queue, pump=pump)
            _merge(total, stats)
            if config.case_upkeep:
                _upkeep(db, settings, services)
            if once or (stop_after is not None and time.monotonic() >= started + stop_after):
                break
            nxt = scheduler.next_due()
            wait = config.tick_s if nxt is None else max(0.0, (nxt - utcnow()).total_seconds())
            time.sleep(min(config.tick_s, wait))
    finally:
        ctx.close()
        if pump is not None:
            pump.close()
        p = services.fetcher.stats if "fetcher" in services.__dict__ else None
        services.close()
        summary.jobs = total
        for st in (p, pump.stats if pump is not None else None):
            if st is not None:
                summary.requests += st.requests
                summary.retries += st.retries
                summary.robots_refused += st.robots_refused
        with db.session() as s:
            summary.frontier = frontier.counts(s)
        summary.elapsed_s = round(time.monotonic() - started, 2)
    return summary


def pending(db: Database, stages: tuple[str, ...]) -> int:
    """Jobs of ``stages`` still to run (waiting for a retry back-off included)."""
    with db.session() as s:
        q = (
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.stage.in_(stages), JobRow.status.in_(("todo", "doing")))
        )
        return int(s.execute(q).scalar() or 0)


def drain(
    runner: LocalRunner,
    db: Database,
    stages: tuple[str, ...],
    *,
    deadline: float | None,
    queue: SqlTaskQueue,
    on_job: Callable[[RunStats, SqlTaskQueue], None] | None = None,
    idle_limit: float = 120.0,
    pump: FetchPump | None = None,
) -> RunStats:
    """Run jobs of ``stages`` until none is left (the runner's own loop would wait on the jobs of
    stages this monitor does not run), ``deadline``, or ``idle_limit`` seconds of only back-offs.

    With ``pump``, fetch jobs go to the concurrent fetch phase and ``runner`` runs the others:
    fetched pages are stored first (a page fetched and not stored is work a kill would lose),
    then one job of another stage, then the backlog is topped up again. Notifications wait until
    no fetch is under way, as in the sequential order (every fetch before any notify)."""
    stats = RunStats()
    idle_since: float | None = None
    while deadline is None or time.monotonic() < deadline:
        did = False
        if pump is not None:
            pump.fill()
            did = pump.store_ready(stats) > 0
            if did and on_job is not None:
                on_job(stats, queue)
        if _run_other(runner, stats, busy=pump is not None and pump.in_flight > 0):
            did = True
            if pump is not None:
                pump.poke()  # an extract may have queued links to fetch
            if on_job is not None:
                on_job(stats, queue)
        if did:
            idle_since = None
            continue
        if pump is not None and pump.in_flight:
            # Only fetches under way: wait for the next page rather than poll.
            if pump.store_ready(stats, wait=0.2, limit=1) and on_job is not None:
                on_job(stats, queue)
            idle_since = None
            continue
        if pending(db, stages) == 0:
            break
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > idle_limit:
            break
        time.sleep(0.2)
        if pump is not None:
            pump.poke()  # a fetch job's retry back-off may have run out
    return stats


def _run_other(runner: LocalRunner, stats: RunStats, *, busy: bool) -> bool:
    """One job of a non-fetch stage; ``notify`` only once no fetch is under way."""
    if not busy or "notify" not in runner.handlers:
        return runner.run_one(stats)
    job = runner.queue.claim(runner.owner, stages=[k for k in runner.handlers if k != "notify"])
    if job is None:
        return False
    runner.run_job(job, stats)
    return True


def _merge(total: RunStats, stats: RunStats) -> None:
    total.done += stats.done
    total.retried += stats.retried
    total.failed += stats.failed
    for k, v in stats.by_stage.items():
        total.by_stage[k] = total.by_stage.get(k, 0) + v
    total.errors.extend(stats.errors)
