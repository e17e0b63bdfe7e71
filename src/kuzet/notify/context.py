"""Everything a drafted document says, as one plain record (templates only lay it out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from kuzet.notify.justification import draft_justification
from kuzet.notify.wording import AUTHORITY, DISCLAIMER, SENDER, DocKind, Lang, category_words
from kuzet.records import EvidenceBundle, RegistryEntry, RouteDecision, Verdict, utcnow
from kuzet.triage.policy import Policy
from kuzet.urls import resource_key as resource_key_of

ROUTE_DOCUMENT: dict[str, DocKind] = {
    "blocking": "blocking_notification",
    "criminal": "criminal_referral",
    "administrative": "administrative_materials",
}


@dataclass(slots=True)
class ResourceItem:
    url: str
    resource_key: str
    first_seen: datetime | None = None
    label: str = ""  # the category in words


@dataclass(slots=True)
class EvidenceItem:
    file_name: str
    sha256: str
    size: int
    captured_at: datetime
    bundle_path: str
    manifest_sha256: str
    key_id: str = ""
    url: str = ""


@dataclass(slots=True)
class Screenshot:
    path: Path
    url: str
    captured_at: datetime | None = None
    sha256: str = ""


@dataclass(slots=True)
class NotificationContext:
    doc_id: str
    kind: DocKind
    lang: Lang
    route: str
    authority: str
    resources: list[ResourceItem]
    category_label: str
    legal_basis: str
    justification: list[str]
    created: date = field(default_factory=lambda: utcnow().date())
    decision: RegistryEntry | None = None
    evidence: list[EvidenceItem] = field(default_factory=list)
    screenshots: list[Screenshot] = field(default_factory=list)
    analyst: str = ""
    rule_id: str = ""
    policy_version: str = ""
    sender: str = ""
    disclaimer: str = ""

    def __post_init__(self) -> None:
        if not self.sender:
            self.sender = SENDER[self.lang]
        if not self.disclaimer:
            self.disclaimer = DISCLAIMER[self.lang]


def _resolve(bundle: EvidenceBundle, part_path: str) -> Path:
    p = Path(part_path)
    return p if p.is_absolute() else Path(bundle.path) / p


def evidence_items(bundle: EvidenceBundle) -> list[EvidenceItem]:
    """One row per captured file of a bundle (failed parts carry no hash and are left out)."""
    return [
        EvidenceItem(
            file_name=Path(p.path or p.name).name,
            sha256=p.sha256 or "",
            size=p.size,
            captured_at=bundle.captured_at,
            bundle_path=str(bundle.path),
            manifest_sha256=bundle.manifest_sha256,
            key_id=bundle.key_id,
            url=bundle.final_url or bundle.url,
        )
        for p in bundle.parts
        if p.status == "ok" and p.sha256
    ]


def screenshots_of(bundle: EvidenceBundle) -> list[Screenshot]:
    """The bundle's screenshot images (PNG/JPEG parts, or parts named like a screenshot)."""
    out: list[Screenshot] = []
    for p in bundle.parts:
        if p.status != "ok" or not p.path:
            continue
        is_image = p.media_type in ("image/png", "image/jpeg") or p.path.lower().endswith((".png", ".jpg", ".jpeg"))
        if is_image and "screenshot" in (p.name + p.path).lower():
            out.append(
                Screenshot(
                    path=_resolve(bundle, p.path),
                    url=bundle.final_url or bundle.url,
                    captured_at=bundle.captured_at,
                    sha256=p.sha256 or "",
                )
            )
    return out


def build_context(
    *,
    decision: RouteDecision,
    verdict: Verdict,
    urls: Sequence[str],
    bundles: Sequence[EvidenceBundle] = (),
    lang: Lang = "ru",
    doc_id: str,
    kind: DocKind | None = None,
    legal_basis: str | None = None,
    policy: Policy | None = None,
    authority: str | None = None,
    analyst: str = "",
    first_seen: dict[str, datetime] | None = None,
    created: date | None = None,
    network_link: Mapping[str, str] | None = None,
) -> NotificationContext:
    """A context from the pipeline's records.

    The legal basis is, in order: ``legal_basis`` as given; the rule's text in ``lang`` from
    ``policy`` (so a Kazakh document cites the Kazakh wording); the decision's own (Russian) text.
    ``network_link`` (by language) is the chain of links that ties a mirror to the listed
    resource (``kuzet.link.mirror``): it fills {link} and closes the justification.
    """
    link = (network_link or {}).get(lang, "")
    if legal_basis is None and policy is not None:
        try:
            legal_basis = policy.legal_basis(decision.rule_id, lang, decision.registry_entry, link)
        except KeyError:
            legal_basis = None  # the decision came from another policy version
    kind = kind or ROUTE_DOCUMENT.get(decision.route) or "administrative_materials"
    label = category_words(verdict.label, lang)
    seen = first_seen or {}
    resources = [
        ResourceItem(url=u, resource_key=resource_key_of(u), first_seen=seen.get(u), label=label) for u in urls
    ]
    evidence = [item for b in bundles for item in evidence_items(b)]
    shots = [s for b in bundles for s in screenshots_of(b)]
    return NotificationContext(
        doc_id=doc_id,
        kind=kind,
        lang=lang,
        route=decision.route,
        authority=authority or AUTHORITY[kind][lang],
        resources=resources,
        category_label=label,
        legal_basis=legal_basis if legal_basis is not None else decision.legal_basis,
        justification=draft_justification(verdict, lang) + ([f"{link[:1].upper()}{link[1:]}."] if link else []),
        created=created or datetime.now(UTC).date(),
        decision=decision.registry_entry,
        evidence=evidence,
        screenshots=shots,
        analyst=analyst,
        rule_id=decision.rule_id,
        policy_version=decision.policy_version,
    )
