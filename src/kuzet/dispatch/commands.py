"""``kuzet case send``, ``kuzet case send-pending`` and ``kuzet case record-answer``.

Registered on the ``kuzet case`` app by importing this module (see the bottom of
``kuzet.cases.cli``). Results are JSON on stdout; errors go to stderr. Exit codes: 0 delivered
(or delivered earlier), 1 a delivery failed (the dispatch keeps the error and can be retried),
2 the case may not be sent or the settings are wrong.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from kuzet.cases.cli import ActorOption, app
from kuzet.cli_common import actor_name, database, err, fail, print_json, settings
from kuzet.dispatch.records import CHANNELS, DispatchError, DispatchResult
from kuzet.errors import KuzetError
from kuzet.settings import Settings

if TYPE_CHECKING:
    from kuzet.store.db import Database


def _report(results: list[DispatchResult]) -> None:
    print_json([{**dataclasses.asdict(r), "ok": r.ok} for r in results])
    failed = [r for r in results if not r.ok]
    for r in results:
        if r.already_sent:
            err.print(
                f"case {r.case_id}: already sent by {r.channel} to {escape(r.target)} "
                f"({escape(r.reference)}); not sent again",
                highlight=False,
            )
    for r in failed:
        err.print(
            f"[bold red]not delivered:[/] case {r.case_id} by {r.channel} to {escape(r.target)} after "
            f"{r.attempts} attempt(s), dispatch {r.status}: {escape(r.error or '')}. The case stays "
            f"{r.case_status}; retry with `kuzet case send {r.case_id} --retry`.",
            highlight=False,
        )
    if failed:
        raise typer.Exit(1)


def _deliveries(run: Callable[[Database, Settings], list[DispatchResult]]) -> list[DispatchResult]:
    """``run`` with the database open; a package that cannot be built exits 1, a refusal 2."""
    s_ = settings()
    db = database(s_)
    try:
        return run(db, s_)
    except DispatchError as e:
        raise fail(str(e), code=1) from e
    except KuzetError as e:
        raise fail(str(e)) from e
    finally:
        db.dispose()


@app.command("send")
def send(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    via: Annotated[str | None, typer.Option("--via", help="smtp, webhook or outbox.")] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="Address, URL or folder (default: the configured one for the case's route)."),
    ] = None,
    retry: Annotated[
        bool, typer.Option("--retry", help="Deliver again this case's pending or failed dispatches.")
    ] = False,
    actor: ActorOption = None,
) -> None:
    """Send a drafted case's documents and evidence to the authority; the case becomes sent."""
    if not retry and via not in CHANNELS:
        raise fail(f"--via must be one of {', '.join(CHANNELS)}")
    who = actor_name(actor)

    def run(db: Database, s_: Settings) -> list[DispatchResult]:
        from kuzet.dispatch.service import retry_dispatches, send_case

        if not retry:
            assert via is not None
            return [send_case(db, s_, case_id, via, actor=who, target=to)]
        found = retry_dispatches(db, s_, actor=who, case_id=case_id)
        if not found:
            raise fail(f"case {case_id} has no pending or failed dispatch", code=1)
        return found

    _report(_deliveries(run))


@app.command("send-pending")
def send_pending(actor: ActorOption = None) -> None:
    """Deliver again every pending or failed dispatch of every case (for a timer or cron job)."""
    from kuzet.dispatch.service import retry_dispatches

    who = actor_name(actor)
    _report(_deliveries(lambda db, s_: retry_dispatches(db, s_, actor=who)))


@app.command("record-answer")
def record_answer(
    case_id: Annotated[int, typer.Argument(help="The case's id.")],
    kind: Annotated[str, typer.Option("--kind", help="acknowledged, blocked, refused, removed or other.")],
    text: Annotated[str, typer.Option("--text", help="What the authority said (a summary or the letter's text).")],
    reference: Annotated[str, typer.Option("--reference", help="The authority's outgoing number.")] = "",
    received_at: Annotated[
        str | None, typer.Option("--received-at", help="ISO 8601 time of the answer (UTC unless an offset is given).")
    ] = None,
    actor: ActorOption = None,
) -> None:
    """Record the authority's answer; blocked, refused, removed and acknowledged move the case."""
    from kuzet.dispatch.answers import parse_received_at
    from kuzet.dispatch.answers import record_answer as record

    who = actor_name(actor)
    db = database()
    try:
        with db.session() as s:
            result = record(
                s,
                case_id,
                kind,
                actor=who,
                text=text,
                reference=reference,
                received_at=parse_received_at(received_at),
            )
    except KuzetError as e:
        raise fail(str(e)) from e
    finally:
        db.dispose()
    print_json(dataclasses.asdict(result))
    if result.note:
        err.print(escape(result.note), highlight=False)
