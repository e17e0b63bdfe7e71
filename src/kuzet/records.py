"""Typed records passed between pipeline stages.

    Source ──FetchTask──▶ fetch ──Snapshot──▶ extract ──Document──▶ detect ──Verdict──▶
      evidence ──EvidenceBundle──▶ link (RegistryEntry matches) ──▶ triage ──RouteDecision──▶ notify

Records are plain dataclasses so that every stage can be tested without a database; the store
maps them to rows. ``to_dict`` gives a JSON-safe form (datetimes as ISO 8601 UTC strings) used
for job payloads, CLI output and the audit log.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_jsonable(value: Any) -> Any:
    """Convert records, enums, paths and datetimes to JSON-safe values, recursively."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return None  # bodies never go into JSON; they live in the blob store
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


class Label(enum.StrEnum):
    GAMBLING = "gambling"
    PYRAMID = "pyramid"
    ILLEGAL_FINANCE = "illegal_finance"
    BENIGN = "benign"


LABELS: tuple[str, ...] = tuple(label.value for label in Label)
VIOLATION_LABELS: tuple[str, ...] = ("gambling", "pyramid", "illegal_finance")
# Kinds of allow-listed resources (kuzet.link.allowlist).
ALLOW_CATEGORIES: tuple[str, ...] = ("licensed_operator", "bank", "media", "official", "other")


class Route(enum.StrEnum):
    CRIMINAL = "criminal"
    ADMINISTRATIVE = "administrative"
    BLOCKING = "blocking"
    NONE = "none"


SourceKind = Literal["website", "telegram", "feed", "urls"]
DocumentKind = Literal["page", "telegram_post", "feed_item", "text"]


@dataclass(slots=True)
class FetchTask:
    """One URL to fetch, with where it came from."""

    url: str
    source_id: int | None = None
    depth: int = 0
    # Pages of the same site may be followed when the source's scope allows it.
    follow_links: bool = False
    referrer: str | None = None


@dataclass(slots=True)
class Snapshot:
    """The raw result of fetching one URL. ``error`` is set when the fetch failed."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    content_type: str
    encoding: str | None
    fetched_at: datetime
    elapsed_ms: int
    redirects: list[str] = field(default_factory=list)
    server_ip: str | None = None
    sha256: str = ""
    truncated: bool = False
    error: str | None = None
    error_reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and 200 <= self.status < 300

    def text(self) -> str:
        """The body decoded with the detected encoding (replacement characters for bad bytes)."""
        return self.body.decode(self.encoding or "utf-8", errors="replace")


@dataclass(slots=True)
class Document:
    """One unit of text to classify: a page, a Telegram post, a feed item."""

    url: str
    kind: DocumentKind
    text: str
    title: str = ""
    lang: str | None = None
    # Registrable domain for pages; "t.me/NAME" for Telegram channels. The unit that is blocked.
    resource_key: str = ""
    resource_kind: Literal["site", "channel", "account", "page"] = "site"
    post_id: str | None = None
    published_at: datetime | None = None
    links: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    # Text read from images (OCR) and QR codes, kept apart so a justification can say where it came from.
    image_text: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    snapshot_sha256: str | None = None


@dataclass(slots=True)
class Span:
    start: int
    end: int


@dataclass(slots=True)
class Indicator:
    """A machine-checkable identifier found in content (wallet, card, phone, handle, counter...).

    ``value`` is the normalised form used for linking; ``display`` is what may be shown to a
    person (bank cards are masked to the last four digits).
    """

    kind: str
    value: str
    display: str
    span: Span | None = None
    valid: bool = True
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Signal:
    """One reason behind a verdict, in words a notification can quote."""

    kind: Literal["phrase", "pattern", "indicator", "model", "obfuscation", "ocr", "qr", "rule"]
    category: str
    name: str
    weight: float
    text: str = ""
    span: Span | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def signal_from_json(d: dict[str, Any]) -> Signal:
    """A Signal from its stored JSON form (``to_jsonable`` of a Signal)."""
    span = d.get("span")
    return Signal(
        kind=d.get("kind", "rule"),
        category=str(d.get("category", "")),
        name=str(d.get("name", "")),
        weight=float(d.get("weight") or 0.0),
        text=str(d.get("text") or ""),
        span=Span(int(span["start"]), int(span["end"])) if isinstance(span, dict) else None,
        detail=dict(d.get("detail") or {}),
    )


@dataclass(slots=True)
class Verdict:
    label: str
    score: float
    scores: dict[str, float]
    signals: list[Signal] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    lang: str | None = None
    detector: str = ""

    @property
    def is_violation(self) -> bool:
        return self.label != Label.BENIGN.value


@dataclass(slots=True)
class CapturePart:
    """One file of an evidence capture; a failed part is data, not an exception."""

    name: str
    status: Literal["ok", "failed", "skipped"]
    path: str | None = None
    sha256: str | None = None
    size: int = 0
    media_type: str = ""
    error: str | None = None


@dataclass(slots=True)
class EvidenceBundle:
    path: Path
    url: str
    final_url: str
    captured_at: datetime
    manifest_sha256: str
    parts: list[CapturePart] = field(default_factory=list)
    key_id: str = ""
    page_kind: Literal["content", "challenge", "block_page", "error"] = "content"
    error: str | None = None

    def part(self, name: str) -> CapturePart | None:
        return next((p for p in self.parts if p.name == name), None)


@dataclass(slots=True)
class RegistryEntry:
    """One row of a registry of resources prohibited by law or by a court decision."""

    resource: str  # a URL, a domain, "*.domain" or "t.me/NAME"
    kind: Literal["url", "domain", "subdomains", "channel", "account", "ip"]
    authority: str = ""
    decision_number: str = ""
    decision_date: str = ""  # ISO date
    legal_basis: str = ""
    category: str = ""
    source_line: int | None = None


@dataclass(slots=True)
class RouteDecision:
    route: str  # a Route value
    rule_id: str
    legal_basis: str
    policy_version: str
    reasons: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)  # document kinds to draft
    registry_entry: RegistryEntry | None = None


@dataclass(slots=True)
class TriageContext:
    """What triage rules may look at for one finding."""

    label: str
    score: float
    resource_key: str
    url: str
    registry_matches: list[RegistryEntry] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    subscribers: int | None = None
    views: int | None = None
    mirrors: int = 0
    repeat_offences: int = 0
    amounts: list[float] = field(default_factory=list)
    allowlisted: bool = False
    # Why it is allowed ("allow-list (bank): *.sapa-bank.test — licensed bank"), shown with the route.
    allowlist_reason: str = ""
    # The resource's network (kuzet.link) and the registry entries covering other members, each
    # with the chain of links that ties this resource to that member, in words ("shares ...").
    network_id: int | None = None
    network_registry_matches: list[tuple[RegistryEntry, str]] = field(default_factory=list)
    # The same chain in the words of each document language ({link} in a legal-basis text).
    network_link_text: dict[str, str] = field(default_factory=dict)
