"""Engine, sessions and migrations. Every command calls ``open_database`` and gets a migrated schema.

SQLite (WAL, busy timeout, foreign keys) is the embedded default; PostgreSQL comes through
``KUZET_DATABASE_URL``. The schema is created by Alembic migrations only, never by
``create_all``, so that the two back ends are always at the same revision.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kuzet.errors import StorageError

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    url: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        s = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1] if "sqlite:///" in url else ""
        if path and path != ":memory:":
            p = Path(path)
            if p.exists() and p.is_dir():
                raise StorageError(f"database path {p} is a directory, not a file", path=p)
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StorageError(f"cannot create the folder for database {p}: {e}", path=p) from e
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to ``revision``; safe to call on every start."""
    try:
        with db.engine.begin() as conn:
            cfg = alembic_config(db.url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except (DBAPIError, SQLAlchemyError) as e:
        raise StorageError(f"cannot migrate database {db.url}: {e.__class__.__name__}: {e}") from e


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Open (creating and migrating when needed) the database at ``url``."""
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            inspect(conn).get_table_names()  # fails early on a corrupt file or a wrong server
    except StorageError:
        raise
    except (DBAPIError, SQLAlchemyError, sqlite3.Error) as e:
        raise StorageError(f"cannot open database {url}: {e.__class__.__name__}: {e.args[0] if e.args else e}") from e
    db = Database(engine=engine, sessions=sessionmaker(engine, expire_on_commit=False), url=url)
    if migrate:
        upgrade(db)
    return db
