"""RSS / Atom / RDF feeds -> one ``feed_item`` Document per entry (feedparser).

The body goes to feedparser as a byte stream, never as a string: feedparser treats a string as
a URL or a file path and would fetch or open it. Item HTML (summary, content) is reduced to
visible text with the same walker as pages.
"""

from __future__ import annotations

import calendar
import io
import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser
from selectolax.lexbor import LexborHTMLParser

from kuzet.extract.bounds import safe_html
from kuzet.extract.textutil import absolute, dedupe
from kuzet.extract.visible import visible_lines
from kuzet.records import Document
from kuzet.urls import resource_key

MAX_FEED_BYTES = 5 * 1024 * 1024
MAX_ITEMS = 500
MAX_ITEM_CHARS = 50_000
_XML_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]{0,200}?encoding\s*=\s*["'])[A-Za-z0-9._-]+(["'])""")
FEED_ROOT = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]", re.I)


def looks_like_feed(body: bytes) -> bool:
    """True when the root element (within the first 2 KB) is rss, feed or rdf:RDF."""
    head = body[:2048]
    return FEED_ROOT.search(head) is not None and b"<html" not in head.lower()


def html_to_text(fragment: str) -> str:
    if "<" not in fragment:
        return re.sub(r"[ \t]+", " ", fragment).strip()
    tree = LexborHTMLParser(f"<html><body>{safe_html(fragment)}</body></html>")
    root = tree.body
    return "\n".join(visible_lines(root)) if root is not None else ""


def _links_in(fragment: str, base: str) -> list[str]:
    if "<a" not in fragment:
        return []
    tree = LexborHTMLParser(fragment)
    return [absolute(base, a.attributes.get("href")) or "" for a in tree.css("a[href]")]


def _when(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            try:
                return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
            except (OverflowError, ValueError, OSError):
                continue
    return None


def feed_documents(
    body: bytes, url: str, *, encoding: str | None = None, content_type: str = "", snapshot_sha256: str | None = None
) -> list[Document]:
    # The fetcher's charset choice (which checks declarations against the bytes) is authoritative:
    # re-encode to UTF-8 and make the XML declaration say so, so feedparser cannot disagree.
    text = body[:MAX_FEED_BYTES].decode(encoding or "utf-8", errors="replace").lstrip("\ufeff")
    text = _XML_DECL_ENCODING.sub(r"\1utf-8\2", text, count=1)
    headers = {"content-location": url, "content-type": f"{content_type or 'application/xml'}; charset=utf-8"}
    parsed = feedparser.parse(
        io.BytesIO(text.encode("utf-8")), response_headers=headers, sanitize_html=True, resolve_relative_uris=True
    )
    feed_title = str(parsed.feed.get("title", "") or "")
    docs: list[Document] = []
    for entry in parsed.entries[:MAX_ITEMS]:
        link = absolute(url, entry.get("link")) or ""
        title = html_to_text(str(entry.get("title", "") or ""))
        fragments = [str(c.get("value", "")) for c in entry.get("content", []) or []]
        summary = str(entry.get("summary", "") or "")
        # Atom's summary often repeats the start of content; keep both only when they differ.
        if summary and not any(summary[:200] in f for f in fragments):
            fragments.insert(0, summary)
        text = "\n\n".join(t for t in (html_to_text(f) for f in fragments) if t)[:MAX_ITEM_CHARS]
        links = [link] if link else []
        for f in fragments:
            links.extend(_links_in(f, link or url))
        images = [
            absolute(url, e.get("href")) or ""
            for e in entry.get("enclosures", []) or []
            if str(e.get("type", "")).startswith("image/")
        ]
        images += [absolute(url, m.get("url")) or "" for m in entry.get("media_content", []) or []]
        docs.append(
            Document(
                url=link or url,
                kind="feed_item",
                text=text,
                title=title[:1000],
                resource_key=resource_key(link or url),
                resource_kind="site",
                post_id=str(entry.get("id", "") or "") or None,
                published_at=_when(entry),
                links=dedupe(links, 100),
                images=dedupe(images, 50),
                meta={"feed_title": feed_title, "feed_url": url},
                snapshot_sha256=snapshot_sha256,
            )
        )
    return docs
