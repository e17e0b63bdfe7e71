"""An analyst's decision on a finding, and those decisions as training examples.

A finding starts as ``new`` with the detector's label. An analyst either confirms it (keeping
the label or correcting it to another violation label) or dismisses it (not a violation: a
false alarm). ``findings.label`` then holds the analyst's label while ``verdicts.label`` keeps
what the detector said, so the difference stays visible. Every decision is an audit event
with the actor, the labels before and after, and the reason.

``reviewed_examples`` turns the decided findings into the JSONL rows ``kuzet train`` reads:
confirmed findings as their label, dismissed findings as ``benign`` marked ``hard_negative``
(a text the detector got wrong is exactly the hard negative the model needs).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from kuzet.errors import ReviewError
from kuzet.records import VIOLATION_LABELS
from kuzet.store import audit
from kuzet.store.models import DocumentRow, FindingRow

Decision = Literal["confirm", "dismiss"]
REVIEWED = ("confirmed", "dismissed")
DB_SOURCE_PREFIX = "kuzet-db:"
# A training text is bounded like a detected one: a page of megabytes teaches nothing more.
MAX_TRAIN_CHARS = 100_000


def review_finding(
    session: Session,
    finding_id: int,
    decision: Decision,
    *,
    actor: str,
    label: str | None = None,
    reason: str = "",
) -> FindingRow:
    """Apply one decision in the caller's transaction; re-deciding is allowed and audited."""
    if not actor.strip():
        raise ReviewError("a decision needs the analyst's name (actor)", object_id=finding_id)
    finding = session.get(FindingRow, finding_id)
    if finding is None:
        raise ReviewError(f"no finding {finding_id}", object_id=finding_id)
    before = {"status": finding.status, "label": finding.label}
    if decision == "confirm":
        new_label = label or finding.label
        if new_label not in VIOLATION_LABELS:
            raise ReviewError(
                f"a confirmed finding needs a violation label ({', '.join(VIOLATION_LABELS)}), not {new_label!r}",
                object_id=finding_id,
            )
        finding.status, finding.label = "confirmed", new_label
    elif decision == "dismiss":
        if not reason.strip():
            raise ReviewError("dismissing a finding needs a reason", object_id=finding_id)
        finding.status = "dismissed"
    else:
        raise ReviewError(f"unknown decision {decision!r}", object_id=finding_id)
    audit.record(
        session,
        f"finding.{finding.status}",
        "finding",
        finding.id,
        actor=actor,
        detail={"before": before, "after": {"status": finding.status, "label": finding.label}, "reason": reason},
    )
    return finding


def training_text(doc: DocumentRow) -> str:
    """The document as the detector read it: title, text and image text, one field a line."""
    return "\n".join(part for part in (doc.title, doc.text, doc.image_text) if part)[:MAX_TRAIN_CHARS]


def reviewed_examples(session: Session) -> Iterator[dict[str, Any]]:
    """JSONL rows (``text``, ``label``, ``source``, ``hard_negative``) of every decided finding."""
    rows = session.execute(
        select(FindingRow, DocumentRow)
        .join(DocumentRow, DocumentRow.id == FindingRow.document_id)
        .where(FindingRow.status.in_(REVIEWED))
        .order_by(FindingRow.id)
        .execution_options(yield_per=500)
    )
    for finding, doc in rows:
        text = training_text(doc)
        if not text.strip():
            continue
        dismissed = finding.status == "dismissed"
        yield {
            "text": text,
            "label": "benign" if dismissed else finding.label,
            "source": f"{DB_SOURCE_PREFIX}finding/{finding.id}",
            "hard_negative": dismissed,
        }
