"""Sending a case to the authority and recording each attempt in ``dispatches``.

``send_case`` checks the case (drafted, or already sent through another channel; evidence and
documents present, files unchanged, bundles verified), creates or reuses the dispatch row for
(case, channel, target), and delivers with bounded retries and exponential backoff on transient
failures. Each attempt is recorded before it starts (``attempts`` is claimed with a
compare-and-set, so two processes cannot deliver the same dispatch at once) and its outcome
after: a delivery interrupted by a crash stays ``pending`` and ``retry_dispatches`` picks it up;
nothing is lost. Delivery is at-least-once across crashes, which is why the Message-ID, the
webhook delivery id and the outbox folder name are stable for a dispatch.

The first successful delivery moves the case to ``sent`` through ``kuzet.cases.transition`` in
the same transaction that marks the dispatch sent. A dispatch already sent is never sent again:
``send_case`` reports it (``already_sent``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from kuzet.cases.service import transition
from kuzet.cases.states import allowed_next
from kuzet.dispatch.outbox import write_outbox
from kuzet.dispatch.package import build_package
from kuzet.dispatch.records import CHANNELS, CasePackage, Delivery, DispatchError, DispatchResult
from kuzet.dispatch.smtp import send_smtp, valid_address
from kuzet.dispatch.webhook import check_url, send_webhook
from kuzet.errors import CaseError, ConfigError, KuzetError
from kuzet.records import utcnow
from kuzet.settings import Settings
from kuzet.store import audit
from kuzet.store.db import Database
from kuzet.store.models import CaseRow, DispatchRow

# A new delivery needs an approved, drafted case; a case already sent may get more copies
# (another channel or address) and have its failed dispatches retried.
SENDABLE = frozenset({"drafted", "sent"})
MAX_ERROR_CHARS = 2000

Sleep = Callable[[float], None]


def resolve_target(channel: str, given: str | None, route: str, settings: Settings) -> str:
    """The address, URL or folder to deliver to: ``given`` or the configured one for the route."""
    if channel not in CHANNELS:
        raise ConfigError(f"unknown channel {channel!r} (smtp, webhook, outbox)")
    target = (given or "").strip()
    if channel == "smtp":
        target = target or settings.mail_to(route)
        if not target:
            raise ConfigError(f"no address for route {route!r}: pass --to or set KUZET_MAIL_TO_{route.upper()}")
        if not valid_address(target):
            raise ConfigError(f"not an e-mail address: {target!r}")
        return target.lower()
    if channel == "webhook":
        target = target or settings.webhook_url
        if not target:
            raise ConfigError("no webhook URL: pass --to or set KUZET_WEBHOOK_URL")
        try:
            return check_url(target, settings)
        except DispatchError as e:
            raise ConfigError(str(e)) from e
    return str(Path(target or settings.dispatch_outbox).expanduser().resolve())


def deliver(channel: str, pkg: CasePackage, settings: Settings, target: str, dispatch_id: int) -> Delivery:
    if channel == "smtp":
        return send_smtp(pkg, settings, target, dispatch_id)
    if channel == "webhook":
        return send_webhook(pkg, settings, target, dispatch_id)
    return write_outbox(pkg, Path(target))


def _result(row: DispatchRow, case_status: str, *, already: bool = False) -> DispatchResult:
    return DispatchResult(
        dispatch_id=row.id,
        case_id=row.case_id,
        channel=row.channel,
        target=row.target,
        status=row.status,
        attempts=row.attempts,
        reference=row.reference,
        error=row.last_error,
        already_sent=already,
        case_status=case_status,
    )


def _case_status(s: Session, case_id: int) -> str:
    case = s.get(CaseRow, case_id)
    return case.status if case is not None else ""


def _sendable_case(s: Session, case_id: int) -> CaseRow:
    case = s.get(CaseRow, case_id)
    if case is None:
        raise CaseError(f"no case {case_id}", case_id=case_id)
    if case.status not in SENDABLE:
        raise CaseError(
            f"case {case_id} is {case.status}: only an approved case with drafted documents (drafted) is sent",
            case_id=case_id,
        )
    return case


def _claim(db: Database, dispatch_id: int) -> DispatchResult | None:
    """Count the attempt before making it; None if the dispatch was sent meanwhile."""
    with db.session() as s:
        row = s.get(DispatchRow, dispatch_id)
        if row is None:
            raise DispatchError(f"no dispatch {dispatch_id}", retryable=False)
        if row.status == "sent":
            return _result(row, _case_status(s, row.case_id), already=True)
        seen = row.attempts
        outcome = s.execute(
            update(DispatchRow)
            .where(DispatchRow.id == dispatch_id, DispatchRow.attempts == seen, DispatchRow.status != "sent")
            .values(attempts=seen + 1, status="pending")
            .execution_options(synchronize_session=False)
        )
        claimed = cast(CursorResult[Any], outcome).rowcount
        if claimed != 1:
            raise DispatchError(f"dispatch {dispatch_id} is being delivered by another process", retryable=False)
    return None


def _record_success(db: Database, dispatch_id: int, delivery: Delivery, actor: str) -> DispatchResult:
    with db.session() as s:
        row = s.get(DispatchRow, dispatch_id)
        assert row is not None
        row.status, row.reference, row.last_error = "sent", delivery.reference[:300], None
        row.sent_at = utcnow()
        case = s.get(CaseRow, row.case_id)
        assert case is not None
        audit.record(
            s,
            "dispatch.sent",
            "case",
            row.case_id,
            actor=actor,
            detail={"channel": row.channel, "target": row.target, "reference": row.reference, "attempts": row.attempts},
        )
        note = None
        if "sent" in allowed_next(case.status):
            try:
                # A savepoint: if the move is refused the delivery is still recorded as made.
                with s.begin_nested():
                    transition(
                        s,
                        case.id,
                        "send",
                        actor=actor,
                        reason=f"sent by {row.channel} to {row.target} ({row.reference})",
                        at=row.sent_at,
                    )
            except CaseError as e:
                note = f"delivered, but the case was not moved to sent: {e}"
        result = _result(row, case.status)
        result.error = note
        return result


def _record_failure(db: Database, dispatch_id: int, error: Exception, *, final: bool, actor: str) -> DispatchResult:
    with db.session() as s:
        row = s.get(DispatchRow, dispatch_id)
        assert row is not None
        row.status = "failed" if final else "pending"
        row.last_error = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
        if final:
            audit.record(
                s,
                "dispatch.failed",
                "case",
                row.case_id,
                actor=actor,
                detail={"channel": row.channel, "target": row.target, "error": row.last_error},
            )
        return _result(row, _case_status(s, row.case_id))


def _deliver_with_retries(
    db: Database, settings: Settings, dispatch_id: int, pkg: CasePackage, actor: str, sleep: Sleep
) -> DispatchResult:
    tries = settings.dispatch_retries + 1
    result: DispatchResult | None = None
    for i in range(tries):
        earlier = _claim(db, dispatch_id)
        if earlier is not None:
            return earlier
        with db.session() as s:
            row = s.get(DispatchRow, dispatch_id)
            assert row is not None
            channel, target = row.channel, row.target
        try:
            delivery = deliver(channel, pkg, settings, target, dispatch_id)
        except DispatchError as e:
            final = not e.retryable or i == tries - 1
            result = _record_failure(db, dispatch_id, e, final=final, actor=actor)
            if final:
                return result
            sleep(settings.dispatch_backoff * (2**i))
            continue
        except Exception as e:
            # A bug or an unexpected failure: recorded on the dispatch, then raised to the caller.
            _record_failure(db, dispatch_id, e, final=True, actor=actor)
            raise
        return _record_success(db, dispatch_id, delivery, actor)
    assert result is not None
    return result


def send_case(
    db: Database,
    settings: Settings,
    case_id: int,
    channel: str,
    *,
    actor: str,
    target: str | None = None,
    sleep: Sleep = time.sleep,
) -> DispatchResult:
    """Deliver case ``case_id`` through ``channel`` to ``target`` (or the configured one).

    Raises CaseError when the case may not be sent, ConfigError for a missing or bad target,
    DispatchError when the package cannot be built (a file missing or changed). A delivery that
    fails is not raised: the result has status ``failed`` and the error."""
    with db.session() as s:
        case = s.get(CaseRow, case_id)
        if case is None:
            raise CaseError(f"no case {case_id}", case_id=case_id)
        dest = resolve_target(channel, target, case.route, settings)
        row = s.scalars(
            select(DispatchRow).where(
                DispatchRow.case_id == case_id, DispatchRow.channel == channel, DispatchRow.target == dest
            )
        ).one_or_none()
        if row is not None and row.status == "sent":
            return _result(row, case.status, already=True)
        _sendable_case(s, case_id)
        pkg = build_package(s, case_id, settings)
        if row is None:
            row = DispatchRow(case_id=case_id, channel=channel, target=dest, status="pending", attempts=0)
            s.add(row)
        row.payload_sha256 = pkg.manifest_sha256
        s.flush()
        dispatch_id = row.id
    return _deliver_with_retries(db, settings, dispatch_id, pkg, actor, sleep)


def retry_dispatches(
    db: Database,
    settings: Settings,
    *,
    actor: str,
    case_id: int | None = None,
    sleep: Sleep = time.sleep,
) -> list[DispatchResult]:
    """Deliver again every ``pending`` or ``failed`` dispatch (of one case, or all). A dispatch
    whose case can no longer be sent, or whose files fail their checks, is reported with its
    error and left as it is."""
    with db.session() as s:
        q = select(DispatchRow.id).where(DispatchRow.status.in_(("pending", "failed"))).order_by(DispatchRow.id)
        if case_id is not None:
            q = q.where(DispatchRow.case_id == case_id)
        ids = list(s.scalars(q))
    results: list[DispatchResult] = []
    for did in ids:
        try:
            with db.session() as s:
                row = s.get(DispatchRow, did)
                assert row is not None
                _sendable_case(s, row.case_id)
                pkg = build_package(s, row.case_id, settings)
                row.payload_sha256 = pkg.manifest_sha256
        except KuzetError as e:
            with db.session() as s:
                row = s.get(DispatchRow, did)
                assert row is not None
                res = _result(row, _case_status(s, row.case_id))
                res.error = str(e)
                results.append(res)
            continue
        results.append(_deliver_with_retries(db, settings, did, pkg, actor, sleep))
    return results
