"""The pipeline's stage handlers: fetch → extract → detect → capture → link → triage → notify.

Each handler takes one job, writes its rows in the job's transaction and returns the jobs that
follow. Job keys are derived from the input (``fetch:<source>:<canonical url>``,
``detect:<document id>`` ...) and every output row is unique on its input, so running a job
twice — after a crash, or because a queue delivered it twice — writes nothing new.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kuzet.errors import CaptureError, EvidenceError, FetchError
from kuzet.records import Document, Snapshot, TriageContext, signal_from_json, to_jsonable, utcnow
from kuzet.run.queue import STAGE_PRIORITY, Job, NewJob
from kuzet.run.runner import Handler
from kuzet.run.services import Services
from kuzet.store import audit
from kuzet.store.allowlist import allow_match
from kuzet.store.models import (
    BundleRow,
    CaseRow,
    DocumentRow,
    FindingEvidence,
    FindingRow,
    IndicatorRow,
    JobRow,
    Resource,
    SnapshotRow,
    VerdictRow,
)
from kuzet.store.repo import get_or_create_resource, indicator_from_row, registry_candidates, row_to_entry
from kuzet.urls import canonical_url, host_of

log = logging.getLogger("kuzet.pipeline")

MAX_IMAGES_PER_DOCUMENT = 4
ANY_CONTENT = "any"
MAX_IMAGE_BYTES = 5 * 1024 * 1024


def fetch_job(
    url: str, *, source_id: int | None, depth: int = 0, scope: dict[str, Any] | None = None, page: int = 1
) -> NewJob:
    return NewJob(
        "fetch",
        f"fetch:{source_id or 0}:{canonical_url(url)}",
        {"url": url, "source_id": source_id, "depth": depth, "scope": scope, "page": page},
    )


def in_scope(url: str, scope: dict[str, Any]) -> bool:
    if not url.startswith(("http://", "https://")):
        return False
    if host_of(url) != scope.get("host"):
        return False
    path = url.split("://", 1)[1].split("/", 1)[1] if "/" in url.split("://", 1)[1] else ""
    return ("/" + path).startswith(scope.get("prefix", "/"))


class Pipeline:
    def __init__(self, services: Services) -> None:
        self.sv = services
        self._image_cache: dict[str, str] = {}
        self._linker: Any = None

    def handlers(self) -> dict[str, Handler]:
        return {
            "fetch": self.fetch,
            "extract": self.extract,
            "detect": self.detect,
            "capture": self.capture,
            "link": self.link,
            "triage": self.triage,
            "notify": self.notify,
            "render": self.render,
        }

    # -- fetch ---------------------------------------------------------------------------
    def fetch(self, s: Session, job: Job) -> list[NewJob]:
        existing = s.execute(select(SnapshotRow).where(SnapshotRow.job_key == job.key)).scalar_one_or_none()
        if existing is not None:
            return [] if existing.error else [NewJob("extract", f"extract:{existing.id}", job.payload)]
        url = job.payload["url"]
        try:
            snap = self.sv.fetcher.fetch(url)
        except FetchError as e:
            row = SnapshotRow(
                job_key=job.key,
                source_id=job.payload.get("source_id"),
                url=url,
                final_url=url,
                error=str(e),
                error_reason=e.reason,
            )
            s.add(row)
            s.flush()
            audit.record(
                s, "fetch_failed", "snapshot", row.id, detail={"url": url, "reason": e.reason, "error": str(e)}
            )
            return []
        blob = self.sv.blobs.put(snap.body)
        # The resource is set by extract: a channel preview's resource is its channel, not its host.
        row = SnapshotRow(
            job_key=job.key,
            source_id=job.payload.get("source_id"),
            url=snap.url,
            final_url=snap.final_url,
            status=snap.status,
            content_type=snap.content_type,
            encoding=snap.encoding,
            sha256=blob,
            size=len(snap.body),
            truncated=snap.truncated,
            server_ip=snap.server_ip,
            redirects=list(snap.redirects),
            headers=dict(snap.headers),
            elapsed_ms=snap.elapsed_ms,
            error=snap.error,
            error_reason=snap.error_reason,
            fetched_at=snap.fetched_at,
        )
        s.add(row)
        s.flush()
        audit.record(
            s,
            "fetched",
            "snapshot",
            row.id,
            detail={"url": snap.url, "final_url": snap.final_url, "status": snap.status, "sha256": blob},
        )
        if not (200 <= snap.status < 300):
            return []
        return [NewJob("extract", f"extract:{row.id}", {**job.payload, "snapshot_id": row.id})]

    # -- extract -------------------------------------------------------------------------
    def extract(self, s: Session, job: Job) -> list[NewJob]:
        from kuzet.extract import extract

        snap_row = s.get(SnapshotRow, int(job.key.split(":", 1)[1]))
        if snap_row is None:
            return []
        snap = _snapshot_record(snap_row, self.sv.blobs.get(snap_row.sha256))
        docs = extract(snap)
        out: list[NewJob] = []
        for doc in docs:
            row = self._store_document(s, snap_row, doc)
            snap_row.resource_id = snap_row.resource_id or row.resource_id
            out.append(NewJob("detect", f"detect:{row.id}"))
        out.extend(self._follow(s, job, snap_row, docs))
        audit.record(s, "extracted", "snapshot", snap_row.id, detail={"documents": len(docs)})
        return out

    def _store_document(self, s: Session, snap_row: SnapshotRow, doc: Document) -> DocumentRow:
        digest = hashlib.sha256(f"{doc.url}\n{doc.title}\n{doc.text}".encode()).hexdigest()
        row = s.execute(
            select(DocumentRow).where(DocumentRow.url == doc.url, DocumentRow.content_sha256 == digest)
        ).scalar_one_or_none()
        if row is not None:
            return row
        res_kind = "channel" if doc.resource_kind == "channel" else "site"
        res = get_or_create_resource(
            s, doc.resource_key or _resource_key_for(doc.url), res_kind, meta=_resource_meta(doc)
        )
        row = DocumentRow(
            snapshot_id=snap_row.id,
            resource_id=res.id,
            url=doc.url,
            kind=doc.kind,
            post_id=doc.post_id,
            title=doc.title[:2000],
            text=doc.text,
            lang=doc.lang,
            published_at=doc.published_at,
            links=doc.links[:500],
            images=doc.images[:100],
            meta=to_jsonable(doc.meta),
            content_sha256=digest,
        )
        s.add(row)
        s.flush()
        return row

    def _follow(self, s: Session, job: Job, snap_row: SnapshotRow, docs: list[Document]) -> list[NewJob]:
        """Links in scope of a website source, and older pages of a Telegram channel preview."""
        scope = job.payload.get("scope")
        if not scope:
            return []
        source_id = job.payload.get("source_id")
        depth = int(job.payload.get("depth", 0))
        max_pages = int(scope.get("max_pages", 50))
        queued = (
            s.execute(
                select(func.count()).select_from(JobRow).where(JobRow.key.like(f"fetch:{source_id or 0}:%"))
            ).scalar()
            or 0
        )
        out: list[NewJob] = []
        next_before = next((d.meta.get("next_before") for d in docs if d.meta.get("next_before")), None)
        if next_before and scope.get("kind") == "telegram":
            page = int(job.payload.get("page", 1))
            if page < int(scope.get("max_pages", 3)):
                base = snap_row.final_url.split("?", 1)[0]
                out.append(fetch_job(f"{base}?before={next_before}", source_id=source_id, scope=scope, page=page + 1))
            return out
        if depth >= int(scope.get("max_depth", 2)):
            return out
        for d in docs:
            if d.kind != "page" or d.meta.get("nofollow"):
                continue
            for link in d.links:
                if queued + len(out) >= max_pages:
                    return out
                link = link.split("#", 1)[0]
                if in_scope(link, scope) and not _looks_binary(link):
                    out.append(fetch_job(link, source_id=source_id, depth=depth + 1, scope=scope))
        return out

    # -- detect --------------------------------------------------------------------------
    def detect(self, s: Session, job: Job) -> list[NewJob]:
        doc_row = s.get(DocumentRow, int(job.key.split(":", 1)[1]))
        if doc_row is None:
            return []
        detector = self.sv.detector
        detector_name = getattr(detector, "name", detector.__class__.__name__)
        existing = s.execute(
            select(VerdictRow).where(VerdictRow.document_id == doc_row.id, VerdictRow.detector == detector_name)
        ).scalar_one_or_none()
        if existing is None:
            snap_row = s.get(SnapshotRow, doc_row.snapshot_id) if doc_row.snapshot_id else None
            html = None
            if doc_row.kind == "page" and snap_row is not None and "html" in (snap_row.content_type or ""):
                html = self.sv.blobs.get(snap_row.sha256).decode(snap_row.encoding or "utf-8", errors="replace")
            image_text = read_images(self.sv, doc_row.images or [], self._image_cache)
            doc_row.image_text = image_text
            verdict = detector.detect(
                doc_row.text, title=detection_title(doc_row.kind, doc_row.title), image_text=image_text, html=html
            )
            existing = VerdictRow(
                document_id=doc_row.id,
                label=verdict.label,
                score=verdict.score,
                scores=verdict.scores,
                signals=to_jsonable(verdict.signals),
                lang=verdict.lang,
                detector=detector_name,
            )
            s.add(existing)
            if verdict.lang and not doc_row.lang:
                doc_row.lang = verdict.lang
            seen: set[tuple[str, str]] = set()
            for ind in verdict.indicators:
                if (ind.kind, ind.value) in seen or not ind.valid:
                    continue
                seen.add((ind.kind, ind.value))
                s.add(
                    IndicatorRow(
                        document_id=doc_row.id,
                        resource_id=doc_row.resource_id,
                        kind=ind.kind,
                        value=ind.value[:300],
                        display=ind.display[:300],
                        detail=to_jsonable(ind.detail),
                    )
                )
            s.flush()
            audit.record(
                s,
                "classified",
                "document",
                doc_row.id,
                detail={"label": verdict.label, "score": round(verdict.score, 4), "detector": detector_name},
            )
        if existing.label == "benign" or existing.score < self.sv.settings.evidence_threshold:
            return []
        finding = s.execute(select(FindingRow).where(FindingRow.document_id == doc_row.id)).scalar_one_or_none()
        if finding is None:
            evidence_url = doc_row.url
            if doc_row.kind == "telegram_post" and doc_row.snapshot_id:
                # The post's own page on the host that served the preview (t.me, or a local copy).
                snap_row = s.get(SnapshotRow, doc_row.snapshot_id)
                evidence_url = telegram_post_page(snap_row.final_url, doc_row.url) if snap_row else doc_row.url
            # Canonical, because the capture job is keyed on it and links every finding shown at
            # that address: a feed link with ?utm_source=... is the same page as the bare URL.
            evidence_url = canonical_url(evidence_url)
            finding = FindingRow(
                document_id=doc_row.id,
                verdict_id=existing.id,
                resource_id=doc_row.resource_id,
                url=doc_row.url,
                evidence_url=evidence_url,
                label=existing.label,
                score=existing.score,
            )
            s.add(finding)
            s.flush()
            audit.record(
                s,
                "finding_created",
                "finding",
                finding.id,
                detail={"url": doc_row.url, "label": existing.label, "score": round(existing.score, 4)},
            )
        # Keyed on the address and what it shows: a re-check that finds the same content adds no
        # capture; one that finds changed content is captured again.
        # A feed item's text is a summary, not what its link shows: any capture of the linked page
        # serves it, so its job runs after the pages' captures and re-uses theirs.
        shows_page = doc_row.kind in ("page", "telegram_post")
        content = content_key(doc_row.title, doc_row.text) if shows_page else ANY_CONTENT
        payload: dict[str, Any] = {"url": finding.evidence_url, "content": content}
        if doc_row.kind == "telegram_post" and finding.evidence_url != finding.url:
            payload["preview_url"] = telegram_preview_page(finding.evidence_url)
        key = f"capture:{canonical_url(finding.evidence_url)}:{content}"
        return [NewJob("capture", key, payload, priority=None if shows_page else STAGE_PRIORITY["capture"] + 1)]

    # -- capture -------------------------------------------------------------------------
    def capture(self, s: Session, job: Job) -> list[NewJob]:
        url = job.payload["url"]
        bundle_row = s.execute(select(BundleRow).where(BundleRow.job_key == job.key)).scalar_one_or_none()
        if bundle_row is None and job.payload.get("content") == ANY_CONTENT:
            bundle_row = s.execute(
                select(BundleRow).where(BundleRow.url == url).order_by(BundleRow.id.desc()).limit(1)
            ).scalar_one_or_none()
        if bundle_row is None:
            # Named by the job key: a capture killed half-way is redone in the same folder,
            # leaving no orphan bundle behind.
            out_dir = self.sv.settings.evidence_dir / hashlib.sha256(job.key.encode()).hexdigest()[:24]
            if out_dir.exists():
                shutil.rmtree(out_dir)
            try:
                if job.payload.get("preview_url"):
                    bundle = self.sv.capture.capture_telegram_post(
                        url, job.payload["preview_url"], out_dir, case_ref=job.key
                    )
                else:
                    bundle = self.sv.capture.capture(url, out_dir, case_ref=job.key)
            except CaptureError as e:
                # No browser at all: the findings still go to triage, marked as lacking evidence;
                # the capture is retried when the resource is re-checked.
                audit.record(s, "capture_failed", "url", url, detail={"error": str(e)})
                return self._link_jobs(s, url, None, job.payload.get("content"))
            shown = s.execute(select(FindingRow.resource_id).where(FindingRow.evidence_url == url).limit(1)).scalar()
            bundle_row = BundleRow(
                job_key=job.key,
                resource_id=shown,
                url=url,
                final_url=bundle.final_url,
                path=str(bundle.path),
                manifest_sha256=bundle.manifest_sha256,
                key_id=bundle.key_id,
                page_kind=bundle.page_kind,
                parts=to_jsonable(bundle.parts),
                error=bundle.error,
                captured_at=bundle.captured_at,
            )
            self._write_reports(bundle.path)
            s.add(bundle_row)
            s.flush()
            audit.record(
                s,
                "evidence_sealed",
                "bundle",
                bundle_row.id,
                detail={
                    "url": url,
                    "manifest_sha256": bundle.manifest_sha256,
                    "page_kind": bundle.page_kind,
                    "path": str(bundle.path),
                },
            )
        return self._link_jobs(s, url, bundle_row, job.payload.get("content"))

    def _write_reports(self, path: Path) -> None:
        """The inspection reports (ru, kk PDF); a bundle stays valid without them, so failures only log."""
        try:
            self.sv.capture.write_report(path)
        except (EvidenceError, CaptureError) as e:
            log.warning("inspection report for %s not written: %s", path, e)

    def _link_jobs(self, s: Session, url: str, bundle_row: BundleRow | None, content: str | None) -> list[NewJob]:
        """Tie every finding shown at ``url`` with this content to the bundle and send each to link."""
        rows = s.execute(
            select(FindingRow, DocumentRow.title, DocumentRow.text)
            .join(DocumentRow, DocumentRow.id == FindingRow.document_id)
            .where(FindingRow.evidence_url == url)
        ).all()
        findings = [
            f for f, title, text in rows if content in (None, ANY_CONTENT) or content_key(title, text) == content
        ]
        out: list[NewJob] = []
        for f in findings:
            if bundle_row is not None and s.get(FindingEvidence, (f.id, bundle_row.id)) is None:
                s.add(FindingEvidence(finding_id=f.id, bundle_id=bundle_row.id))
            out.append(NewJob("link", f"link:{f.id}"))
        s.flush()
        return out

    # -- link ----------------------------------------------------------------------------
    def link(self, s: Session, job: Job) -> list[NewJob]:
        from kuzet.link.stage import Linker

        finding_id = int(job.key.split(":", 1)[1])
        if self._linker is None:
            self._linker = Linker(fetch_image=lambda url: self.sv.fetcher.fetch_bytes(url, max_bytes=MAX_IMAGE_BYTES))
        self._linker.link_finding(s, finding_id)
        return [NewJob("triage", f"triage:{finding_id}")]

    # -- triage --------------------------------------------------------------------------
    def triage(self, s: Session, job: Job) -> list[NewJob]:
        from kuzet.link.mirror import decision_row_id, fill_network_context

        finding = s.get(FindingRow, int(job.key.split(":", 1)[1]))
        if finding is None:
            return []
        if finding.route is None:
            doc = s.get(DocumentRow, finding.document_id)
            verdict = s.get(VerdictRow, finding.verdict_id)
            snap = s.get(SnapshotRow, doc.snapshot_id) if doc and doc.snapshot_id else None
            resource = s.get(Resource, finding.resource_id) if finding.resource_id else None
            resource_key = resource.key if resource else _resource_key_for(finding.url)
            candidates = registry_candidates(s, finding.url, snap.server_ip if snap else None)
            if finding.evidence_url != finding.url:
                candidates += registry_candidates(s, finding.evidence_url)
            matches = self._match_registry(finding.url, candidates)
            indicators = site_indicators(s, finding, whole_site=bool(doc and doc.kind == "page"))
            meta = (doc.meta if doc else {}) or {}
            ctx = TriageContext(
                label=finding.label,
                score=finding.score,
                resource_key=resource_key,
                url=finding.url,
                registry_matches=[row_to_entry(r) for r in matches],
                indicators=[indicator_from_row(i) for i in indicators],
                signals=[],
                subscribers=_int_or_none(meta.get("subscribers")),
                views=_int_or_none(meta.get("views")),
                amounts=[float(i.detail.get("amount", 0)) for i in indicators if i.kind == "amount"],
            )
            if verdict is not None:
                ctx.signals = [signal_from_json(sig) for sig in (verdict.signals or []) if isinstance(sig, dict)]
            allowed = allow_match(s, finding.url) or (
                allow_match(s, finding.evidence_url) if finding.evidence_url != finding.url else None
            )
            if allowed is not None:
                ctx.allowlisted, ctx.allowlist_reason = True, allowed.describe()
            network = fill_network_context(s, ctx, finding.resource_id)
            decision = self.sv.policy.decide(ctx)
            finding.route = decision.route
            finding.rule_id = decision.rule_id
            finding.policy_version = decision.policy_version
            finding.legal_basis = decision.legal_basis
            finding.route_reasons = list(decision.reasons)
            if decision.registry_entry is not None and matches:
                finding.registry_entry_id = next(
                    (r.id for r in matches if row_to_entry(r) == decision.registry_entry), matches[0].id
                )
            elif decision.registry_entry is not None:  # a mirror, blocked under a member's decision
                finding.registry_entry_id = decision_row_id(network, decision.registry_entry)
            audit.record(
                s,
                "route_proposed",
                "finding",
                finding.id,
                detail={
                    "route": decision.route,
                    "rule": decision.rule_id,
                    "policy_version": decision.policy_version,
                    "reasons": decision.reasons,
                },
            )
            if decision.route != "none":
                case = self._case_for(s, finding, resource_key, decision, ctx.network_id)
                finding.case_id = case.id
        if finding.case_id is None:
            return []
        return [NewJob("notify", f"notify:{finding.case_id}")]

    def _match_registry(self, url: str, candidates: list[Any]) -> list[Any]:
        if not candidates:
            return []
        from kuzet.link.registry import RegistryMatcher

        entries = [row_to_entry(r) for r in candidates]
        matched = RegistryMatcher(entries).match(url)
        return [r for r, e in zip(candidates, entries, strict=True) if e in matched]

    def _case_for(
        self, s: Session, finding: FindingRow, resource_key: str, decision: Any, network_id: int | None
    ) -> CaseRow:
        """The open case of this route for the finding's network (one notification for a whole
        network, with every URL in its annex), or for its resource when it has no network."""
        key = f"{decision.route}:network:{network_id}" if network_id else f"{decision.route}:{resource_key}"
        case = s.execute(select(CaseRow).where(CaseRow.key == key)).scalar_one_or_none()
        if case is None:
            title = f"{finding.label}: {resource_key}" + (f" (network {network_id})" if network_id else "")
            case = CaseRow(
                key=key,
                route=decision.route,
                status="new",
                title=title,
                resource_id=finding.resource_id,
                network_id=network_id,
                legal_basis=decision.legal_basis,
                rule_id=decision.rule_id,
                policy_version=decision.policy_version,
                registry_entry_id=finding.registry_entry_id,
                detected_at=finding.created_at,
            )
            s.add(case)
            s.flush()
            audit.record(s, "case_opened", "case", case.id, detail={"key": key, "route": decision.route})
        elif finding.registry_entry_id is not None and (
            case.registry_entry_id is None or decision.rule_id == "registry-match"
        ):
            # The listed member's own decision is the one a network's notification rests on, and
            # the case is named after that member rather than after whichever mirror came first.
            case.registry_entry_id = finding.registry_entry_id
            case.legal_basis, case.rule_id = decision.legal_basis, decision.rule_id
            if network_id and decision.rule_id == "registry-match":
                case.title = f"{finding.label}: {resource_key} (network {network_id})"
        if finding.created_at is not None and (case.detected_at is None or finding.created_at < case.detected_at):
            case.detected_at = finding.created_at
        case.updated_at = utcnow()
        return case

    # -- notify --------------------------------------------------------------------------
    def notify(self, s: Session, job: Job) -> list[NewJob]:
        from kuzet.run.drafting import draft_case_documents

        case = s.get(CaseRow, int(job.key.split(":", 1)[1]))
        if case is None:
            return []
        draft_case_documents(s, case, self.sv.settings, self.sv.policy)
        return [NewJob("render", f"render:{case.id}")]

    # -- render --------------------------------------------------------------------------
    def render(self, s: Session, job: Job) -> list[NewJob]:
        """PDFs of every document drafted so far, in one LibreOffice run (the first render job
        after the drafting barrier does them all; the others find nothing pending)."""
        from kuzet.run.drafting import render_pending_pdfs

        render_pending_pdfs(s)
        return []


# -- helpers ------------------------------------------------------------------------------


MAX_SITE_INDICATORS = 500


def site_indicators(s: Session, finding: FindingRow, *, whole_site: bool) -> list[IndicatorRow]:
    """The finding's own identifiers, then (``whole_site``) those of other pages of the same site:
    whether a site takes deposits itself (a card or wallet on its payments page) is a fact about
    the site. Posts of a channel are separate pieces and keep their own."""
    own = list(s.execute(select(IndicatorRow).where(IndicatorRow.document_id == finding.document_id)).scalars())
    if finding.resource_id is None or not whole_site:
        return own
    seen = {(i.kind, i.value) for i in own}
    others = s.execute(
        select(IndicatorRow)
        .where(IndicatorRow.resource_id == finding.resource_id, IndicatorRow.document_id != finding.document_id)
        .order_by(IndicatorRow.id)
        .limit(MAX_SITE_INDICATORS)
    ).scalars()
    for i in others:
        if (i.kind, i.value) not in seen:
            seen.add((i.kind, i.value))
            own.append(i)
    return own


def content_key(title: str, text: str) -> str:
    """Short digest of what a document shows (not where): the same page reached by two links agrees."""
    return hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:16]


def telegram_post_page(served_from: str, post_url: str) -> str:
    """``https://t.me/NAME/ID`` re-based on the scheme and host that served the channel preview."""
    base = urlsplit(served_from)
    path = urlsplit(post_url).path
    return urlunsplit((base.scheme, base.netloc, path, "", ""))


def telegram_preview_page(post_page: str) -> str:
    """The channel preview around a post: ``/NAME/ID`` -> ``/s/NAME/ID`` on the same host."""
    parts = urlsplit(post_page)
    return urlunsplit((parts.scheme, parts.netloc, "/s" + parts.path, "", ""))


def detection_title(kind: str, title: str) -> str:
    """The title detection reads: a post is judged on its own text, not on its channel's name."""
    return "" if kind == "telegram_post" else title


def read_images(services: Services, urls: list[Any], cache: dict[str, str]) -> str:
    """OCR and QR text of a document's first images (banners); each URL fetched and read once."""
    texts: list[str] = []
    for url in urls[:MAX_IMAGES_PER_DOCUMENT]:
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        if url not in cache:
            cache[url] = _read_image(services, url)
        if cache[url]:
            texts.append(cache[url])
    return "\n".join(texts)


def _read_image(services: Services, url: str) -> str:
    try:
        data = services.fetcher.fetch_bytes(url, max_bytes=MAX_IMAGE_BYTES)
        result = services.read_image(data)
    except FetchError as e:
        log.info("image %s not fetched: %s", url, e)
        return ""
    except Exception as e:  # noqa: BLE001 - a bad image never fails the document
        log.warning("image %s not read: %s: %s", url, e.__class__.__name__, e)
        return ""
    parts = [result.text.strip()] if result.text.strip() else []
    parts += [f"QR: {q}" for q in result.qr]
    return "\n".join(parts)


def _resource_key_for(url: str) -> str:
    from kuzet.urls import resource_key

    return resource_key(url) or url


def _resource_meta(doc: Document) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for k in ("subscribers", "channel_title"):
        if doc.meta.get(k) is not None:
            meta[k] = doc.meta[k]
    return meta


def _snapshot_record(row: SnapshotRow, body: bytes) -> Snapshot:
    return Snapshot(
        url=row.url,
        final_url=row.final_url or row.url,
        status=row.status,
        headers=dict(row.headers or {}),
        body=body,
        content_type=row.content_type,
        encoding=row.encoding,
        fetched_at=row.fetched_at or utcnow(),
        elapsed_ms=row.elapsed_ms,
        redirects=list(row.redirects or []),
        server_ip=row.server_ip,
        sha256=row.sha256,
        truncated=row.truncated,
    )


def _int_or_none(v: Any) -> int | None:
    try:
        return int(v) if v is not None else None
    except (TypeError, ValueError):
        return None


def _looks_binary(url: str) -> bool:
    path = url.split("?", 1)[0].lower()
    return path.endswith(
        (
            ".png",
            ".jpg",
            ".jpeg",
            ".gif",
            ".webp",
            ".svg",
            ".ico",
            ".pdf",
            ".zip",
            ".exe",
            ".apk",
            ".mp4",
            ".mp3",
            ".css",
            ".js",
            ".woff",
            ".woff2",
        )
    )
