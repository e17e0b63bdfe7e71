from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, update

from kuzet.errors import StorageError
from kuzet.store import audit
from kuzet.store.blobs import LocalBlobStore, MemoryBlobStore
from kuzet.store.db import open_database
from kuzet.store.models import AuditEvent, Resource


def test_open_creates_and_migrates_empty_database(db) -> None:
    with db.session() as s:
        s.add(Resource(key="casino.test", kind="site"))
    with db.session() as s:
        assert s.execute(select(Resource.key)).scalar_one() == "casino.test"


def test_reopen_is_idempotent(db_url: str) -> None:
    open_database(db_url).dispose()
    again = open_database(db_url)
    with again.session() as s:
        assert s.execute(select(Resource)).first() is None
    again.dispose()


def test_corrupt_database_file_gives_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "kuzet.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError) as e:
        open_database(f"sqlite:///{bad}")
    assert "cannot open database" in str(e.value)
    assert bad.read_bytes().startswith(b"this is not a database")  # nothing overwritten


def test_database_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a directory"):
        open_database(f"sqlite:///{tmp_path}")


@pytest.mark.parametrize("store_kind", ["local", "memory"])
def test_blob_stores_are_content_addressed(tmp_path: Path, store_kind: str) -> None:
    store = LocalBlobStore(tmp_path / "blobs") if store_kind == "local" else MemoryBlobStore()
    d1 = store.put(b"hello")
    assert store.put(b"hello") == d1
    assert store.get(d1) == b"hello"
    assert store.exists(d1)
    with pytest.raises(StorageError):
        store.get("0" * 64)
    with pytest.raises(StorageError):
        store.get("../../etc/passwd")


def test_audit_chain_detects_edit(db) -> None:
    with db.session() as s:
        for i in range(5):
            audit.record(s, "fetched", "snapshot", i, detail={"url": f"http://x.test/{i}"})
    with db.session() as s:
        assert audit.verify_chain(s) == []
        s.execute(update(AuditEvent).where(AuditEvent.id == 3).values(actor="mallory"))
    with db.session() as s:
        problems = audit.verify_chain(s)
    assert problems and "event 3" in problems[0]


def test_migrations_match_the_models(db) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from kuzet.store.models import Base

    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
