"""``kuzet case recheck [ID | --all]`` and ``kuzet case overdue`` (registered on the case app)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Annotated

import typer

from kuzet.cases.cli import app
from kuzet.cli_common import actor_name, database, fail, print_json, settings
from kuzet.errors import KuzetError


@app.command("recheck")
def recheck_command(
    case_id: Annotated[int | None, typer.Argument(help="The case's id (or --all).")] = None,
    all_due: Annotated[bool, typer.Option("--all", help="Every sent or closed case due for a re-check.")] = False,
    actor: Annotated[str | None, typer.Option(help="Who started the re-check (audit log).")] = None,
) -> None:
    """Re-fetch a case's URLs, record what each shows (blocked, removed, back...), move the case.

    One JSON line per case on stdout: outcomes, verdict, and the move made, if any."""
    from kuzet.fetch.fetcher import Fetcher
    from kuzet.store import audit
    from kuzet.verify.recheck import due_cases, recheck

    if (case_id is None) == (not all_due):
        raise fail("give a case id or --all (not both)")
    s_ = settings()
    db = database(s_)
    who = actor_name(actor)
    with db.session() as s:
        ids = due_cases(s, s_) if all_due else [case_id]
    with Fetcher(s_) as fetcher:
        for cid in ids:
            assert cid is not None
            try:
                # One transaction per case: a failure on one case leaves the others' rounds stored.
                with db.session() as s:
                    r = recheck(s, s_, cid, fetcher=fetcher)
                    audit.record(
                        s, "case.rechecked", "case", cid, actor=who, detail={"verdict": r.verdict, **r.outcomes}
                    )
            except KuzetError as e:
                if not all_due:
                    raise fail(str(e)) from e
                sys.stderr.write(f"case {cid}: {e}\n")
                continue
            out = {
                "id": cid,
                "verdict": r.verdict,
                "outcomes": r.outcomes,
                "status": r.status_after,
                "moved": r.moved,
                "checks": [{"url": c.url, "outcome": c.outcome, "http_status": c.http_status} for c in r.checks],
            }
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


@app.command("overdue")
def overdue_command(
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
) -> None:
    """Sent cases still not blocked KUZET_OVERDUE_DAYS (default 2) days after sending."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from kuzet.verify.alerts import overdue_cases

    s_ = settings()
    with database(s_).session() as s:
        rows = overdue_cases(s, s_)
    if as_json:
        print_json([asdict(r) for r in rows])
        return
    table = Table("id", "route", "status", "days since sent", "last check", "title")
    for r in rows:
        table.add_row(
            str(r.case_id), r.route, r.status, f"{r.days_since_sent:.1f}", r.last_verdict, escape(r.title[:120])
        )
    Console().print(table)
