"""The allow-list in the database and on the command line: audited changes, lookups, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kuzet.cli import app
from kuzet.link.allowlist import allow_entry
from kuzet.store.allowlist import add_allow_entries, allow_match, remove_allow_entries
from kuzet.store.audit import verify_chain
from kuzet.store.db import Database, open_database
from kuzet.store.models import AuditEvent


def test_add_match_remove_are_audited(db: Database) -> None:
    with db.session() as s:
        added, present = add_allow_entries(
            s,
            [allow_entry("sapa-bank.test", "bank", "licensed bank"), allow_entry("sapa-bank.test", "bank")],
            origin="manual",
            actor="ivanova",
        )
        assert (added, present) == (1, 1)
    with db.session() as s:
        hit = allow_match(s, "https://online.sapa-bank.test/deposits?id=1")
        assert hit is not None and hit.reason == "licensed bank"
        assert allow_match(s, "https://sapa-bank.test.phish.test/") is None
        assert allow_match(s, "t.me/sapa_bank") is None
        assert remove_allow_entries(s, "SAPA-BANK.test", actor="petrov", reason="licence revoked") == 1
    with db.session() as s:
        assert allow_match(s, "https://sapa-bank.test/") is None
        actions = [
            (e.action, e.actor) for e in s.scalars(select(AuditEvent).where(AuditEvent.object_type == "allowlist"))
        ]
        assert actions == [("allowlist_added", "ivanova"), ("allowlist_removed", "petrov")]
        assert verify_chain(s) == []


def test_cli(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUZET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KUZET_DATABASE_URL", db_url)
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "allowlist",
            "add",
            "tulpar-bet.test",
            "--category",
            "licensed_operator",
            "--reason",
            "licence 17",
            "--actor",
            "a",
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"added": 1, "resource": "*.tulpar-bet.test", "category": "licensed_operator"}
    r = runner.invoke(app, ["allowlist", "add", "casino.test", "--category", "friends"])
    assert r.exit_code == 2 and "category" in r.output
    f = tmp_path / "allow.csv"
    f.write_text(
        "resource,category,reason\nsapa-bank.test,bank,licensed\nbad host!,bank,\n"
        "tulpar-bet.test,licensed_operator,dup\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["allowlist", "import", str(f), "--actor", "b"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {
        "file": str(f),
        "added": 1,
        "already_present": 1,
        "bad_rows": 1,
    }
    assert "line 3" in r.output
    r = runner.invoke(app, ["allowlist", "list", "--json"])
    assert [json.loads(x)["resource"] for x in r.stdout.splitlines()] == ["*.sapa-bank.test", "*.tulpar-bet.test"]
    r = runner.invoke(app, ["allowlist", "remove", "nothing.test", "--reason", "x"])
    assert r.exit_code == 1
    r = runner.invoke(app, ["allowlist", "remove", "sapa-bank.test", "--reason", ""])
    assert r.exit_code == 2
    db = open_database(db_url)
    with db.session() as s:
        assert allow_match(s, "http://www.tulpar-bet.test/live") is not None
    db.dispose()
