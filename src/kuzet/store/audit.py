"""The append-only, hash-chained audit log.

Each event's hash is SHA-256 over the previous hash and the event's canonical JSON, so removing,
reordering or editing a row breaks the chain at that row; ``verify_chain`` finds where.
``prev_hash`` is unique, so two writers appending after the same event conflict (one retries)
instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kuzet.records import to_jsonable, utcnow
from kuzet.store.models import AuditEvent

GENESIS = "0" * 64


def _event_hash(prev: str, at: datetime, actor: str, action: str, otype: str, oid: str, detail: Any) -> str:
    body = json.dumps(
        {
            "prev": prev,
            "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "object_type": otype,
            "object_id": oid,
            "detail": detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    session: Session,
    action: str,
    object_type: str,
    object_id: object,
    *,
    actor: str = "system",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event in the caller's transaction (it commits or rolls back with the work it describes)."""
    clean = to_jsonable(detail or {})
    for _ in range(5):
        last = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar()
        prev = last or GENESIS
        at = utcnow()
        ev = AuditEvent(
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=clean,
            prev_hash=prev,
            hash=_event_hash(prev, at, actor, action, object_type, str(object_id), clean),
        )
        try:
            with session.begin_nested():
                session.add(ev)
                session.flush()
            return ev
        except IntegrityError:
            continue  # another writer appended first; chain onto its event
    raise RuntimeError("audit log: could not append after 5 attempts (heavy contention)")


def verify_chain(session: Session) -> list[str]:
    """Problems found in the chain, empty when intact."""
    problems: list[str] = []
    prev = GENESIS
    for ev in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars():
        if ev.prev_hash != prev:
            problems.append(f"event {ev.id}: prev_hash does not match the preceding event")
        expected = _event_hash(
            ev.prev_hash,
            ev.at if ev.at.tzinfo else ev.at.replace(tzinfo=UTC),
            ev.actor,
            ev.action,
            ev.object_type,
            ev.object_id,
            ev.detail,
        )
        if expected != ev.hash:
            problems.append(f"event {ev.id}: content does not match its hash")
        prev = ev.hash
    return problems
