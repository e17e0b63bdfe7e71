"""``kuzet demo``: the whole pipeline on the bundled sandbox web, with the embedded default.

The sandbox listens on a fixed port (8765 unless told otherwise) so that a demo killed mid-run and
started again sees the same URLs, finds its jobs and rows by their keys, and finishes without
duplicates. ``--fresh`` starts over in a data folder that only a demo has used.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from kuzet.errors import KuzetError
from kuzet.link.allowlist import allow_entry
from kuzet.records import RegistryEntry
from kuzet.run.queue import SqlTaskQueue
from kuzet.run.runner import LocalRunner, RunStats
from kuzet.run.services import Services
from kuzet.run.stages import Pipeline, fetch_job
from kuzet.settings import Settings, get_settings
from kuzet.store.allowlist import add_allow_entries
from kuzet.store.db import Database, open_database
from kuzet.store.models import (
    BundleRow,
    CaseRow,
    DocumentRow,
    FindingRow,
    JobRow,
    NotificationRow,
    Resource,
    Source,
)
from kuzet.store.repo import add_registry_entries

MARKER = "demo-state.json"
ROUTES = ("criminal", "administrative", "blocking")


class DemoError(KuzetError):
    pass


def _prepare_data_dir(settings: Settings, fresh: bool) -> None:
    data = settings.data_dir
    if fresh and data.exists():
        if not (data / MARKER).exists() and any(data.iterdir()):
            raise DemoError(f"--fresh refuses to delete {data}: it holds data that no demo wrote")
        shutil.rmtree(data)
    data.mkdir(parents=True, exist_ok=True)


def seed(db: Database, sandbox_url: Any) -> list[Any]:
    """Sources and the registry entry of the sandbox; fetch jobs for every seed (idempotent)."""
    from kuzet.sandbox import catalog

    jobs = []
    with db.session() as s:
        for sd in catalog.seeds():
            url = sandbox_url(sd.host, sd.path)
            src = s.execute(select(Source).where(Source.name == sd.name)).scalar_one_or_none()
            if src is None:
                src = Source(kind=sd.kind, name=sd.name, url=url, config={})
                s.add(src)
                s.flush()
            scope: dict[str, Any] = {"kind": sd.kind, "host": sd.host, "prefix": "/", "max_depth": 2, "max_pages": 40}
            if sd.kind == "telegram":
                scope["max_pages"] = 3
            if sd.kind == "feed":
                scope = {"kind": "feed", "host": sd.host, "prefix": "/", "max_depth": 0, "max_pages": 1}
            jobs.append(fetch_job(url, source_id=src.id, scope=scope))
        entries = [RegistryEntry(**row) for row in catalog.registry_rows()]
        add_registry_entries(s, entries, origin="sandbox registry")
        allowed = [allow_entry(r["resource"], r["category"], r["reason"]) for r in catalog.allowlist_rows()]
        add_allow_entries(s, allowed, origin="sandbox allow-list", actor="demo")
    return jobs


def run_demo(settings: Settings, *, sandbox_port: int = 8765, fresh: bool = False, progress: bool = True) -> dict:
    from kuzet.sandbox.server import SandboxServer

    _prepare_data_dir(settings, fresh)
    server = SandboxServer(port=sandbox_port)
    try:
        server.start()
    except OSError as e:
        raise DemoError(f"cannot start the sandbox on 127.0.0.1:{sandbox_port}: {e} (use --sandbox-port)") from e
    try:
        settings = get_settings(**{**settings.model_dump(), "mode": "development", "resolve": server.resolve_setting})
        (settings.data_dir / MARKER).write_text(json.dumps({"sandbox_port": sandbox_port}), encoding="utf-8")
        db = open_database(settings.db_url)
        queue = SqlTaskQueue(db)
        queue.enqueue(seed(db, server.url))
        services = Services(settings, db)
        runner = LocalRunner(db, queue, Pipeline(services).handlers())
        started = time.monotonic()
        try:
            stats = _run_with_progress(runner, queue, progress)
        finally:
            services.close()
        summary = summarize(db, settings)
        summary["elapsed_s"] = round(time.monotonic() - started, 1)
        summary["failed_jobs"] = stats.failed
        summary["job_errors"] = stats.errors[:20]
        db.dispose()
        return summary
    finally:
        server.stop()


def _run_with_progress(runner: LocalRunner, queue: SqlTaskQueue, show: bool) -> RunStats:
    console = Console(stderr=True)
    if not show:
        return runner.run_until_idle()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("pipeline", total=None, stage="")

        def tick(stats: RunStats) -> None:
            counts = queue.counts()
            total = sum(counts.values())
            done = counts.get("done", 0) + counts.get("failed", 0)
            stages = " ".join(f"{k}:{v}" for k, v in sorted(stats.by_stage.items()))
            bar.update(task, total=total, completed=done, stage=stages)

        return runner.run_until_idle(on_job=tick)


def summarize(db: Database, settings: Settings) -> dict[str, Any]:
    """The demo's figures, read back from the database (so a resumed run reports the whole run)."""
    from kuzet.sandbox import catalog

    key = catalog.answer_key()
    with db.session() as s:
        documents = s.execute(select(func.count()).select_from(DocumentRow)).scalar() or 0
        findings = Counter(str(lbl) for (lbl,) in s.execute(select(FindingRow.label)).all())
        routes = Counter(str(r) for (r,) in s.execute(select(CaseRow.route)).all())
        bundles = s.execute(select(func.count()).select_from(BundleRow)).scalar() or 0
        notes = [
            str(p)
            for (p,) in s.execute(
                select(NotificationRow.path).where(NotificationRow.status != "pending").order_by(NotificationRow.id)
            ).all()
        ]
        flagged = s.execute(
            select(DocumentRow.url, DocumentRow.kind, DocumentRow.post_id, FindingRow.label).join(
                FindingRow, FindingRow.document_id == DocumentRow.id
            )
        ).all()
        docs = s.execute(select(DocumentRow.url, DocumentRow.kind, DocumentRow.post_id)).all()
        failed = s.execute(select(func.count()).select_from(JobRow).where(JobRow.status == "failed")).scalar() or 0
        routed = _routed_findings(s)
        report_check = check_report(s, key)
    check = check_against_key(key, [tuple(d) for d in docs], [tuple(f) for f in flagged])
    nets = check_networks(key, routed)
    return {
        "documents": int(documents),
        "findings": {lbl: int(findings.get(lbl, 0)) for lbl in ("gambling", "pyramid", "illegal_finance")},
        "routes": {r: int(routes.get(r, 0)) for r in ROUTES},
        "bundles": int(bundles),
        "notifications": notes,
        "hard_negatives_flagged": check["hard_negatives_flagged"],
        "planted_missed": check["missed"],
        "wrong_label": check["wrong_label"],
        "benign_flagged": check["benign_flagged"],
        "networks": nets["networks"],
        "split_networks": nets["split"],
        "merged_networks": nets["merged"],
        "network_intruders": nets["intruders"],
        "wrong_route": nets["wrong_route"],
        "report_vs_key": report_check,
        "jobs_failed": int(failed),
        "data_dir": str(Path(settings.data_dir).resolve()),
    }


def _key_of(url: str, kind: str, post_id: str | None) -> str:
    """The answer key's name for a stored document (pages by host and path, posts by channel/ID)."""
    parts = urlsplit(url)
    if kind == "telegram_post":
        return f"t.me.test{parts.path}"
    if kind == "feed_item":
        return f"feed#{post_id}"
    return f"{parts.hostname}{parts.path or '/'}"


def check_against_key(
    key: dict[str, Any], docs: list[tuple[Any, ...]], flagged: list[tuple[Any, ...]]
) -> dict[str, Any]:
    """Compare the run with the sandbox's answer key: misses, false alarms, wrong labels."""
    items: dict[str, dict[str, Any]] = {}
    for it in key.get("items", []):
        name = f"feed#{it['guid']}" if it["kind"] == "feed_item" else it["url_path"]
        items[name] = it
    seen = {_key_of(u, k, p) for u, k, p in docs}
    found: dict[str, str] = {_key_of(u, k, p): str(lbl) for u, k, p, lbl in flagged}
    missed = sorted(n for n, it in items.items() if it["label"] != "benign" and n in seen and n not in found)
    not_reached = sorted(n for n, it in items.items() if it["label"] != "benign" and n not in seen)
    hard = sorted(n for n in found if items.get(n, {}).get("hard_negative"))
    benign = sorted(n for n in found if items.get(n, {}).get("label") == "benign")
    wrong = sorted(
        f"{n}: {lbl} (key: {items[n]['label']})"
        for n, lbl in found.items()
        if n in items and items[n]["label"] not in ("benign", lbl)
    )
    return {
        "missed": missed + [f"{n} (not fetched)" for n in not_reached],
        "hard_negatives_flagged": len(hard),
        "hard_negative_urls": hard,
        "benign_flagged": benign,
        "wrong_label": wrong,
    }


def _routed_findings(s: Any) -> list[tuple[Any, ...]]:
    """(url, kind, post id, route, resource key, network id) of every finding."""
    from kuzet.link.networks import network_of

    rows = s.execute(
        select(DocumentRow.url, DocumentRow.kind, DocumentRow.post_id, FindingRow.route, Resource.id, Resource.key)
        .join(FindingRow, FindingRow.document_id == DocumentRow.id)
        .join(Resource, Resource.id == FindingRow.resource_id, isouter=True)
    ).all()
    return [(u, k, p, r, key, network_of(s, rid) if rid else None) for u, k, p, r, rid, key in rows]


def check_report(s: Any, key: dict[str, Any]) -> dict[str, Any]:
    """``kuzet report`` over the demo's days against the answer key: findings per category and per
    route must be the key's counts of planted items per label and per expected route."""
    from datetime import UTC, datetime

    from kuzet.verify.stats import build_report

    first = s.execute(select(func.min(FindingRow.created_at))).scalar()
    today = datetime.now(UTC).date()
    report = build_report(s, (first.date() if first else today), today)
    got: dict[str, dict[str, int]] = {"category": {}, "route": {}}
    for row in report.counts:
        if row.dimension in got:
            got[row.dimension][row.key] = row.findings
    planted = [it for it in key.get("items", []) if it["label"] != "benign"]
    expected = {
        "category": dict(Counter(it["label"] for it in planted)),
        "route": dict(Counter(it["expected_route"] for it in planted)),
    }
    return {"expected": expected, "report": got, "matches": got == expected}


def check_networks(key: dict[str, Any], routed: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Planted networks against kuzet's: each planted network in one kuzet network (split when not),
    no kuzet network holding two planted ones (merged) or an unplanted resource (intruder); and
    each flagged item's proposed route against the key's ``expected_route``."""
    items: dict[str, dict[str, Any]] = {}
    for it in key.get("items", []):
        items[f"feed#{it['guid']}" if it["kind"] == "feed_item" else it["url_path"]] = it
    planted: dict[str, dict[str, int | None]] = {}  # planted network -> resource key -> kuzet network
    unplanted: dict[str, int | None] = {}
    wrong: list[str] = []
    for url, kind, post_id, route, res_key, net in routed:
        it = items.get(_key_of(url, kind, post_id))
        if it is None:
            continue
        if it.get("network"):
            planted.setdefault(it["network"], {})[res_key] = net
        else:
            unplanted[res_key] = net
        if it.get("expected_route") and route != it["expected_route"]:
            wrong.append(f"{_key_of(url, kind, post_id)}: {route} (key: {it['expected_route']})")
    networks = {name: sorted({n for n in m.values() if n is not None}) for name, m in sorted(planted.items())}
    split = sorted(
        name for name, m in planted.items() if len(m) > 1 and (len(set(m.values())) > 1 or None in m.values())
    )
    owners: dict[int, set[str]] = {}
    for name, ids in networks.items():
        for n in ids:
            owners.setdefault(n, set()).add(name)
    merged = sorted(f"{n}: {', '.join(sorted(names))}" for n, names in owners.items() if len(names) > 1)
    intruders = sorted(f"{k} in network {n}" for k, n in unplanted.items() if n is not None)
    return {
        "networks": networks,
        "split": split,
        "merged": merged,
        "intruders": intruders,
        "wrong_route": sorted(wrong),
    }


def print_summary(summary: dict[str, Any], console: Console) -> None:
    t = Table(title="kuzet demo", show_header=False)
    t.add_row("documents", str(summary["documents"]))
    t.add_row("findings", ", ".join(f"{k}: {v}" for k, v in summary["findings"].items()))
    t.add_row("routes (cases)", ", ".join(f"{k}: {v}" for k, v in summary["routes"].items()))
    t.add_row("evidence bundles", str(summary["bundles"]))
    t.add_row("documents drafted", str(len(summary["notifications"])))
    t.add_row("hard negatives flagged", str(summary["hard_negatives_flagged"]))
    t.add_row("planted violations missed", str(len(summary["planted_missed"])))
    t.add_row("networks (planted -> kuzet)", ", ".join(f"{k}: {v}" for k, v in summary["networks"].items()))
    t.add_row("split / merged networks", f"{len(summary['split_networks'])} / {len(summary['merged_networks'])}")
    t.add_row("routes unlike the key", str(len(summary["wrong_route"])))
    t.add_row("failed jobs", str(summary["jobs_failed"]))
    t.add_row("data folder", summary["data_dir"])
    console.print(t)
    for path in summary["notifications"][:10]:
        console.print(f"  {path}", markup=False, highlight=False)
