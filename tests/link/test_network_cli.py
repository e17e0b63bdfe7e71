"""kuzet network show / list / path / export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kuzet.cli import app
from kuzet.link.stage import Linker
from kuzet.store.db import open_database

from .netfixtures import flagged, register

WALLET = "TATtZkaFysNie6RJiwb3frfDdYPtrtGxRF"


@pytest.fixture
def env(tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KUZET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KUZET_DATABASE_URL", db_url)
    db = open_database(db_url)
    with db.session() as s:
        register(s)
        fs = [
            flagged(s, "vulkan-royal.test", [("tron", WALLET)]),
            flagged(s, "vulkan-royal7.test", [("tron", WALLET), ("promo_code", "VULKAN777")]),
            flagged(s, "aktsiya-bonus.test", [("promo_code", "VULKAN777"), ("domain", "vulkan-royal7.test")]),
            flagged(s, "lucky-steppe.test", [("btc", "bc1qx")]),
            flagged(s, "sapa-bank.test", [("tron", WALLET)], label="benign"),
        ]
        for f in fs:
            if f.id:
                Linker().link_finding(s, f.id)
    db.dispose()
    return tmp_path


def _run(*args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["network", *args])
    return res.exit_code, res.stdout


def test_show_resource_list_and_path(env: Path) -> None:
    code, out = _run("show", "http://aktsiya-bonus.test/promo?x=1", "--json")
    assert code == 0, out
    net = json.loads(out)
    by_key = {m["resource"]: m for m in net["members"]}
    assert set(by_key) == {"vulkan-royal.test", "vulkan-royal7.test", "aktsiya-bonus.test"}
    assert by_key["aktsiya-bonus.test"]["via_resource"] == "vulkan-royal7.test"
    assert any("МКИ-17-4/2026-4821" in d for d in by_key["vulkan-royal.test"]["decisions"])
    assert {"tron", "promo_code", "domain"} <= {sh["kind"] for sh in net["shared"]}

    code, out = _run("list", "--json")
    assert code == 0 and [n["listed"] for n in json.loads(out)] == [["vulkan-royal.test"]]

    code, out = _run("path", "aktsiya-bonus.test", "vulkan-royal.test", "--json")
    steps = json.loads(out)["path"]
    assert code == 0 and [(st["from"], st["to"]) for st in steps] == [
        ("aktsiya-bonus.test", "vulkan-royal7.test"),
        ("vulkan-royal7.test", "vulkan-royal.test"),
    ]
    code, out = _run("path", "lucky-steppe.test", "vulkan-royal.test")
    assert code == 1 and "not linked" in out
    code, out = _run("show", "lucky-steppe.test")
    assert code == 0 and "in no network" in out


def test_show_indicator_lists_every_resource_carrying_it(env: Path) -> None:
    code, out = _run("show", WALLET, "--json")
    assert code == 0, out
    rows = {r["resource"]: r for r in json.loads(out)["resources"]}
    # The benign page is listed (where else does this wallet appear?) but is in no network.
    assert set(rows) == {"vulkan-royal.test", "vulkan-royal7.test", "sapa-bank.test"}
    assert rows["sapa-bank.test"]["network"] is None and rows["vulkan-royal.test"]["network"] is not None
    code, _ = _run("show", "no-such-thing")
    assert code == 1


def test_export_stix(env: Path) -> None:
    code, out = _run("list", "--json")
    nid = json.loads(out)[0]["id"]
    target = env / "net.stix.json"
    code, out = _run("export", str(nid), "--stix", str(target))
    assert code == 0, out
    assert json.loads(target.read_text(encoding="utf-8"))["type"] == "bundle"
    code, _ = _run("export", "999", "--stix", str(env / "x.json"))
    assert code == 1
