"""The notify stage's glue: turn a case's stored findings, verdicts and bundles into records and
draft its documents (Russian and Kazakh DOCX) through ``kuzet.notify``."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.notify import build_context, render_document
from kuzet.records import (
    CapturePart,
    EvidenceBundle,
    Indicator,
    RouteDecision,
    Signal,
    Verdict,
    signal_from_json,
)
from kuzet.settings import Settings
from kuzet.store import audit
from kuzet.store.models import (
    BundleRow,
    CaseRow,
    FindingEvidence,
    FindingRow,
    IndicatorRow,
    NotificationRow,
    RegistryEntryRow,
    VerdictRow,
)
from kuzet.store.repo import as_utc, indicator_from_row, row_to_entry
from kuzet.triage.policy import Policy

LANGS = ("ru", "kk")
# Enough quoted signals for a justification without turning it into a dump of every match.
MAX_SIGNALS = 40


def bundle_record(row: BundleRow) -> EvidenceBundle:
    parts = [
        CapturePart(
            name=str(p.get("name", "")),
            status=p.get("status", "failed"),
            path=p.get("path"),
            sha256=p.get("sha256"),
            size=int(p.get("size") or 0),
            media_type=str(p.get("media_type") or ""),
            error=p.get("error"),
        )
        for p in (row.parts or [])
        if isinstance(p, dict)
    ]
    return EvidenceBundle(
        path=Path(row.path),
        url=row.url,
        final_url=row.final_url or row.url,
        captured_at=as_utc(row.captured_at) or row.captured_at,
        manifest_sha256=row.manifest_sha256,
        parts=parts,
        key_id=row.key_id,
        page_kind=row.page_kind,  # type: ignore[arg-type]
        error=row.error,
    )


def case_verdict(s: Session, findings: list[FindingRow]) -> Verdict:
    """One verdict for the whole case: the strongest finding's label and score, every finding's signals."""
    top = max(findings, key=lambda f: f.score)
    signals: list[Signal] = []
    indicators: list[Indicator] = []
    seen_ind: set[tuple[str, str]] = set()
    for f in sorted(findings, key=lambda f: -f.score):
        v = s.get(VerdictRow, f.verdict_id)
        if v is not None:
            signals.extend(signal_from_json(x) for x in (v.signals or []) if isinstance(x, dict))
        for i in s.execute(select(IndicatorRow).where(IndicatorRow.document_id == f.document_id)).scalars():
            if (i.kind, i.value) not in seen_ind:
                seen_ind.add((i.kind, i.value))
                indicators.append(indicator_from_row(i))
    return Verdict(
        label=top.label,
        score=top.score,
        scores={top.label: top.score},
        signals=signals[:MAX_SIGNALS],
        indicators=indicators,
    )


def draft_case_documents(s: Session, case: CaseRow, settings: Settings, policy: Policy) -> list[NotificationRow]:
    findings = list(
        s.execute(select(FindingRow).where(FindingRow.case_id == case.id).order_by(FindingRow.id)).scalars()
    )
    if not findings:
        return []
    # An id subquery, not DISTINCT over the rows: PostgreSQL cannot compare JSON columns.
    shown = select(FindingEvidence.bundle_id).where(FindingEvidence.finding_id.in_([f.id for f in findings]))
    bundle_rows = list(s.execute(select(BundleRow).where(BundleRow.id.in_(shown)).order_by(BundleRow.id)).scalars())
    registry = s.get(RegistryEntryRow, case.registry_entry_id) if case.registry_entry_id else None
    decision = RouteDecision(
        route=case.route,
        rule_id=case.rule_id,
        legal_basis=case.legal_basis,
        policy_version=case.policy_version,
        registry_entry=row_to_entry(registry) if registry else None,
    )
    verdict = case_verdict(s, findings)
    urls = list(dict.fromkeys(f.url for f in findings))
    first_seen = {}
    for f in findings:
        if f.url not in first_seen and f.created_at is not None:
            first_seen[f.url] = as_utc(f.created_at)
    network_link = _network_link(s, findings)
    out_dir = settings.documents_dir / f"case-{case.id}"
    rows: list[NotificationRow] = []
    for lang in LANGS:
        ctx = build_context(
            decision=decision,
            verdict=verdict,
            urls=urls,
            bundles=[bundle_record(b) for b in bundle_rows],
            lang=lang,  # type: ignore[arg-type]
            doc_id=f"KZT-{case.id:06d}",
            policy=policy,
            first_seen=first_seen,  # type: ignore[arg-type]
            network_link=network_link,
        )
        existing = s.execute(
            select(NotificationRow).where(
                NotificationRow.case_id == case.id,
                NotificationRow.kind == ctx.kind,
                NotificationRow.lang == lang,
                NotificationRow.fmt == "docx",
            )
        ).scalar_one_or_none()
        path = render_document(ctx, out_dir, templates_dir=settings.templates_dir)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if existing is None:
            existing = NotificationRow(
                case_id=case.id, kind=ctx.kind, lang=lang, fmt="docx", path=str(path), sha256=digest
            )
            s.add(existing)
        else:
            existing.path, existing.sha256 = str(path), digest
        s.flush()
        audit.record(
            s,
            "document_drafted",
            "case",
            case.id,
            detail={"kind": ctx.kind, "lang": lang, "path": str(path), "sha256": digest, "findings": len(findings)},
        )
        rows.append(existing)
        rows.append(_pdf_pending(s, case.id, ctx.kind, lang, path))
    # The case stays "new": a draft is a proposal until a supervisor approves it (four-eyes rule).
    return rows


def _network_link(s: Session, findings: list[FindingRow]) -> dict[str, str]:
    """The chain of shared identifiers tying a mirror of the case to its registry-listed member
    (ru / kk words for {link}); empty when the case rests on no network link."""
    from kuzet.link.mirror import network_link_words

    for rid in dict.fromkeys(f.resource_id for f in findings if f.resource_id is not None):
        words = network_link_words(s, rid)
        if words:
            return words
    return {}


def _pdf_pending(s: Session, case_id: int, kind: str, lang: str, docx: Path) -> NotificationRow:
    """The PDF twin of a DOCX, marked pending: LibreOffice converts all pending ones in one run."""
    row = s.execute(
        select(NotificationRow).where(
            NotificationRow.case_id == case_id,
            NotificationRow.kind == kind,
            NotificationRow.lang == lang,
            NotificationRow.fmt == "pdf",
        )
    ).scalar_one_or_none()
    if row is None:
        row = NotificationRow(case_id=case_id, kind=kind, lang=lang, fmt="pdf", path="", sha256="")
        s.add(row)
    row.path, row.sha256, row.status = str(docx.with_suffix(".pdf")), "", "pending"
    s.flush()
    return row


def render_pending_pdfs(s: Session, *, case_id: int | None = None) -> tuple[int, int]:
    """Convert every pending PDF (of one case, or all) from its DOCX; returns (made, failed).

    A failure leaves the row pending (the DOCX stays the document) and is audited with the
    reason, so that a missing LibreOffice or a crash loses nothing and the next run retries.
    """
    from kuzet.notify.pdf import convert_to_pdf

    q = select(NotificationRow).where(NotificationRow.fmt == "pdf", NotificationRow.status == "pending")
    if case_id is not None:
        q = q.where(NotificationRow.case_id == case_id)
    pending = list(s.execute(q.order_by(NotificationRow.id)).scalars())
    if not pending:
        return 0, 0
    docx_of = {row.id: Path(row.path).with_suffix(".docx") for row in pending}
    results = convert_to_pdf(list(docx_of.values()))
    made = failed = 0
    for row in pending:
        result = results.get(docx_of[row.id], "not converted")
        if isinstance(result, Path):
            row.path, row.sha256, row.status = str(result), hashlib.sha256(result.read_bytes()).hexdigest(), "drafted"
            made += 1
            audit.record(
                s,
                "document_drafted",
                "case",
                row.case_id,
                detail={"kind": row.kind, "lang": row.lang, "path": row.path, "sha256": row.sha256, "format": "pdf"},
            )
        else:
            failed += 1
            audit.record(
                s,
                "document_failed",
                "case",
                row.case_id,
                detail={"kind": row.kind, "lang": row.lang, "format": "pdf", "error": result},
            )
    s.flush()
    return made, failed
