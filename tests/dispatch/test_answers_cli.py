"""The authority's answers move the case; ``kuzet case send`` and ``record-answer`` from the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kuzet.cases import case_view, transition
from kuzet.cli import app
from kuzet.dispatch.answers import parse_received_at, record_answer
from kuzet.dispatch.service import send_case
from kuzet.errors import CaseError
from kuzet.settings import Settings, reset_settings
from kuzet.store.db import Database
from kuzet.store.models import CaseAnswerRow, CaseRow

from .conftest import SmtpServer, seed_case


def sent_case(db: Database, tmp_path: Path, dsettings: Settings) -> int:
    cid = seed_case(db, tmp_path)
    assert send_case(db, dsettings, cid, "outbox", actor="officer", sleep=lambda _: None).ok
    return cid


@pytest.mark.parametrize(
    ("kind", "state"),
    [("acknowledged", "acknowledged"), ("blocked", "blocked"), ("refused", "refused"), ("removed", "content_removed")],
)
def test_each_answer_moves_the_case(db: Database, tmp_path: Path, dsettings: Settings, kind: str, state: str) -> None:
    cid = sent_case(db, tmp_path, dsettings)
    with db.session() as s:
        res = record_answer(s, cid, kind, actor="clerk", text="письмо", reference="12-3/456")
    assert (res.from_status, res.status, res.moved) == ("sent", state, True)
    with db.session() as s:
        view = case_view(s, cid)
        assert view.status == state and view.answers[0]["reference"] == "12-3/456"
        assert view.events[-1]["reason"] == f"{kind} answer No. 12-3/456"


def test_time_to_block_counts_to_the_answer_and_other_keeps_state(
    db: Database, tmp_path: Path, dsettings: Settings
) -> None:
    cid = sent_case(db, tmp_path, dsettings)
    sent_at = datetime.now(UTC) - timedelta(days=2)
    with db.session() as s:  # as if it had been sent two days ago
        case = s.get(CaseRow, cid)
        assert case is not None
        case.sent_at = sent_at
    with db.session() as s:
        other = record_answer(s, cid, "other", actor="clerk", text="запрос уточнений")
        assert (other.status, other.moved) == ("sent", False)
        record_answer(s, cid, "acknowledged", actor="clerk", received_at=sent_at + timedelta(hours=1))
        record_answer(s, cid, "blocked", actor="clerk", received_at=sent_at + timedelta(hours=30))
        late = record_answer(s, cid, "acknowledged", actor="clerk", text="late letter")
        assert not late.moved and "already blocked" in late.note
    with db.session() as s:
        view = case_view(s, cid)
        assert view.status == "blocked" and view.time_to_block_s == pytest.approx(30 * 3600)
        assert len(s.scalars(select(CaseAnswerRow)).all()) == 4


def test_answers_that_cannot_apply_are_refused_and_not_stored(
    db: Database, tmp_path: Path, dsettings: Settings
) -> None:
    drafted = seed_case(db, tmp_path, key="draft.test")
    with pytest.raises(CaseError, match="never sent"), db.session() as s:
        record_answer(s, drafted, "blocked", actor="clerk")
    cid = sent_case(db, tmp_path, dsettings)
    with pytest.raises(CaseError, match="unknown answer kind"), db.session() as s:
        record_answer(s, cid, "maybe", actor="clerk")
    with pytest.raises(CaseError, match="future"), db.session() as s:
        record_answer(s, cid, "blocked", actor="clerk", received_at=datetime.now(UTC) + timedelta(days=1))
    with pytest.raises(CaseError, match="predates"), db.session() as s:
        record_answer(s, cid, "blocked", actor="clerk", received_at=datetime(2000, 1, 1, tzinfo=UTC))
    with db.session() as s:
        record_answer(s, cid, "refused", actor="clerk")
    with pytest.raises(CaseError, match="is refused: a blocked answer cannot"), db.session() as s:
        record_answer(s, cid, "blocked", actor="clerk")
    with db.session() as s:
        assert [a.kind for a in s.scalars(select(CaseAnswerRow))] == ["refused"]
        transition(s, cid, "reopen", actor="chief", reason="appeal")
    assert parse_received_at("2025-03-01") == datetime(2025, 3, 1, tzinfo=UTC)
    assert parse_received_at("2025-03-01T10:00+05:00") == datetime(2025, 3, 1, 5, tzinfo=UTC)
    with pytest.raises(CaseError, match="ISO 8601"):
        parse_received_at("yesterday")


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, dsettings: Settings, db_url: str) -> Settings:
    env = {
        "KUZET_MODE": "development",
        "KUZET_DATA_DIR": str(dsettings.data_dir),
        "KUZET_DATABASE_URL": db_url,
        "KUZET_SMTP_HOST": "127.0.0.1",
        "KUZET_SMTP_PORT": str(dsettings.smtp_port),
        "KUZET_SMTP_STARTTLS": "0",
        "KUZET_SMTP_TIMEOUT": "5",
        "KUZET_MAIL_FROM": "kuzet@agency.test",
        "KUZET_MAIL_TO_BLOCKING": "blocking@authority.test",
        "KUZET_DISPATCH_RETRIES": "1",
        "KUZET_DISPATCH_BACKOFF": "0.01",
        "KUZET_ACTOR": "officer",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    reset_settings()
    return dsettings


def run(*args: str) -> tuple[int, str, str]:
    reset_settings()
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_cli_send_fail_retry_and_answer(
    db: Database, tmp_path: Path, cli_env: Settings, smtp_server: SmtpServer
) -> None:
    cid = seed_case(db, tmp_path)
    code, out, err = run("case", "send", str(cid), "--via", "smtp")
    assert code == 1 and "not delivered" in err and "stays drafted" in err and f"send {cid} --retry" in err
    assert json.loads(out)[0]["status"] == "failed" and json.loads(out)[0]["attempts"] == 2
    smtp_server.start()
    code, out, _ = run("case", "send", str(cid), "--retry")
    assert code == 0 and json.loads(out)[0]["status"] == "sent" and json.loads(out)[0]["case_status"] == "sent"
    code, out, err = run("case", "send", str(cid), "--via", "smtp")
    assert code == 0 and json.loads(out)[0]["already_sent"] and "not sent again" in err
    assert len(smtp_server.inbox.messages) == 1
    code, out, _ = run(
        "case", "record-answer", str(cid), "--kind", "blocked", "--text", "Ограничен доступ", "--reference", "77"
    )
    assert code == 0 and json.loads(out)["status"] == "blocked"
    code, out, _ = run("case", "show", str(cid))
    shown = json.loads(out)
    assert shown["dispatches"][0]["status"] == "sent" and shown["answers"][0]["recorded_by"] == "officer"


def test_cli_refusals(db: Database, tmp_path: Path, cli_env: Settings) -> None:
    cid = seed_case(db, tmp_path, stop_at="approved")
    code, _, err = run("case", "send", str(cid), "--via", "outbox")
    assert code == 2 and "only an approved case with drafted documents" in err
    code, _, err = run("case", "send", str(cid), "--via", "fax")
    assert code == 2 and "--via must be one of" in err
    code, _, err = run("case", "record-answer", str(cid), "--kind", "blocked", "--text", "x")
    assert code == 2 and "never sent" in err
    code, _, err = run("case", "send", str(cid), "--retry")
    assert code == 1 and "no pending or failed dispatch" in err
    code, out, _ = run("case", "send-pending")
    assert code == 0 and json.loads(out) == []
