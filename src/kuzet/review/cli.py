"""``kuzet finding list|show|confirm|dismiss``: analysts' decisions on findings from the shell.

Merged into the main command as ``kuzet finding``. The analyst's name comes from ``--actor``
or, failing that, ``KUZET_ACTOR`` or the login name, and is written into the audit log.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from kuzet.cli_common import actor_name, database, fail
from kuzet.errors import KuzetError

if TYPE_CHECKING:
    from kuzet.store.models import FindingRow

app = typer.Typer(no_args_is_help=True, help="Findings: list them, confirm or dismiss them (audited).")
out = Console()

ActorOption = Annotated[str | None, typer.Option(help="Who decides (default: KUZET_ACTOR or the login name).")]


def _row(f: FindingRow, detector_label: str | None) -> dict[str, Any]:
    return {
        "id": f.id,
        "url": f.url,
        "label": f.label,
        "detector_label": detector_label,
        "score": round(f.score, 3),
        "status": f.status,
        "route": f.route,
        "case_id": f.case_id,
    }


@app.command("list")
def list_findings(
    status: Annotated[str | None, typer.Option(help="new, confirmed or dismissed.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 200,
) -> None:
    """List findings with the detector's and the analyst's label."""
    from kuzet.store.models import FindingRow, VerdictRow

    db = database()
    with db.session() as s:
        q = select(FindingRow, VerdictRow.label).join(VerdictRow, VerdictRow.id == FindingRow.verdict_id)
        if status:
            q = q.where(FindingRow.status == status)
        rows = [_row(f, vl) for f, vl in s.execute(q.order_by(FindingRow.id.desc()).limit(limit))]
    if as_json:
        sys.stdout.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        return
    table = Table("id", "status", "label", "detector", "score", "route", "url")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["status"],
            r["label"],
            r["detector_label"] or "",
            str(r["score"]),
            r["route"] or "",
            escape(r["url"]),
        )
    out.print(table)


def _decide(finding_id: int, decision: str, actor: str | None, label: str | None, reason: str) -> None:
    from kuzet.review.findings import review_finding
    from kuzet.store.models import VerdictRow

    who = actor_name(actor)
    db = database()
    try:
        with db.session() as s:
            f = review_finding(s, finding_id, decision, actor=who, label=label, reason=reason)  # type: ignore[arg-type]
            vl = s.get(VerdictRow, f.verdict_id)
            row = _row(f, vl.label if vl else None)
    except KuzetError as e:
        raise fail(str(e)) from e
    sys.stdout.write(json.dumps({**row, "actor": who}, ensure_ascii=False) + "\n")


@app.command()
def confirm(
    finding_id: Annotated[int, typer.Argument(help="The finding's id.")],
    label: Annotated[str | None, typer.Option(help="Correct the label (gambling, pyramid, illegal_finance).")] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
    actor: ActorOption = None,
) -> None:
    """Confirm a finding as a violation (optionally with a corrected label)."""
    _decide(finding_id, "confirm", actor, label, reason)


@app.command()
def dismiss(
    finding_id: Annotated[int, typer.Argument(help="The finding's id.")],
    reason: Annotated[str, typer.Option(help="Why it is not a violation (required; kept in the audit log).")],
    actor: ActorOption = None,
) -> None:
    """Dismiss a finding as a false alarm; it becomes a hard negative for `kuzet train --from-db`."""
    _decide(finding_id, "dismiss", actor, None, reason)
