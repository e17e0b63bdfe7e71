"""A large registry imports in bounded memory, reports bad rows and re-imports idempotently."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from sqlalchemy import func, select

from kuzet.link.registry import RegistryRowError, parse_registry
from kuzet.link.registry_synth import write_dump
from kuzet.records import RegistryEntry
from kuzet.store.db import Database
from kuzet.store.models import RegistryEntryRow
from kuzet.store.repo import add_registry_entries


def _import(db: Database, path: Path) -> tuple[int, int, int, int]:
    """(added, present, bad rows, peak traced bytes) of one import."""
    bad = 0

    def good():  # type: ignore[no-untyped-def]
        nonlocal bad
        for item in parse_registry(path):
            if isinstance(item, RegistryEntry):
                yield item
            else:
                assert isinstance(item, RegistryRowError) and item.line > 1
                bad += 1

    tracemalloc.start()
    try:
        with db.session() as s:
            added, present = add_registry_entries(s, good(), origin=path.name)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return added, present, bad, peak


def test_memory_does_not_grow_with_the_registry(db: Database, tmp_path: Path) -> None:
    small = _import(db, write_dump(tmp_path / "small.csv", 3_000))
    large = _import(db, write_dump(tmp_path / "large.csv", 24_000))
    # Broken rows are reported; repeated rows counted as present, not added twice.
    assert large[2] == 24
    with db.session() as s:
        total = s.scalar(select(func.count()).select_from(RegistryEntryRow))
    assert total == small[0] + large[0]
    assert large[1] >= 2_100  # every tenth row repeats an earlier one
    # Ten times the rows, about the same peak: one batch in memory, not the registry.
    assert large[3] < small[3] * 2, (small[3], large[3])
    again = _import(db, tmp_path / "large.csv")
    assert again[0] == 0 and again[1] == large[0] + large[1]
