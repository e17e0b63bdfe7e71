"""Sending a case: SMTP to a real local server, SMTP down and retried, signed webhook with a
500 then 200, atomic outbox, idempotent re-sends, and the refusals."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from email.message import Message
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from kuzet.dispatch import outbox as outbox_mod
from kuzet.dispatch.records import DispatchError
from kuzet.dispatch.service import retry_dispatches, send_case
from kuzet.dispatch.webhook import sign, verify_signature
from kuzet.errors import CaseError, ConfigError
from kuzet.settings import Settings
from kuzet.store.db import Database
from kuzet.store.models import AuditEvent, BundleRow, CaseRow, DispatchRow, NotificationRow

from .conftest import Receiver, SmtpServer, seed_case

NO_SLEEP: list[float] = []


def nap(seconds: float) -> None:
    NO_SLEEP.append(seconds)


def status_of(db: Database, case_id: int) -> str:
    with db.session() as s:
        case = s.get(CaseRow, case_id)
        assert case is not None
        return case.status


def dispatches(db: Database, case_id: int) -> list[DispatchRow]:
    with db.session() as s:
        rows = list(s.scalars(select(DispatchRow).where(DispatchRow.case_id == case_id)))
        s.expunge_all()
        return rows


def attachments(msg: Message) -> dict[str, bytes]:
    return {str(p.get_filename()): p.get_payload(decode=True) for p in msg.walk() if p.get_filename()}


def text_body(msg: Message) -> str:
    return next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()


def test_smtp_delivers_documents_manifest_and_evidence(
    db: Database, tmp_path: Path, dsettings: Settings, smtp_server: SmtpServer
) -> None:
    cid = seed_case(db, tmp_path)
    smtp_server.start()
    result = send_case(db, dsettings, cid, "smtp", actor="officer", sleep=nap)
    assert result.ok and result.attempts == 1 and result.case_status == "sent"
    assert len(smtp_server.inbox.messages) == 1
    sender, rcpts, msg = smtp_server.inbox.messages[0]
    assert sender == "kuzet@agency.test" and rcpts == ["blocking@authority.test"]
    assert msg["Message-ID"] == result.reference and msg["X-Kuzet-Case"] == str(cid)
    files = attachments(msg)
    assert set(files) == {
        "blocking_notification.ru.docx",
        "blocking_notification.kk.pdf",
        "manifest.json",
        f"evidence-bundle-{1}.zip",
    }
    manifest = json.loads(files["manifest.json"])
    assert manifest["case"]["route"] == "blocking" and manifest["resources"] == ["casino.test"]
    assert manifest["case"]["legal_basis"].startswith("Закон РК")
    with db.session() as s:
        notes = {n.lang: n.sha256 for n in s.scalars(select(NotificationRow))}
        bundle = s.scalars(select(BundleRow)).one()
        bundle_path, bundle_manifest = Path(bundle.path), bundle.manifest_sha256
    # Every attached document is listed with the SHA-256 of its bytes, as drafted.
    listed = {d["name"].split("/")[-1]: d["sha256"] for d in manifest["documents"]}
    for name, sha in listed.items():
        assert hashlib.sha256(files[name]).hexdigest() == sha
    assert set(listed.values()) == set(notes.values())
    # The evidence zip holds the sealed bundle's files, byte for byte as the manifest lists them.
    ev = manifest["evidence"][0]
    assert ev["manifest_sha256"] == bundle_manifest and ev["path"] == str(bundle_path)
    with zipfile.ZipFile(io.BytesIO(files["evidence-bundle-1.zip"])) as zf:
        inside = {n: hashlib.sha256(zf.read(n)).hexdigest() for n in zf.namelist()}
    assert inside == {f["name"].split("/", 2)[-1]: f["sha256"] for f in ev["files"]}
    assert {"manifest.json", "manifest.sig", "screenshot.png", "custody.jsonl"} <= set(inside)
    body = text_body(msg)
    assert bundle_manifest in body and "http://casino.test/" in body
    (row,) = dispatches(db, cid)
    assert (row.status, row.attempts, row.reference, row.last_error) == ("sent", 1, result.reference, None)
    assert row.payload_sha256 == hashlib.sha256(files["manifest.json"]).hexdigest()
    with db.session() as s:
        case = s.get(CaseRow, cid)
        assert case is not None and case.sent_at is not None
        actions = [a.action for a in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["dispatch.sent", "case.sent"]


def test_large_evidence_is_referenced_not_attached(
    db: Database, tmp_path: Path, dsettings: Settings, smtp_server: SmtpServer
) -> None:
    cid = seed_case(db, tmp_path)
    smtp_server.start()
    small = dsettings.model_copy(update={"dispatch_attachment_limit_bytes": 100})
    assert send_case(db, small, cid, "smtp", actor="officer", sleep=nap).ok
    msg = smtp_server.inbox.messages[0][2]
    names = set(attachments(msg))
    assert not any(n.endswith(".zip") for n in names) and "manifest.json" in names
    body = text_body(msg)
    assert str(tmp_path / "evidence" / "casino.test") in body


def test_smtp_down_is_retried_nothing_lost_then_sent(
    db: Database, tmp_path: Path, dsettings: Settings, smtp_server: SmtpServer
) -> None:
    cid = seed_case(db, tmp_path)
    NO_SLEEP.clear()
    result = send_case(db, dsettings, cid, "smtp", actor="officer", sleep=nap)
    assert not result.ok and result.status == "failed" and result.attempts == 3
    assert "unreachable" in (result.error or "") and result.case_status == "drafted"
    assert NO_SLEEP == [0.01, 0.02]  # exponential backoff between the three attempts
    assert status_of(db, cid) == "drafted"
    smtp_server.start()
    (again,) = retry_dispatches(db, dsettings, actor="cron", sleep=nap)
    assert again.ok and again.attempts == 4 and again.dispatch_id == result.dispatch_id
    assert status_of(db, cid) == "sent" and len(smtp_server.inbox.messages) == 1
    # The retry carries the same Message-ID a crashed first attempt would have had.
    assert smtp_server.inbox.messages[0][2]["Message-ID"] == again.reference
    assert f"-d{result.dispatch_id}-" in again.reference
    assert retry_dispatches(db, dsettings, actor="cron", sleep=nap) == []


def test_permanent_smtp_refusal_is_not_retried(
    db: Database, tmp_path: Path, dsettings: Settings, smtp_server: SmtpServer
) -> None:
    cid = seed_case(db, tmp_path)
    smtp_server.start()
    # The test server offers no STARTTLS: a setting that requires it fails at once, not three times.
    strict = dsettings.model_copy(update={"smtp_starttls": True})
    result = send_case(db, strict, cid, "smtp", actor="officer", sleep=nap)
    assert result.status == "failed" and result.attempts == 1 and "STARTTLS" in (result.error or "")
    assert status_of(db, cid) == "drafted" and smtp_server.inbox.messages == []


def test_webhook_signed_retried_on_500_then_receipt(
    db: Database, tmp_path: Path, dsettings: Settings, receiver: Receiver
) -> None:
    cid = seed_case(db, tmp_path)
    receiver.statuses = [500, 200]
    result = send_case(db, dsettings, cid, "webhook", actor="officer", target=receiver.url, sleep=nap)
    assert result.ok and result.attempts == 2 and result.reference == "R-2"
    assert [c["status"] for c in receiver.calls] == [500, 200]
    assert all(c["signed"] for c in receiver.calls)
    assert receiver.calls[0]["delivery"] == receiver.calls[1]["delivery"]  # one idempotency key
    payload = json.loads(receiver.calls[1]["body"])
    assert payload["case"]["id"] == cid and payload["case"]["route"] == "blocking"
    assert payload["resources"] == ["casino.test"] and len(payload["documents"]) == 2
    assert payload["evidence"][0]["manifest_sha256"] and payload["manifest_sha256"] == result_payload(db, cid)
    assert status_of(db, cid) == "sent"


def result_payload(db: Database, cid: int) -> str:
    return dispatches(db, cid)[0].payload_sha256


def test_webhook_4xx_is_not_retried(db: Database, tmp_path: Path, dsettings: Settings, receiver: Receiver) -> None:
    cid = seed_case(db, tmp_path)
    receiver.statuses = [422]
    result = send_case(db, dsettings, cid, "webhook", actor="officer", target=receiver.url, sleep=nap)
    assert result.status == "failed" and result.attempts == 1 and "HTTP 422" in (result.error or "")
    # A wrong secret: the receiver refuses (401), also not retried.
    wrong = dsettings.model_copy(update={"webhook_secret": SecretStr("another-secret-0123456789abcdef")})
    receiver.statuses = [200]
    result = send_case(db, wrong, cid, "webhook", actor="officer", target=receiver.url, sleep=nap)
    assert result.status == "failed" and "HTTP 401" in (result.error or "") and status_of(db, cid) == "drafted"


def test_signature_covers_timestamp_and_body() -> None:
    body = b'{"case":1}'
    sig = sign("k" * 32, "1700000000", body)
    assert verify_signature("k" * 32, body, "1700000000", sig, now=1700000100)
    assert not verify_signature("k" * 32, body, "1700000001", sig, now=1700000100)  # other timestamp
    assert not verify_signature("k" * 32, body + b" ", "1700000000", sig, now=1700000100)
    assert not verify_signature("k" * 32, body, "1700000000", sig, now=1700009999)  # replayed late


def test_webhook_refuses_metadata_address_and_needs_https_in_production(
    db: Database, tmp_path: Path, dsettings: Settings
) -> None:
    cid = seed_case(db, tmp_path)
    result = send_case(db, dsettings, cid, "webhook", actor="o", target="http://169.254.169.254/hook", sleep=nap)
    assert result.status == "failed" and result.attempts == 1 and "metadata" in (result.error or "")
    with pytest.raises(ConfigError, match="https"):
        send_case(
            db, dsettings.model_copy(update={"mode": "production"}), cid, "webhook", actor="o", target="http://x.test/"
        )


def test_outbox_is_written_atomically_and_only_once(db: Database, tmp_path: Path, dsettings: Settings) -> None:
    cid = seed_case(db, tmp_path)
    box = tmp_path / "outbox"
    result = send_case(db, dsettings, cid, "outbox", actor="officer", target=str(box), sleep=nap)
    assert result.ok and status_of(db, cid) == "sent"
    (folder,) = list(box.iterdir())
    assert str(folder) == result.reference and not folder.name.startswith(".tmp")
    manifest = json.loads((folder / "manifest.json").read_bytes())
    sums = (folder / "SHA256SUMS").read_text().splitlines()
    names = [d["name"] for d in manifest["documents"]] + [f["name"] for f in manifest["evidence"][0]["files"]]
    assert len(sums) == len(names)
    for line in sums:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest and name in names
    again = send_case(db, dsettings, cid, "outbox", actor="officer", target=str(box), sleep=nap)
    assert again.already_sent and again.attempts == 1 and again.reference == result.reference
    assert len(list(box.iterdir())) == 1


def test_outbox_crash_mid_write_leaves_nothing_half_written(
    db: Database, tmp_path: Path, dsettings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = seed_case(db, tmp_path)
    box = tmp_path / "outbox"
    real = outbox_mod.write_package

    def half(pkg: object, folder: Path) -> None:
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text("{")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outbox_mod, "write_package", half)
    result = send_case(db, dsettings, cid, "outbox", actor="officer", target=str(box), sleep=nap)
    assert result.status == "failed" and result.attempts == 3 and "No space" in (result.error or "")
    assert list(box.iterdir()) == [] and status_of(db, cid) == "drafted"
    monkeypatch.setattr(outbox_mod, "write_package", real)
    (again,) = retry_dispatches(db, dsettings, actor="cron", case_id=cid, sleep=nap)
    assert again.ok and [p.name.startswith(".tmp") for p in box.iterdir()] == [False]


def test_sending_twice_by_smtp_sends_once_and_another_channel_still_can(
    db: Database, tmp_path: Path, dsettings: Settings, smtp_server: SmtpServer
) -> None:
    cid = seed_case(db, tmp_path)
    smtp_server.start()
    first = send_case(db, dsettings, cid, "smtp", actor="officer", sleep=nap)
    second = send_case(db, dsettings, cid, "smtp", actor="officer", target="Blocking@Authority.test", sleep=nap)
    assert second.already_sent and second.dispatch_id == first.dispatch_id
    assert len(smtp_server.inbox.messages) == 1
    # A copy into the outbox of a case already sent is allowed and does not move the case again.
    copy = send_case(db, dsettings, cid, "outbox", actor="officer", sleep=nap)
    assert copy.ok and copy.target == str((dsettings.data_dir / "outbox").resolve())
    with db.session() as s:
        assert [e for e in s.scalars(select(AuditEvent.action)) if e == "case.sent"] == ["case.sent"]


@pytest.mark.parametrize("stop_at", ["new", "in_review", "approved"])
def test_only_a_drafted_case_is_sent(db: Database, tmp_path: Path, dsettings: Settings, stop_at: str) -> None:
    cid = seed_case(db, tmp_path, stop_at=stop_at)
    with pytest.raises(CaseError, match=f"is {stop_at}: only an approved case"):
        send_case(db, dsettings, cid, "outbox", actor="officer", target=str(tmp_path / "box"), sleep=nap)
    assert dispatches(db, cid) == [] and not (tmp_path / "box").exists()


def test_case_without_evidence_is_not_sent(db: Database, tmp_path: Path, dsettings: Settings) -> None:
    cid = seed_case(db, tmp_path, evidence=False)
    assert status_of(db, cid) == "drafted"
    with pytest.raises(CaseError, match="no evidence bundle"):
        send_case(db, dsettings, cid, "outbox", actor="officer", target=str(tmp_path / "box"), sleep=nap)
    assert dispatches(db, cid) == [] and not (tmp_path / "box").exists()


@pytest.mark.parametrize("what", ["document", "bundle"])
def test_changed_files_are_not_sent(db: Database, tmp_path: Path, dsettings: Settings, what: str) -> None:
    cid = seed_case(db, tmp_path)
    if what == "document":
        (tmp_path / "documents" / "casino.test" / "blocking_notification.ru.docx").write_bytes(b"edited")
        message = "changed since it was drafted"
    else:
        (tmp_path / "evidence" / "casino.test" / "text.txt").write_text("другой текст", encoding="utf-8")
        message = "does not verify"
    with pytest.raises(DispatchError, match=message):
        send_case(db, dsettings, cid, "outbox", actor="officer", target=str(tmp_path / "box"), sleep=nap)
    assert status_of(db, cid) == "drafted" and not (tmp_path / "box").exists()


def test_missing_targets_and_production_webhook_secret(db: Database, tmp_path: Path, dsettings: Settings) -> None:
    cid = seed_case(db, tmp_path)
    with pytest.raises(ConfigError, match="KUZET_MAIL_TO_BLOCKING"):
        send_case(db, dsettings.model_copy(update={"mail_to_blocking": ""}), cid, "smtp", actor="o")
    with pytest.raises(ConfigError, match="KUZET_WEBHOOK_URL"):
        send_case(db, dsettings, cid, "webhook", actor="o")
    with pytest.raises(ValueError, match="KUZET_WEBHOOK_SECRET"):
        Settings(mode="production", webhook_url="https://authority.test/hook")
    with pytest.raises(ValueError, match="KUZET_WEBHOOK_SECRET"):
        Settings(mode="production", webhook_url="https://authority.test/hook", webhook_secret="changeme")
    ok = Settings(mode="production", webhook_url="https://authority.test/hook", webhook_secret="x" * 32)
    assert "x" * 32 not in repr(ok)
