"""The crawl frontier's tables: the seen-set with each URL's schedule, and each source's state.

``crawl_urls`` is the seen-set: one row per (source, canonical URL), written in the same
transaction as the fetch job that will visit it, so a URL is never lost between "seen" and
"queued". The row also carries what makes a revisit cheap (ETag, Last-Modified, the body's
SHA-256) and when the next visit is due. The ready queue itself is the ``jobs`` table.

``source_state`` holds, per source, when it last ran and is next due, and a small ``cursor``
(a Telegram channel's highest post id, for instance) that survives restarts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kuzet.records import utcnow
from kuzet.store.models import Base


class CrawlUrl(Base):
    __tablename__ = "crawl_urls"
    __table_args__ = (
        UniqueConstraint("source_id", "url_key", name="uq_crawl_url_source_key"),
        Index("ix_crawl_urls_due", "status", "next_fetch_at"),
        Index("ix_crawl_urls_host", "source_id", "host"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    url_key: Mapped[str] = mapped_column(String(2048))  # canonical URL
    url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(300))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[int] = mapped_column(Integer, default=10)  # lower is fetched first
    # queued (a fetch job exists) / done (fetched; next_fetch_at says when again) / failed
    status: Mapped[str] = mapped_column(String(16), default="queued")
    watch: Mapped[bool] = mapped_column(Boolean, default=False)  # flagged or watched: re-checked more often
    fetches: Mapped[int] = mapped_column(Integer, default=0)
    next_fetch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    etag: Mapped[str | None] = mapped_column(String(300), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    content_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)  # visits in a row that found nothing new
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, nullable=False)


class SourceState(Base):
    __tablename__ = "source_state"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), primary_key=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
