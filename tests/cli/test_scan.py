from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kuzet.cli import app
from kuzet.sandbox.server import SandboxServer

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as srv:
        yield srv


@pytest.fixture
def dev(sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KUZET_MODE", "development")
    monkeypatch.setenv("KUZET_RESOLVE", sandbox.resolve_setting)
    monkeypatch.setenv("KUZET_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def _scan(*args: str) -> tuple[int, dict]:
    res = CliRunner().invoke(app, ["scan", *args])
    return res.exit_code, (json.loads(res.stdout) if res.exit_code == 0 else {"output": res.output})


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed")
def test_scan_page_captures_a_bundle_that_verifies(sandbox: SandboxServer, dev: Path) -> None:
    code, out = _scan(sandbox.url("vulkan-royal7.test"), "--out", str(dev / "bundle"))
    assert code == 0, out
    assert out["label"] == "gambling" and out["score"] > 0.9
    kinds = {(i["kind"], i["value"]) for i in out["indicators"]}
    assert ("tron", "TATtZkaFysNie6RJiwb3frfDdYPtrtGxRF") in kinds
    cards = [i["value"] for i in out["indicators"] if i["kind"] == "card"]
    assert cards and all(c.replace("•", "").replace(" ", "") == "5697" for c in cards)  # masked
    assert len(kinds) == len(out["indicators"])  # no duplicates
    assert out["bundle"] == str(dev / "bundle") and out["evidence_parts"]["screenshot"] == "ok"
    verify = CliRunner().invoke(app, ["evidence", "verify", out["bundle"]])
    assert verify.exit_code == 0, verify.output
    (dev / "bundle" / "text.txt").write_text("tampered")
    assert CliRunner().invoke(app, ["evidence", "verify", out["bundle"]]).exit_code == 1


def test_scan_telegram_preview_gives_one_verdict_per_post(sandbox: SandboxServer, dev: Path) -> None:
    code, out = _scan(sandbox.url("t.me.test", "/s/kapper_express_kz"), "--no-capture")
    assert code == 0, out
    assert out["channel"] == "t.me/kapper_express_kz" and out["label"] == "gambling"
    assert len(out["posts"]) >= 5
    assert all(p["url"].startswith("https://t.me/kapper_express_kz/") for p in out["posts"])
    assert {p["label"] for p in out["posts"]} >= {"gambling"}
    assert out["bundle"] is None


def test_scan_refuses_loopback_in_production(sandbox: SandboxServer, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KUZET_DATA_DIR", str(tmp_path))
    res = CliRunner().invoke(app, ["scan", "--no-capture", f"http://127.0.0.1:{sandbox.port}/"])
    assert res.exit_code == 2
    assert "non-public address" in res.output and "--allow-private" in res.output
    ok = CliRunner().invoke(
        app, ["scan", "--no-capture", "--allow-private", f"http://127.0.0.1:{sandbox.port}/_site/dala-news.test/"]
    )
    assert ok.exit_code == 0 and json.loads(ok.stdout)["label"] == "benign"
