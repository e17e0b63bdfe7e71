"""`kuzet source add|list|remove`, and the sources app merged into a parent CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from kuzet.sources.cli import app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KUZET_MODE", "development")
    monkeypatch.setenv("KUZET_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def test_source_add_list_remove(env: Path) -> None:
    run = CliRunner()
    r = run.invoke(
        app, ["source", "add", "website", "site", "https://site.kz/", "--set", "max_depth=3", "--set", "prefix=/news/"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"source": "site", "changed": True}
    r = run.invoke(app, ["source", "add", "ftp", "x", "ftp://x"])
    assert r.exit_code == 2 and "unknown kind" in r.output
    rows = [json.loads(x) for x in run.invoke(app, ["source", "list", "--json"]).stdout.splitlines()]
    assert (
        rows[0]["name"] == "site" and rows[0]["config"] == {"max_depth": 3, "prefix": "/news/"} and rows[0]["enabled"]
    )
    assert run.invoke(app, ["source", "remove", "site"]).exit_code == 0
    rows = [json.loads(x) for x in run.invoke(app, ["source", "list", "--json"]).stdout.splitlines()]
    assert rows[0]["enabled"] is False
    r = run.invoke(app, ["source", "remove", "nope"])
    assert r.exit_code == 2 and "no source named" in r.output


def test_merges_into_a_parent_cli(env: Path) -> None:
    parent = typer.Typer()

    @parent.command()
    def version() -> None:
        typer.echo("0")

    parent.add_typer(app)
    out = CliRunner().invoke(parent, ["--help"]).stdout
    assert all(cmd in out for cmd in ("crawl", "monitor", "source", "version"))
    r = CliRunner().invoke(parent, ["monitor", "--config", str(env / "missing.toml")])
    assert r.exit_code == 2 and "cannot read monitor config" in r.output
