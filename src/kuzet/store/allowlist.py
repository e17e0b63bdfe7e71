"""The allow-list in the database: add (audited), remove (audited), look up for a URL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.errors import RegistryError
from kuzet.link.allowlist import AllowEntry, AllowList, allow_entry
from kuzet.records import RegistryEntry
from kuzet.store import audit
from kuzet.store.models import AllowEntryRow
from kuzet.store.repo import candidate_keys, registry_match_key


def _match_key(entry: AllowEntry) -> str:
    return registry_match_key(RegistryEntry(resource=entry.resource, kind=entry.kind))  # type: ignore[arg-type]


def row_to_allow_entry(row: AllowEntryRow) -> AllowEntry:
    return AllowEntry(row.resource, row.kind, row.category, row.reason)


def add_allow_entries(session: Session, entries: Iterable[AllowEntry], *, origin: str, actor: str) -> tuple[int, int]:
    """Insert entries not yet present (same kind and resource); returns (added, already present)."""
    added = present = 0
    for e in entries:
        exists = session.scalar(
            select(AllowEntryRow.id).where(AllowEntryRow.kind == e.kind, AllowEntryRow.resource == e.resource)
        )
        if exists is not None:
            present += 1
            continue
        row = AllowEntryRow(
            resource=e.resource,
            kind=e.kind,
            match_key=_match_key(e),
            category=e.category,
            reason=e.reason,
            origin=origin,
            added_by=actor,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            "allowlist_added",
            "allowlist",
            row.id,
            actor=actor,
            detail={"resource": e.resource, "category": e.category, "reason": e.reason, "origin": origin},
        )
        added += 1
    return added, present


def remove_allow_entries(session: Session, resource: str, *, actor: str, reason: str) -> int:
    """Remove the entries for ``resource`` in any of the forms ``add`` stores it; returns how many."""
    forms = {resource.strip()}
    for kind in (None, "domain"):
        with contextlib.suppress(RegistryError):
            forms.add(allow_entry(resource, kind=kind).resource)
    rows = session.scalars(select(AllowEntryRow).where(AllowEntryRow.resource.in_(forms))).all()
    for r in rows:
        audit.record(
            session,
            "allowlist_removed",
            "allowlist",
            r.id,
            actor=actor,
            detail={"resource": r.resource, "category": r.category, "reason": reason},
        )
        session.delete(r)
    session.flush()
    return len(rows)


def allow_match(session: Session, url: str) -> AllowEntry | None:
    """The allow-list entry covering ``url``, or None (one indexed query)."""
    keys = candidate_keys(url)
    if not keys:
        return None
    rows = session.scalars(select(AllowEntryRow).where(AllowEntryRow.match_key.in_(keys))).all()
    return AllowList([row_to_allow_entry(r) for r in rows]).match(url) if rows else None
