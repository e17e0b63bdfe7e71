"""The monitor's case upkeep: due cases re-checked and moved, overdue ones logged."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from kuzet.fetch.fetcher import Fetcher
from kuzet.records import utcnow
from kuzet.settings import Settings
from kuzet.store.db import Database
from kuzet.store.models import CaseRow
from kuzet.verify.upkeep import case_upkeep

from .conftest import LocalWeb, Reply, SeedCase

STUB = "<html><body><p>Доступ к данному ресурсу ограничен. Статья 41-1 Закона РК «О связи».</p></body></html>"


def test_upkeep_moves_blocked_cases_and_logs_overdue_ones(
    db: Database, vsettings: Settings, seed_case: SeedCase, local_web: LocalWeb, caplog: pytest.LogCaptureFixture
) -> None:
    now = utcnow()
    blocked = seed_case([local_web.url("blocked-casino.test")], sent_at=now - timedelta(days=1))
    still_up = seed_case([local_web.url("live-casino.test")], sent_at=now - timedelta(days=3))
    local_web.replies["blocked-casino.test"] = Reply(body=STUB)
    with Fetcher(vsettings) as fetcher, caplog.at_level(logging.WARNING, logger="kuzet.verify"):
        done = case_upkeep(db, vsettings, fetcher, now=now)
        assert done.rechecked == 2 and done.moved == {blocked: "blocked"}
        assert done.overdue == [still_up] and f"case {still_up}" in caplog.text
        # Checked just now: nothing is due in the next round.
        again = case_upkeep(db, vsettings, fetcher, now=now + timedelta(minutes=5))
        assert again.rechecked == 0
    with db.session() as s:
        assert s.get(CaseRow, blocked).status == "blocked"
        assert s.get(CaseRow, still_up).status == "sent"
