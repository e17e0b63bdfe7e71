"""Queries and upserts the stages share, so that no stage writes SQL of its own kind twice."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kuzet.records import Indicator, RegistryEntry, utcnow
from kuzet.store import audit
from kuzet.store.models import IndicatorRow, RegistryEntryRow, Resource
from kuzet.urls import host_of, telegram_channel


def get_or_create_resource(
    session: Session, key: str, kind: str = "site", meta: dict[str, Any] | None = None
) -> Resource:
    row = session.execute(select(Resource).where(Resource.key == key)).scalar_one_or_none()
    if row is not None:
        row.last_seen = utcnow()
        if meta:
            row.meta = {**(row.meta or {}), **meta}
        return row
    try:
        with session.begin_nested():
            row = Resource(key=key, kind=kind, meta=meta or {})
            session.add(row)
            session.flush()
        return row
    except IntegrityError:  # created by a concurrent worker in the meantime
        return session.execute(select(Resource).where(Resource.key == key)).scalar_one()


IP_NETWORK_KEY = "ipnet"


def registry_match_key(entry: RegistryEntry) -> str:
    """The indexed lookup key of a registry entry (see RegistryEntryRow.match_key)."""
    from kuzet.link.registry import normalise_resource

    norm = normalise_resource(entry.resource, entry.kind)
    if entry.kind == "ip":
        return IP_NETWORK_KEY if "/" in norm and not norm.endswith(("/32", "/128")) else norm.split("/")[0]
    if entry.kind == "channel":
        return norm
    return norm.removeprefix("*.").split("/", 1)[0].split("?", 1)[0]


REGISTRY_BATCH = 2000


def add_registry_entries(
    session: Session, entries: Iterable[RegistryEntry], *, origin: str, actor: str = "system"
) -> tuple[int, int]:
    """Insert entries not yet present; returns (added, already present).

    Entries go in batches: one query finds which keys of a batch exist, one bulk insert adds
    the rest. Memory holds one batch, never the whole registry (a dump has millions of rows),
    and duplicates across batches are caught by the lookup because earlier batches are flushed.
    """
    from kuzet.link.registry import entry_key

    added = present = 0
    batch: dict[str, RegistryEntry] = {}

    def flush() -> None:
        nonlocal added, present
        if not batch:
            return
        existing = set(session.scalars(select(RegistryEntryRow.key).where(RegistryEntryRow.key.in_(list(batch)))))
        rows = [
            {
                "key": key,
                "resource": e.resource,
                "kind": e.kind,
                "match_key": registry_match_key(e),
                "authority": e.authority,
                "decision_number": e.decision_number,
                "decision_date": e.decision_date,
                "legal_basis": e.legal_basis,
                "category": e.category,
                "origin": origin,
                "imported_at": utcnow(),
            }
            for key, e in batch.items()
            if key not in existing
        ]
        if rows:
            session.execute(insert(RegistryEntryRow), rows)
        added += len(rows)
        present += len(batch) - len(rows)
        batch.clear()

    for e in entries:
        key = entry_key(e)
        if key in batch:
            present += 1
            continue
        batch[key] = e
        if len(batch) >= REGISTRY_BATCH:
            flush()
    flush()
    audit.record(
        session, "registry_import", "registry", origin, actor=actor, detail={"added": added, "already_present": present}
    )
    return added, present


def row_to_entry(row: RegistryEntryRow) -> RegistryEntry:
    return RegistryEntry(
        resource=row.resource,
        kind=row.kind,  # type: ignore[arg-type]
        authority=row.authority,
        decision_number=row.decision_number,
        decision_date=row.decision_date,
        legal_basis=row.legal_basis,
        category=row.category,
    )


def registry_candidates(session: Session, url: str, server_ip: str | None = None) -> list[RegistryEntryRow]:
    """Registry rows that could match ``url``: its host and every parent domain, its channel, its IP."""
    keys = candidate_keys(url)
    if server_ip:
        with contextlib.suppress(ValueError):
            keys.add(str(ipaddress.ip_address(server_ip)))
            keys.add(IP_NETWORK_KEY)
    if not keys:
        return []
    return list(session.execute(select(RegistryEntryRow).where(RegistryEntryRow.match_key.in_(keys))).scalars())


def candidate_keys(url: str) -> set[str]:
    """Lookup keys of entries that could cover ``url``: its host, every parent domain, its channel."""
    from kuzet.link.registry import normalise_host

    keys: set[str] = set()
    host = normalise_host(host_of(url) if "://" in url else url.split("/", 1)[0])
    labels = host.split(".")
    for i in range(len(labels) - 1):
        keys.add(".".join(labels[i:]))
    keys.add(host)
    channel = telegram_channel(url if "://" in url else f"https://{url}")
    if channel:
        keys.add(f"t.me/{channel}")
    return keys


def indicator_from_row(row: IndicatorRow) -> Indicator:
    return Indicator(kind=row.kind, value=row.value, display=row.display, detail=dict(row.detail or {}))


def as_utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
