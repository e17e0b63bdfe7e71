"""``extract(snapshot)``: choose the extractor from the content, not from the URL alone.

Order: Telegram channel preview markup (whatever the host) -> feed (by media type or root
element) -> HTML page -> plain text. A failed fetch (``snapshot.error``), an empty body or a
304 gives no documents; non-2xx pages with a body are extracted like any other (the pipeline
decides what to do with a 404's text).
"""

from __future__ import annotations

from kuzet.errors import ExtractError
from kuzet.extract.bounds import MAX_HTML_CHARS
from kuzet.extract.feeds import feed_documents, looks_like_feed
from kuzet.extract.page import MAX_TEXT_CHARS, page_document
from kuzet.extract.telegram import is_telegram_preview, parse_telegram_preview, telegram_documents
from kuzet.records import Document, Snapshot
from kuzet.urls import resource_key

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
XML_TYPES = {"text/xml", "application/xml"}
HTML_TYPES = {"text/html", "application/xhtml+xml", ""}


def _html_prefix(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in head


def extract(snapshot: Snapshot) -> list[Document]:
    """The documents in a fetched snapshot (see module docstring for the dispatch order)."""
    if snapshot.error or not snapshot.body:
        return []
    url = snapshot.final_url or snapshot.url
    ctype = (snapshot.content_type or "").split(";", 1)[0].strip().lower()
    body = snapshot.body
    try:
        if ctype in FEED_TYPES or ((ctype in XML_TYPES or ctype == "text/plain") and looks_like_feed(body)):
            return feed_documents(
                body, url, encoding=snapshot.encoding, content_type=ctype, snapshot_sha256=snapshot.sha256 or None
            )
        if ctype in HTML_TYPES or _html_prefix(body):
            # Decode only what the parsers will look at (4 bytes per char is the UTF-8 worst case).
            html = body[: MAX_HTML_CHARS * 4].decode(snapshot.encoding or "utf-8", errors="replace")
            if is_telegram_preview(html):
                page = parse_telegram_preview(html, url)
                if page.posts:
                    return telegram_documents(page, snapshot_sha256=snapshot.sha256 or None)
            return [page_document(html, url, snapshot_sha256=snapshot.sha256 or None)]
        if ctype in XML_TYPES and looks_like_feed(body):
            return feed_documents(
                body, url, encoding=snapshot.encoding, content_type=ctype, snapshot_sha256=snapshot.sha256 or None
            )
        text = snapshot.text()[:MAX_TEXT_CHARS]
        return [
            Document(
                url=url,
                kind="text",
                text=text,
                resource_key=resource_key(url),
                resource_kind="site",
                snapshot_sha256=snapshot.sha256 or None,
            )
        ]
    except ExtractError:
        raise
    except (ValueError, TypeError, AttributeError, RecursionError, MemoryError) as e:
        raise ExtractError(f"{url}: could not extract ({type(e).__name__}: {e})", url=url) from e
