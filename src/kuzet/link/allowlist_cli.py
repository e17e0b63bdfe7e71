"""``kuzet allowlist add|import|list|remove``: licensed operators and official sources.

Merged into the main command as ``kuzet allowlist``. Every change is an audit event naming the
actor (``--actor``, else ``KUZET_ACTOR``, else the login name).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from kuzet.cli_common import actor_name, database, err, fail
from kuzet.errors import KuzetError
from kuzet.records import ALLOW_CATEGORIES as CATEGORIES

app = typer.Typer(no_args_is_help=True, help="Allow-list of licensed operators and official sources.")
ActorOption = Annotated[str | None, typer.Option(help="Who changes it (default: KUZET_ACTOR or the login name).")]
MAX_REPORTED = 20


@app.command()
def add(
    resource: Annotated[str, typer.Argument(help="Domain (covers its subdomains), URL prefix or t.me/NAME.")],
    category: Annotated[str, typer.Option(help=f"One of: {', '.join(CATEGORIES)}.")] = "other",
    reason: Annotated[str, typer.Option(help="Why it is allowed (licence number, official source...).")] = "",
    actor: ActorOption = None,
) -> None:
    """Add one resource to the allow-list."""
    from kuzet.link.allowlist import allow_entry
    from kuzet.store.allowlist import add_allow_entries

    try:
        entry = allow_entry(resource, category, reason)
    except KuzetError as e:
        raise fail(str(e)) from e
    who = actor_name(actor)
    with database().session() as s:
        added, _ = add_allow_entries(s, [entry], origin="manual", actor=who)
    sys.stdout.write(json.dumps({"added": added, "resource": entry.resource, "category": entry.category}) + "\n")


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="CSV (resource,category,reason) or one resource a line.")],
    actor: ActorOption = None,
) -> None:
    """Import an allow-list file; bad rows are reported with line numbers, re-import adds nothing."""
    from kuzet.link.allowlist import AllowEntry, parse_allowlist
    from kuzet.store.allowlist import add_allow_entries

    if not file.is_file():
        raise fail(f"no such file: {file}")
    bad = 0

    def good() -> Any:
        nonlocal bad
        for item in parse_allowlist(file):
            if isinstance(item, AllowEntry):
                yield item
                continue
            bad += 1
            if bad <= MAX_REPORTED:
                err.print(f"line {item.line}: {item.reason}", markup=False, highlight=False)

    try:
        with database().session() as s:
            added, present = add_allow_entries(s, good(), origin=str(file), actor=actor_name(actor))
    except KuzetError as e:
        raise fail(str(e)) from e
    if bad > MAX_REPORTED:
        err.print(f"... and {bad - MAX_REPORTED} more bad rows")
    sys.stdout.write(
        json.dumps({"file": str(file), "added": added, "already_present": present, "bad_rows": bad}) + "\n"
    )


@app.command("list")
def list_entries(as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout.")] = False) -> None:
    """List the allow-list."""
    from kuzet.store.models import AllowEntryRow

    with database().session() as s:
        rows = [
            {
                "resource": r.resource,
                "category": r.category,
                "reason": r.reason,
                "added_by": r.added_by,
                "origin": r.origin,
            }
            for r in s.scalars(select(AllowEntryRow).order_by(AllowEntryRow.resource))
        ]
    if as_json:
        sys.stdout.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        return
    table = Table("resource", "category", "reason", "added by")
    for r in rows:
        table.add_row(escape(r["resource"]), r["category"], escape(r["reason"]), escape(r["added_by"]))
    Console().print(table)


@app.command()
def remove(
    resource: Annotated[str, typer.Argument(help="The resource as it was added.")],
    reason: Annotated[str, typer.Option(help="Why it is removed (required; kept in the audit log).")],
    actor: ActorOption = None,
) -> None:
    """Remove a resource from the allow-list (exit 1 when it was not there)."""
    from kuzet.store.allowlist import remove_allow_entries

    if not reason.strip():
        raise fail("removing an allow-list entry needs a reason")
    with database().session() as s:
        n = remove_allow_entries(s, resource, actor=actor_name(actor), reason=reason)
    sys.stdout.write(json.dumps({"removed": n, "resource": resource}) + "\n")
    if not n:
        raise typer.Exit(1)
