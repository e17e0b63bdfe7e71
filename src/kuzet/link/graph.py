"""The indicator graph: resources linked through what they share, each link with a weight.

Strong links (a wallet, card, IBAN, phone, Telegram handle or bot, analytics or tag-manager ID,
favicon hash, near-duplicate text) join two resources on their own. Medium links (a promo code,
an e-mail address, a reference to the other's domain, a look-alike image) need a second one.
A shared hosting address is weak: it adds to a pair's weight but never joins a pair by itself.
Two resources are joined when the weights of the links between them add up to the threshold.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kuzet.store.models import ResourceLinkRow

STRONG, MEDIUM, WEAK = 1.0, 0.5, 0.2

_STRONG_KINDS = (
    "btc",
    "eth",
    "tron",
    "ton",
    "card",
    "iban",
    "phone",
    "whatsapp",
    "whatsapp_invite",
    "telegram",
    "telegram_invite",
    "ga",
    "gtm",
    "ym",
    "fb_pixel",
    "adsense",
    "google_verification",
    "yandex_verification",
    "fb_verification",
    "favicon_hash",
    "text_neardup",
)
_MEDIUM_KINDS = ("promo_code", "email", "domain", "image_neardup")
_WEAK_KINDS = ("server_ip",)
KIND_WEIGHT: dict[str, float] = {
    **dict.fromkeys(_STRONG_KINDS, STRONG),
    **dict.fromkeys(_MEDIUM_KINDS, MEDIUM),
    **dict.fromkeys(_WEAK_KINDS, WEAK),
}
# Indicator kinds linked under another kind's name: a bot is a Telegram handle like any other.
KIND_ALIAS = {"telegram_bot": "telegram"}
# What advertisers repeat for every brand they promote (see Graph).
PROMOTION_KINDS = frozenset({"promo_code", "domain", "telegram"})
# Indicator kinds matched by equal values (the rest link through references or not at all).
SHARED_KINDS = frozenset(k for k in KIND_WEIGHT if k not in ("domain", "text_neardup", "image_neardup", "server_ip"))


def link_kind(indicator_kind: str) -> str:
    return KIND_ALIAS.get(indicator_kind, indicator_kind)


def weight_of(kind: str) -> float:
    return KIND_WEIGHT.get(kind, 0.0)


@dataclass(frozen=True, slots=True)
class Link:
    a_id: int
    b_id: int
    kind: str
    value: str
    display: str
    weight: float
    # For a reference (a link to a site, a channel's handle): the resource that is named.
    named: int | None = None

    def other(self, rid: int) -> int:
        return self.b_id if rid == self.a_id else self.a_id


def add_link(
    s: Session,
    x: int,
    y: int,
    kind: str,
    value: str,
    display: str = "",
    detail: dict[str, Any] | None = None,
    weight: float | None = None,
) -> bool:
    """Record a link between resources ``x`` and ``y`` once; True when it is new."""
    if x == y:
        return False
    a, b = min(x, y), max(x, y)
    value = value[:300]
    exists = s.execute(
        select(ResourceLinkRow.id).where(
            ResourceLinkRow.a_id == a,
            ResourceLinkRow.b_id == b,
            ResourceLinkRow.kind == kind,
            ResourceLinkRow.value == value,
        )
    ).first()
    if exists:
        return False
    s.add(
        ResourceLinkRow(
            a_id=a,
            b_id=b,
            kind=kind,
            value=value,
            display=(display or value)[:300],
            weight=weight if weight is not None else weight_of(kind),
            detail=detail or {},
        )
    )
    s.flush()
    return True


def _as_link(r: ResourceLinkRow) -> Link:
    named = (r.detail or {}).get("named_id")
    return Link(r.a_id, r.b_id, r.kind, r.value, r.display, r.weight, int(named) if named else None)


def links_of(s: Session, rid: int) -> list[Link]:
    rows = s.execute(
        select(ResourceLinkRow)
        .where(or_(ResourceLinkRow.a_id == rid, ResourceLinkRow.b_id == rid))
        .order_by(ResourceLinkRow.id)
    ).scalars()
    return [_as_link(r) for r in rows]


def proof_of(links: list[Link]) -> Link:
    """The link that best proves a pair: the heaviest, an operator's fingerprint before a mention."""
    return max(links, key=lambda lk: (lk.weight, lk.kind not in PROMOTION_KINDS))


# Similarity links count once a pair however many pages or images agree: ten pages of one
# template are not ten proofs. Other kinds count each distinct value, up to a strong link a kind.
_ONCE = frozenset({"text_neardup", "image_neardup", "server_ip"})


def pair_weight(links: list[Link]) -> float:
    by_kind: dict[str, list[float]] = {}
    for lk in links:
        by_kind.setdefault(lk.kind, []).append(lk.weight)
    return sum(max(ws) if kind in _ONCE else min(sum(ws), STRONG) for kind, ws in by_kind.items())


def joined(links: list[Link], threshold: float) -> bool:
    """Whether a pair's links add up to the threshold, with at least one more than weak."""
    return bool(links) and pair_weight(links) >= threshold and max(lk.weight for lk in links) > WEAK


def fingerprint_joined(links: list[Link], threshold: float) -> bool:
    """Joined without counting what an advertiser repeats (promo codes, handles, links)."""
    return joined([lk for lk in links if lk.kind not in PROMOTION_KINDS], threshold)


class Graph:
    """The joined pairs around some resources, read from the links table once per resource.

    Two resources are joined when their links add up to the threshold. Promo codes, Telegram
    handles and links to a site are also what affiliates and tipster channels repeat for every
    brand they advertise: a resource that links to (names) resources of two or more groups that
    nothing else ties together is an advertiser, and joins none of them through those links.
    """

    def __init__(self, s: Session, threshold: float, limit: int = 10_000) -> None:
        self.s = s
        self.threshold = threshold
        self.limit = limit
        self._pairs: dict[int, dict[int, list[Link]]] = {}
        self._core: dict[int, frozenset[int]] = {}
        self._advertiser: dict[int, bool] = {}

    def pairs(self, rid: int) -> dict[int, list[Link]]:
        if rid not in self._pairs:
            by_other: dict[int, list[Link]] = {}
            for lk in links_of(self.s, rid):
                by_other.setdefault(lk.other(rid), []).append(lk)
            self._pairs[rid] = dict(sorted(by_other.items()))
        return self._pairs[rid]

    def core(self, rid: int) -> frozenset[int]:
        """The resources tied to ``rid`` by fingerprints (wallets, cards, IDs, mirror text...)."""
        if rid not in self._core:
            seen = {rid}
            todo = deque([rid])
            while todo and len(seen) < self.limit:
                node = todo.popleft()
                for other, lks in self.pairs(node).items():
                    if other not in seen and fingerprint_joined(lks, self.threshold):
                        seen.add(other)
                        todo.append(other)
            group = frozenset(seen)
            for node in group:
                self._core[node] = group
        return self._core[rid]

    def is_advertiser(self, rid: int) -> bool:
        if rid not in self._advertiser:
            own = self.core(rid)
            groups = {
                self.core(o) for o, lks in self.pairs(rid).items() if o not in own and any(lk.named == o for lk in lks)
            }
            self._advertiser[rid] = len(groups) >= 2
        return self._advertiser[rid]

    def neighbours(self, rid: int) -> dict[int, Link]:
        """Resources joined to ``rid``, each with the link that proves it."""
        out: dict[int, Link] = {}
        for other, lks in self.pairs(rid).items():
            if fingerprint_joined(lks, self.threshold) or (
                joined(lks, self.threshold) and not self.is_advertiser(rid) and not self.is_advertiser(other)
            ):
                out[other] = proof_of(lks)
        return out


def neighbours(s: Session, rid: int, threshold: float) -> dict[int, Link]:
    return Graph(s, threshold).neighbours(rid)


def component(s: Session, start: int, threshold: float, limit: int = 10_000) -> dict[int, tuple[int, Link] | None]:
    """Breadth-first from ``start``: every joined resource with (parent, proof), the start with None."""
    g = Graph(s, threshold, limit)
    tree: dict[int, tuple[int, Link] | None] = {start: None}
    todo = deque([start])
    while todo and len(tree) < limit:
        rid = todo.popleft()
        for other, lk in g.neighbours(rid).items():
            if other not in tree:
                tree[other] = (rid, lk)
                todo.append(other)
    return tree


def path(s: Session, start: int, goal: int, threshold: float) -> list[Link] | None:
    """The shortest chain of joining links from ``start`` to ``goal`` (None when not connected)."""
    tree = component(s, start, threshold)
    if goal not in tree:
        return None
    chain: list[Link] = []
    node = goal
    while (step := tree[node]) is not None:
        chain.append(step[1])
        node = step[0]
    return list(reversed(chain))
