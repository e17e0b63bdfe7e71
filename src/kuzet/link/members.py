"""Which resources may be linked into networks: those with a finding, or listed in the registry.

A bank page that lists a phone number also printed on a casino page is not part of the casino's
network: benign resources are never linked, only resources that something marks as offending.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.store.models import FindingRow, RegistryEntryRow, Resource
from kuzet.store.repo import registry_candidates, row_to_entry


def resource_url(key: str) -> str:
    """An address that stands for a resource key (``t.me/name`` or a registrable domain)."""
    return f"https://{key}" if key.startswith("t.me/") else f"http://{key}/"


def registry_rows(s: Session, key: str) -> list[RegistryEntryRow]:
    """Registry entries covering the resource itself (an IP entry is not one: hosting is shared)."""
    from kuzet.link.registry import RegistryMatcher

    url = resource_url(key)
    rows = [r for r in registry_candidates(s, url) if r.kind != "ip"]
    if not rows:
        return []
    entries = [row_to_entry(r) for r in rows]
    matched = RegistryMatcher(entries).match(url)
    return [r for r, e in zip(rows, entries, strict=True) if e in matched]


class Eligibility:
    """Cached answers to "may this resource be linked?" within one job."""

    def __init__(self, s: Session) -> None:
        self.s = s
        self._cache: dict[int, bool] = {}

    def __call__(self, rid: int | None) -> bool:
        if rid is None:
            return False
        if rid not in self._cache:
            flagged = self.s.execute(select(FindingRow.id).where(FindingRow.resource_id == rid).limit(1)).first()
            if flagged:
                self._cache[rid] = True
            else:
                res = self.s.get(Resource, rid)
                self._cache[rid] = bool(res is not None and registry_rows(self.s, res.key))
        return self._cache[rid]
