"""notify stage: draft blocking notifications, criminal referrals and administrative materials (DOCX)."""

from kuzet.notify.context import (
    EvidenceItem,
    NotificationContext,
    ResourceItem,
    Screenshot,
    build_context,
    evidence_items,
    screenshots_of,
)
from kuzet.notify.justification import draft_justification, mask_cards
from kuzet.notify.render import render_document
from kuzet.notify.wording import category_words

__all__ = [
    "EvidenceItem",
    "NotificationContext",
    "ResourceItem",
    "Screenshot",
    "build_context",
    "category_words",
    "draft_justification",
    "evidence_items",
    "mask_cards",
    "render_document",
    "screenshots_of",
]
