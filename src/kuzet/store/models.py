"""Database tables (SQLAlchemy 2 declarative). Migrations live in ``store/migrations``.

Unique constraints carry the idempotency of the pipeline: a stage that runs twice for the same
input finds its row already there instead of writing a duplicate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kuzet.records import utcnow


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _ts() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class Source(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # website / telegram / feed / urls
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _ts()


class Resource(Base):
    """The unit that gets blocked: a site (registrable domain), a channel, an account, a page."""

    __tablename__ = "resources"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="site")
    first_seen: Mapped[datetime] = _ts()
    last_seen: Mapped[datetime] = _ts()
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SnapshotRow(Base):
    __tablename__ = "snapshots"
    id: Mapped[int] = mapped_column(primary_key=True)
    # The fetch job's idempotency key: one snapshot per job, however often the job runs.
    job_key: Mapped[str] = mapped_column(String(600), unique=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), nullable=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(200), default="")
    encoding: Mapped[str | None] = mapped_column(String(50), nullable=True)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    server_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    redirects: Mapped[list[Any]] = mapped_column(default=list)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_reason: Mapped[str | None] = mapped_column(String(50), nullable=True)
    fetched_at: Mapped[datetime] = _ts()


class DocumentRow(Base):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("url", "content_sha256", name="uq_document_url_content"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"), nullable=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    post_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    image_text: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str | None] = mapped_column(String(16), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    links: Mapped[list[Any]] = mapped_column(default=list)
    images: Mapped[list[Any]] = mapped_column(default=list)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _ts()


class VerdictRow(Base):
    __tablename__ = "verdicts"
    __table_args__ = (UniqueConstraint("document_id", "detector", name="uq_verdict_document_detector"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    label: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    signals: Mapped[list[Any]] = mapped_column(default=list)
    lang: Mapped[str | None] = mapped_column(String(16), nullable=True)
    detector: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = _ts()


class IndicatorRow(Base):
    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("document_id", "kind", "value", name="uq_indicator_document_kind_value"),
        Index("ix_indicator_kind_value", "kind", "value"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(300))
    display: Mapped[str] = mapped_column(String(300))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class FindingRow(Base):
    __tablename__ = "findings"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    verdict_id: Mapped[int] = mapped_column(ForeignKey("verdicts.id"))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    # The page a browser can open to show this finding (a post's channel preview page for Telegram).
    evidence_url: Mapped[str] = mapped_column(Text, default="")
    label: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(32), default="new")  # new / confirmed / dismissed
    route: Mapped[str | None] = mapped_column(String(32), nullable=True)
    rule_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    policy_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    legal_basis: Mapped[str | None] = mapped_column(Text, nullable=True)
    route_reasons: Mapped[list[Any]] = mapped_column(default=list)
    registry_entry_id: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.id"), nullable=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    created_at: Mapped[datetime] = _ts()

    bundles: Mapped[list[BundleRow]] = relationship(
        secondary="finding_evidence", order_by="BundleRow.id", viewonly=True
    )


class BundleRow(Base):
    __tablename__ = "evidence_bundles"
    id: Mapped[int] = mapped_column(primary_key=True)
    # One bundle per capture job: re-running the job re-uses the row (idempotency key).
    job_key: Mapped[str] = mapped_column(String(600), unique=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(64), default="")
    page_kind: Mapped[str] = mapped_column(String(32), default="content")
    parts: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    captured_at: Mapped[datetime] = _ts()


class FindingEvidence(Base):
    """Which bundles prove which findings: posts of one channel page share one capture."""

    __tablename__ = "finding_evidence"
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id"), primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("evidence_bundles.id"), primary_key=True)


class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Grouping key (route + resource or network); findings of one resource and route share a case.
    key: Mapped[str] = mapped_column(String(400), unique=True)
    route: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32), default="new")
    title: Mapped[str] = mapped_column(Text, default="")
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    rule_id: Mapped[str] = mapped_column(String(100), default="")
    policy_version: Mapped[str] = mapped_column(String(100), default="")
    registry_entry_id: Mapped[int | None] = mapped_column(ForeignKey("registry_entries.id"), nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()
    # The case's life (kuzet.cases): who proposed and who approved (four eyes), when it was
    # detected, sent and closed (blocked / refused / removed), for time-to-block figures.
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id"), nullable=True)
    proposed_by: Mapped[str] = mapped_column(String(200), default="")
    approved_by: Mapped[str] = mapped_column(String(200), default="")
    detected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RegistryEntryRow(Base):
    __tablename__ = "registry_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(600), unique=True)
    resource: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    # Bare host ("casino.com" for a URL, domain or "*.casino.com" entry), "t.me/name" or an IP:
    # the indexed lookup that narrows millions of entries to the few a URL can match.
    match_key: Mapped[str] = mapped_column(String(300), index=True)
    authority: Mapped[str] = mapped_column(Text, default="")
    decision_number: Mapped[str] = mapped_column(String(200), default="")
    decision_date: Mapped[str] = mapped_column(String(32), default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(64), default="")
    origin: Mapped[str] = mapped_column(Text, default="")  # file or "manual"
    imported_at: Mapped[datetime] = _ts()


class NotificationRow(Base):
    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("case_id", "kind", "lang", "fmt", name="uq_notification_case_kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(8))
    fmt: Mapped[str] = mapped_column(String(8), default="docx")
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="drafted")
    created_at: Mapped[datetime] = _ts()


class AuditEvent(Base):
    """Append-only, hash-chained: each row's hash covers its content and the previous row's hash."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = _ts()
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Unique: two writers appending after the same event conflict instead of forking the chain.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_claim", "status", "priority", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(600), unique=True)  # idempotency key
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    priority: Mapped[int] = mapped_column(Integer, default=100)  # lower runs first
    status: Mapped[str] = mapped_column(String(16), default="todo")  # todo / doing / done / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()


# ---- networks and mirrors (kuzet.link) ---------------------------------------------------------
# Resources linked through shared indicators and near-duplicate content, and the networks (stable
# connected components) they form. Written by the ``link`` stage; see kuzet.link.graph.


class TextSketchRow(Base):
    """A document's MinHash sketch; ``scheme`` names num_perm, shingles and seed, so that sketches
    of different schemes are never compared."""

    __tablename__ = "link_text_sketches"
    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    scheme: Mapped[str] = mapped_column(String(100))
    num_perm: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    shingle: Mapped[str] = mapped_column(String(64))
    shingles: Mapped[int] = mapped_column(Integer, default=0)  # how many distinct shingles the text had
    hashvalues: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = _ts()


class TextBandRow(Base):
    """LSH bands of a sketch: two sketches sharing any (scheme, band, hash) are candidates."""

    __tablename__ = "link_text_bands"
    __table_args__ = (Index("ix_link_band_lookup", "scheme", "band", "hash"),)
    sketch_id: Mapped[int] = mapped_column(ForeignKey("link_text_sketches.id"), primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme: Mapped[str] = mapped_column(String(100))
    hash: Mapped[str] = mapped_column(String(32))


class ImageHashRow(Base):
    """Perceptual hashes of a screenshot or banner image seen on a resource."""

    __tablename__ = "link_image_hashes"
    __table_args__ = (UniqueConstraint("resource_id", "ref", "algo", name="uq_link_image_resource_ref_algo"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True)
    origin: Mapped[str] = mapped_column(String(32))  # screenshot / banner
    ref: Mapped[str] = mapped_column(String(600))  # bundle part path or image URL
    algo: Mapped[str] = mapped_column(String(16), index=True)  # phash / dhash / pdq
    value: Mapped[str] = mapped_column(String(128))  # hex
    quality: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _ts()


class ResourceLinkRow(Base):
    """One piece of evidence that two resources belong together (``a_id`` < ``b_id``)."""

    __tablename__ = "resource_links"
    __table_args__ = (
        UniqueConstraint("a_id", "b_id", "kind", "value", name="uq_resource_link"),
        Index("ix_resource_link_b", "b_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    a_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    b_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    kind: Mapped[str] = mapped_column(String(32))  # indicator kind, "text_neardup", "image_neardup"
    value: Mapped[str] = mapped_column(String(300))
    display: Mapped[str] = mapped_column(String(300), default="")
    weight: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _ts()


class NetworkRow(Base):
    """A network of resources; its id never changes. A network absorbed into an older one keeps
    its row with ``merged_into`` set, so that an id once reported still resolves."""

    __tablename__ = "networks"
    id: Mapped[int] = mapped_column(primary_key=True)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("networks.id"), nullable=True)
    merge_detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _ts()
    updated_at: Mapped[datetime] = _ts()


class NetworkMemberRow(Base):
    """A resource's place in a network and the link that proves it (to ``via_resource_id``)."""

    __tablename__ = "network_members"
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey("networks.id"), index=True)
    via_resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    via_kind: Mapped[str] = mapped_column(String(32), default="")
    via_value: Mapped[str] = mapped_column(String(300), default="")
    via_display: Mapped[str] = mapped_column(String(300), default="")
    joined_at: Mapped[datetime] = _ts()


# ---- end of networks and mirrors ---------------------------------------------------------------


# ---- allow-list (kuzet.link.allowlist) ----------------------------------------------------------


class AllowEntryRow(Base):
    """A licensed operator or official source: findings on it are not routed (reason shown)."""

    __tablename__ = "allowlist"
    __table_args__ = (UniqueConstraint("kind", "resource", name="uq_allowlist_kind_resource"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(String(600))
    kind: Mapped[str] = mapped_column(String(32))
    # Bare host or "t.me/name": the indexed lookup, as for registry entries.
    match_key: Mapped[str] = mapped_column(String(300), index=True)
    category: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")
    origin: Mapped[str] = mapped_column(Text, default="")  # file or "manual"
    added_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = _ts()


# ---- case life: transitions, dispatch, answers, block checks (kuzet.cases, kuzet.dispatch) -------


class CaseEventRow(Base):
    """One state transition of a case (also in the audit log; kept here for history and figures)."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = _ts()
    actor: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text, default="")


class DispatchRow(Base):
    """A case's documents sent (or being sent) through one channel to one recipient."""

    __tablename__ = "dispatches"
    __table_args__ = (UniqueConstraint("case_id", "channel", "target", name="uq_dispatch_case_channel_target"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # smtp / webhook / outbox
    target: Mapped[str] = mapped_column(Text)  # address, endpoint URL or folder
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending / sent / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload_sha256: Mapped[str] = mapped_column(String(64), default="")
    reference: Mapped[str] = mapped_column(String(300), default="")  # Message-ID, receipt number
    created_at: Mapped[datetime] = _ts()
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CaseAnswerRow(Base):
    """An answer from the authority (acknowledged, blocked, refused...), recorded by a person or API."""

    __tablename__ = "case_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = _ts()
    recorded_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = _ts()


class BlockCheckRow(Base):
    """One re-check of a sent resource from the monitoring vantage point, and what it found."""

    __tablename__ = "block_checks"
    __table_args__ = (Index("ix_block_checks_case_time", "case_id", "checked_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), nullable=True)
    url: Mapped[str] = mapped_column(Text)
    # reachable_same / reachable_changed / dns_failure / connection_reset / timeout / block_page /
    # removed / moved_to_mirror / http_error
    outcome: Mapped[str] = mapped_column(String(32))
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checked_at: Mapped[datetime] = _ts()


# The frontier's tables live with their own models; imported so that Base.metadata (and Alembic's
# autogenerate) sees every table.
from kuzet.store import frontier  # noqa: E402, F401
