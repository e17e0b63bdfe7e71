"""``kuzet case list|show|submit|approve|return|draft|dismiss|reopen`` (and, from the dispatch
and verification modules, ``send``, ``record-answer``, ``recheck``).

Merged into the main command as ``kuzet case``. The acting person comes from ``--actor`` or
``KUZET_ACTOR`` or the login name; every command that changes a case writes its reason to the
case's history and the audit log.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kuzet.cli_common import actor_name, database, err, fail, print_json, settings
from kuzet.errors import KuzetError

app = typer.Typer(no_args_is_help=True, help="Cases: review, approve, draft, send, answers, re-checks.")

ActorOption = Annotated[str | None, typer.Option(help="Who acts (default: KUZET_ACTOR or the login name).")]
ReasonOption = Annotated[str, typer.Option(help="Why (kept in the case history and the audit log).")]


@app.command("list")
def list_cases(
    status: Annotated[str | None, typer.Option(help="Only cases in this state.")] = None,
    route: Annotated[str | None, typer.Option(help="criminal, administrative or blocking.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout.")] = False,
) -> None:
    """List cases with their route, state and number of findings."""
    from kuzet.cases.service import case_summaries

    with database().session() as s:
        rows = case_summaries(s, status=status, route=route)
    if as_json:
        sys.stdout.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        return
    table = Table("id", "route", "status", "findings", "title")
    for r in rows:
        table.add_row(str(r["id"]), r["route"], r["status"], str(r["findings"]), escape(r["title"]))
    Console().print(table)


@app.command()
def show(case_id: Annotated[int, typer.Argument(help="The case's id.")]) -> None:
    """Everything about one case as JSON: findings, evidence, documents, history, dispatches, answers."""
    from kuzet.cases.service import case_view

    with database().session() as s:
        try:
            view = case_view(s, case_id)
        except KuzetError as e:
            raise fail(str(e)) from e
    data = dict(view.__dict__)
    data["time_to_block_s"] = view.time_to_block_s
    data["detection_to_close_s"] = view.detection_to_close_s
    print_json(data)


def move(case_id: int, action: str, actor: str | None, reason: str) -> dict[str, Any]:
    """One transition in its own transaction; prints and returns the case's new state."""
    from kuzet.cases.service import transition

    s_ = settings()
    who = actor_name(actor)
    try:
        with database(s_).session() as s:
            case = transition(s, case_id, action, actor=who, reason=reason, supervisors=s_.supervisor_names)
            out = {"id": case.id, "status": case.status, "actor": who}
    except KuzetError as e:
        raise fail(str(e)) from e
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return out


@app.command()
def submit(case_id: int, reason: ReasonOption = "", actor: ActorOption = None) -> None:
    """Propose a case for review (you become its proposer)."""
    move(case_id, "submit", actor, reason)


@app.command()
def approve(case_id: int, reason: ReasonOption = "", actor: ActorOption = None) -> None:
    """Approve a case in review (not by its proposer: four eyes)."""
    move(case_id, "approve", actor, reason)


@app.command("return")
def return_case(case_id: int, reason: ReasonOption = "", actor: ActorOption = None) -> None:
    """Send an approved or drafted case back to review."""
    move(case_id, "return", actor, reason)


@app.command()
def dismiss(case_id: int, reason: ReasonOption = "", actor: ActorOption = None) -> None:
    """Decide that nothing is to be done (a reason is required)."""
    if not reason.strip():
        raise fail("dismissing a case needs a reason")
    move(case_id, "dismiss", actor, reason)


@app.command()
def reopen(case_id: int, reason: ReasonOption = "", actor: ActorOption = None) -> None:
    """Reopen a closed case (a mirror appeared, the content came back, a refusal is appealed)."""
    move(case_id, "reopen", actor, reason)


@app.command()
def draft(case_id: int, reason: ReasonOption = "", actor: ActorOption = None) -> None:
    """Draft the approved case's final documents (DOCX and PDF, ru and kk) and mark it drafted."""
    from kuzet.run.drafting import draft_case_documents, render_pending_pdfs
    from kuzet.store.models import CaseRow
    from kuzet.triage.policy import Policy

    s_ = settings()
    db = database(s_)
    try:
        with db.session() as s:
            case = s.get(CaseRow, case_id)
            if case is None:
                raise fail(f"no case {case_id}")
            if case.status != "approved":
                raise fail(f"case {case_id} is {case.status}: only an approved case gets its final documents")
            draft_case_documents(s, case, s_, Policy.load(s_.policy_file))
            made, failed = render_pending_pdfs(s, case_id=case_id)
            if failed:
                err.print(f"{failed} PDF(s) could not be made (see the audit log); the DOCX documents stand")
    except KuzetError as e:
        raise fail(str(e)) from e
    move(case_id, "draft", actor, reason or "final documents drafted")


from kuzet.dispatch import commands as _dispatch_commands  # noqa: E402,F401 - registers send, record-answer
from kuzet.verify import commands as _verify_commands  # noqa: E402,F401 - registers recheck
