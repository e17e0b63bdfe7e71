"""Rows for network tests: resources with a flagged document carrying given indicators."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from kuzet.records import RegistryEntry
from kuzet.store.models import DocumentRow, FindingRow, IndicatorRow, Resource, VerdictRow
from kuzet.store.repo import add_registry_entries

_SEQ = itertools.count(1)
LISTED = RegistryEntry(
    "vulkan-royal.test", "domain", "Министерство культуры и информации", "МКИ-17-4/2026-4821", "2026-10-14"
)


def flagged(
    s: Session,
    key: str,
    indicators: list[tuple[str, str]] = (),  # type: ignore[assignment]
    text: str = "",
    label: str = "gambling",
) -> FindingRow:
    """A resource with one document, its indicators and (unless benign) a finding."""
    res = s.query(Resource).filter_by(key=key).one_or_none()
    if res is None:
        res = Resource(key=key, kind="channel" if key.startswith("t.me/") else "site")
        s.add(res)
        s.flush()
    url = f"https://{key}/{next(_SEQ)}"
    doc = DocumentRow(url=url, kind="page", resource_id=res.id, text=text, title="", content_sha256=url)
    s.add(doc)
    s.flush()
    for kind, value in indicators:
        display = "**** " + value[-4:] if kind == "card" else value
        s.add(IndicatorRow(document_id=doc.id, resource_id=res.id, kind=kind, value=value, display=display))
    verdict = VerdictRow(document_id=doc.id, label=label, score=0.95, detector="test")
    s.add(verdict)
    s.flush()
    finding = FindingRow(
        document_id=doc.id, verdict_id=verdict.id, resource_id=res.id, url=url, label=label, score=0.95
    )
    if label != "benign":
        s.add(finding)
        s.flush()
    return finding


def register(s: Session) -> None:
    add_registry_entries(s, [LISTED], origin="test")
