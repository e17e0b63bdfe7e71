"""The ``link`` stage: for one finding, record what ties its resource to other flagged resources
(shared indicators, references, near-duplicate text, look-alike images, a shared public server
address) and bring the resource's component into one network.

It runs after every capture and before any triage (stage priority), so that triage sees the
networks of the whole batch. Every row it writes is unique on its input, so a second run of the
same job writes nothing new.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kuzet.errors import FetchError
from kuzet.link import imagehashes
from kuzet.link.graph import SHARED_KINDS, add_link, link_kind
from kuzet.link.members import Eligibility
from kuzet.link.neardup import near_duplicates, store_sketch
from kuzet.link.networks import update_network
from kuzet.link.settings import LinkSettings
from kuzet.store.models import (
    BundleRow,
    DocumentRow,
    FindingEvidence,
    FindingRow,
    ImageHashRow,
    IndicatorRow,
    Resource,
    ResourceLinkRow,
    SnapshotRow,
)
from kuzet.urls import resource_key

log = logging.getLogger("kuzet.link")

# An indicator carried by more resources than this is common property (a payment processor's
# phone, a shared CDN), not an operator's fingerprint; so is an address shared by that many.
MAX_RESOURCES_PER_VALUE = 200
MAX_BANNERS = 2
MAX_IMAGE_CANDIDATES = 5000

ImageFetch = Callable[[str], bytes]


class Linker:
    def __init__(self, settings: LinkSettings | None = None, fetch_image: ImageFetch | None = None) -> None:
        self.settings = settings or LinkSettings()
        self.fetch_image = fetch_image
        self._image_cache: dict[str, dict[str, str] | None] = {}

    def link_finding(self, s: Session, finding_id: int) -> int | None:
        """Links of the finding's resource; returns the resource's network id (None when alone)."""
        finding = s.get(FindingRow, finding_id)
        if finding is None or finding.resource_id is None:
            return None
        doc = s.get(DocumentRow, finding.document_id)
        res = s.get(Resource, finding.resource_id)
        if doc is None or res is None:
            return None
        ok = Eligibility(s)
        rid = res.id
        before = s.execute(select(func.max(ResourceLinkRow.id))).scalar() or 0
        self._text(s, doc, rid, ok)
        self._shared(s, doc, rid, ok)
        self._identity(s, res, ok)
        self._references(s, doc, rid, ok)
        self._server(s, doc, rid, ok)
        self._images(s, finding, doc, rid, ok)
        # The other ends of new links may now join, or turn out to be advertisers and leave.
        touched = s.execute(select(ResourceLinkRow.a_id, ResourceLinkRow.b_id).where(ResourceLinkRow.id > before)).all()
        threshold = self.settings.network_threshold
        for other in sorted({i for pair in touched for i in pair} - {rid}):
            update_network(s, other, threshold)
        return update_network(s, rid, threshold)

    # -- what the texts share --------------------------------------------------------------
    def _text(self, s: Session, doc: DocumentRow, rid: int, ok: Eligibility) -> None:
        row = store_sketch(s, doc.id, rid, f"{doc.title}\n{doc.text}")
        for dup in near_duplicates(s, row, self.settings.text_jaccard, min_shingles=self.settings.text_min_shingles):
            if not ok(dup.other_resource_id) or dup.other_resource_id is None:
                continue
            other = s.get(DocumentRow, dup.other_document_id)
            lo, hi = sorted((doc.id, dup.other_document_id))
            add_link(
                s,
                rid,
                dup.other_resource_id,
                "text_neardup",
                f"documents {lo}~{hi}",
                f"near-duplicate text (Jaccard {dup.similarity:.2f}) of {other.url if other else lo}",
                detail={"jaccard": round(dup.similarity, 4), "documents": [lo, hi]},
            )

    def _shared(self, s: Session, doc: DocumentRow, rid: int, ok: Eligibility) -> None:
        mine = s.execute(select(IndicatorRow).where(IndicatorRow.document_id == doc.id)).scalars().all()
        for ind in mine:
            kind = link_kind(ind.kind)
            if kind not in SHARED_KINDS:
                continue
            same = [k for k in ("telegram", "telegram_bot")] if kind == "telegram" else [ind.kind]
            others = s.execute(
                select(IndicatorRow.resource_id)
                .where(IndicatorRow.kind.in_(same), IndicatorRow.value == ind.value, IndicatorRow.resource_id != rid)
                .distinct()
                .limit(MAX_RESOURCES_PER_VALUE + 1)
            ).scalars()
            found = [o for o in others if o is not None]
            if len(found) > MAX_RESOURCES_PER_VALUE:
                continue
            for other in found:
                if ok(other):
                    add_link(s, rid, other, kind, ind.value, ind.display)

    # -- references: a handle that names a channel, a link to another site ----------------------
    def _identity(self, s: Session, res: Resource, ok: Eligibility) -> None:
        """Other resources' content that names this resource (its channel handle, its domain)."""
        if res.key.startswith("t.me/"):
            handle = "@" + res.key.split("/", 1)[1]
            cond = IndicatorRow.kind.in_(("telegram", "telegram_bot")) & (IndicatorRow.value == handle)
            kind, value = "telegram", handle
        else:
            key = res.key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            cond = ((IndicatorRow.kind == "domain") & (IndicatorRow.value == res.key)) | (
                (IndicatorRow.kind == "url")
                & or_(
                    IndicatorRow.value.like(f"%://{key}/%", escape="\\"),
                    IndicatorRow.value.like(f"%://{key}", escape="\\"),
                    IndicatorRow.value.like(f"%://{key}:%", escape="\\"),
                    IndicatorRow.value.like(f"%.{key}/%", escape="\\"),
                )
            )
            kind, value = "domain", res.key
        others = s.execute(
            select(IndicatorRow.resource_id).where(cond, IndicatorRow.resource_id != res.id).distinct().limit(500)
        ).scalars()
        for other in others:
            if other is not None and ok(other):
                add_link(s, res.id, other, kind, value, value, detail={"names": res.key, "named_id": res.id})

    def _references(self, s: Session, doc: DocumentRow, rid: int, ok: Eligibility) -> None:
        """Resources this document names: a channel by its handle, a site by a link or a QR code."""
        keys: dict[str, tuple[str, str]] = {}
        for ind in s.execute(select(IndicatorRow).where(IndicatorRow.document_id == doc.id)).scalars():
            if ind.kind in ("telegram", "telegram_bot") and ind.value.startswith("@"):
                keys[f"t.me/{ind.value[1:]}"] = ("telegram", ind.value)
            elif ind.kind in ("url", "domain"):
                key = resource_key(ind.value) if "://" in ind.value else ind.value.lower()
                if key and not key.startswith("t.me/"):
                    keys.setdefault(key, ("domain", key))
        if not keys:
            return
        for other in s.execute(select(Resource).where(Resource.key.in_(keys))).scalars():
            if other.id != rid and ok(other.id):
                kind, value = keys[other.key]
                add_link(s, rid, other.id, kind, value, value, detail={"names": other.key, "named_id": other.id})

    def _server(self, s: Session, doc: DocumentRow, rid: int, ok: Eligibility) -> None:
        snap = s.get(SnapshotRow, doc.snapshot_id) if doc.snapshot_id else None
        if snap is None or not snap.server_ip:
            return
        try:
            if not ipaddress.ip_address(snap.server_ip).is_global:
                return  # a loopback or private address says nothing about who runs a site
        except ValueError:
            return
        others = s.execute(
            select(SnapshotRow.resource_id)
            .where(SnapshotRow.server_ip == snap.server_ip, SnapshotRow.resource_id != rid)
            .distinct()
            .limit(MAX_RESOURCES_PER_VALUE + 1)
        ).scalars()
        found = [o for o in others if o is not None]
        if len(found) <= MAX_RESOURCES_PER_VALUE:
            for other in found:
                if ok(other):
                    add_link(s, rid, other, "server_ip", snap.server_ip)

    # -- look-alike images -----------------------------------------------------------------------
    def _images(self, s: Session, finding: FindingRow, doc: DocumentRow, rid: int, ok: Eligibility) -> None:
        mine: dict[str, dict[str, str]] = {}
        for ref, hashes in self._screenshots(s, finding) + self._banners(doc):
            mine[ref] = hashes
            for algo, value in hashes.items():
                exists = s.execute(
                    select(ImageHashRow.id).where(
                        ImageHashRow.resource_id == rid, ImageHashRow.ref == ref[:600], ImageHashRow.algo == algo
                    )
                ).first()
                if not exists:
                    origin = "screenshot" if not ref.startswith(("http://", "https://")) else "banner"
                    s.add(
                        ImageHashRow(
                            resource_id=rid, document_id=doc.id, origin=origin, ref=ref[:600], algo=algo, value=value
                        )
                    )
        s.flush()
        if not mine:
            return
        stored: dict[tuple[int, str], dict[str, str]] = {}
        rows = s.execute(
            select(ImageHashRow)
            .where(ImageHashRow.resource_id != rid)
            .order_by(ImageHashRow.id)
            .limit(MAX_IMAGE_CANDIDATES)
        ).scalars()
        for r in rows:
            stored.setdefault((r.resource_id, r.ref), {})[r.algo] = r.value
        for ref, hashes in mine.items():
            for (other, other_ref), theirs in stored.items():
                if "phash" not in theirs or not ok(other):
                    continue
                d = imagehashes.distance(hashes, theirs)
                if imagehashes.is_match(d, self.settings.image_phash_max, self.settings.image_pdq_max):
                    add_link(
                        s,
                        rid,
                        other,
                        "image_neardup",
                        f"{hashes['phash']}~{theirs['phash']}",
                        f"look-alike image (pHash distance {d.phash}, PDQ {d.pdq})",
                        detail={"refs": [ref, other_ref], "phash": d.phash, "dhash": d.dhash, "pdq": d.pdq},
                    )

    def _screenshots(self, s: Session, finding: FindingRow) -> list[tuple[str, dict[str, str]]]:
        from kuzet.notify.context import screenshots_of
        from kuzet.run.drafting import bundle_record

        res = s.get(Resource, finding.resource_id) if finding.resource_id else None
        if res is None or res.key.startswith("t.me/"):
            # Every channel preview shows the same Telegram chrome: 2-6 bits apart for unrelated channels.
            return []
        out: list[tuple[str, dict[str, str]]] = []
        bundles = s.execute(
            select(BundleRow)
            .join(FindingEvidence, FindingEvidence.bundle_id == BundleRow.id)
            .where(FindingEvidence.finding_id == finding.id)
        ).scalars()
        for b in bundles:
            for shot in screenshots_of(bundle_record(b))[:1]:
                hashes = self._hash(str(shot.path), partial(Path(shot.path).read_bytes), above_fold=True)
                if hashes:
                    out.append((str(shot.path), hashes))
        return out

    def _banners(self, doc: DocumentRow) -> list[tuple[str, dict[str, str]]]:
        if self.fetch_image is None:
            return []
        out: list[tuple[str, dict[str, str]]] = []
        fetch = self.fetch_image
        for url in [u for u in (doc.images or []) if isinstance(u, str) and u.startswith(("http://", "https://"))][
            :MAX_BANNERS
        ]:
            hashes = self._hash(url, partial(fetch, url))
            if hashes:
                out.append((url, hashes))
        return out

    def _hash(self, ref: str, read: Callable[[], bytes], above_fold: bool = False) -> dict[str, str] | None:
        if ref not in self._image_cache:
            try:
                self._image_cache[ref] = imagehashes.hash_image(read(), above_fold=above_fold).as_dict()
            except (OSError, FetchError, imagehashes.ImageHashError) as e:
                log.info("image %s not hashed: %s", ref, e)
                self._image_cache[ref] = None
        return self._image_cache[ref]
