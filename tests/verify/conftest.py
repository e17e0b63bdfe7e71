"""Seeding sent cases for re-checks, and a tiny local web whose answers a test sets per host."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kuzet.cases import transition
from kuzet.settings import Settings
from kuzet.store.db import Database
from kuzet.store.models import (
    BundleRow,
    CaseRow,
    DocumentRow,
    FindingEvidence,
    FindingRow,
    NotificationRow,
    SnapshotRow,
    VerdictRow,
)
from kuzet.store.repo import get_or_create_resource
from kuzet.urls import resource_key
from kuzet.verify.outcomes import document_digest

CASINO_TEXT = (
    "Казино Вулкан Рояль: бонус 200% на первый депозит и 100 фриспинов по промокоду ROYAL777. "
    "Пополнение картой Kaspi или USDT, вывод за 15 минут, рабочее зеркало всегда доступно. "
    "Регистрируйся сегодня, играй в слоты и забирай джекпот каждую неделю без верификации."
)
CASINO_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Вулкан Рояль</title></head>"
    f"<body><h1>Вулкан Рояль</h1><p>{CASINO_TEXT}</p></body></html>"
)


@dataclass
class Reply:
    status: int = 200
    body: str = CASINO_PAGE
    headers: dict[str, str] | None = None
    delay: float = 0.0
    reset: bool = False  # close the connection without an answer


class LocalWeb:
    """Answers by Host header from ``replies``; unknown hosts get the casino page."""

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        web = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                host = (self.headers.get("Host") or "").split(":")[0].lower()
                r = web.replies.get(host, Reply())
                if r.delay:
                    threading.Event().wait(r.delay)
                if r.reset:
                    self.close_connection = True
                    self.connection.close()
                    return
                body = r.body.encode()
                self.send_response(r.status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                for k, v in (r.headers or {}).items():
                    self.send_header(k, v.replace("PORT", str(web.port)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def local_web() -> Iterator[LocalWeb]:
    w = LocalWeb()
    yield w
    w.close()


@pytest.fixture
def vsettings(tmp_path: Path, db: Database) -> Settings:
    return Settings(
        mode="development",
        data_dir=tmp_path / "data",
        database_url=db.url,
        resolve="*.test=127.0.0.1",
        total_timeout=1.0,
        connect_timeout=0.5,
        read_timeout=0.5,
    )


SeedCase = Callable[..., int]


def seed_finding(
    s: object,
    case_id: int,
    url: str,
    *,
    text: str,
    title: str = "",
    label: str = "gambling",
    body_sha: str = "",
    created_at: datetime | None = None,
    published_at: datetime | None = None,
    status: str = "new",
) -> FindingRow:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    key = resource_key(url)
    res = get_or_create_resource(s, key, "channel" if key.startswith("t.me/") else "site")
    snap = SnapshotRow(job_key=f"fetch:{url}", url=url, final_url=url, status=200, sha256=body_sha, resource_id=res.id)
    s.add(snap)
    s.flush()
    doc = DocumentRow(
        snapshot_id=snap.id,
        resource_id=res.id,
        url=url,
        kind="page",
        title=title,
        text=text,
        content_sha256=document_digest(url, title, text),
        published_at=published_at,
    )
    s.add(doc)
    s.flush()
    v = VerdictRow(document_id=doc.id, label=label, score=0.9, detector="test")
    s.add(v)
    s.flush()
    f = FindingRow(
        document_id=doc.id,
        verdict_id=v.id,
        resource_id=res.id,
        url=url,
        label=label,
        score=0.9,
        case_id=case_id,
        status=status,
    )
    if created_at is not None:
        f.created_at = created_at
    s.add(f)
    s.flush()
    b = BundleRow(job_key=f"capture:{url}", url=url, path="/tmp/bundle", manifest_sha256="b" * 64, parts=[])
    s.add(b)
    s.flush()
    s.add(FindingEvidence(finding_id=f.id, bundle_id=b.id))
    return f


@pytest.fixture
def seed_case(db: Database) -> SeedCase:
    """A case with one finding per URL, walked to ``sent`` (submit, approve by another, draft, send)."""

    def make(
        urls: list[str], *, text: str = CASINO_TEXT, title: str = "", sent_at: datetime | None = None, send: bool = True
    ) -> int:
        with db.session() as s:
            case = CaseRow(key=f"blocking:{urls[0]}", route="blocking", title=f"gambling: {urls[0]}")
            s.add(case)
            s.flush()
            for u in urls:
                seed_finding(s, case.id, u, text=text, title=title)
            s.add(NotificationRow(case_id=case.id, kind="blocking_notification", lang="ru", path="/tmp/n", sha256="d"))
            if send:
                transition(s, case.id, "submit", actor="analyst", at=sent_at)
                transition(s, case.id, "approve", actor="supervisor", at=sent_at)
                transition(s, case.id, "draft", actor="kuzet", at=sent_at)
                transition(s, case.id, "send", actor="kuzet", at=sent_at)
            return case.id

    return make
