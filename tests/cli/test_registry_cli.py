from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kuzet.cli import app

SHARED_SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "registry_sample.csv"


@pytest.fixture
def env(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KUZET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KUZET_DATABASE_URL", db_url)
    return tmp_path


def _dump(tmp_path: Path) -> Path:
    lines = [
        "Updated: 2026-11-01 10:00:00 +0000",
        "1.2.3.4 | 5.6.7.8;vulkan-royal.test;;Суд Алмалинского района;2-1234/26;2026-03-15",
        "9.9.9.9;*.zerkalo-casino.test;http://zerkalo-casino.test/bonus | https://a.zerkalo-casino.test/x;МКИ РК;"
        "77-ап;2026-04-01",
        "4.4.4.4;*.mask-casino.test;;МКИ РК;78-ап;2026-04-02",
        "this row is broken",
    ]
    p = tmp_path / "dump.csv"
    p.write_bytes(("\n".join(lines) + "\n").encode("cp1251"))
    return p


def test_import_and_check_the_public_dump_format(env: Path) -> None:
    runner = CliRunner()
    dump = _dump(env)
    res = runner.invoke(app, ["registry", "import", str(dump)])
    assert res.exit_code == 0, res.output
    first = json.loads(res.stdout.strip().splitlines()[-1])
    assert first["added"] > 0 and first["bad_rows"] == 1
    again = runner.invoke(app, ["registry", "import", str(dump)])
    second = json.loads(again.stdout.strip().splitlines()[-1])
    assert second["added"] == 0 and second["already_present"] == first["added"]

    hit = runner.invoke(app, ["registry", "check", "http://www.vulkan-royal.test/any/page?x=1"])
    assert hit.exit_code == 0, hit.output
    entry = json.loads(hit.stdout.strip().splitlines()[0])
    assert entry["decision_number"] == "2-1234/26" and entry["decision_date"] == "2026-03-15"
    # URLs listed: only those URLs (and below) are covered, not the rest of the domain
    url_hit = runner.invoke(app, ["registry", "check", "http://zerkalo-casino.test/bonus/today"])
    assert url_hit.exit_code == 0 and "77-ап" in url_hit.stdout
    assert runner.invoke(app, ["registry", "check", "http://zerkalo-casino.test/news"]).exit_code == 1
    sub = runner.invoke(app, ["registry", "check", "https://m.mask-casino.test/"])
    assert sub.exit_code == 0 and "78-ап" in sub.stdout
    miss = runner.invoke(app, ["registry", "check", "http://licensed-bookmaker.test/"])
    assert miss.exit_code == 1 and miss.stdout == ""


def test_missing_file_is_a_clear_error(env: Path) -> None:
    res = CliRunner().invoke(app, ["registry", "import", str(env / "nope.csv")])
    assert res.exit_code == 2
    assert "no such file" in res.output


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="../shared/data is not beside the checkout")
def test_shared_registry_sample(env: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["registry", "import", str(SHARED_SAMPLE)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout.strip().splitlines()[-1])["bad_rows"] == 0
    hit = runner.invoke(app, ["registry", "check", "http://betway.com/any/page"])
    assert hit.exit_code == 0
    assert "2-946/13" in hit.stdout and "2013-06-10" in hit.stdout


def test_db_upgrade_in_empty_folder(env: Path) -> None:
    res = CliRunner().invoke(app, ["db", "upgrade"])
    assert res.exit_code == 0, res.output


def test_manual_entry_is_checked_audited_and_matched(env: Path) -> None:
    runner = CliRunner()
    args = ["registry", "add", "https://t.me/s/Casino_Mirror_Bot", "--authority", "Суд г. Астаны"]
    res = runner.invoke(
        app, [*args, "--decision-number", "2-99/26", "--decision-date", "01.02.2026", "--actor", "ivanova"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out == {"added": 1, "resource": "t.me/casino_mirror_bot", "kind": "channel", "actor": "ivanova"}
    again = runner.invoke(app, [*args, "--decision-number", "2-99/26", "--decision-date", "2026-02-01"])
    assert json.loads(again.stdout)["added"] == 0  # the same decision, the date written another way
    hit = runner.invoke(app, ["registry", "check", "t.me/casino_mirror_bot"])
    assert hit.exit_code == 0 and "2-99/26" in hit.stdout and "2026-02-01" in hit.stdout
    # Missing decision details and bad dates are refused with a clear message.
    res = runner.invoke(
        app,
        [
            "registry",
            "add",
            "casino.test",
            "--authority",
            "x",
            "--decision-number",
            "",
            "--decision-date",
            "2026-01-01",
        ],
    )
    assert res.exit_code == 2 and "decision number" in res.output
    res = runner.invoke(
        app,
        ["registry", "add", "casino.test", "--authority", "x", "--decision-number", "1", "--decision-date", "someday"],
    )
    assert res.exit_code == 2 and "date" in res.output

    from sqlalchemy import select

    from kuzet.settings import get_settings
    from kuzet.store.audit import verify_chain
    from kuzet.store.db import open_database
    from kuzet.store.models import AuditEvent

    db = open_database(get_settings().db_url)
    with db.session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == "registry_import")).all()
        assert [(e.object_id, e.actor) for e in events][0] == ("manual", "ivanova")
        assert verify_chain(s) == []
    db.dispose()
