"""examples/monitor.toml, as shipped, ingests the sandbox web: its sites, URL list, Telegram
previews, feed and new-domain list all end up as documents (the test server's port replaces the
example's 8765; fetch and extract only, so no browser is needed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from kuzet.sandbox.server import SandboxServer
from kuzet.settings import Settings
from kuzet.sources.monitor import load_config, run_monitor
from kuzet.store.db import Database
from kuzet.store.models import DocumentRow, SnapshotRow, Source

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "monitor.toml"


def _on_port(value: Any, port: int) -> Any:
    if isinstance(value, str):
        return value.replace(":8765", f":{port}")
    if isinstance(value, list):
        return [_on_port(v, port) for v in value]
    return value


def test_the_example_config_ingests_every_source_kind_of_the_sandbox(
    tmp_path: Path, db_url: str, db: Database, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(EXAMPLE)
    assert cfg.concurrency >= 1 and cfg.per_host >= 1
    for src in cfg.sources:
        for key, value in list(src.items()):
            src[key] = sandbox.port if key == "port" else _on_port(value, sandbox.port)
    cfg.stages = ("fetch", "extract")
    cfg.delay = 0.0  # the example's politeness is for a shared server; the sandbox is ours
    settings = Settings(
        mode="development",
        data_dir=tmp_path / "data",
        database_url=db_url,
        resolve=sandbox.resolve_setting,
        total_timeout=5.0,
        read_timeout=4.0,
    )
    monkeypatch.chdir(ROOT)  # the example names its new-domain list relative to the repository
    assert os.path.exists(cfg.sources[-1]["file"])
    summary = run_monitor(settings, db, cfg, once=True)
    assert summary.jobs.failed == 0, summary.jobs.errors[:5]
    with db.session() as s:
        per_source = dict(
            s.execute(
                select(Source.kind, func.count(DocumentRow.id))
                .join(SnapshotRow, SnapshotRow.source_id == Source.id)
                .join(DocumentRow, DocumentRow.snapshot_id == SnapshotRow.id)
                .group_by(Source.kind)
            ).all()
        )
        kinds = set(s.execute(select(DocumentRow.kind)).scalars())
    assert set(per_source) == {"website", "urls", "telegram", "feed", "newdomains"}, per_source
    assert all(n > 0 for n in per_source.values())
    assert {"page", "telegram_post", "feed_item"} <= kinds
