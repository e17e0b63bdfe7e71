"""What one re-fetch of a reported URL shows: the outcome classes of a block check.

The order of the tests matters and is the answer to "blocked or not?":

1. A failed fetch is classified by its cause: a name that does not resolve, or resolves to a
   private / loopback sinkhole address (how DNS-level blocking looks in production mode), is
   ``dns_failure``; a refused or reset connection (TLS reset by SNI filtering included) is
   ``connection_reset``; a time limit is ``timeout``; anything else ``http_error``.
2. HTTP 451, or a redirect chain through a known block host (``signs.yaml``), is ``block_page``.
3. The page still shows the reported content (same document digest, same body hash, or at least
   ``NEAR_SAME`` of the reported text's word 5-shingles found again) is ``reachable_same`` on the
   same resource and ``moved_to_mirror`` on another one. This test comes before the block-page
   fingerprints on purpose: casino pages say "сайт заблокирован? используйте зеркало" and must not
   pass for a block stub while they still show the offer.
4. A block-page fingerprint (``kuzet/evidence/fingerprints.yaml``) is ``block_page``.
5. 404 / 410, or a short "content removed" / parked-domain page (``signs.yaml``), is ``removed``.
6. A redirect to another resource that is in the same network as the reported one, or that has
   findings of its own, is ``moved_to_mirror``.
7. Any other status >= 400 (or a challenge page, which hides what is behind it) is ``http_error``;
   what is left is ``reachable_changed``.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import httpx
import yaml

from kuzet.errors import BlockedAddress, ExtractError, FetchError, FetchTimeout
from kuzet.evidence.pagekind import classify_page
from kuzet.extract.dispatch import extract
from kuzet.link.neardup import shingles
from kuzet.records import Document, Snapshot
from kuzet.urls import host_of

Outcome = Literal[
    "reachable_same",
    "reachable_changed",
    "dns_failure",
    "connection_reset",
    "timeout",
    "block_page",
    "removed",
    "moved_to_mirror",
    "http_error",
]
OUTCOMES: tuple[str, ...] = Outcome.__args__  # type: ignore[attr-defined]
# Outcomes that say the resource is blocked for the users behind the monitoring vantage point.
BLOCKING = frozenset({"block_page", "dns_failure", "connection_reset"})
# Share of the reported text's shingles that must be found again for "the same content".
NEAR_SAME = 0.8
# Only the start of a page is compared: hostile pages can be huge, a reported page is not.
MAX_COMPARE_CHARS = 100_000
MAX_DETAIL_CHARS = 500


@dataclass(frozen=True, slots=True)
class Reported:
    """What was reported for one URL: the finding's document as stored."""

    url: str
    resource_key: str
    text: str = ""
    title: str = ""
    content_sha256: str = ""  # the document digest (url, title, text)
    body_sha256: str = ""  # the snapshot the document came from


@dataclass(slots=True)
class Observation:
    outcome: str
    http_status: int | None = None
    content_sha256: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Signs:
    block_hosts: tuple[str, ...]
    removed_title: tuple[str, ...]
    removed_text: tuple[str, ...]
    removed_max_chars: int


@lru_cache(maxsize=1)
def default_signs() -> Signs:
    raw = yaml.safe_load(resources.files("kuzet.verify").joinpath("signs.yaml").read_text(encoding="utf-8")) or {}
    removed = raw.get("removed") or {}
    return Signs(
        block_hosts=tuple(str(h).lower().strip(".") for h in raw.get("block_hosts") or ()),
        removed_title=tuple(str(t).casefold() for t in removed.get("title") or ()),
        removed_text=tuple(str(t).casefold() for t in removed.get("text") or ()),
        removed_max_chars=int(removed.get("max_text_chars") or 3000),
    )


def document_digest(url: str, title: str, text: str) -> str:
    """The digest the pipeline stores as ``documents.content_sha256`` (run/stages.py)."""
    return hashlib.sha256(f"{url}\n{title}\n{text}".encode()).hexdigest()


def _causes(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    e: BaseException | None = error
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


def classify_error(error: FetchError) -> Observation:
    """The outcome of a fetch that did not get an answer."""
    detail: dict[str, Any] = {"error": str(error)[:MAX_DETAIL_CHARS], "reason": error.reason}
    chain = list(_causes(error))
    if isinstance(error, BlockedAddress):
        # In production mode a reported public site that now resolves to 127.0.0.1, 0.0.0.0 or a
        # private address is a DNS sinkhole: the classic DNS-level block.
        return Observation("dns_failure", detail={**detail, "kind": "sinkhole"})
    if any(isinstance(e, socket.gaierror) for e in chain):
        return Observation("dns_failure", detail={**detail, "kind": "nxdomain"})
    if isinstance(error, FetchTimeout) or any(isinstance(e, httpx.TimeoutException) for e in chain):
        return Observation("timeout", detail=detail)
    if any(isinstance(e, FutureTimeout) for e in chain) and not any(isinstance(e, httpx.HTTPError) for e in chain):
        # The guard's resolver gave up (FetchError from the lookup's TimeoutError, no HTTP yet).
        return Observation("dns_failure", detail={**detail, "kind": "dns_timeout"})
    refused = any(isinstance(e, ConnectionRefusedError) for e in chain) or "refused" in str(error).lower()
    if refused:
        return Observation("connection_reset", detail={**detail, "kind": "refused"})
    if any(
        isinstance(e, ConnectionResetError | httpx.ConnectError | httpx.ReadError | httpx.RemoteProtocolError)
        for e in chain
    ):
        return Observation("connection_reset", detail={**detail, "kind": "reset"})
    return Observation("http_error", detail=detail)


def _on_block_host(hosts: list[str], signs: Signs) -> str | None:
    for h in hosts:
        for b in signs.block_hosts:
            if h == b or h.endswith("." + b):
                return h
    return None


def containment(reported: str, seen: str) -> float:
    """Share of the reported text's word 5-shingles present in ``seen`` (0 when nothing reported)."""
    mine = shingles(reported[:MAX_COMPARE_CHARS])
    if not mine:
        return 0.0
    return len(mine & shingles(seen[:MAX_COMPARE_CHARS])) / len(mine)


def _documents(snap: Snapshot) -> list[Document]:
    try:
        return extract(snap)
    except ExtractError:
        return []


def _is_removed(title: str, text: str, signs: Signs) -> str | None:
    if len(text.strip()) > signs.removed_max_chars:
        return None
    t_title, t_text = title.casefold(), text[:MAX_COMPARE_CHARS].casefold()
    for p in signs.removed_title:
        if p in t_title:
            return f"title contains {p!r}"
    for p in signs.removed_text:
        if p in t_text:
            return f"text contains {p!r}"
    return None


def classify_snapshot(
    snap: Snapshot,
    reported: Reported,
    *,
    final_resource_key: str,
    mirror_of: str | None = None,
    signs: Signs | None = None,
) -> Observation:
    """The outcome of a fetch that got an answer (see the module docstring for the order).

    ``final_resource_key`` is the resource of the URL that answered; ``mirror_of`` names why that
    resource is a mirror of the reported one (same network, has findings), or None.
    """
    signs = signs or default_signs()
    status = snap.status
    final = snap.final_url or snap.url
    detail: dict[str, Any] = {"final_url": final[:2000]}
    if snap.redirects:
        detail["redirects"] = [u[:2000] for u in snap.redirects[:20]]
    obs = Observation("reachable_changed", http_status=status, content_sha256=snap.sha256 or None, detail=detail)

    def done(outcome: str, **more: Any) -> Observation:
        obs.outcome = outcome
        obs.detail.update(more)
        return obs

    if status == 451:
        return done("block_page", why="HTTP 451 Unavailable For Legal Reasons")
    block_host = _on_block_host([host_of(u) for u in [*snap.redirects, final]], signs)
    if block_host:
        return done("block_page", why=f"redirected to block host {block_host}")
    docs = _documents(snap)
    moved = final_resource_key != reported.resource_key
    if docs and 200 <= status < 300:
        same = _same_content(snap, docs, reported)
        if same is not None:
            if moved:
                return done("moved_to_mirror", mirror=final_resource_key, why=same)
            return done("reachable_same", why=same)
    title = docs[0].title if docs else ""
    text = "\n".join(d.text for d in docs)
    html = snap.body[:MAX_COMPARE_CHARS].decode(snap.encoding or "utf-8", errors="replace")
    kind = classify_page(status=status, title=title, text=text, html=html, headers=snap.headers)
    if kind.kind == "block_page":
        return done("block_page", why=kind.reasons[0] if kind.reasons else "", fingerprint=kind.fingerprint)
    if status in (404, 410):
        return done("removed", why=f"HTTP {status}")
    gone = _is_removed(title, text, signs) if status < 400 else None
    if gone:
        return done("removed", why=gone)
    if moved and mirror_of:
        return done("moved_to_mirror", mirror=final_resource_key, why=mirror_of)
    if kind.kind == "challenge":
        return done("http_error", why="; ".join(kind.reasons), fingerprint=kind.fingerprint)
    if not 200 <= status < 300:
        return done("http_error", why=f"HTTP {status}")
    if moved:
        obs.detail["moved_to"] = final_resource_key
    return done("reachable_changed", similarity=round(_best_containment(docs, reported), 3))


def _best_containment(docs: list[Document], reported: Reported) -> float:
    return max((containment(reported.text, d.text) for d in docs), default=0.0)


def _same_content(snap: Snapshot, docs: list[Document], reported: Reported) -> str | None:
    if reported.body_sha256 and snap.sha256 == reported.body_sha256:
        return "same body SHA-256"
    if reported.content_sha256 and any(
        document_digest(d.url, d.title, d.text) == reported.content_sha256 for d in docs
    ):
        return "same document digest"
    share = _best_containment(docs, reported)
    if share >= NEAR_SAME:
        return f"{share:.0%} of the reported text found again"
    return None
