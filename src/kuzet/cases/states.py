"""The states of a case and the transitions between them.

::

    new ──submit──▶ in_review ──approve (not the proposer)──▶ approved ──draft──▶ drafted
     │                │    ▲                                     │                  │
     │            return   └──────────── return ─────────────────┴──────────────────┤
     │                ▼                                                            send
     └──dismiss──▶ dismissed                                                        ▼
                                              acknowledged ◀──answer── sent ──answer──┐
                                                   │                                  │
                                  ┌────────────────┼──────────────────┐               │
                                  ▼                ▼                  ▼               │
                               blocked          refused        content_removed ◀──────┘
                                  │                │                  │
                              re-verify            │              re-verify
                                  ▼                │                  ▼
                              reverified           │             reverified
                                  │                │                  │
                                  └────────────────┴── reopen ────────┴──▶ reopened ──submit──▶ in_review

Every transition names an actor and a reason and is written to ``case_events`` and the audit
log. Four eyes: the person who submitted a case for review (its proposer) cannot approve it.
A case is reopened when a mirror of a blocked resource appears, when a refusal is appealed, or
when a re-check finds the content back.
"""

from __future__ import annotations

STATES = (
    "new",
    "in_review",
    "approved",
    "drafted",
    "sent",
    "acknowledged",
    "blocked",
    "refused",
    "content_removed",
    "reverified",
    "reopened",
    "dismissed",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    "new": frozenset({"in_review", "dismissed"}),
    "in_review": frozenset({"approved", "new", "dismissed"}),
    "approved": frozenset({"drafted", "in_review"}),
    "drafted": frozenset({"sent", "in_review"}),
    "sent": frozenset({"acknowledged", "blocked", "refused", "content_removed"}),
    "acknowledged": frozenset({"blocked", "refused", "content_removed"}),
    "blocked": frozenset({"reverified", "reopened"}),
    "content_removed": frozenset({"reverified", "reopened"}),
    "refused": frozenset({"reopened"}),
    "reverified": frozenset({"reopened"}),
    "reopened": frozenset({"in_review", "dismissed"}),
    "dismissed": frozenset({"reopened"}),
}

# The verbs people and kuzet use, and the state each leads to.
ACTIONS: dict[str, str] = {
    "submit": "in_review",
    "return": "in_review",
    "approve": "approved",
    "draft": "drafted",
    "send": "sent",
    "acknowledge": "acknowledged",
    "blocked": "blocked",
    "refused": "refused",
    "removed": "content_removed",
    "reverify": "reverified",
    "reopen": "reopened",
    "dismiss": "dismissed",
}

# States in which the authority has acted: the case's clock stops (time to block).
CLOSING = frozenset({"blocked", "refused", "content_removed"})
# States after which nothing is sent any more unless the case is reopened.
FINAL = frozenset({"blocked", "refused", "content_removed", "reverified", "dismissed"})


def allowed_next(status: str) -> frozenset[str]:
    return TRANSITIONS.get(status, frozenset())
