"""``kuzet report`` reproduces fixed figures exactly: a known set of cases, findings and events
with fixed timestamps, and the whole table asserted."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from kuzet.cases import transition
from kuzet.cli import app
from kuzet.settings import Settings
from kuzet.store.db import Database
from kuzet.store.frontier import CrawlUrl
from kuzet.store.models import CaseRow, NotificationRow, Source
from kuzet.store.repo import get_or_create_resource
from kuzet.urls import canonical_url
from kuzet.verify.stats import Distribution, build_report, distribution

from .conftest import seed_finding

H = 3600
D = 24 * H


def at(y: int, m: int, d: int, h: int = 0) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def _send(s, cid: int, when: datetime) -> None:  # type: ignore[no-untyped-def]
    transition(s, cid, "submit", actor="analyst", at=when)
    transition(s, cid, "approve", actor="supervisor", at=when)
    transition(s, cid, "draft", actor="kuzet", at=when)
    transition(s, cid, "send", actor="kuzet", at=when)


def _case(s, key: str, route: str, created: datetime, resource: str) -> int:  # type: ignore[no-untyped-def]
    res = get_or_create_resource(s, resource, "channel" if resource.startswith("t.me/") else "site")
    c = CaseRow(key=key, route=route, title=key, created_at=created, resource_id=res.id)
    s.add(c)
    s.flush()
    s.add(NotificationRow(case_id=c.id, kind="doc", lang="ru", path="/tmp/n", sha256="d"))
    return c.id


@pytest.fixture
def known(db: Database) -> None:
    with db.session() as s:
        src = Source(kind="website", name="casino-a", url="http://casino-a.test/")
        s.add(src)
        s.flush()
        promo = "http://casino-a.test/promo"
        s.add(
            CrawlUrl(
                source_id=src.id,
                url_key=canonical_url(promo),
                url=promo,
                host="casino-a.test",
                first_seen=at(2026, 1, 5, 6),
            )
        )

        c1 = _case(s, "c1", "blocking", at(2026, 1, 5, 10), "casino-a.test")
        seed_finding(
            s, c1, "http://casino-a.test/", text="a", created_at=at(2026, 1, 5, 10), published_at=at(2026, 1, 4, 10)
        )
        seed_finding(s, c1, promo, text="b", created_at=at(2026, 1, 5, 12))
        _send(s, c1, at(2026, 1, 6))
        transition(s, c1, "blocked", actor="kuzet", at=at(2026, 1, 7))

        c2 = _case(s, "c2", "blocking", at(2026, 2, 10), "casino-b.test")
        seed_finding(
            s, c2, "http://casino-b.test/", text="c", created_at=at(2026, 2, 10), published_at=at(2026, 2, 9, 22)
        )
        _send(s, c2, at(2026, 2, 11))
        transition(s, c2, "removed", actor="kuzet", at=at(2026, 2, 14))

        c3 = _case(s, "c3", "criminal", at(2026, 2, 20), "pyramid.test")
        seed_finding(s, c3, "http://pyramid.test/", text="d", label="pyramid", created_at=at(2026, 2, 20))
        # Dismissed: counted nowhere, and no vote in the case's category.
        seed_finding(
            s, c3, "http://pyramid.test/x", text="e", label="gambling", created_at=at(2026, 2, 20), status="dismissed"
        )
        _send(s, c3, at(2026, 2, 21))
        transition(s, c3, "blocked", actor="kuzet", at=at(2026, 2, 21, 12))
        transition(s, c3, "reopen", actor="kuzet", reason="content is back", at=at(2026, 2, 25))
        _send(s, c3, at(2026, 3, 1))
        transition(s, c3, "blocked", actor="kuzet", at=at(2026, 3, 3))

        c4 = _case(s, "c4", "administrative", at(2026, 3, 15), "t.me/drops_kz")
        seed_finding(
            s,
            c4,
            "https://t.me/s/drops_kz/12",
            text="f",
            label="drops",
            created_at=at(2026, 3, 15, 8),
            published_at=at(2026, 3, 15, 7),
        )

        # Created before the period, blocked inside it: only its block counts.
        c5 = _case(s, "c5", "blocking", at(2025, 12, 20), "old-casino.test")
        seed_finding(s, c5, "http://old-casino.test/", text="g", created_at=at(2025, 12, 20))
        _send(s, c5, at(2025, 12, 21))
        transition(s, c5, "blocked", actor="kuzet", at=at(2026, 1, 2))

        # After the period: nothing of it counts.
        c6 = _case(s, "c6", "blocking", at(2026, 4, 1), "late.test")
        seed_finding(s, c6, "http://late.test/", text="h", created_at=at(2026, 4, 1))


EXPECTED_COUNTS = [
    ("category", "drops", 1, 1),
    ("category", "gambling", 2, 3),
    ("category", "pyramid", 1, 1),
    ("platform", "telegram", 1, 1),
    ("platform", "web", 3, 4),
    ("route", "administrative", 1, 1),
    ("route", "blocking", 2, 3),
    ("route", "criminal", 1, 1),
    ("status", "blocked", 2, 3),
    ("status", "content_removed", 1, 1),
    ("status", "new", 1, 1),
    ("month", "2026-01", 1, 2),
    ("month", "2026-02", 2, 2),
    ("month", "2026-03", 1, 1),
]
EXPECTED_RESTRICTED = [("gambling", 3, 3), ("pyramid", 1, 1)]
EXPECTED_DURATIONS = [
    # 1 h, 2 h, 6 h (frontier first seen), 1 day; the pyramid finding has no start and is left out
    ("time_to_detect", 4, 4 * H, 1 * D, 1 * H, 1 * D),
    # 12 h, 1 day, 2 days, 3 days, 12 days (the old case's block falls in the period)
    ("time_to_block", 5, 2 * D, 12 * D, 12 * H, 12 * D),
]


def test_report_reproduces_the_fixed_figures(db: Database, known: None) -> None:
    with db.session() as s:
        r = build_report(s, date(2026, 1, 1), date(2026, 3, 31))
    assert [(c.dimension, c.key, c.cases, c.findings) for c in r.counts] == EXPECTED_COUNTS
    assert [(x.category, x.resources, x.cases) for x in r.restricted] == EXPECTED_RESTRICTED
    assert [(d.metric, d.n, d.median_s, d.p90_s, d.min_s, d.max_s) for d in r.durations] == EXPECTED_DURATIONS


def test_report_period_bounds_are_whole_days(db: Database, known: None) -> None:
    with db.session() as s:
        january = build_report(s, date(2026, 1, 1), date(2026, 1, 31))
        nothing = build_report(s, date(2027, 1, 1), date(2027, 12, 31))
    assert [(x.category, x.resources) for x in january.restricted] == [("gambling", 2)]
    assert [c.key for c in january.counts if c.dimension == "month"] == ["2026-01"]
    assert nothing.counts == [] and nothing.restricted == []
    assert nothing.durations[1] == Distribution("time_to_block", 0, None, None, None, None)


def test_distribution_definitions() -> None:
    assert distribution("x", [5, 1, 3]) == Distribution("x", 3, 3.0, 5.0, 1.0, 5.0)
    # p90 by nearest rank: the 9th of 10, the 10th of 11, the 63rd of 70 (not the 64th).
    assert distribution("x", range(1, 11)).p90_s == 9.0
    assert distribution("x", range(1, 12)).p90_s == 10.0
    assert distribution("x", range(1, 71)).p90_s == 63.0
    assert distribution("x", [7]).median_s == 7.0


def test_report_command_json_csv_xlsx(db: Database, known: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(mode="development", data_dir=tmp_path / "data", database_url=db.url)
    env = {"KUZET_MODE": "development", "KUZET_DATA_DIR": str(settings.data_dir), "KUZET_DATABASE_URL": db.url}
    runner = CliRunner()
    args = ["report", "--from", "2026-01-01", "--to", "2026-03-31"]

    r = runner.invoke(app, args, env=env)
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["from"], data["to"]) == ("2026-01-01", "2026-03-31")
    assert [(x["dimension"], x["key"], x["cases"], x["findings"]) for x in data["counts"]] == EXPECTED_COUNTS
    assert data["durations"][1]["median_s"] == 2 * D

    r = runner.invoke(app, [*args, "--format", "csv"], env=env)
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    by = {(x["table"], x["dimension"], x["key"], x["metric"]): x["value"] for x in rows}
    assert by[("restricted", "category", "gambling", "resources")] == "3"
    assert by[("durations", "time_to_detect", "", "median_s")] == str(float(4 * H))
    assert len(rows) == 2 * len(EXPECTED_COUNTS) + 2 * 2 + 5 * 2

    out = tmp_path / "report.xlsx"
    r = runner.invoke(app, [*args, "--out", str(out)], env=env)
    assert r.exit_code == 0, r.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["period", "counts", "restricted", "durations"]
    sheet = [tuple(row) for row in wb["restricted"].iter_rows(values_only=True)]
    assert sheet == [("category", "resources", "cases"), *EXPECTED_RESTRICTED]
    counts = [tuple(row) for row in wb["counts"].iter_rows(values_only=True)]
    assert counts[1:] == EXPECTED_COUNTS

    assert runner.invoke(app, [*args, "--format", "xlsx"], env=env).exit_code == 2
    assert runner.invoke(app, ["report", "--from", "2026-02-01", "--to", "2026-01-01"], env=env).exit_code == 2
    assert runner.invoke(app, ["report", "--from", "yesterday", "--to", "2026-01-01"], env=env).exit_code == 2


def test_spreadsheet_cells_never_start_a_formula() -> None:
    from kuzet.verify.report import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell(None) == "" and _cell(3) == 3
