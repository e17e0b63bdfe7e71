"""Drafted cases with real documents and a sealed evidence bundle, a local SMTP server
(aiosmtpd) and a local webhook receiver that checks the HMAC signature."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kuzet.cases import transition
from kuzet.dispatch.webhook import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from kuzet.evidence.seal import part_from_file, seal_bundle
from kuzet.evidence.signing import Signer
from kuzet.settings import Settings
from kuzet.store.db import Database
from kuzet.store.models import (
    BundleRow,
    CaseRow,
    DocumentRow,
    FindingEvidence,
    FindingRow,
    NotificationRow,
    Resource,
    VerdictRow,
)

WEBHOOK_SECRET = "test-webhook-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_bundle(root: Path, url: str = "http://casino.test/") -> str:
    """A really sealed bundle (signature, hashes, custody); returns the manifest's SHA-256."""
    root.mkdir(parents=True)
    (root / "screenshot.png").write_bytes(b"\x89PNG fake screenshot " * 50)
    (root / "text.txt").write_text("Казино Вулкан: бонус 200% на депозит", encoding="utf-8")
    parts = [
        part_from_file(root, "screenshot", "screenshot.png", "image/png"),
        part_from_file(root, "text", "text.txt", "text/plain; charset=utf-8"),
    ]
    now = datetime.now(UTC)
    res = seal_bundle(
        root,
        parts=parts,
        meta={"url": url, "page_kind": "content"},
        signer=Signer.generate(),
        started=now,
        ended=now,
    )
    return res.manifest_sha256


def seed_case(
    db: Database, tmp_path: Path, *, evidence: bool = True, stop_at: str = "drafted", key: str = "casino.test"
) -> int:
    """A blocking case with one finding, a sealed bundle and two drafted documents (ru DOCX, kk
    PDF), walked through the real transitions up to ``stop_at`` (new, in_review, approved, drafted)."""
    docs_dir = tmp_path / "documents" / key
    docs_dir.mkdir(parents=True)
    files = {
        "ru": docs_dir / "blocking_notification.ru.docx",
        "kk": docs_dir / "blocking_notification.kk.pdf",
    }
    files["ru"].write_bytes(b"PK\x03\x04 fake docx: " + "Уведомление".encode())
    files["kk"].write_bytes(b"%PDF-1.7 fake pdf: " + "Хабарлама".encode())
    with db.session() as s:
        res = Resource(key=key, kind="site")
        s.add(res)
        s.flush()
        case = CaseRow(
            key=f"blocking:{key}",
            route="blocking",
            title=f"gambling: {key}",
            legal_basis="Закон РК «Об игорном бизнесе», ст. 8",
            rule_id="gambling-block",
            resource_id=res.id,
        )
        s.add(case)
        doc = DocumentRow(url=f"http://{key}/", kind="page", text="казино", content_sha256="c" * 64)
        s.add(doc)
        s.flush()
        v = VerdictRow(document_id=doc.id, label="gambling", score=0.93, detector="t")
        s.add(v)
        s.flush()
        f = FindingRow(
            document_id=doc.id,
            verdict_id=v.id,
            url=doc.url,
            label="gambling",
            score=0.93,
            case_id=case.id,
            resource_id=res.id,
        )
        s.add(f)
        s.flush()
        if evidence:
            bdir = tmp_path / "evidence" / key
            b = BundleRow(
                job_key=f"capture:{key}", url=doc.url, path=str(bdir), manifest_sha256=make_bundle(bdir, doc.url)
            )
            s.add(b)
            s.flush()
            s.add(FindingEvidence(finding_id=f.id, bundle_id=b.id))
        for lang, path in files.items():
            s.add(
                NotificationRow(
                    case_id=case.id,
                    kind="blocking_notification",
                    lang=lang,
                    fmt=path.suffix[1:],
                    path=str(path),
                    sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
                )
            )
        s.flush()
        cid = case.id
        for action, who, state in (("submit", "analyst", "in_review"), ("approve", "chief", "approved")):
            if stop_at == "new":
                break
            transition(s, cid, action, actor=who)
            if stop_at == state:
                break
        else:
            transition(s, cid, "draft", actor="kuzet")
    return cid


@pytest.fixture
def dsettings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        mode="development",
        data_dir=tmp_path / "data",
        database_url=db_url,
        smtp_host="127.0.0.1",
        smtp_port=free_port(),  # nothing listens until a test starts the server there
        smtp_starttls=False,
        smtp_timeout=5.0,
        mail_from="kuzet@agency.test",
        mail_to_blocking="blocking@authority.test",
        webhook_secret=WEBHOOK_SECRET,
        webhook_timeout=5.0,
        dispatch_retries=2,
        dispatch_backoff=0.01,
    )


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox = field(default_factory=Inbox)
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(dsettings: Settings) -> Iterator[SmtpServer]:
    """A server for dsettings' port, not started: tests start it when they want it up."""
    server = SmtpServer(port=dsettings.smtp_port)
    yield server
    server.stop()


@dataclass
class Receiver:
    """A webhook endpoint: answers ``statuses`` in turn (the last one repeats), records each call
    and whether its signature verified."""

    statuses: list[int] = field(default_factory=lambda: [200])
    calls: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = verify_signature(
                WEBHOOK_SECRET, body, self.headers.get(TIMESTAMP_HEADER, ""), self.headers.get(SIGNATURE_HEADER, "")
            )
            status = rec.statuses[min(len(rec.calls), len(rec.statuses) - 1)]
            if not ok:
                status = 401
            rec.calls.append(
                {"body": body, "signed": ok, "delivery": self.headers.get(DELIVERY_HEADER), "status": status}
            )
            answer = json.dumps({"receipt_id": f"R-{len(rec.calls)}"} if status == 200 else {"error": "x"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/kuzet"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()
