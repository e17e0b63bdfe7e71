"""The pipeline with a frontier: the shared stage handlers, plus revisits and link following.

``CrawlPipeline`` keeps every stage of ``kuzet.run.stages.Pipeline`` and changes three things:

* fetch sends the URL's ETag / Last-Modified (a conditional request) and, when the answer is
  304 or the body's SHA-256 is the one already stored, stops there: an unchanged page costs one
  request and one small snapshot row, nothing downstream. It also records the visit in the
  frontier and schedules the next one.
* link following goes through the frontier (seen-set, scope, trap limits, per-host budget)
  instead of straight into the job queue; sitemaps are read for page URLs; a Telegram preview
  pages backwards with ``?before=`` only until it reaches posts an earlier run has seen.
* a finding marks its host as watched, so the frontier re-checks it more often.
"""

from __future__ import annotations

import logging
import re
from contextlib import nullcontext
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.records import Document, utcnow
from kuzet.run.queue import Job, NewJob
from kuzet.run.services import Services
from kuzet.run.stages import Pipeline
from kuzet.sources import frontier
from kuzet.sources.politeness import conditional
from kuzet.sources.scope import Scope
from kuzet.store.frontier import CrawlUrl, SourceState
from kuzet.store.models import SnapshotRow
from kuzet.urls import host_of

log = logging.getLogger("kuzet.sources.pipeline")

MAX_SITEMAP_URLS = 5000
_LOC = re.compile(rb"<loc>\s*([^<\s]{1,2048})\s*</loc>", re.I)


def telegram_post_number(doc: Document) -> int | None:
    raw = (doc.post_id or "").rsplit("/", 1)[-1]
    return int(raw) if raw.isdigit() else None


class CrawlPipeline(Pipeline):
    def __init__(self, services: Services) -> None:
        super().__init__(services)

    # -- fetch with revisits -----------------------------------------------------------------
    def fetch(self, s: Session, job: Job) -> list[NewJob]:
        row_id = job.payload.get("crawl_url_id")
        row = s.get(CrawlUrl, int(row_id)) if row_id is not None else None
        validators = conditional(row.etag, row.last_modified) if row is not None and row.fetches else nullcontext()
        with validators:
            out = super().fetch(s, job)
        if row is None:
            return out
        snap = s.execute(select(SnapshotRow).where(SnapshotRow.job_key == job.key)).scalar_one_or_none()
        if snap is None:
            return out
        now = utcnow()
        row.fetches += 1
        row.last_fetched_at = now
        row.last_status = snap.status
        row.last_error = snap.error
        row.status = "failed" if snap.error else "done"
        unchanged = snap.status == 304 or (
            snap.error is None and 200 <= snap.status < 300 and snap.sha256 == row.content_sha256
        )
        if unchanged:
            row.unchanged += 1
        elif snap.error is None and 200 <= snap.status < 300:
            row.unchanged = 0
            row.content_sha256 = snap.sha256
            row.etag = (snap.headers or {}).get("etag")
            row.last_modified = (snap.headers or {}).get("last-modified")
        interval = job.payload.get("recrawl_s")
        row.next_fetch_at = (
            frontier.next_visit(float(interval), watch=row.watch, unchanged=row.unchanged, now=now)
            if interval
            else None
        )
        if unchanged:
            log.debug("%s unchanged (HTTP %s): nothing downstream", row.url, snap.status)
            return []
        return out

    # -- findings make their host watched ---------------------------------------------------
    def detect(self, s: Session, job: Job) -> list[NewJob]:
        out = super().detect(s, job)
        for nj in out:
            if nj.stage == "capture" and nj.payload.get("url"):
                frontier.mark_watched(s, str(nj.payload["url"]))
        return out

    # -- following ---------------------------------------------------------------------------
    def _follow(self, s: Session, job: Job, snap_row: SnapshotRow, docs: list[Document]) -> list[NewJob]:
        scope = job.payload.get("scope") or {}
        source_id = job.payload.get("source_id")
        if source_id is None or "crawl_url_id" not in job.payload:
            return super()._follow(s, job, snap_row, docs)  # a plain pipeline job (the demo's)
        kind = scope.get("kind")
        if kind == "telegram":
            return self._follow_telegram(s, job, int(source_id), snap_row, docs, scope)
        if kind == "feed":
            return self._follow_feed(s, int(source_id), docs, scope)
        if kind == "website":
            return self._follow_site(s, job, int(source_id), snap_row, docs, scope)
        return []

    def _follow_site(
        self, s: Session, job: Job, source_id: int, snap_row: SnapshotRow, docs: list[Document], scope: dict[str, Any]
    ) -> list[NewJob]:
        sc = Scope.from_dict(scope)
        depth = int(job.payload.get("depth", 0)) + 1
        links: list[str] = []
        if job.payload.get("sitemap"):
            links = self._sitemap_urls(snap_row)
            depth = 1
        for d in docs:
            if d.kind != "page":
                continue
            canonical = d.meta.get("canonical")
            if isinstance(canonical, str) and canonical:
                links.append(canonical)  # the page's own name for itself: visited once, deduplicated
            if d.meta.get("nofollow"):
                continue
            links.extend(d.links)
        candidates = []
        rejected: dict[str, int] = {}
        for link in links:
            link = link.split("#", 1)[0]
            reason = sc.reject_reason(link, depth)
            if reason is None:
                candidates.append(frontier.Candidate(link, depth))
            else:
                rejected[reason] = rejected.get(reason, 0) + 1
        if rejected.keys() - {"off_host", "binary_link", "not_http"}:
            log.info("%s: links not followed: %s", snap_row.url, rejected)
        payload = {"scope": scope, "recrawl_s": job.payload.get("recrawl_s")}
        return frontier.add(s, source_id, candidates, payload=payload, max_per_host=sc.max_pages)

    def _sitemap_urls(self, snap_row: SnapshotRow) -> list[str]:
        if snap_row.error or not snap_row.sha256:
            return []
        body = self.sv.blobs.get(snap_row.sha256)
        return [m.group(1).decode("utf-8", "replace").strip() for m in _LOC.finditer(body)][:MAX_SITEMAP_URLS]

    def _follow_feed(self, s: Session, source_id: int, docs: list[Document], scope: dict[str, Any]) -> list[NewJob]:
        if not scope.get("follow_items"):
            return []
        out: list[NewJob] = []
        for d in docs:
            if d.kind != "feed_item" or not d.url.startswith(("http://", "https://")):
                continue
            item_scope = Scope(host=host_of(d.url), max_depth=0, max_pages=int(scope.get("max_pages", 200)))
            out += frontier.add(s, source_id, [frontier.Candidate(d.url, 1)], payload={"scope": item_scope.as_dict()})
        return out

    def _follow_telegram(
        self, s: Session, job: Job, source_id: int, snap_row: SnapshotRow, docs: list[Document], scope: dict[str, Any]
    ) -> list[NewJob]:
        state = s.get(SourceState, source_id)
        cursor = dict(state.cursor) if state is not None else {}
        baseline = int(cursor.get("baseline_post_id", 0))
        numbers = [n for n in (telegram_post_number(d) for d in docs if d.kind == "telegram_post") if n is not None]
        if numbers and state is not None:
            cursor["max_post_id"] = max(int(cursor.get("max_post_id", 0)), max(numbers))
            state.cursor = cursor
        next_before = next((d.meta.get("next_before") for d in docs if d.meta.get("next_before")), None)
        page = int(job.payload.get("page", 1))
        if not next_before or page >= int(scope.get("max_pages", 5)):
            return []
        if numbers and min(numbers) <= baseline:
            return []  # reached posts an earlier run has read: only new posts are paged for
        base = snap_row.final_url.split("?", 1)[0]
        older = frontier.Candidate(f"{base}?before={next_before}", page, payload={"page": page + 1})
        # Older pages do not change: visited once, never scheduled again (no recrawl_s).
        return frontier.add(s, source_id, [older], payload={"scope": scope})
