"""Shared fixtures. ``KUZET_TEST_DATABASE_URL`` (a PostgreSQL URL) runs the database tests on
PostgreSQL, each test in a schema of its own; without it they run on SQLite files."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kuzet.settings import Settings, reset_settings
from kuzet.store.db import Database, open_database

PG_URL = os.environ.get("KUZET_TEST_DATABASE_URL", "")


@pytest.fixture(autouse=True)
def _clean_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for k in list(os.environ):
        if k.startswith("KUZET_") and k != "KUZET_TEST_DATABASE_URL":
            monkeypatch.delenv(k, raising=False)
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'kuzet.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as c:
        c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    d = open_database(db_url)
    yield d
    d.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(mode="development", data_dir=tmp_path / "data", database_url=db_url)
