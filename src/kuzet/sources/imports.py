"""File import: content gathered elsewhere (JSONL, CSV, WARC) stored as if kuzet had fetched it.

* JSONL and CSV rows become Documents: ``url`` and ``text`` are required; ``title``, ``kind``
  (page / telegram_post / feed_item / text), ``lang``, ``published_at`` (ISO 8601) and
  ``post_id`` are read when present. A JSONL row with ``html`` instead of ``text`` becomes a
  Snapshot and goes through extraction like a fetched page.
* WARC ``response`` records become Snapshots (status, headers and body from the record) and are
  extracted like fetched pages; other records are skipped.

Each item is stored under the key ``import:<file sha256 prefix>:<n>``, so importing a file twice
adds nothing. Bodies are bounded by ``max_body_bytes``, lines by ``MAX_LINE``; a bad row is
logged with its line number and skipped.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.errors import ConfigError
from kuzet.records import Document, DocumentKind, Snapshot, utcnow
from kuzet.run.queue import NewJob
from kuzet.run.services import Services
from kuzet.store import audit
from kuzet.store.frontier import SourceState
from kuzet.store.models import SnapshotRow
from kuzet.urls import resource_key

log = logging.getLogger("kuzet.sources.imports")

MAX_LINE = 4 * 1024 * 1024
MAX_ITEMS = 1_000_000
KINDS = {"page", "telegram_post", "feed_item", "text"}
csv.field_size_limit(MAX_LINE)


def iter_records(path: Path, *, max_body: int = 10 * 1024 * 1024) -> Iterator[Document | Snapshot]:
    """Documents and Snapshots from ``path`` (.jsonl, .csv, .warc, .warc.gz), in file order."""
    name = path.name.lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        yield from _jsonl(path)
    elif name.endswith(".csv"):
        yield from _csv(path)
    elif name.endswith((".warc", ".warc.gz")):
        yield from _warc(path, max_body)
    else:
        raise ConfigError(f"{path}: unknown import format (use .jsonl, .csv, .warc or .warc.gz)")


def _document(row: dict[str, Any], where: str) -> Document | None:
    url, text = row.get("url"), row.get("text")
    if not isinstance(url, str) or not url or not isinstance(text, str):
        log.warning("%s: skipped, needs string `url` and `text`", where)
        return None
    kind = row.get("kind") if row.get("kind") in KINDS else "text"
    published = None
    if row.get("published_at"):
        try:
            published = datetime.fromisoformat(str(row["published_at"]))
        except ValueError:
            log.info("%s: unreadable published_at %r ignored", where, row["published_at"])
    return Document(
        url=url,
        kind=cast(DocumentKind, kind),
        text=text,
        title=str(row.get("title") or ""),
        lang=str(row["lang"]) if row.get("lang") else None,
        resource_key=resource_key(url),
        post_id=str(row["post_id"]) if row.get("post_id") else None,
        published_at=published,
        meta={"imported": True},
    )


def _html_snapshot(url: str, html: str) -> Snapshot:
    body = html.encode("utf-8")
    return Snapshot(
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=body,
        content_type="text/html",
        encoding="utf-8",
        fetched_at=utcnow(),
        elapsed_ms=0,
        sha256=hashlib.sha256(body).hexdigest(),
    )


def _jsonl(path: Path) -> Iterator[Document | Snapshot]:
    with path.open("rb") as f:
        for n, raw in enumerate(f, 1):
            where = f"{path}:{n}"
            if len(raw) > MAX_LINE:
                log.warning("%s: line over %d bytes skipped", where, MAX_LINE)
                continue
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                log.warning("%s: not JSON (%s), skipped", where, e)
                continue
            if not isinstance(row, dict):
                continue
            if isinstance(row.get("html"), str) and isinstance(row.get("url"), str):
                yield _html_snapshot(row["url"], row["html"])
                continue
            doc = _document(row, where)
            if doc is not None:
                yield doc


def _csv(path: Path) -> Iterator[Document]:
    with path.open(encoding="utf-8", errors="replace", newline="") as f:
        for n, row in enumerate(csv.DictReader(f), 2):
            doc = _document(dict(row), f"{path}:{n}")
            if doc is not None:
                yield doc


def _warc(path: Path, max_body: int) -> Iterator[Snapshot]:
    from warcio.archiveiterator import ArchiveIterator

    from kuzet.fetch.charset import choose_encoding
    from kuzet.fetch.sniff import media_type

    with path.open("rb") as f:
        for record in ArchiveIterator(f):
            if record.rec_type != "response" or record.http_headers is None:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            stream = record.content_stream()
            body = stream.read(max_body + 1)
            truncated = len(body) > max_body
            body = body[:max_body]
            headers = {k.lower(): v for k, v in record.http_headers.headers}
            raw_type = headers.get("content-type", "")
            status = int(record.http_headers.get_statuscode() or 0)
            yield Snapshot(
                url=url,
                final_url=url,
                status=status,
                headers=headers,
                body=body,
                content_type=media_type(raw_type),
                encoding=choose_encoding(body, raw_type) if body else None,
                fetched_at=_warc_date(record.rec_headers.get_header("WARC-Date")),
                elapsed_ms=0,
                sha256=hashlib.sha256(body).hexdigest(),
                truncated=truncated,
            )


def _warc_date(value: str | None) -> datetime:
    if value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    return utcnow()


def import_file(
    s: Session, services: Services, pipeline: Any, path: Path, *, source_id: int | None, state: SourceState | None
) -> list[NewJob]:
    """Store every record of ``path``; returns the extract/detect jobs of the new ones."""
    if not path.is_file():
        raise ConfigError(f"import file {path} does not exist")
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    tag = digest.hexdigest()[:16]
    jobs: list[NewJob] = []
    stored = 0
    for n, rec in enumerate(iter_records(path, max_body=services.settings.max_body_bytes)):
        if n >= MAX_ITEMS:
            log.warning("%s: stopped after %d items", path, MAX_ITEMS)
            break
        key = f"import:{tag}:{n}"
        if s.execute(select(SnapshotRow.id).where(SnapshotRow.job_key == key)).first() is not None:
            continue
        if isinstance(rec, Snapshot):
            row = _snapshot_row(s, services, rec, key, source_id)
            if 200 <= rec.status < 300:
                jobs.append(NewJob("extract", f"extract:{row.id}", {"snapshot_id": row.id, "source_id": source_id}))
        else:
            snap = _html_snapshot(rec.url, "")
            snap.body = rec.text.encode("utf-8")
            snap.content_type = "text/plain"
            snap.headers = {"content-type": "text/plain; charset=utf-8"}
            row = _snapshot_row(s, services, snap, key, source_id)
            doc_row = pipeline._store_document(s, row, rec)
            row.resource_id = doc_row.resource_id
            jobs.append(NewJob("detect", f"detect:{doc_row.id}"))
        stored += 1
    if state is not None:
        cursor = dict(state.cursor or {})
        cursor.setdefault("imported", {})[tag] = stored
        state.cursor = cursor
    audit.record(s, "imported", "file", str(path), detail={"sha256": digest.hexdigest(), "items": stored})
    log.info("imported %d new items from %s", stored, path)
    return jobs


def _snapshot_row(s: Session, services: Services, snap: Snapshot, key: str, source_id: int | None) -> SnapshotRow:
    blob = services.blobs.put(snap.body)
    row = SnapshotRow(
        job_key=key,
        source_id=source_id,
        url=snap.url,
        final_url=snap.final_url,
        status=snap.status,
        content_type=snap.content_type,
        encoding=snap.encoding,
        sha256=blob,
        size=len(snap.body),
        truncated=snap.truncated,
        redirects=[],
        headers=dict(snap.headers),
        elapsed_ms=0,
        fetched_at=snap.fetched_at,
    )
    s.add(row)
    s.flush()
    return row


__all__ = ["import_file", "iter_records"]
