"""CLI commands of the sources stage: ``kuzet crawl``, ``kuzet monitor``, ``kuzet source ...``.

``app`` holds the three; ``kuzet.cli`` merges it into the main command (``app.add_typer(app)``
without a name). ``python -m kuzet.sources.cli`` runs it on its own.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kuzet.errors import KuzetError
from kuzet.settings import Settings, get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Sources: crawl a site, monitor sources.")
source_app = typer.Typer(no_args_is_help=True, help="The monitored sources (the `sources` table).")
app.add_typer(source_app, name="source")

err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)


def _settings(allow_private: bool) -> Settings:
    try:
        base = get_settings()
        return get_settings(**{**base.model_dump(), "allow_private": True}) if allow_private else base
    except KuzetError as e:
        raise _fail(str(e)) from e


def _db(settings: Settings) -> Any:
    from kuzet.store import frontier  # noqa: F401 - the frontier tables
    from kuzet.store.db import open_database

    try:
        return open_database(settings.db_url)
    except KuzetError as e:
        raise _fail(str(e)) from e


AllowPrivate = Annotated[
    bool, typer.Option("--allow-private", help="Let the crawl reach private and loopback addresses (local tests).")
]


@app.command()
def crawl(
    url: Annotated[str, typer.Argument(help="Start URL; the crawl stays on its host.")],
    max_pages: Annotated[int, typer.Option("--max-pages", min=1, help="Pages to fetch at most.")] = 100,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="Requests in flight (in all and per host).")] = 4,
    delay: Annotated[float, typer.Option(min=0.0, help="Seconds between two requests to the host.")] = 1.0,
    max_depth: Annotated[int, typer.Option("--max-depth", min=0, help="Links followed from the start.")] = 20,
    out: Annotated[Path | None, typer.Option("--out", help="JSON lines file (default: stdout).")] = None,
    robots: Annotated[bool, typer.Option("--robots/--no-robots", help="Obey robots.txt.")] = True,
    allow_private: AllowPrivate = False,
) -> None:
    """Crawl one site in scope; one JSON line a page (url, status, final_url, sha256, bytes, ms)."""
    from kuzet.sources.crawl import crawl_site

    settings = _settings(allow_private)
    if not url.startswith(("http://", "https://")):
        raise _fail(f"{url!r} is not an http(s) URL")
    try:
        with out.open("w", encoding="utf-8") if out else _stdout() as fh:
            stats = crawl_site(
                settings,
                url,
                out=fh,
                max_pages=max_pages,
                concurrency=concurrency,
                delay=delay,
                max_depth=max_depth,
                obey_robots=robots,
            )
    except (KuzetError, OSError) as e:
        raise _fail(str(e)) from e
    err.print_json(json.dumps(stats.as_dict()))


class _stdout:  # noqa: N801 - a context manager that leaves stdout open
    def __enter__(self) -> Any:
        return sys.stdout

    def __exit__(self, *exc: object) -> None:
        sys.stdout.flush()


@app.command()
def monitor(
    config: Annotated[Path | None, typer.Option("--config", help="Monitor config (TOML or YAML).")] = None,
    once: Annotated[bool, typer.Option("--once", help="Stop when the frontier is drained.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")] = True,
    allow_private: AllowPrivate = False,
) -> None:
    """Run the scheduler over the configured sources (config file and `sources` table), feeding the pipeline."""
    from kuzet.sources.monitor import load_config, run_monitor

    settings = _settings(allow_private)
    try:
        cfg = load_config(config)
    except KuzetError as e:
        raise _fail(str(e)) from e
    db = _db(settings)
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=err,
        disable=not progress,
    )
    task = bar.add_task("monitor", total=None, stage="")

    def tick(stats: Any, queue: Any) -> None:
        counts = queue.counts()
        done = counts.get("done", 0) + counts.get("failed", 0)
        stages = " ".join(f"{k}:{v}" for k, v in sorted(stats.by_stage.items()))
        bar.update(task, total=sum(counts.values()), completed=done, stage=stages)

    try:
        with bar:
            summary = run_monitor(settings, db, cfg, once=once, on_job=tick)
    except KeyboardInterrupt:
        err.print("stopped; the frontier is kept, run again to resume")
        raise typer.Exit(130) from None
    except KuzetError as e:
        raise _fail(str(e)) from e
    finally:
        db.dispose()
    t = Table(title="kuzet monitor", show_header=False)
    t.add_row("jobs run", ", ".join(f"{k}: {v}" for k, v in sorted(summary.jobs.by_stage.items())) or "0")
    t.add_row("jobs failed", str(summary.jobs.failed))
    t.add_row("frontier", ", ".join(f"{k}: {v}" for k, v in sorted(summary.frontier.items())) or "empty")
    t.add_row("requests", f"{summary.requests} ({summary.retries} retries, {summary.robots_refused} robots refusals)")
    t.add_row("elapsed", f"{summary.elapsed_s} s")
    err.print(t)
    for line in summary.jobs.errors[:10]:
        err.print(f"  {line}", markup=False, highlight=False)


@source_app.command("add")
def source_add(
    kind: Annotated[str, typer.Argument(help="website, telegram, feed, urls, newdomains or import.")],
    name: Annotated[str, typer.Argument(help="Unique name.")],
    url: Annotated[str, typer.Argument(help="Start URL, channel preview URL, feed URL or file.")],
    option: Annotated[
        list[str] | None, typer.Option("--set", help="Config key=value (JSON values allowed); repeat.")
    ] = None,
) -> None:
    """Add (or update) a source."""
    from kuzet.sources.connectors import CONNECTORS
    from kuzet.sources.monitor import upsert_sources

    if kind not in CONNECTORS:
        raise _fail(f"unknown kind {kind!r} ({', '.join(CONNECTORS)})")
    spec: dict[str, Any] = {"kind": kind, "name": name, "url": url}
    for item in option or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise _fail(f"--set {item!r} is not key=value")
        try:
            spec[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            spec[key.strip()] = value
    db = _db(_settings(False))
    changed = upsert_sources(db, [spec])
    db.dispose()
    sys.stdout.write(json.dumps({"source": name, "changed": bool(changed)}) + "\n")


@source_app.command("list")
def source_list(as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout.")] = False) -> None:
    """List sources with their schedule state."""
    from sqlalchemy import select

    from kuzet.store.frontier import SourceState
    from kuzet.store.models import Source

    db = _db(_settings(False))
    with db.session() as s:
        rows = s.execute(select(Source, SourceState).outerjoin(SourceState).order_by(Source.id)).all()
        items = [
            {
                "id": src.id,
                "kind": src.kind,
                "name": src.name,
                "url": src.url,
                "enabled": src.enabled,
                "config": src.config,
                "runs": st.runs if st else 0,
                "next_run_at": st.next_run_at.isoformat() if st and st.next_run_at else None,
            }
            for src, st in rows
        ]
    db.dispose()
    if as_json:
        for it in items:
            sys.stdout.write(json.dumps(it, ensure_ascii=False) + "\n")
        return
    t = Table("id", "kind", "name", "url", "enabled", "runs", "next run")
    for it in items:
        t.add_row(
            str(it["id"]),
            it["kind"],
            it["name"],
            it["url"],
            str(it["enabled"]),
            str(it["runs"]),
            it["next_run_at"] or "-",
        )
    Console().print(t)


@source_app.command("remove")
def source_remove(name: Annotated[str, typer.Argument(help="The source's name.")]) -> None:
    """Disable a source (its snapshots and findings stay; it is no longer scheduled)."""
    from sqlalchemy import select

    from kuzet.store.models import Source

    db = _db(_settings(False))
    with db.session() as s:
        src = s.execute(select(Source).where(Source.name == name)).scalar_one_or_none()
        if src is None:
            db.dispose()
            raise _fail(f"no source named {name!r}")
        src.enabled = False
    db.dispose()
    sys.stdout.write(json.dumps({"source": name, "enabled": False}) + "\n")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    app()
