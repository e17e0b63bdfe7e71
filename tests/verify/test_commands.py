"""Scheduling and alerts: which cases are due, which are overdue, and the CLI around them."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from kuzet.cli import app
from kuzet.records import utcnow
from kuzet.settings import Settings
from kuzet.store.db import Database
from kuzet.store.models import AuditEvent, CaseRow
from kuzet.verify.alerts import overdue_cases
from kuzet.verify.recheck import due_cases, recheck

from .conftest import LocalWeb, Reply, SeedCase

STUB = "<html><body><p>Доступ к данному ресурсу ограничен. Статья 41-1 Закона РК «О связи».</p></body></html>"


def test_due_and_overdue(
    db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb, caplog: pytest.LogCaptureFixture
) -> None:
    now = utcnow()
    old = seed_case([local_web.url("old-casino.test")], sent_at=now - timedelta(days=3))
    fresh = seed_case([local_web.url("fresh-casino.test")], sent_at=now - timedelta(hours=5))
    drafted = seed_case([local_web.url("draft-casino.test")], send=False)
    with db.session() as s:
        assert due_cases(s, vsettings, now=now) == [old, fresh]
        # Never checked and three days old: overdue, "not checked".
        (o,) = overdue_cases(s, vsettings, now=now)
        assert (o.case_id, o.last_verdict) == (old, "not checked")
        recheck(s, vsettings, old, at=now - timedelta(hours=1))
    with db.session() as s, caplog.at_level(logging.WARNING, logger="kuzet.verify"):
        # Checked an hour ago: not due for 23 hours; still reachable: still overdue, and logged.
        assert due_cases(s, vsettings, now=now) == [fresh]
        assert due_cases(s, vsettings, now=now + timedelta(hours=23)) == [old, fresh]
        (o,) = overdue_cases(s, vsettings, now=now)
        assert (o.last_verdict, o.last_outcomes) == ("back", {"reachable_same": 1})
        assert o.days_since_sent == 3.0
        assert f"case {old} sent 3.0 days ago" in caplog.text
        assert s.get(CaseRow, drafted).status == "new"  # never sent: never re-checked
    local_web.replies["old-casino.test"] = Reply(body=STUB)
    with db.session() as s:
        recheck(s, vsettings, old, at=now)
        assert overdue_cases(s, vsettings, now=now) == []


def _cli_env(vsettings: Settings) -> dict[str, str]:
    return {
        "KUZET_MODE": "development",
        "KUZET_DATA_DIR": str(vsettings.data_dir),
        "KUZET_DATABASE_URL": vsettings.db_url,
        "KUZET_RESOLVE": vsettings.resolve,
        "KUZET_TOTAL_TIMEOUT": "1",
    }


def test_recheck_and_overdue_commands(
    db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb
) -> None:
    now = utcnow()
    blocked = seed_case([local_web.url("stub-casino.test")], sent_at=now - timedelta(days=4))
    open_ = seed_case([local_web.url("open-casino.test")], sent_at=now - timedelta(days=4))
    local_web.replies["stub-casino.test"] = Reply(body=STUB)
    runner = CliRunner()
    env = _cli_env(vsettings)

    r = runner.invoke(app, ["case", "recheck", str(blocked), "--actor", "ops"], env=env)
    assert r.exit_code == 0, r.output
    line = json.loads(r.stdout.splitlines()[0])
    assert (line["id"], line["verdict"], line["moved"], line["status"]) == (blocked, "blocked", "blocked", "blocked")

    r = runner.invoke(app, ["case", "recheck", "--all"], env=env)
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    # The blocked case was checked a moment ago and is not due; the open one is.
    assert [(x["id"], x["verdict"], x["moved"]) for x in lines] == [(open_, "back", None)]

    r = runner.invoke(app, ["case", "overdue", "--json"], env=env)
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    assert [(x["case_id"], x["last_verdict"]) for x in rows] == [(open_, "back")]

    assert runner.invoke(app, ["case", "recheck"], env=env).exit_code == 2
    assert runner.invoke(app, ["case", "recheck", "999"], env=env).exit_code == 2
    with db.session() as s:
        actors = {a.actor for a in s.query(AuditEvent).filter(AuditEvent.action == "case.rechecked")}
        assert "ops" in actors
