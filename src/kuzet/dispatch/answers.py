"""The authority's answers to a sent case, and the state each one moves the case to.

``record_answer`` stores a ``case_answers`` row and, in the same transaction, moves the case
(acknowledged -> acknowledged, blocked -> blocked, refused -> refused, removed ->
content_removed; other -> no move) through ``kuzet.cases.transition``, stamped with the time the
answer was received so time-to-block counts to the authority's act, not to when it was typed in.
A late acknowledgement of a case that is already closed is kept without moving it back.
This is the function an API endpoint calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from kuzet.cases.service import transition
from kuzet.cases.states import allowed_next
from kuzet.errors import CaseError
from kuzet.records import utcnow
from kuzet.store import audit
from kuzet.store.models import CaseAnswerRow, CaseRow
from kuzet.store.repo import as_utc

# Answer kind -> the action passed to ``transition`` (None: kept, no move).
ANSWER_ACTIONS: dict[str, str | None] = {
    "acknowledged": "acknowledge",
    "blocked": "blocked",
    "refused": "refused",
    "removed": "removed",
    "other": None,
}
ANSWER_STATES = {
    "acknowledge": "acknowledged",
    "blocked": "blocked",
    "refused": "refused",
    "removed": "content_removed",
}
MAX_TEXT_CHARS = 20000
MAX_REFERENCE_CHARS = 200
# Clocks differ a little; an answer "received" further in the future is a typing mistake.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class AnswerResult:
    answer_id: int
    case_id: int
    kind: str
    from_status: str
    status: str
    moved: bool
    note: str = ""


def parse_received_at(text: str | None) -> datetime | None:
    """ISO 8601; a time without an offset is taken as UTC."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError as e:
        raise CaseError(f"--received-at {text!r} is not an ISO 8601 date or time") from e
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def record_answer(
    session: Session,
    case_id: int,
    kind: str,
    *,
    actor: str,
    text: str = "",
    reference: str = "",
    received_at: datetime | None = None,
) -> AnswerResult:
    """Store the authority's answer to case ``case_id`` and move the case accordingly."""
    if kind not in ANSWER_ACTIONS:
        raise CaseError(f"unknown answer kind {kind!r} ({', '.join(ANSWER_ACTIONS)})", case_id=case_id)
    actor = actor.strip()
    if not actor:
        raise CaseError("recording an answer needs the name of the person recording it", case_id=case_id)
    case = session.get(CaseRow, case_id)
    if case is None:
        raise CaseError(f"no case {case_id}", case_id=case_id)
    sent_at = as_utc(case.sent_at)
    if sent_at is None:
        raise CaseError(
            f"case {case_id} is {case.status} and was never sent: there is no answer to record", case_id=case_id
        )
    now = utcnow()
    when = as_utc(received_at) or now
    if when > now + CLOCK_SKEW:
        raise CaseError(f"the answer cannot be received in the future ({when.isoformat()})", case_id=case_id)
    if when < sent_at:
        raise CaseError(
            f"the answer ({when.isoformat()}) predates sending the case ({sent_at.isoformat()})", case_id=case_id
        )
    before = case.status
    action = ANSWER_ACTIONS[kind]
    note = ""
    move = False
    if action is not None:
        target = ANSWER_STATES[action]
        if target in allowed_next(before):
            move = True
        elif action == "acknowledge" and before != "sent":
            note = f"case is already {before}: the acknowledgement is kept without moving the case"
        elif target == before:
            note = f"case is already {before}"
        else:
            raise CaseError(f"case {case_id} is {before}: a {kind} answer cannot move it to {target}", case_id=case_id)
    row = CaseAnswerRow(
        case_id=case_id,
        kind=kind,
        reference=reference.strip()[:MAX_REFERENCE_CHARS],
        text=text.strip()[:MAX_TEXT_CHARS],
        received_at=when,
        recorded_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "case.answer",
        "case",
        case_id,
        actor=actor,
        detail={"kind": kind, "reference": row.reference, "received_at": when, "answer_id": row.id},
    )
    if move and action is not None:
        label = f"{kind} answer" + (f" No. {row.reference}" if row.reference else "")
        transition(session, case_id, action, actor=actor, reason=label, at=when)
    return AnswerResult(
        answer_id=row.id,
        case_id=case_id,
        kind=kind,
        from_status=before,
        status=case.status,
        moved=move,
        note=note,
    )
